"""Protocol 1.8's ``sent_at`` at the edges of the protocol's time window (review, session 25).

The hub keeps a push's ``sent_at`` in UTC on each record it stores; a desktop's ``FeedRecord`` checks every
time against the window (years 2000..2100).  A ``sent_at`` inside the window as written but outside it in UTC
("2100-12-31T23:30-01:00" is 2101 in UTC) was stored, and every desktop then quarantined each record of that
push (``device_sent_at`` outside the window): the records never reached the room.  And a desktop whose clock
reads outside the window could not build a push at all, so records it had recorded with a right clock stayed
in its outbox for as long as the clock was wrong.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from models.replica.orm import DecisionEntry
from sync import authoring
from sync import outbox as outbox_mod
from sync.protocol import FeedRecord
from tests.sync.engine.exactly_once import hub_feed
from tests.sync.hub.helpers import decision


@pytest.mark.parametrize("sent_at", ["2100-12-31T23:30:00-01:00", "2000-01-01T00:30:00+01:00"])
def test_a_sent_at_outside_the_window_in_utc_is_refused_not_stored_as_poison(sqlite_hub, make_desktop, sent_at):
    rec = decision("Open the ward", device="desk-edge")
    resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec], "sent_at": sent_at})
    # Whatever the hub answers, nothing it stores may be refused by a desktop reading the feed.
    for item in hub_feed(sqlite_hub):
        if item["kind"] == "record":
            FeedRecord.model_validate(item["data"])
    assert resp.status_code == 422, resp.text
    assert [f["field"] for f in resp.json()["fields"]] == ["sent_at"], resp.text
    assert "UTC" in resp.json()["fields"][0]["reason"]


def test_a_desktop_whose_clock_is_outside_the_window_still_pushes_what_it_recorded(sqlite_hub, make_desktop,
                                                                                      monkeypatch):
    desk = make_desktop(sqlite_hub, "a")
    entry = authoring.record_decision(desk.store, decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                      decision="Open the escalation ward", rationale="OPEL 4", recorded_by="Dr Lead")
    # The clock then jumps past the window (a failed clock battery, a mistyped year): a fault this test cannot
    # cause for the whole process, so the outbox's own clock is moved.
    monkeypatch.setattr(outbox_mod, "utcnow", lambda: datetime(2101, 1, 1, 9, tzinfo=timezone.utc))
    result = desk.run_once()
    assert result.error is None, result.error
    with desk.store.session() as s:
        assert s.scalar(select(func.count()).select_from(outbox_mod.OutboxItem)
                        .where(outbox_mod.OutboxItem.sent_at.is_(None))) == 0
        assert s.get(DecisionEntry, entry.uuid).hub_seq is not None
    stored = [i["data"] for i in hub_feed(sqlite_hub) if i["kind"] == "record"]
    assert [d["uuid"] for d in stored] == [entry.uuid] and "device_sent_at" not in stored[0]


def test_no_sent_at_is_answered_with_a_5xx_and_a_refused_one_stores_nothing(sqlite_hub):
    odd = [0, 1.5, True, [], {}, "", " ", "x" * 100_000, "2026-12-05", "2026-12-05T21:00", "2026-12-05T21:00:00Z",
           "2026-12-05T21:00:00+24:00", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00-14:00",
           "2026-13-05T21:00:00+00:00", "2026-12-05T21:00:00\x00+00:00", "\ud800"]
    for n, sent_at in enumerate(odd):
        rec = decision(f"Odd {n}", device=f"desk-odd-{n}")
        resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec], "sent_at": sent_at})
        assert resp.status_code in (200, 422), (sent_at, resp.status_code, resp.text[:300])
        if resp.status_code == 422:
            assert [f["field"] for f in resp.json()["fields"]] == ["sent_at"], resp.text
    for item in hub_feed(sqlite_hub):
        if item["kind"] == "record":
            FeedRecord.model_validate(item["data"])
