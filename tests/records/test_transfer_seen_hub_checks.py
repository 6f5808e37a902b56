"""What the hub takes and gives back of a transfer event's ``seen`` (review r1, session 28), on SQLite and
PostgreSQL (the ``hub`` fixture), a real hub on loopback.

- Its intake took any text of up to 64 characters as an entry of ``seen``; ``GET /v1/records/transfer-seen``
  gives entries as protocol codes (no control characters), so one such event made every request naming its
  position answer 500.  Now the intake refuses such an entry, naming it, and an event an older hub stored
  with one is left out of the answer, as docs/sync-protocol.md says.
- The endpoint's query was checked by a pattern before its own reader, so a 422 gave a regular expression
  as its reason; now every reason is words."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import select, update

from sync.hub import schema as s
from sync.hub.db import HubDB
from tests.support.fixtures import hub, hub_db_url, postgres_cluster  # noqa: F401 -- both databases


def transfer_event(case: str, seen) -> dict:
    at = datetime.now(timezone.utc).isoformat()
    return {"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": "desk-x", "authored_at": at,
            "data": {"transfer_uuid": case, "field": "status", "old_value": "requested", "new_value": "accepted",
                     "at": at, "author": "Lead X", "seen": seen}}


def push(hub, records: list[dict]) -> list[dict]:
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def as_an_older_hub_stored_it(db_url: str, position: int, change) -> None:
    """The feed row at ``position`` rewritten by ``change`` (its item, in place), to what a hub before this
    revision stored as it was pushed (r1 pushed ``seen`` ["tab\\there"] to one: stored; this one refuses it)."""
    db = HubDB(db_url)
    try:
        with db.engine.connect() as conn:
            item = json.loads(conn.execute(select(s.feed.c.data).where(s.feed.c.seq == position)).scalar_one())
        change(item)
        # A write of its own (not a read turned write): the hub may have written since the read, and SQLite
        # refuses such an upgrade at once rather than waiting its busy timeout.
        with db.engine.begin() as conn:
            conn.execute(update(s.feed).where(s.feed.c.seq == position).values(data=json.dumps(item)))
    finally:
        db.dispose()


def bad_seen(item: dict) -> None:
    item["data"]["seen"] = ["tab\there"]


def test_the_hub_refuses_a_seen_entry_no_desktop_could_store_naming_it_and_stores_the_rest(hub):
    case = str(uuid.uuid4())
    results = push(hub, [transfer_event(case, ["tab\there"]), transfer_event(case, []),
                         transfer_event(case, [str(uuid.uuid4()), "x" * 65]), transfer_event(case, ["a", 7]),
                         transfer_event(case, "not a list")])
    assert [r["status"] for r in results] == ["rejected", "stored", "rejected", "rejected", "rejected"], results
    errors = [sorted((e["field"], e["reason"]) for e in r["errors"]) for r in results if r["status"] == "rejected"]
    assert errors == [
        [("records.0.data.seen.0", "holds the control character U+0009 at character 3")],
        [("records.2.data.seen.1", "65 characters; an event uuid has at most 64")],
        [("records.3.data.seen.1", "expected an event uuid in text, got int")],
        [("records.4.data.seen", "must be a list of at most 100 event uuids")]], errors


def test_an_event_an_older_hub_stored_with_a_bad_seen_is_left_out_and_the_rest_given(hub):
    case = str(uuid.uuid4())
    named = str(uuid.uuid4())
    records = [transfer_event(case, []), transfer_event(case, ["placeholder"]), transfer_event(case, [named]),
               transfer_event(case, [])]
    positions = [r["seq"] for r in push(hub, records)]
    as_an_older_hub_stored_it(hub.db_url, positions[1], bad_seen)
    # What the intake has always refused (a uuid with a control character): it reaches the answer's own
    # check of each event, the guard behind the one above; left out too, not a 500.
    as_an_older_hub_stored_it(hub.db_url, positions[3], lambda item: item.update(uuid="tab\tuuid"))
    for asked in (positions, [1, *positions], list(range(1, 501))):
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead",
                           params={"positions": ",".join(map(str, asked))})
        assert resp.status_code == 200, resp.text
        assert [(e["position"], e["uuid"], e["seen"]) for e in resp.json()["events"]] == [
            (positions[0], records[0]["uuid"], []), (positions[2], records[2]["uuid"], [named])], resp.text


def test_a_query_the_endpoint_cannot_read_is_refused_with_its_reason_in_words(hub):
    refused = {
        "": "give at least one feed position, e.g. positions=12,40,41",
        "1,x": "'x' is not a feed position (a whole number of 1 to 18 digits 0-9)",
        "-1": "'-1' is not a feed position",
        " 1": "' 1' is not a feed position",
        "1,,2": "position 2 of 3 is empty: give whole numbers with one comma between each, e.g. positions=12,40,41",
        "3,": "position 2 of 2 is empty",
        ",".join(["1"] * 501): "501 positions; at most 500 in one request",
        "1" * 19: "'1111111111111111111' is not a feed position",
        str(2**63): "'9223372036854775808' is not a feed position",
        "\u00b2": "'\u00b2' is not a feed position",   # isdigit(), and int() raises on it
        "\u0661": "'\u0661' is not a feed position",   # an Arabic-Indic one: int() reads it as 1
        "1," * 5000: "query.positions: too long; it may have at most 9499 characters",
    }
    for bad, words in refused.items():
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead", params={"positions": bad})
        assert resp.status_code == 422, (bad[:20], resp.text)
        (field,) = resp.json()["fields"]
        assert field["field"] == "query.positions" and words in field["reason"], (bad[:20], field)
        assert "pattern" not in field["reason"] and "^" not in field["reason"], field
    # The edges that are positions: 18 digits, and 500 of them (the longest query, 9,499 characters).
    for good in ("9" * 18, ",".join(["9" * 18] * 500), "0", "007"):
        resp = hub.request("GET", "/v1/records/transfer-seen", role="room_lead", params={"positions": good})
        assert resp.status_code == 200 and resp.json()["events"] == [], (good[:20], resp.text)
