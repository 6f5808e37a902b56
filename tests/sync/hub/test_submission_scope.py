"""Submission ids belong to their organisation, against a real hub (SQLite and PostgreSQL).

Before, ids were global: one organisation that used an id first made another's later
submission under the same id fail with 409, so a provider could block another's data by
guessing its ids. Now the hub keys a submission on (organisation, id).
"""

from __future__ import annotations

import uuid

import pytest

from sync.protocol import ErrorBody, SubmissionReceipt
from tests.sync.hub.helpers import obs, of_kind, pull_all, submission


@pytest.fixture
def hub(shared_hub):
    return shared_hub


@pytest.fixture
def submitters(hub):
    """A provider_submitter token for each of two organisations."""
    tag = uuid.uuid4().hex[:6]
    return {org: hub.create_token(f"submitter-{org}-{tag}", "provider_submitter", org) for org in ("RTEST1", "RTEST2")}


def post(hub, token: str, body: dict):
    return hub.request("POST", "/v1/submissions", token=token, json=body)


def test_two_organisations_may_use_the_same_submission_id(hub, submitters):
    sid = f"shared-{uuid.uuid4().hex}"
    first = post(hub, submitters["RTEST2"], submission([obs("ga_bed_occupancy_pct", 81.0)], "RTEST2", sid))
    second = post(hub, submitters["RTEST1"], submission([obs("ga_bed_occupancy_pct", 93.0)], "RTEST1", sid))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    a, b = SubmissionReceipt.model_validate(first.json()), SubmissionReceipt.model_validate(second.json())
    assert (a.accepted, a.duplicate, b.accepted, b.duplicate) == (1, False, 1, False)
    stored = of_kind(pull_all(hub), "observation", submission_id=sid)
    assert sorted((o.data["org_code"], o.data["value"]) for o in stored) == [("RTEST1", 93.0), ("RTEST2", 81.0)]
    # Each organisation's retry is its own duplicate, answered with its own receipt.
    again = post(hub, submitters["RTEST1"], submission([obs("ga_bed_occupancy_pct", 93.0)], "RTEST1", sid))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert SubmissionReceipt.model_validate(again.json()).model_copy(update={"duplicate": False}) == b
    csv = "type,metric,observed_at,value\nobservation,ga_bed_occupancy_pct,2026-01-01T00:00:00+00:00,50\n"
    r = hub.request("POST", "/v1/submissions/csv", token=submitters["RTEST2"],
                    params={"org_code": "RTEST2", "submission_id": f"csv-{sid}"}, data=csv,
                    headers={"Content-Type": "text/csv"})
    r1 = hub.request("POST", "/v1/submissions/csv", token=submitters["RTEST1"],
                     params={"org_code": "RTEST1", "submission_id": f"csv-{sid}"}, data=csv,
                     headers={"Content-Type": "text/csv"})
    assert (r.status_code, r1.status_code) == (200, 200), (r.text, r1.text)
    assert (r.json()["duplicate"], r1.json()["duplicate"]) == (False, False)


def test_the_same_organisation_reusing_an_id_for_other_content_is_a_conflict(hub, submitters):
    sid = f"reuse-{uuid.uuid4().hex}"
    token = submitters["RTEST1"]
    body = submission([obs("ga_bed_occupancy_pct", 88.0)], "RTEST1", sid)
    assert post(hub, token, body).status_code == 200
    head = hub.request("GET", "/health").json()["head"]
    same = post(hub, token, body)
    assert same.status_code == 200 and same.json()["duplicate"] is True
    # Another clock on the envelope is still the same submission (a client that stamps each send).
    restamped = post(hub, token, {**body, "submitted_at": obs("x", 0, minutes=5)["observed_at"]})
    assert restamped.status_code == 200 and restamped.json()["duplicate"] is True
    other = post(hub, token, submission([obs("ga_bed_occupancy_pct", 12.0)], "RTEST1", sid))
    assert other.status_code == 409, other.text
    err = ErrorBody.model_validate(other.json())
    assert err.code == "conflict" and [f.field for f in err.fields] == ["submission_id"]
    assert sid in err.message and "new id" in err.message
    assert hub.request("GET", "/health").json()["head"] == head   # nothing of either retry was stored
