"""Phoned-in figures round trip (issue 19, item 3): desktop A records a provider's figures with the hub
stopped, the hub comes back, desktop B shows them marked "phoned in", then the provider's own feed
sends newer data and supersedes them on both.  Two real encrypted replicas, a real hub process on
loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from models.queries import carried_in
from models.queries import provider as qp
from models.replica.orm import CritconStatus, Observation, OpelParameterScore, QuarantinedRecord
from models.service import phoned_in as door
from tests.sync.engine.conftest import observation, submit
from tests.support.hub import shown_as

ORG = "RTEST2"   # the acute trust whose feed is down (the submitter token is for RTEST1: admin submits)


def _now():
    return datetime.now(timezone.utc)


def _sync(*desks):
    for desk in desks:
        result = desk.run_once()
        assert result.error is None, result.error


def _record(desk, at, **figures):
    return door.record_figures(desk.store, org_code=ORG, phoned_at=at, caller_name="Sam Patel",
                               caller_role="Site manager", taken_by="Alex Room", figures=figures)


def _marked(desk):
    return door.marks(desk.store, _now()).get(ORG)


def test_figures_phoned_in_offline_reach_the_other_desktop_marked_and_give_way_to_the_feed(hub, make_desktop):
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    submit(hub, [observation("ga_bed_occupancy_pct", 88, minutes_ago=90)], org=ORG, role="admin")
    _sync(a, b)

    hub.stop()   # the network (or the provider's feed) is down: the room phones the trust
    called = _now() - timedelta(minutes=5)
    out = _record(a, called, ga_bed_occupancy_pct=97.0, ambulances_waiting_count=6,
                  longest_handover_wait_minutes=95, critcon_level=2, cc_staffed_beds=20, cc_occupied_beds=19)
    assert out.applied and out.changes.kinds == {"record"}
    assert a.run_once().error is not None            # the hub is not there: the record waits in the outbox
    mark = _marked(a)
    assert mark is not None and mark.waiting and mark.caller_name == "Sam Patel"
    assert set(mark.keys) >= {"ga_bed_occupancy_pct", "critcon_level"}

    hub.start()
    _sync(a, b)
    _sync(a, b)
    for desk in (a, b):
        mark = _marked(desk)
        assert mark is not None and not mark.waiting, desk
        assert (mark.caller_name, mark.caller_role, mark.taken_by) == ("Sam Patel", "Site manager",
                                                                       shown_as("Alex Room"))
        assert set(mark.keys) == {"ga_bed_occupancy_pct", "ambulances_waiting_count",
                                  "longest_handover_wait_minutes", "critcon_level", "cc_staffed_beds",
                                  "cc_occupied_beds"}
        with desk.store.session() as s:
            # The replica carries the mark on every row the hub derived, for any view or report.
            assert s.execute(select(Observation.value).where(
                Observation.org_code == ORG, Observation.metric_code == "ga_bed_occupancy_pct",
                Observation.source == "phoned_in")).scalars().all() == [97.0]
            assert s.execute(select(CritconStatus.level, CritconStatus.phoned_in_uuid).where(
                CritconStatus.org_code == ORG)).all() == [(2, out.uuid)]
            # Scored like any submission: the provider's assessment uses the phoned-in value, marked.
            detail = qp.provider_detail(s, ORG)
            line = next(ln for ln in detail.lines if ln.key == "ga_bed_occupancy_pct")
            assert line.value == 97.0
            scored = s.execute(select(OpelParameterScore.phoned_in_uuid).where(
                OpelParameterScore.parameter_key == "ga_bed_occupancy_pct",
                OpelParameterScore.phoned_in_uuid.is_not(None))).scalars().all()
            assert scored and set(scored) == {out.uuid}
            assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0
        [call] = door.provider_calls(desk.store, ORG, _now())
        assert call.hub == "received" and {f.state for f in call.figures} == {"current"}

    # The trust's feed returns with newer figures: they supersede the phoned-in ones on both desktops.
    submit(hub, [observation("ga_bed_occupancy_pct", 91, minutes_ago=1),
                 {"type": "critcon", "reported_at": _now().isoformat(), "level": 1}], org=ORG, role="admin")
    _sync(a, b)
    for desk in (a, b):
        mark = _marked(desk)
        assert mark is not None and "ga_bed_occupancy_pct" not in mark.keys and "critcon_level" not in mark.keys
        assert set(mark.keys) == {"ambulances_waiting_count", "longest_handover_wait_minutes"}  # not sent by feed
        [call] = door.provider_calls(desk.store, ORG, _now())
        states = {f.key: f.state for f in call.figures}
        assert states["ga_bed_occupancy_pct"] == states["critcon_level"] == states["cc_staffed_beds"] == "superseded"
        with desk.store.session() as s:
            detail = qp.provider_detail(s, ORG)
            assert next(ln for ln in detail.lines if ln.key == "ga_bed_occupancy_pct").value == 91.0
    feed = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000}).json()["items"]
    newest = [i["data"] for i in feed if i["kind"] == "opel_assessment" and i["data"].get("org_code") == ORG][-1]
    param = next(p for p in newest["parameters"] if p["key"] == "ga_bed_occupancy_pct")
    assert param["value"] == 91.0 and "phoned_in_uuid" not in param


def test_a_figure_older_than_the_feed_is_kept_but_never_current_nor_scored(sqlite_hub, make_desktop):
    a = make_desktop(sqlite_hub, "a")
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 90, minutes_ago=2)], org=ORG, role="admin")
    _sync(a)
    out = _record(a, _now() - timedelta(minutes=30), ga_bed_occupancy_pct=99.0)   # heard late, written later
    _sync(a)
    _sync(a)
    assert _marked(a) is None
    [call] = door.provider_calls(a.store, ORG, _now())
    assert call.hub == "received" and [f.state for f in call.figures] == ["superseded"]
    with a.store.session() as s:
        line = next(ln for ln in qp.provider_detail(s, ORG).lines if ln.key == "ga_bed_occupancy_pct")
        assert line.value == 90.0   # the hub kept scoring the feed's newer value
        assert s.scalar(select(func.count()).select_from(Observation).where(
            Observation.source == "phoned_in")) == 1   # stored all the same, marked
    assert out.uuid


def test_the_feed_at_the_same_time_wins_and_a_later_call_replaces_an_earlier_one(sqlite_hub, make_desktop):
    a = make_desktop(sqlite_hub, "a")
    at = _now() - timedelta(minutes=10)
    submit(sqlite_hub, [{"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": at.isoformat(),
                         "value": 90}], org=ORG, role="admin")
    _sync(a)
    _record(a, at, ga_bed_occupancy_pct=99.0, nctr_bed_occupancy_pct=40)
    _record(a, at + timedelta(minutes=5), nctr_bed_occupancy_pct=45)
    _sync(a)
    _sync(a)
    first, second = sorted(door.provider_calls(a.store, ORG, _now()), key=lambda c: c.phoned_at)
    assert {f.key: f.state for f in first.figures} == {"ga_bed_occupancy_pct": "superseded",
                                                        "nctr_bed_occupancy_pct": "replaced"}
    assert [f.state for f in second.figures] == ["current"]
    with a.store.session() as s:
        lines = {ln.key: ln.value for ln in qp.provider_detail(s, ORG).lines}
    assert lines["ga_bed_occupancy_pct"] == 90.0 and lines["nctr_bed_occupancy_pct"] == 45.0


def test_a_correction_given_the_same_minute_replaces_the_mistyped_call_everywhere(sqlite_hub, make_desktop):
    """A mistyped 79 (the trust said 97) recorded again from the door (as the command line does) with the
    same "given at" minute: the hub scores 97 and both desktops show it; the provider's own value at that
    minute still wins over both calls. The hub kept the first phoned figure of a time, so 79 stayed."""
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 88, minutes_ago=90)], org=ORG, role="admin")
    _sync(a, b)
    at = (_now() - timedelta(minutes=5)).replace(second=0, microsecond=0)
    wrong = _record(a, at, ga_bed_occupancy_pct=79.0)
    _sync(a, b)
    fixed = _record(a, at, ga_bed_occupancy_pct=97.0)
    _sync(a, b)
    _sync(a, b)
    feed = sqlite_hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000}).json()["items"]
    newest = [i["data"] for i in feed if i["kind"] == "opel_assessment" and i["data"].get("org_code") == ORG][-1]
    param = next(p for p in newest["parameters"] if p["key"] == "ga_bed_occupancy_pct")
    assert (param["value"], param["phoned_in_uuid"]) == (97.0, fixed.uuid)
    for desk in (a, b):
        with desk.store.session() as s:
            assert next(ln.value for ln in qp.provider_detail(s, ORG).lines
                        if ln.key == "ga_bed_occupancy_pct") == 97.0, desk
            assert carried_in.provider_carried(s, ORG, ["ga_bed_occupancy_pct"], _now()).series[
                "ga_bed_occupancy_pct"][1] == 97.0, desk
        calls = {c.uuid: [f.state for f in c.figures] for c in door.provider_calls(desk.store, ORG, _now())}
        assert calls == {wrong.uuid: ["replaced"], fixed.uuid: ["current"]}, desk
        assert _marked(desk).keys == ("ga_bed_occupancy_pct",)

    # The trust's own value of that minute arrives: it wins over both calls, and a third call of the
    # same minute does not replace it.
    submit(sqlite_hub, [{"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": at.isoformat(),
                         "value": 95}], org=ORG, role="admin")
    _record(a, at, ga_bed_occupancy_pct=60.0)
    _sync(a, b)
    _sync(a, b)
    for desk in (a, b):
        with desk.store.session() as s:
            assert next(ln.value for ln in qp.provider_detail(s, ORG).lines
                        if ln.key == "ga_bed_occupancy_pct") == 95.0, desk
            assert carried_in.provider_carried(s, ORG, ["ga_bed_occupancy_pct"], _now()).series[
                "ga_bed_occupancy_pct"][1] == 95.0, desk
        assert _marked(desk) is None
