"""The room's alert rules as synced records, and snooze after acknowledgement: two desktops (real
encrypted replicas) syncing through a real hub on loopback."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from models.replica.orm import QuarantinedRecord
from models.service import alerts as alert_service
from tests.sync.engine.conftest import submit
from tests.support.hub import shown_as

CRITCON_2 = {"id": "critcon_room_2", "name": "A unit reported CRITCON 2 or above", "kind": "level",
             "scope": "provider", "metric": "critcon_level", "raise": 2, "clear": 2, "severity": "warning"}


def _critcon(level, minutes_ago=0.0):
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"type": "critcon", "reported_at": at.isoformat(), "level": level}


def _reap(level, minutes_ago=0.0):
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return {"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": level}


def _alerts(hub, rule=None):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000})
    assert resp.status_code == 200, resp.text
    return [(i["data"]["rule_id"], i["data"]["change"], i["data"]["subject"]) for i in resp.json()["items"]
            if i["kind"] == "alert" and (rule is None or i["data"]["rule_id"] == rule)]


def _now():
    return datetime.now(timezone.utc)


def _listed(desk):
    return {r.rule.id: r for r in alert_service.rules_page(desk.store).rules}


def _sync(*desks):
    for desk in desks:
        result = desk.run_once()
        assert result.error is None, result.error
    for desk in desks:   # a second pass brings each the other's records
        assert desk.run_once().error is None


def test_a_rule_added_on_one_desktop_is_listed_on_the_other_and_raised_by_the_hub_for_data_after_it(
        sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [_critcon(3, 10)], org="RTEST2", role="admin")   # before the rule: no alert on it
    out = alert_service.add_rule(a.store, CRITCON_2, "Room lead A", _now())
    assert out.applied and out.changes.kinds == {"record"}
    assert _listed(a)["critcon_room_2"].source == "room"          # in the replica at once, offline
    _sync(a, b)
    on_b = _listed(b)["critcon_room_2"]
    assert (on_b.source, on_b.enabled, on_b.rule.raise_at, on_b.changed_by) == ("room", True, 2.0,
                                                                               shown_as("Room lead A"))
    assert _listed(b)["reap_4"].source == "default"
    assert _alerts(sqlite_hub, "critcon_room_2") == []

    submit(sqlite_hub, [_critcon(2, 0)], org="RTEST1", role="admin")
    assert _alerts(sqlite_hub, "critcon_room_2") == [("critcon_room_2", "raised", "RTEST1")]
    _sync(a, b)
    assert [i.rule for i in alert_service.open_alerts(b.store, _now()).open if i.rule == "critcon_room_2"] == [
        "critcon_room_2"]
    with b.store.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0

    # An edited threshold takes effect for data arriving after it; the open alert stays open.
    edited = dict(CRITCON_2, **{"raise": 3, "clear": 3, "name": "A unit reported CRITCON 3"})
    alert_service.edit_rule(b.store, edited, "Room lead B", _now())
    _sync(b, a)
    assert _listed(a)["critcon_room_2"].rule.raise_at == 3 and _listed(a)["critcon_room_2"].source == "room"
    submit(sqlite_hub, [_critcon(2, 0)], org="RTEST2", role="admin")     # 2 raises no more
    assert _alerts(sqlite_hub, "critcon_room_2") == [("critcon_room_2", "raised", "RTEST1")]
    submit(sqlite_hub, [_critcon(1, 0)], org="RTEST1", role="admin")     # below the new clear: cleared
    assert _alerts(sqlite_hub, "critcon_room_2")[-1] == ("critcon_room_2", "cleared", "RTEST1")


def test_a_disabled_rule_clears_its_open_alerts_and_stops_raising_and_a_restarted_hub_agrees(hub, make_desktop):
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    submit(hub, [_reap(4, 5)], org="RAMB1", role="admin")
    assert _alerts(hub) == [("reap_3", "raised", "RAMB1"), ("reap_4", "raised", "RAMB1")]
    out = alert_service.set_rule_enabled(a.store, "reap_3", False, "Room lead A", _now())
    assert out.applied
    _sync(a, b)
    assert _alerts(hub, "reap_3") == [("reap_3", "raised", "RAMB1"), ("reap_3", "cleared", "RAMB1")]
    listed = _listed(b)["reap_3"]
    assert (listed.enabled, listed.source, listed.changed_by) == (False, "changed", shown_as("Room lead A"))
    assert {i.rule for i in alert_service.open_alerts(b.store, _now()).open} == {"reap_4"}

    hub.restart()   # the rule set comes back from the database
    peer = hub.peer()
    try:
        submit(hub, [_reap(1, 3)], org="RAMB1", role="admin")
        submit(peer, [_reap(4, 2)], org="RAMB1", role="admin")
    finally:
        peer.stop()
    assert _alerts(hub, "reap_3") == [("reap_3", "raised", "RAMB1"), ("reap_3", "cleared", "RAMB1")]
    assert _alerts(hub, "reap_4")[-1] == ("reap_4", "raised", "RAMB1")

    alert_service.set_rule_enabled(b.store, "reap_3", True, "Room lead B", _now())
    _sync(b, a)
    assert _listed(a)["reap_3"].enabled is True
    submit(hub, [_reap(1, 1)], org="RAMB1", role="admin")
    submit(hub, [_reap(3, 0)], org="RAMB1", role="admin")
    assert _alerts(hub, "reap_3")[-1] == ("reap_3", "raised", "RAMB1")


def _push(hub, data, kind="alert_rule"):
    rec = {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": "test-device",
           "authored_at": _now().isoformat(), "data": data}
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": [rec]})
    assert resp.status_code == 200, resp.text
    return resp.json()["results"][0]


def test_a_bad_alert_rule_record_is_quarantined_with_each_field_named(sqlite_hub):
    bad_rule = dict(CRITCON_2, clear=5, metric="no_such_metric", severity="loud")
    result = _push(sqlite_hub, {"rule_id": "critcon_room_2", "op": "add", "rule": bad_rule, "author": "A",
                                "at": _now().isoformat()})
    assert result["status"] == "rejected"
    named = {e["field"]: e["reason"] for e in result["errors"]}
    assert "records.0.data.rule.metric" in named and "no_such_metric" in named["records.0.data.rule.metric"]
    assert "one of info, warning, critical" in named["records.0.data.rule.severity"]
    result = _push(sqlite_hub, {"rule_id": "Bad Id", "op": "remove", "author": "", "at": "yesterday"})
    named = {e["field"]: e["reason"] for e in result["errors"]}
    assert set(named) == {"records.0.data.rule_id", "records.0.data.op", "records.0.data.author",
                          "records.0.data.at"}, named
    result = _push(sqlite_hub, {"rule_id": "other_id", "op": "edit", "rule": CRITCON_2, "author": "A",
                                "at": _now().isoformat()})
    assert [e["field"] for e in result["errors"]] == ["records.0.data.rule.id"]
    result = _push(sqlite_hub, {"rule_id": "reap_3", "op": "disable", "author": "A", "at": _now().isoformat(),
                                "snooze": 1})
    assert result["status"] == "stored"   # unknown fields are ignored, as elsewhere in the protocol
    result = _push(sqlite_hub, {"alert_uuid": str(uuid.uuid4()), "acknowledged_at": _now().isoformat(),
                                "acknowledged_by": "A", "snooze_minutes": 1441}, kind="alert_ack")
    assert [(e["field"], e["reason"]) for e in result["errors"]] == [
        ("records.0.data.snooze_minutes", "must be a whole number of minutes from 0 to 1440")]
    quarantined = sqlite_hub.request("GET", "/v1/quarantine", role="admin", params={"after_id": 0}).json()["items"]
    assert len(quarantined) == 4
    assert any(e["field"] == "records.0.data.rule.metric" for e in quarantined[0]["errors"])
    health = sqlite_hub.request("GET", "/health", role=None)
    assert health.status_code == 200


def test_a_snoozed_alert_raised_again_comes_acknowledged_on_every_desktop_until_the_snooze_ends(
        sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [_reap(4, 20)], org="RAMB1", role="admin")
    _sync(a, b)
    reap4 = next(i for i in alert_service.open_alerts(a.store, _now()).open if i.rule == "reap_4")
    reap3 = next(i for i in alert_service.open_alerts(a.store, _now()).open if i.rule == "reap_3")
    alert_service.acknowledge(a.store, reap4.uuid, "Room lead A", "on it", _now(), snooze_minutes=60)
    # reap_3's acknowledgement was 70 minutes ago with a 60-minute snooze: over before the re-raise.
    alert_service.acknowledge(a.store, reap3.uuid, "Room lead A", "", _now() - timedelta(minutes=70),
                              snooze_minutes=60)
    _sync(a, b)
    submit(sqlite_hub, [_reap(1, 10)], org="RAMB1", role="admin")      # cleared
    submit(sqlite_hub, [_reap(4, 5)], org="RAMB1", role="admin")       # raised again within the snooze
    assert _alerts(sqlite_hub, "reap_4")[-1] == ("reap_4", "raised", "RAMB1")
    _sync(a, b)
    for desk in (a, b):
        page = alert_service.open_alerts(desk.store, _now())
        assert [i.rule for i in page.open] == ["reap_3"]             # the snooze was over for it
        again = next(i for i in page.acknowledged if i.rule == "reap_4")
        assert again.uuid != reap4.uuid
        # The re-raise names who snoozed as the acknowledgement does: the token's user first (r2 finding 1).
        by = 'test-room_lead (signed "Room lead A")'
        assert again.acknowledged_by == f"{by} (snoozed)"
        assert again.acknowledged_note.startswith(f"Raised again while snoozed: {by} acknowledged")
    with b.store.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 0
    try:
        alert_service.acknowledge(a.store, reap3.uuid[:8], "X", "", _now(), snooze_minutes=1441)
    except ValueError as exc:
        assert str(exc).startswith("snooze_minutes:")
    else:
        raise AssertionError("a snooze over a day was accepted")


def _alert_data(hub, rule):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000})
    return [i["data"] for i in resp.json()["items"] if i["kind"] == "alert" and i["data"]["rule_id"] == rule]


def test_an_edit_changing_what_a_rule_watches_clears_its_open_alerts_and_a_snooze_holds_after_a_clear(sqlite_hub):
    hub, at = sqlite_hub, _now().isoformat()
    assert _push(hub, {"rule_id": "critcon_room_2", "op": "add", "rule": CRITCON_2, "author": "A", "at": at})[
        "status"] == "stored"
    submit(hub, [_critcon(2, 30)], org="RTEST1", role="admin")
    raised = _alert_data(hub, "critcon_room_2")[-1]
    assert (raised["change"], raised["subject"]) == ("raised", "RTEST1")
    only_two = dict(CRITCON_2, orgs=["RTEST2"])
    assert _push(hub, {"rule_id": "critcon_room_2", "op": "edit", "rule": only_two, "author": "Sam Lead",
                       "at": at})["status"] == "stored"
    cleared = _alert_data(hub, "critcon_room_2")[-1]
    assert (cleared["change"], cleared["alert_uuid"]) == ("cleared", raised["alert_uuid"])
    assert 'now watches something else by test-room_lead (signed "Sam Lead")' in cleared["detail"]
    submit(hub, [_critcon(3, 20)], org="RTEST1", role="admin")          # not watched any more
    assert len(_alert_data(hub, "critcon_room_2")) == 2

    # A snooze sent after its alert cleared: the record's rule_code and subject name what to hold.
    submit(hub, [_critcon(2, 15)], org="RTEST2", role="admin")
    first = _alert_data(hub, "critcon_room_2")[-1]
    submit(hub, [_critcon(0, 10)], org="RTEST2", role="admin")
    assert _alert_data(hub, "critcon_room_2")[-1]["change"] == "cleared"
    assert _push(hub, {"alert_uuid": first["alert_uuid"], "acknowledged_at": _now().isoformat(),
                       "acknowledged_by": "Sam Lead", "snooze_minutes": 30, "rule_code": "critcon_room_2",
                       "subject": "provider:RTEST2"}, kind="alert_ack")["status"] == "stored"
    submit(hub, [_critcon(2, 5)], org="RTEST2", role="admin")
    again = _alert_data(hub, "critcon_room_2")[-1]
    assert again["change"] == "raised" and again["alert_uuid"] != first["alert_uuid"]
    feed = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 5000}).json()["items"]
    acks = [i["data"]["data"] for i in feed if i["kind"] == "record" and i["data"]["kind"] == "alert_ack"
            and i["data"]["device_id"] == "hub"]
    assert [(a["alert_uuid"], a["acknowledged_by"]) for a in acks] == [(again["alert_uuid"], 'test-room_lead (signed "Sam Lead") (snoozed)')]
