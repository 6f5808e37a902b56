"""A quick fuzz pass over the real hub: no input makes it answer 5xx, nothing accepted is poison.

Each example starts from a valid submission, record batch or query and bends
one part of it to a hostile value (huge and negative integers, NaN, lone
surrogates, control characters, odd and out-of-window times, deep nesting,
wrong types). The hub must answer 2xx or 4xx, and every item it puts on the
feed must pass the model a desktop checks it with (``FEED_DATA``). Written
after the specific fixes; against the code before them it failed on records
and query parameters (500s) with the default examples.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import protocol as p
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.sync.hub.helpers import at, decision

pytestmark = pytest.mark.timeout(300)
# A fixed, short run by default; SCC_FUZZ_EXAMPLES=400 hunts with fresh random examples.
EXAMPLES = int(os.environ.get("SCC_FUZZ_EXAMPLES") or 0)
FUZZ = settings(max_examples=EXAMPLES or 30, deadline=None, derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])



@pytest.fixture(scope="module", params=DATABASES)
def fuzz_hub(request, tmp_path_factory):
    """A hub of its own: the hundreds of quarantined examples stay out of the shared hub's pages."""
    folder = tmp_path_factory.mktemp(f"fuzz-hub-{request.param}")
    process = start_hub(folder, new_db_url(request, folder, request.param))
    yield process
    process.stop()


HOSTILE_TEXT = ["", " ", "\x00", "a\x00b", "\ud800", "x\udfff", "\x7f", "\u0085", "\n", "\u2028",
                "0314-03-14T09:00:00+00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                "2025-13-40T25:61:61+00:00", "2025-06-01T09:00:00", "2025-06-01T09:00:00+24:00",
                "NaN", "[" * 50, "{" * 50, "x" * 5000, "RTEST1", "C2", "acute"]
HOSTILE_INT = [0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**20, 10**300]
HOSTILE_FLOAT = [float("nan"), float("inf"), -float("inf"), -0.0, 1e308, -1e308, 5e-324]

scalars = st.one_of(
    st.none(), st.booleans(), st.sampled_from(HOSTILE_INT), st.integers(), st.sampled_from(HOSTILE_FLOAT),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(exclude_categories=()), max_size=20))


def nested(depth: int) -> object:
    value: object = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(st.characters(exclude_categories=()), max_size=8),
                                                 inner, max_size=4)), max_leaves=12)
hostile = st.one_of(json_values, st.builds(nested, st.sampled_from([17, 40, 150, 250, 290])))


def valid_items() -> list[dict]:
    return [{"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": at(), "value": 90.5},
            {"type": "opel_declaration", "pillar": "acute", "assessed_at": at(), "declared_level": 3,
             "reason": "fuzz"},
            {"type": "ambulance_status", "declared_at": at(), "reap_level": 2, "csp_level": "CSP2"},
            {"type": "response_times", "category": "C2", "period_start": at(-60), "period_end": at(),
             "incidents": 10, "mean_seconds": 1800.0, "p90_seconds": 3000.0},
            {"type": "handover", "event_uuid": str(uuid.uuid4()), "hospital_code": "RTEST1", "state": "arrived",
             "arrived_at": at()},
            {"type": "critcon", "reported_at": at(), "level": 2, "staffed_beds": 20, "occupied_beds": 18}]


def valid_records() -> list[dict]:
    return [decision("fuzz decision"),
            {"uuid": str(uuid.uuid4()), "kind": "contact", "device_id": "desk-f", "authored_at": at(),
             "data": {"contact_uuid": str(uuid.uuid4()), "changes": {"name": {"old": None, "new": "A"}}}},
            {"uuid": str(uuid.uuid4()), "kind": "alert_ack", "device_id": "desk-f", "authored_at": at(),
             "data": {"alert_uuid": str(uuid.uuid4()), "acknowledged_at": at(), "acknowledged_by": "fuzz"}},
            {"uuid": str(uuid.uuid4()), "kind": "on_call_shift", "device_id": "desk-f", "authored_at": at(),
             "data": {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "director",
                      "contact_uuid": str(uuid.uuid4()), "starts_at": at(), "ends_at": at(60)}}]


def bend(doc: dict, path: list, value) -> dict:
    """``doc`` with the field at ``path`` (keys into nested dicts) set to ``value``."""
    out = json.loads(json.dumps(doc))
    target = out
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return out


def post(hub, path: str, body, role: str = "admin"):
    return hub.request("POST", path, role=role, data=json.dumps(body, allow_nan=True),
                       headers={"Content-Type": "application/json"})


def assert_new_feed_items_pass_their_models(hub, head: int) -> None:
    r = hub.request("GET", "/v1/feed", role="room_lead", params={"after": head, "limit": 5000})
    assert r.status_code == 200, r.text
    for item in r.json()["items"]:
        p.FEED_DATA[item["kind"]].model_validate(item["data"])


def head_of(hub) -> int:
    return hub.request("GET", "/health").json()["head"]


@FUZZ
@given(which=st.integers(0, 5), field=st.sampled_from(
    ["metric", "observed_at", "value", "pillar", "assessed_at", "declared_level", "reason", "declared_at",
     "reap_level", "csp_level", "category", "period_start", "period_end", "incidents", "mean_seconds",
     "event_uuid", "hospital_code", "state", "arrived_at", "reported_at", "level", "staffed_beds", "type",
     "extra"]), value=hostile)
def test_a_bent_submission_item_is_never_a_5xx_and_never_poison(fuzz_hub, which, field, value):
    items = valid_items()
    items[which] = bend(items[which], [field], value)
    head = head_of(fuzz_hub)
    body = {"submission_id": f"sub-fuzz-{uuid.uuid4().hex}", "org_code": "RTEST1", "submitted_at": at(),
            "items": items}
    r = post(fuzz_hub, "/v1/submissions", body)
    assert r.status_code in (200, 422), r.text
    assert_new_feed_items_pass_their_models(fuzz_hub, head)


@FUZZ
@given(field=st.sampled_from(["submission_id", "org_code", "submitted_at", "items"]), value=hostile)
def test_a_bent_submission_envelope_is_never_a_5xx(fuzz_hub, field, value):
    body = {"submission_id": f"sub-fuzz-{uuid.uuid4().hex}", "org_code": "RTEST1", "submitted_at": at(),
            "items": valid_items()[:1]}
    r = post(fuzz_hub, "/v1/submissions", bend(body, [field], value))
    assert r.status_code in (200, 409, 422), r.text


@FUZZ
@given(which=st.integers(0, 3), path=st.sampled_from(
    [["uuid"], ["kind"], ["device_id"], ["authored_at"], ["data"], ["data", "decision"], ["data", "content_hash"],
     ["data", "changes"], ["data", "acknowledged_at"], ["data", "acknowledged_by"], ["data", "op"],
     ["data", "starts_at"], ["data", "ends_at"], ["data", "rota"], ["data", "decided_at"], ["data", "x"]]),
    value=hostile)
def test_a_bent_record_is_never_a_5xx_and_never_poison(fuzz_hub, which, path, value):
    records = valid_records()
    if len(path) == 2 and not isinstance(records[which].get("data"), dict):
        path = path[:1]
    records[which] = bend(records[which], path, value)
    head = head_of(fuzz_hub)
    r = post(fuzz_hub, "/v1/records", {"records": records}, role="room_lead")
    assert r.status_code in (200, 422), r.text
    assert_new_feed_items_pass_their_models(fuzz_hub, head)


query_values = st.one_of(st.sampled_from([str(v) for v in HOSTILE_INT] + ["-0", "1e3", "0x10", "nan", "inf",
                                                                          "", " 1", "1 ", "１"]),
                         st.text(st.characters(exclude_categories=("Cs",)), max_size=12))


@FUZZ
@given(endpoint=st.sampled_from([("/v1/feed", ("after", "limit", "wait", "format")),
                                 ("/v1/quarantine", ("after_id", "limit", "org_code"))]),
       data=st.data())
def test_bent_query_parameters_are_never_a_5xx(fuzz_hub, endpoint, data):
    path, names = endpoint
    params = {name: data.draw(query_values, label=name) for name in names
              if data.draw(st.booleans(), label=f"send {name}")}
    params.pop("wait", None) if params.get("wait") not in (None, "0", "", "-0") else None  # no long waits
    r = fuzz_hub.request("GET", path, role="admin", params=params)
    assert r.status_code in (200, 409, 422), r.text


@FUZZ
@given(cells=st.lists(st.sampled_from(HOSTILE_TEXT + ["observation", "ga_bed_occupancy_pct", "90", "1e400",
                                                      at(), "critcon", "2", "99999999999999999999"]),
                      min_size=4, max_size=4))
def test_a_bent_csv_row_is_never_a_5xx(fuzz_hub, cells):
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    body = f"type,metric,observed_at,value\nobservation,ga_bed_occupancy_pct,{at()},90\n{line}\n"
    r = fuzz_hub.request("POST", "/v1/submissions/csv", role="admin",
                           params={"org_code": "RTEST1", "submission_id": f"sub-fuzz-{uuid.uuid4().hex}"},
                           data=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": "text/csv"})
    assert r.status_code in (200, 422), r.text
