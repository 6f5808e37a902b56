"""Alerts evaluated once, at the hub, and shown the same on every desktop: two desktops (real
encrypted replicas) syncing through a real hub on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from models.replica.orm import AlertEvent, QuarantinedRecord
from models.service import alerts as alert_service
from tests.sync.engine.conftest import submit
from tests.support.hub import shown_as


def _reap(level, minutes_ago=0.0, org="RAMB1"):
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": level}


def _alert_items(hub):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000})
    assert resp.status_code == 200, resp.text
    return [i["data"] for i in resp.json()["items"] if i["kind"] == "alert"]


def _page(desk):
    return alert_service.open_alerts(desk.store, datetime.now(timezone.utc))


def _quarantined(desk):
    with desk.store.session() as s:
        return s.scalar(select(func.count()).select_from(QuarantinedRecord))


def test_two_desktops_show_the_same_alert_and_an_acknowledgement_on_one_clears_it_on_the_other(
        sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [_reap(4)], org="RAMB1", role="admin")
    for desk in (a, b):
        assert desk.run_once().error is None
        assert _quarantined(desk) == 0
    on_a, on_b = _page(a), _page(b)
    assert sorted((i.rule, i.uuid) for i in on_a.open) == sorted((i.rule, i.uuid) for i in on_b.open)
    assert {i.rule for i in on_a.open} == {"reap_3", "reap_4"}
    worst = on_a.worst
    assert (worst.rule, worst.severity, worst.org_code, worst.metric) == ("reap_4", "critical", "RAMB1",
                                                                         "reap_level")
    assert "RAMB1" in worst.detail and "REAP 4" in worst.detail

    done = alert_service.acknowledge(a.store, worst.uuid[:8], "Room lead A", "calling the EOC",
                                     datetime.now(timezone.utc))
    assert done.applied and done.uuid == worst.uuid
    assert a.run_once().error is None and b.run_once().error is None
    on_b = _page(b)
    assert worst.uuid not in {i.uuid for i in on_b.open}
    acked = {i.uuid: i for i in on_b.acknowledged}[worst.uuid]
    assert (acked.acknowledged_by, acked.acknowledged_note) == (shown_as("Room lead A"), "calling the EOC")

    submit(sqlite_hub, [_reap(1)], org="RAMB1", role="admin")   # back to steady state: both clear
    assert b.run_once().error is None
    assert _page(b).open == [] and _page(b).acknowledged == []
    assert [(d["rule_id"], d["change"]) for d in _alert_items(sqlite_hub)] == [
        ("reap_3", "raised"), ("reap_4", "raised"), ("reap_3", "cleared"), ("reap_4", "cleared")]


def test_a_hub_restart_neither_loses_nor_repeats_an_alert(hub, make_desktop):
    submit(hub, [_reap(4, 30)], org="RAMB1", role="admin")
    hub.restart()
    submit(hub, [_reap(4, 20)], org="RAMB1", role="admin")   # still REAP 4: nothing new
    hub.kill()
    hub.start()
    submit(hub, [_reap(4, 10)], org="RAMB1", role="admin")
    submit(hub, [_reap(2, 0)], org="RAMB1", role="admin")
    changes = [(d["rule_id"], d["change"]) for d in _alert_items(hub)]
    assert changes == [("reap_3", "raised"), ("reap_4", "raised"), ("reap_3", "cleared"), ("reap_4", "cleared")]
    desk = make_desktop(hub)
    assert desk.run_once().error is None and _quarantined(desk) == 0
    with desk.store.session() as s:
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == 2


def test_two_hub_processes_on_one_database_raise_each_alert_once(hub):
    peer = hub.peer()
    try:
        for i, (where, level) in enumerate([(hub, 4), (peer, 4), (hub, 4), (peer, 1), (hub, 4), (peer, 4)]):
            submit(where, [_reap(level, 30 - 5 * i)], org="RAMB1", role="admin")
    finally:
        peer.stop()
    changes = [(d["rule_id"], d["change"]) for d in _alert_items(hub)]
    assert changes == [("reap_3", "raised"), ("reap_4", "raised"), ("reap_3", "cleared"), ("reap_4", "cleared"),
                       ("reap_3", "raised"), ("reap_4", "raised")]


def test_a_desktop_catching_up_after_hours_gets_one_summarised_alert_not_a_flood(sqlite_hub, make_desktop):
    live, late = make_desktop(sqlite_hub, "live"), make_desktop(sqlite_hub, "late")
    assert late.run_once().error is None
    # Four and a half hours of REAP flapping 4 <-> 1 every 10 minutes while "late" is away.
    for i in range(27):
        submit(sqlite_hub, [_reap(4 if i % 2 == 0 else 1, minutes_ago=270 - 10 * i)], org="RAMB1", role="admin")
        if i % 5 == 0:
            assert live.run_once().error is None
    assert live.run_once().error is None and late.run_once().error is None
    assert len([d for d in _alert_items(sqlite_hub) if d["rule_id"] == "reap_4"]) == 27
    for desk in (live, late):
        page = _page(desk)
        assert sorted(i.rule for i in page.open) == ["reap_3", "reap_4"]
        reap4 = next(i for i in page.open if i.rule == "reap_4")
        assert "Raised 14 times, cleared 13 since" in reap4.detail and "open since" in reap4.detail
    assert [(i.uuid, i.detail) for i in _page(live).open] == [(i.uuid, i.detail) for i in _page(late).open]


def test_the_hub_clock_raises_what_time_alone_changes(tmp_path):
    """An ambulance waiting with no further report: the wait crosses 45 minutes between submissions."""
    from tests.support.hub import start_hub

    hub = start_hub(tmp_path, env={"SCC_HUB_ALERT_TICK_SECONDS": "0.2"})
    try:
        arrived = datetime.now(timezone.utc) - timedelta(minutes=45) + timedelta(seconds=2)
        # With a live service's news of now (a crew arriving elsewhere): its data does not lag, so the
        # wait runs with the hub's clock (alert_signals.known_at).
        submit(hub, [{"type": "handover", "event_uuid": "amb-00001", "hospital_code": "RTEST1",
                      "state": "arrived", "arrived_at": arrived.isoformat()},
                     {"type": "handover", "event_uuid": "amb-00002", "hospital_code": "RTEST2",
                      "state": "arrived", "arrived_at": datetime.now(timezone.utc).isoformat()}],
               org="RAMB1", role="admin")
        assert _alert_items(hub) == []
        deadline = time.monotonic() + 10
        while not _alert_items(hub) and time.monotonic() < deadline:
            time.sleep(0.2)
        raised = _alert_items(hub)
        assert [(d["rule_id"], d["change"], d["org_code"]) for d in raised] == [
            ("handover_release_45", "raised", "RTEST1")]
        assert datetime.fromisoformat(raised[0]["at"]) >= arrived + timedelta(minutes=45)
    finally:
        hub.stop()


def test_a_backlog_resent_after_an_outage_raises_no_wait_alert(tmp_path):
    """Four hours of handovers resent in batches after an outage: each arrival's handover comes in
    the next batch, seconds later. At the hub's clock each arrival had waited hours: critical alerts,
    escalated. Judged at the service's own data, no wait alert is raised."""
    from tests.support.hub import start_hub

    hub = start_hub(tmp_path, env={"SCC_HUB_ALERT_TICK_SECONDS": "0.2"})
    try:
        start = datetime.now(timezone.utc) - timedelta(hours=4)
        previous = None
        for n in range(12):
            arrived = start + timedelta(minutes=20 * n)
            items = [{"type": "handover", "event_uuid": f"amb-b{n:04d}", "hospital_code": "RTEST1",
                      "state": "arrived", "arrived_at": arrived.isoformat()}]
            if previous is not None:
                items.append({"type": "handover", "event_uuid": f"amb-b{n - 1:04d}", "hospital_code": "RTEST1",
                              "state": "handed_over", "arrived_at": previous.isoformat(),
                              "handed_over_at": (previous + timedelta(minutes=18)).isoformat()})
            submit(hub, items, org="RAMB1", role="admin")
            previous = arrived
            time.sleep(0.3)   # a tick or two between batches, as a real replay has
        submit(hub, [{"type": "handover", "event_uuid": "amb-b0011", "hospital_code": "RTEST1",
                      "state": "handed_over", "arrived_at": previous.isoformat(),
                      "handed_over_at": (previous + timedelta(minutes=18)).isoformat()}], org="RAMB1", role="admin")
        time.sleep(1.0)
        assert [d["rule_id"] for d in _alert_items(hub) if d["rule_id"].startswith("handover_")] == []
    finally:
        hub.stop()
