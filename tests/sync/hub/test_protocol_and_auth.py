"""Version negotiation, the protocol header, tokens and roles against a real hub."""

from __future__ import annotations

import pytest
import requests

from sync.protocol import PROTOCOL_MAJOR, PROTOCOL_VERSION, ErrorBody, Health
from tests.sync.hub.helpers import decision, obs, push, submission, submit


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def error(resp) -> ErrorBody:
    return ErrorBody.model_validate(resp.json())


def test_any_minor_of_our_major_is_served_and_another_major_gets_426(hub):
    for version in (PROTOCOL_VERSION, f"{PROTOCOL_MAJOR}.0", f"{PROTOCOL_MAJOR}.99"):
        r = hub.request("GET", "/v1/feed", role="viewer", headers={"SCC-Protocol": version})
        assert r.status_code == 200, (version, r.text)
        assert r.headers["SCC-Protocol"] == PROTOCOL_VERSION
    r = hub.request("GET", "/v1/feed", role="viewer", headers={"SCC-Protocol": f"{PROTOCOL_MAJOR + 1}.0"})
    assert r.status_code == 426
    body = error(r)
    assert body.code == "protocol_version" and PROTOCOL_VERSION in body.supported
    assert r.headers["SCC-Protocol"] == PROTOCOL_VERSION
    r = requests.get(hub.url + "/v1/feed", headers={"Authorization": f"Bearer {hub.tokens['viewer']}"}, timeout=10)
    assert r.status_code == 400 and error(r).code == "protocol_version"
    # The sentence says what to send, not only what is missing (a new user's walkthrough, session 28).
    assert f"send 'SCC-Protocol: {PROTOCOL_VERSION}'" in error(r).message, error(r).message
    for malformed in ("one", "1", "1.x", "1.0.2"):
        r = hub.request("GET", "/v1/feed", role="viewer", headers={"SCC-Protocol": malformed})
        assert r.status_code == 400 and error(r).code == "protocol_version", malformed


def test_health_needs_no_token_and_every_response_carries_the_protocol_header(hub):
    r = requests.get(hub.url + "/health", timeout=10)
    health = Health.model_validate(r.json())
    assert r.status_code == 200 and health.status == "ok" and health.head >= 6
    assert health.database in ("sqlite", "postgresql") and health.hub_id
    for resp in (r, requests.get(hub.url + "/v1/nothing-here", headers=hub.headers(), timeout=10),
                 requests.get(hub.url + "/v1/feed", headers=hub.headers(None), timeout=10)):
        assert resp.headers["SCC-Protocol"] == PROTOCOL_VERSION
    assert error(requests.get(hub.url + "/v1/nothing-here", headers=hub.headers(), timeout=10)).code == "not_found"


def test_missing_unknown_and_revoked_tokens_are_401(hub):
    r = hub.request("GET", "/v1/feed", role=None)
    assert r.status_code == 401 and error(r).code == "unauthorized" and "Bearer" in r.headers["WWW-Authenticate"]
    r = hub.request("GET", "/v1/feed", token="scc_not-a-real-token")
    assert r.status_code == 401 and "not known" in error(r).message
    r = hub.request("GET", "/v1/feed", role=None, headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    token = hub.create_token("leaver", "room_lead")
    assert hub.request("GET", "/v1/feed", token=token).status_code == 200
    from sync.hub import auth
    from sync.hub.db import HubDB
    db = HubDB(hub.db_url)
    try:
        assert auth.revoke_tokens(db, user="leaver") == 1
    finally:
        db.dispose()
    r = hub.refused_soon(token)   # revoked by another process: refused within a second
    assert r.status_code == 401 and "revoked" in error(r).message


def test_each_role_may_do_only_what_it_is_for(hub):
    sub = submission([obs("ga_bed_occupancy_pct", 90.0)])
    # Room roles and viewers read the feed; submitters do not.
    for role in ("room_lead", "room_support", "director_on_call", "clinician", "viewer", "admin"):
        assert hub.request("GET", "/v1/feed", role=role).status_code == 200, role
    r = hub.request("GET", "/v1/feed", role="provider_submitter")
    assert r.status_code == 403 and error(r).code == "forbidden" and "provider_submitter" in error(r).message
    # Only submitters (own organisation) and admins submit provider data.
    assert submit(hub, [obs("ga_bed_occupancy_pct", 90.0)], role="provider_submitter").status_code == 200
    r = submit(hub, [obs("ga_bed_occupancy_pct", 90.0)], org="RTEST2", role="provider_submitter")
    assert r.status_code == 403 and "RTEST2" in error(r).message and "RTEST1" in error(r).message
    for role in ("viewer", "room_lead", "clinician"):
        r = hub.request("POST", "/v1/submissions", role=role, json=sub)
        assert r.status_code == 403, role
    # Viewers and submitters cannot push records; room roles can.
    for role in ("viewer", "provider_submitter"):
        r = push(hub, [decision(f"by {role}")], role=role)
        assert r.status_code == 403 and error(r).code == "forbidden", role
    assert push(hub, [decision("by the clinician")], role="clinician").status_code == 200
    # The quarantine is for admins only.
    for role in ("room_lead", "viewer", "provider_submitter"):
        assert hub.request("GET", "/v1/quarantine", role=role).status_code == 403, role
    assert hub.request("GET", "/v1/quarantine", role="admin").status_code == 200
