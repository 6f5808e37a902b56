"""/m/'s system totals: critical care (CRITCON and beds), each ambulance service's category 1 and 2
response times today, and every hospital's offload together, the figures the desktop's system picture
gives (the Director on-call's phone had none of them, session 17's walkthrough).

A real hub on loopback takes real submissions; a desktop replica synced from it gives the desktop's
figures (``models.service.system_picture``); the board, following the hub's feed, must give the same.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from models.queries.offload import uk_midnight
from models.service import system_picture
from models.uk_time import UK
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web.board import Board, BoardReader, Offload
from sync.hub.web.pages import _environment
from tests.models.conftest import FAST_KDF
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(120)


def _submit(hub, org, items):
    resp = hub.request("POST", "/v1/submissions", role="admin", json={
        "submission_id": f"t-{uuid.uuid4().hex}", "org_code": org, "submitted_at": utcnow().isoformat(),
        "items": items})
    assert resp.status_code == 200, resp.text
    return resp.json()


def _critcon(at, level, staffed, occupied):
    return {"type": "critcon", "reported_at": at.isoformat(), "level": level, "staffed_beds": staffed,
            "occupied_beds": occupied}


def _period(cat, start, end, mean, p90, incidents):
    return {"type": "response_times", "category": cat, "period_start": start.isoformat(),
            "period_end": end.isoformat(), "mean_seconds": mean, "p90_seconds": p90, "incidents": incidents}


@pytest.fixture
def world(sqlite_hub, tmp_path):
    hub, now = sqlite_hub, utcnow().replace(microsecond=0)
    midnight = uk_midnight(now)
    span = now - midnight   # today's periods fit in however much of today (UK) has passed
    _submit(hub, "RAMB1", [{"type": "ambulance_status", "declared_at": (now - timedelta(minutes=5)).isoformat(),
                            "reap_level": 3, "csp_level": "2"}])
    _submit(hub, "RTEST1", [_critcon(now - timedelta(minutes=30), 2, 10, 8)])
    _submit(hub, "RTEST1", [_critcon(now - timedelta(minutes=10), 3, 10, 12)])   # newer: 2 over its beds
    stale = now - timedelta(hours=3)
    _submit(hub, "RTEST2", [_critcon(stale, 2, 12, 12)])
    _submit(hub, "RTEST2", [_critcon(stale, 1, 12, 9)])   # the same time sent again: the later one stands
    _submit(hub, "RAMB1", [
        _period("C1", midnight - timedelta(hours=1), midnight - timedelta(minutes=30), 900, 1500, 50),  # yesterday
        _period("C1", midnight + span * 0.1, midnight + span * 0.4, 480, 840, 30),
        _period("C1", midnight + span * 0.4, midnight + span * 0.8, 420, 780, 10),
        _period("C2", midnight + span * 0.1, midnight + span * 0.8, 2400, 5400, 120),
    ])
    store = fresh_replica(tmp_path / "desk.db", "totals-pass", kdf=FAST_KDF)
    SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"])).run_once()
    db = HubDB(hub.db_url)
    yield hub, store, BoardReader(SimpleNamespace(db=db, alerts=SimpleNamespace(evaluating=True))), now
    store.close()
    db.dispose()


def test_the_phone_gives_the_desktops_critical_care_and_response_times(world):
    hub, store, reader, _at = world
    now = utcnow()
    board, page = reader.read(now), system_picture.system_picture(store, now)
    # Critical care: each unit's newest report (a tie in time to the later one), summed by one rule.
    cc = board.critcare
    assert cc == page.critcare
    assert (cc.worst_level, cc.worst_sites, cc.free_beds, cc.units_with_free, cc.units_over, cc.beds_over,
            cc.units) == (3, ("Test Acute Trust One",), 3, 1, 1, 2, 2)
    assert [u.org_code for u in board.critcon_units] == ["RTEST1", "RTEST2"]
    assert board.critcare_stale, "RTEST2's report is three hours old"
    # Response times since midnight (UK): yesterday's period and the unfinished one left out, the mean
    # weighted by incidents, as the desktop's tiles have them.
    c1, c2 = board.responses["RAMB1"]
    assert (c1, c2) == page.responses
    assert c1.periods == 2 and c1.mean_minutes == pytest.approx((480 * 30 + 420 * 10) / 40 / 60)
    assert c1.latest_p90_minutes == 13.0 and c1.mean_met is False    # 7 min 45 s against 7 min
    assert c2.mean_minutes == 40.0 and c2.mean_met is False
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert "Category 1 today: mean <b>7 min 45 s</b>, standard 7 min: <b>not met</b>" in html
    assert "Category 2 today: mean <b>40 min 00 s</b>, standard 18 min: <b>not met</b>" in html
    assert '<span class="lv c3 stale">CRITCON 3</span> at Test Acute Trust One' in html   # a report over 2 h old
    assert "3 beds free in 1 unit; one unit over staffed beds (2 patients over); 2 units reporting." in html
    assert "<b>STALE:</b> the oldest report is from" in html and "Test Acute Trust Two" in html
    assert "<b>2 patients over</b> its 10 staffed beds" in html and "3 of 12 staffed beds free" in html


def test_later_reports_move_the_phone_on_and_a_first_read_finds_todays_periods(world):
    hub, store, reader, at = world
    reader.read(utcnow())   # followed once: what comes next is read from there
    _submit(hub, "RTEST2", [_critcon(at, 0, 12, 4)])
    _submit(hub, "RAMB1", [_period("C1", at - timedelta(seconds=2), at - timedelta(seconds=1), 300, 600, 40)])
    board = reader.read(utcnow())
    assert (board.critcare.free_beds, board.critcare.units_with_free) == (8, 1)
    assert not board.critcare_stale
    assert board.responses["RAMB1"][0].periods == 3
    # A new hub process reads the same from the feed's start (today's periods from two days back).
    db = HubDB(hub.db_url)
    try:
        fresh = BoardReader(SimpleNamespace(db=db, alerts=SimpleNamespace(evaluating=True))).read(utcnow())
    finally:
        db.dispose()
    assert fresh.critcare == board.critcare and fresh.responses == board.responses


def _handover(event, arrived, handed, hospital="RTEST1"):
    return {"type": "handover", "event_uuid": event, "hospital_code": hospital, "state": "handed_over",
            "arrived_at": arrived.isoformat(), "handed_over_at": handed.isoformat()}


def test_the_phone_gives_the_desktops_hours_lost_and_handovers_over_60_minutes(world):
    """The phone's hours lost and its count of handovers over 60 minutes today are the desktop's. A
    record closed 30 hours after its arrival (its handover had been quarantined) is invalid data: the
    desktop leaves it out; the hub had counted 29.75 hours lost on it and raised its alert."""
    hub, store, reader, _at = world
    now = utcnow().replace(microsecond=0)
    handed = max(now - timedelta(seconds=30), uk_midnight(now))   # today (UK) whenever the test runs
    waits = {"RTEST1": (10, 45, 60, 61, 95, 30 * 60), "RTEST2": (75, 240, -5)}
    for hospital, minutes in waits.items():
        _submit(hub, "RAMB1", [_handover(f"amb-{hospital}-{i}", handed - timedelta(minutes=m), handed, hospital)
                               for i, m in enumerate(minutes)])
    SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"])).run_once()
    board, page = reader.read(utcnow()), system_picture.system_picture(store, utcnow())
    total = board.offload_total
    assert total.over_60 == page.offload.over_60 == 4     # 61, 95, 75, 240 (60 is not over; 30 h, -5 invalid)
    assert total.hours_lost_today == pytest.approx(page.offload.hours_lost) == pytest.approx(
        (30 + 45 + 46 + 80 + 60 + 225) / 60)
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert "8.1 h lost, 4 over 60 min today" in html


def _board(offload):
    return Board(utcnow(), None, [], [], [], offload, 15, [], [], {}, [], [], {})


def _words(html: str) -> str:
    """The page with its ages and running waits as the phone shows them (m.js keeps each in a span of its own)."""
    return re.sub(r'<span class="age"[^>]*>([^<]*)</span>', r"\1", html)


def test_all_hospitals_together():
    rows = [Offload("A", "Alpha", 2, 40.0, 3.5, over_60=1), Offload("B", "Beta", 4, 95.0, 10.25, over_60=5),
            Offload("C", "Gamma", 0, 0.0, 1.0), Offload("D", "Delta", 6, 300.0, 0.0, counted=False, over_60=9)]
    total = _board(rows).offload_total
    # The phoned-in row (a call's figures, not the hub's count) is left out of the total.
    assert (total.waiting, total.longest_minutes, total.longest_name, total.hours_lost_today) == \
           (6, 95.0, "Beta", 14.75)
    assert total.over_60 == 6
    assert "1.0 h lost, none over 60 min today" in _environment().get_template("m.html").render(
        board=_board(rows), session=None, refresh=60)   # Gamma: 0 said in words
    nobody = _board([Offload("C", "Gamma", 0, 0.0, 1.0)]).offload_total
    assert (nobody.waiting, nobody.longest_minutes) == (0, None)
    assert _board([]).offload_total is None and _board(None).offload_total is None
    html = _words(_environment().get_template("m.html").render(board=_board(rows), session=None, refresh=60))
    assert "All hospitals: <b>6 waiting, longest 1 h 35 min</b> (Beta); 14.8 h lost, 6 over 60 min today" in html
    # A hub that kept today's hours before it counted delays: the count is not shown, never a part-day's.
    unknown = [Offload("A", "Alpha", 2, 40.0, 3.5, over_60=None), Offload("B", "Beta", 4, 95.0, 10.25, over_60=5)]
    assert _board(unknown).offload_total.over_60 is None
    html = _environment().get_template("m.html").render(board=_board(unknown), session=None, refresh=60)
    assert "Gamma" not in html and "(Beta); 13.8 h lost today" in html and "3.5 h lost today" in html and "10.2 h lost, 5 over 60 min" in html


def test_a_decision_that_reached_the_hub_late_says_when_on_the_phone(world):
    """Today's decisions are in the order they were made, so one recorded offline at 02:00 and synced
    at 09:10 sits below the morning's: it says when it reached the hub, as the desktop's log does."""
    from sync.hub.web.board import _today
    from tests.sync.hub.helpers import decision

    hub, _store, reader, _at = world
    rec = decision("Open the escalation ward at Trust One")   # made and recorded now
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec]})
    assert resp.json()["results"][0]["status"] == "stored", resp.text
    board = reader.read(utcnow())
    (d,) = [d for d in board.decisions if d["decision"] == rec["data"]["decision"]]
    assert d["received_at"] and d["reached"] is None    # synced at once: nothing to say
    # The same entry had it been recorded 7 h 10 min before the hub took it.
    taken = datetime.fromisoformat(d["received_at"])
    late = dict(d, recorded_at=(taken - timedelta(hours=7, minutes=10)).isoformat())
    (shown,) = _today([late], taken)
    assert shown["reached"] == taken and shown["late_minutes"] == 430
    board = dataclasses.replace(board, decisions=[shown], now=taken)
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert f"<b>Reached the hub {taken.astimezone(UK):%H:%M}</b>, 7 h 10 min after it was recorded" in html


def test_the_phone_gives_the_desktops_actions_overdue_and_due_soon(world):
    """The actions a decision set travel on the feed (``action`` records); the phone had none of them,
    so the Director on-call could not see that the 14:00 bed meeting never happened."""
    from sync import authoring
    from models.records import actions_due
    from sync.hub.web.board import ACTIONS_AHEAD

    hub, store, reader, _at = world
    now = utcnow()
    made = authoring.record_decision(store, decision_maker="Dr Patel", decision_maker_role="Director on-call",
                                     decision="Open the escalation ward", rationale="Trust One at OPEL 4",
                                     recorded_by="Room support")
    made = getattr(made, "uuid", made)
    due = {"Call the bed meeting": now - timedelta(hours=5, minutes=10), "Ring the mutual aid cell": now - timedelta(minutes=30),
           "Confirm ward staffing": now + timedelta(hours=2), "Review the divert": now + timedelta(hours=30),
           "Brief the press office": None, "Chase RWD's discharges": now - timedelta(hours=1)}
    ids = {d: authoring.add_action(store, description=d, owner="Sam Okafor", author="Room support",
                                   decision_uuid=made, due_at=at) for d, at in due.items()}
    authoring.complete_action(store, ids["Chase RWD's discharges"], done_by="Sam Okafor")
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
    assert engine.run_once().error is None
    board = reader.read(now)
    with store.session() as s:
        desk = [a for a in actions_due.open_actions(s, now) if a.overdue or (a.due_at and a.due_at < now + ACTIONS_AHEAD)]
    assert [(a.description, a.owner, a.due_at) for a in board.actions] == \
           [(a.description, a.owner, a.due_at) for a in desk] == [
           ("Call the bed meeting", "Sam Okafor", due["Call the bed meeting"]),
           ("Ring the mutual aid cell", "Sam Okafor", due["Ring the mutual aid cell"]),
           ("Confirm ward staffing", "Sam Okafor", due["Confirm ward staffing"])]
    html = _words(_environment().get_template("m.html").render(board=board, session=None, refresh=60))
    assert "Actions overdue or due within 12 h (3)" in html
    assert "Sam Okafor; <b>overdue by 5 h 10 min</b>" in html and "Chase RWD" not in html
    # Done on another desktop later: gone from the phone at its next read.
    authoring.complete_action(store, ids["Call the bed meeting"], done_by="Dr Patel")
    assert engine.run_once().error is None
    assert [a.description for a in reader.read(now).actions] == ["Ring the mutual aid cell", "Confirm ward staffing"]
    # Reassigned on a desktop (given to the wrong owner): the phone shows it under its new owner only.
    from models.service import actions as actions_door
    actions_door.reassign_action(store, ids["Ring the mutual aid cell"], "Jo Mutual", "Sam is on leave", "Dr Patel",
                                 "Director on-call", now)
    assert engine.run_once().error is None
    assert [(a.description, a.owner) for a in reader.read(now).actions] == [
        ("Ring the mutual aid cell", "Jo Mutual"), ("Confirm ward staffing", "Sam Okafor")]
