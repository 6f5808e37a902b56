"""The hub's OpenAPI description: off by default, served to admins with ``hub serve --openapi``.

The document must describe what the hub really does, closely enough for a schema-driven fuzz:
every route of the API with its body, the bearer token and the SCC-Protocol header, and each
response's body (a 4xx names the problem). The fuzz itself is tests/sync/hub/test_openapi_fuzz.py.
"""

from __future__ import annotations

import pytest

from sync.protocol import ErrorBody
from tests.support.hub import ROLES, start_hub

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def described_hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory.mktemp("openapi-hub"), args=("--openapi",))
    yield hub
    hub.stop()


def test_the_description_is_not_served_without_the_option(shared_hub):
    r = shared_hub.request("GET", "/openapi.json", role="admin")
    assert r.status_code == 404
    assert ErrorBody.model_validate(r.json()).code == "not_found"


def test_only_an_admin_reads_the_description(described_hub):
    assert described_hub.request("GET", "/openapi.json", role=None).status_code == 401
    for role in ROLES:
        r = described_hub.request("GET", "/openapi.json", role=role)
        if role == "admin":
            assert r.status_code == 200, r.text
        else:
            assert r.status_code == 403 and "read the API description" in ErrorBody.model_validate(r.json()).message


def test_the_description_covers_every_api_route_with_bodies_auth_and_responses(described_hub):
    doc = described_hub.request("GET", "/openapi.json", role="admin").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {"/health", "/v1/submissions", "/v1/submissions/csv", "/v1/feed", "/v1/records",
                                 "/v1/quarantine", "/v1/snapshot", "/v1/snapshot/file", "/v1/records/heads",
                                 "/v1/records/transfer-seen"}
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            statuses = set(op["responses"])
            if path == "/health":
                assert statuses == {"200", "503"}
                continue
            assert op["security"] == [{"bearer": []}]
            assert any(prm["name"] == "SCC-Protocol" and prm["required"] for prm in op["parameters"])
            assert {"200", "400", "401", "403", "422", "426", "503"} <= statuses, (path, statuses)
            assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
                "/ValidationErrorBody")
            if method == "post":
                assert op["requestBody"]["required"] and "413" in statuses
    schemas = doc["components"]["schemas"]
    known, anything = schemas["Submission"]["properties"]["items"]["items"]["anyOf"]
    assert known["discriminator"]["propertyName"] == "type" and len(known["oneOf"]) == 6
    assert "type" not in anything   # any other value is quarantined, not refused with the body
    assert "pattern" in schemas["ObservationItem"]["properties"]["observed_at"]   # the years a hub stores
    assert "ga_bed_occupancy_pct" in schemas["ObservationItem"]["properties"]["metric"]["enum"]
    assert schemas["ValidationErrorBody"]["properties"]["fields"]["minItems"] == 1


def test_a_request_in_another_protocol_finds_its_route_and_token_first(described_hub):
    # a schema-driven fuzz found these answered 400 (the version was checked before routing)
    r = described_hub.request("PUT", "/v1/feed", headers={"SCC-Protocol": "0"})
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    r = described_hub.request("GET", "/v1/feed", role=None, headers={"SCC-Protocol": "0"})
    assert r.status_code == 401
    r = described_hub.request("GET", "/v1/feed", headers={"SCC-Protocol": "0"})
    assert r.status_code == 400 and ErrorBody.model_validate(r.json()).code == "protocol_version"
    r = described_hub.request("GET", "/v1/feed", headers={"SCC-Protocol": "2.0"})
    assert r.status_code == 426 and r.headers["Upgrade"].startswith("SCC-Protocol/")


def test_schemathesis_reads_the_description(described_hub):
    import schemathesis

    doc = described_hub.request("GET", "/openapi.json", role="admin").json()
    schema = schemathesis.openapi.from_dict(doc)
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == {"GET /health", "POST /v1/submissions", "POST /v1/submissions/csv", "GET /v1/feed",
                      "POST /v1/records", "GET /v1/quarantine", "GET /v1/snapshot", "GET /v1/snapshot/file",
                      "GET /v1/records/heads", "GET /v1/records/transfer-seen"}
