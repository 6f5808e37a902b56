"""/m/'s week ahead against a desktop fed the same feed, on items the hub's intake path does not send
every day: an occupancy figure the desktop's catalogue refuses (a hub serving with ``--catalogue``
widening the range) and figures that travel on the feed as JSON only (no typed ``feed_observation``
row: ``-0.0``, or written before hub schema 2).  The desktop is a real replica brought up to the
hub's head by its own apply code over the hub's columnar feed (as ``hub snapshot make`` does)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, insert

from models.service import week_ahead as door
from sync import protocol as p
from sync.apply import apply_batch
from sync.engine import catalogue_validator
from sync.hub import feed
from sync.hub import schema as s
from sync.hub.web.week_board import WeekBoard
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(300)
END = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
SITE = "RODD1"


def _world(db, days: int = 30) -> None:
    """One acute site's hourly arrivals and occupancy over ``days`` before END."""
    with db.write() as w:
        w.now = END - timedelta(days=days + 1)
        org = {"ods_code": SITE, "name": "Odd Figures Hospital", "sector": "acute", "region": None,
               "size": 500.0, "active": True}
        w.conn.execute(insert(s.organisation).values(ods_code=SITE, name=org["name"], sector="acute", active=True,
                                                      updated_at=w.now))
        w.emit("organisation", org, SITE)
    for day in range(days, 0, -1):
        with db.write() as w:
            for h in range(24):
                at = END - timedelta(days=day, hours=-h)
                w.now = at + timedelta(minutes=5)
                w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": f"{day:08d}-0000-4000-8000-{h:012d}",
                                    "hospital_code": SITE, "state": "handed_over", "arrived_at": at.isoformat(),
                                    "handed_over_at": (at + timedelta(minutes=25)).isoformat(),
                                    "updated_at": at.isoformat()}, "RAMB")
                w.emit("observation", _occupancy(at, 80.0 + (h % 7)), SITE)


def _occupancy(at: datetime, value: float) -> dict:
    return {"org_code": SITE, "metric": door.OCCUPANCY, "observed_at": at.isoformat(), "value": value,
            "source": "provider", "received_at": at.isoformat(), "submission_id": None}


def _desktop(db, path):
    """A replica brought to the hub's head by the desktop's own apply (the bundled catalogue's rules)."""
    store = fresh_replica(path, "edge-pass", kdf=FAST_KDF)
    hub, position = SimpleNamespace(db=db), 0
    while True:
        rendered = feed.read_columnar(hub, position, 50_000)
        if not rendered.count:
            break
        batch = p.FeedBatch.model_validate_json(rendered.body)
        position = apply_batch(store, batch, catalogue_validator()).position
        if position >= batch.head:
            break
    return store


def _occupancy_values(week: door.WeekAhead) -> tuple:
    return week.places[SITE].series[door.OCCUPANCY].values


def _same_as_desktop(db, tmp_path) -> None:
    store = _desktop(db, tmp_path / "desk.db")
    try:
        now = END + timedelta(minutes=30)
        room, phone = door.week_ahead(store, now), WeekBoard(db).read(now)
        assert _occupancy_values(phone) == _occupancy_values(room)
        assert phone == room
    finally:
        store.close()


def test_an_occupancy_figure_the_desktop_refuses_is_left_out_on_the_hub_too(hub_db, tmp_path):
    """A hub whose ``--catalogue`` widens G&A occupancy to 200 %: its intake takes 190, every desktop
    (the bundled catalogue: 0-150) quarantines it, so the phone must leave it out too."""
    _world(hub_db)
    with hub_db.write() as w:
        for h in range(18):   # most of yesterday's hours at 190 %
            at = END - timedelta(days=1, hours=-h, minutes=-30)
            w.emit("observation", _occupancy(at, 190.0), SITE)
    _same_as_desktop(hub_db, tmp_path)


@pytest.mark.parametrize("how", ["negative_zero", "before_schema_2"])
def test_figures_the_feed_carries_as_json_only_count_on_the_hub_too(hub_db, tmp_path, how):
    """An observation with no typed row (``-0.0``, which the typed table cannot hold; or one written
    before hub schema 2) travels to desktops from its JSON and is stored there; the phone must count it."""
    _world(hub_db)
    with hub_db.write() as w:
        first = w.next_seq
        for h in range(18):
            at = END - timedelta(days=1, hours=-h, minutes=-30)
            w.emit("observation", _occupancy(at, -0.0 if how == "negative_zero" else 0.0), SITE)
        last = w.next_seq - 1
    if how == "before_schema_2":
        with hub_db.write() as w:
            w.conn.execute(delete(s.feed_observation).where(s.feed_observation.c.seq >= first,
                                                            s.feed_observation.c.seq <= last))
    _same_as_desktop(hub_db, tmp_path)


def test_events_that_never_arrived_are_let_go_too(hub_db):
    """A pre-alert stood down before arrival (``en_route`` then ``cancelled``: no arrival time) is read by
    no forecast; the mirror of a hub running for months must let it go after ``KEPT`` as it lets go the
    arrivals, not keep every one for ever."""
    from sync.hub.web import week_board

    end = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    with hub_db.write() as w:
        w.conn.execute(insert(s.organisation).values(ods_code=SITE, name="Odd Figures Hospital", sector="acute",
                                                      active=True, updated_at=end))
    follower = WeekBoard(hub_db)
    for day in range(200, 0, -1):
        with hub_db.write() as w:
            w.now = end - timedelta(days=day)
            for h in range(0, 24, 4):
                at = w.now + timedelta(hours=h)
                w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": f"{day:08d}-0000-4000-8000-{h:012d}",
                                    "hospital_code": SITE, "state": "handed_over", "arrived_at": at.isoformat(),
                                    "handed_over_at": (at + timedelta(minutes=20)).isoformat(),
                                    "updated_at": at.isoformat()}, "RAMB")
                w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": f"{day:08d}-0000-4000-9000-{h:012d}",
                                    "hospital_code": SITE, "state": "cancelled", "eta_at": at.isoformat(),
                                    "updated_at": at.isoformat()}, "RAMB")
        if day in (150, 100, 1):   # a hub that has been following all along
            follower.read(end - timedelta(days=day - 1))
    m = follower._mirror.conn
    (never,), = m.execute("SELECT count(*) FROM handover_event WHERE arrived_at IS NULL").fetchall()
    (arrived,), = m.execute("SELECT count(*) FROM handover_event WHERE arrived_at IS NOT NULL").fetchall()
    kept = week_board.KEPT.days
    assert kept * 6 - 6 <= arrived <= (kept + 1) * 6 + 1
    assert never <= (kept + 1) * 6, (never, arrived)


def test_handover_items_the_replica_refuses_are_each_left_out_and_no_other(hub_db, tmp_path):
    """Arrivals "corrected" to after their handover (the replica's CHECK refuses the merge) spread through one
    stretch of the feed, first and last items among them, each followed by a good correction of another event:
    the mirror leaves out just those items (the refused stretch is tried again in halves, down to the item), as
    the desktop's apply leaves them out; the items after each refusal still count."""
    _world(hub_db)
    with hub_db.write() as w:
        for n, day in enumerate((29, 17, 16, 3, 1)):
            at = END - timedelta(days=day, hours=-n)
            uuid = f"{day:08d}-0000-4000-8000-{n:012d}"
            w.now = END
            w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": uuid, "hospital_code": SITE,
                                "state": "handed_over", "arrived_at": (at + timedelta(hours=2)).isoformat(),
                                "updated_at": END.isoformat()}, "RAMB")   # refused: after its handover
            other = f"{day:08d}-0000-4000-8000-{n + 12:012d}"
            w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": other, "hospital_code": SITE,
                                "state": "handed_over", "arrived_at": (at - timedelta(minutes=50)).isoformat(),
                                "updated_at": END.isoformat()}, "RAMB")   # taken: an hour earlier, another day's count
    _same_as_desktop(hub_db, tmp_path)
