"""The protocol's models bound what a desktop will apply: a poison feed item fails its model.

The desktop checks every feed item against ``FEED_DATA`` before applying it and
quarantines one that fails (with the reason), so bounding these models is what
keeps one planted value from stopping every desktop's sync.
"""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from sync import protocol as p

NOW = "2025-11-25T09:00:00+00:00"


def _deep(levels: int) -> dict:
    top = cur = {}
    for _ in range(levels - 1):
        cur["a"] = {}
        cur = cur["a"]
    return top


def critcon(**over) -> dict:
    return {"org_code": "RTEST1", "reported_at": NOW, "level": 2, "staffed_beds": 20, "occupied_beds": 18,
            "received_at": NOW, "submission_id": "sub-00000001", **over}


def response_times(**over) -> dict:
    return {"org_code": "RAMB1", "category": "C2", "period_start": NOW, "period_end": "2025-11-25T10:00:00+00:00",
            "incidents": 120, "mean_seconds": 1800.0, "p90_seconds": 3600.0, **over}


def record(data, **over) -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "contact", "device_id": "desk-a", "authored_at": NOW,
            "data": data, "author": "test", **over}


def reasons(model, data) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in caught.value.errors())


@pytest.mark.parametrize("beds", [10**20, 2**63, -1, 100_000])
def test_a_feed_critcon_with_impossible_beds_fails_its_model(beds):
    assert "staffed_beds" in reasons(p.FeedCritcon, critcon(staffed_beds=beds))
    assert "occupied_beds" in reasons(p.FeedCritcon, critcon(occupied_beds=beds))
    p.FeedCritcon.model_validate(critcon())  # the realistic item still passes


@pytest.mark.parametrize("incidents", [2**63, -5, 10**12])
def test_feed_response_times_with_impossible_incidents_fail_their_model(incidents):
    assert "incidents" in reasons(p.FeedResponseTimes, response_times(incidents=incidents))
    p.FeedResponseTimes.model_validate(response_times())


def test_a_feed_record_nested_too_deep_fails_its_model_and_names_the_depth():
    text = reasons(p.FeedRecord, record(_deep(900)))
    assert "data" in text and f"deeper than {p.MAX_DATA_DEPTH}" in text
    p.FeedRecord.model_validate(record(_deep(p.MAX_DATA_DEPTH)))  # at the limit: fine


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**20])
def test_a_feed_record_holding_an_integer_a_replica_cannot_store_fails_its_model(value):
    text = reasons(p.FeedRecord, record({"changes": {"phone": {"new": value}}}))
    assert "changes.phone.new" in text and "64-bit" in text


@pytest.mark.parametrize("text", ["\ud800", "ok\udfff", "nul\x00here"])
def test_a_feed_record_holding_unstorable_text_fails_its_model(text):
    assert "changes.notes.new" in reasons(p.FeedRecord, record({"changes": {"notes": {"new": text}}}))


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                                  "0314-01-01T00:00:00+00:00", "1999-12-31T23:59:59+00:00",
                                  "2101-01-01T00:00:00+00:00"])
def test_times_outside_the_protocols_window_fail_the_models(when):
    assert "reported_at" in reasons(p.FeedCritcon, critcon(reported_at=when))
    assert "authored_at" in reasons(p.FeedRecord, record({}, authored_at=when))
    assert "observed_at" in reasons(p.ObservationItem, {"type": "observation", "metric": "m",
                                                        "observed_at": when, "value": 1})


@pytest.mark.parametrize("code", ["RTEST1\x00", "RTE\nST1", "R\ud800T1"])
def test_codes_with_control_characters_or_lone_surrogates_fail_the_models(code):
    assert "org_code" in reasons(p.FeedCritcon, critcon(org_code=code))
    assert "hospital_code" in reasons(p.HandoverItem, {
        "type": "handover", "event_uuid": "evt-00000001", "hospital_code": code, "state": "en_route"})


def test_free_text_keeps_line_breaks_and_pasted_controls_but_not_nul():
    item = {"type": "opel_declaration", "pillar": "acute", "assessed_at": NOW, "declared_level": 3}
    assert p.OpelDeclarationItem.model_validate({**item, "reason": "two\nlines\tand a tab"}).reason
    assert p.OpelDeclarationItem.model_validate({**item, "reason": "line\x0bbreak\x0cpage"}).reason
    assert "reason" in reasons(p.OpelDeclarationItem, {**item, "reason": "nul\x00"})
    assert "reason" in reasons(p.OpelDeclarationItem, {**item, "reason": "x" * 2001})
    assert "pillar" in reasons(p.OpelDeclarationItem, {**item, "pillar": "a" * 21})
