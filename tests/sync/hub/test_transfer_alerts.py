"""A transfer past its threshold is an alert the hub raises, clears and escalates like any other (hazard
H-16): the real hub on its database (SQLite and PostgreSQL), transfer events arriving through its record
intake as a desktop pushes them, its alert clock ticking, a real SMTP server (aiosmtpd) for the email.
Times are the wall clock's (the hub's tick reads it): cases are requested minutes or hours ago."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.rules import transfer_alerts
from models.rules.alert_rules import default_rules
from sync.hub import records, schema as s
from sync.hub.alerts import HubAlerts
from tests.sync.hub.test_escalation import (ROOM, escalations, make_hub, push, rota, settings,  # noqa: F401
                                            smtpd)

UTC = timezone.utc
RULE = "transfer_breached"


def event(tid: str, field: str, old, new, at: datetime | None = None, author: str = "Ana") -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": "d" * 8 + "-0000-4000-8000-" + "0" * 12,
            "authored_at": datetime.now(UTC).isoformat(),
            "data": {"transfer_uuid": tid, "field": field, "old_value": old, "new_value": new,
                     "at": (at or datetime.now(UTC)).isoformat(), "author": author, "seen": []}}


def created(requested: datetime, ref: str = "TR-0042", kind: str = "inter_hospital", priority: str = "emergency",
            src: str = "RTEST1", dst: str | None = "RTEST2", tid: str | None = None) -> tuple[str, dict]:
    tid = tid or str(uuid.uuid4())
    fields = {"local_ref": ref, "kind": kind, "from_code": src, "to_code": dst, "clinical_need": "", "priority": priority,
              "status": "requested", "requested_at": requested.isoformat(), "owner": None}
    return tid, event(tid, "created", None, json.dumps(fields), at=requested)


def send(hub, *recs: dict) -> None:
    for i in range(0, len(recs), 500):
        receipt = records.push(hub, ROOM, {"records": list(recs[i:i + 500])})
        assert all(r.status == "stored" for r in receipt.results), receipt


def alerts(hub) -> list[dict]:
    with hub.db.read() as conn:
        rows = conn.execute(select(s.feed.c.data).where(s.feed.c.kind == "alert").order_by(s.feed.c.seq)).scalars()
        return [d for d in map(json.loads, rows) if d["rule_id"] == RULE]


def test_a_case_past_its_threshold_raises_one_alert_naming_it_and_clears_when_accepted(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    late, ev = created(now - timedelta(minutes=45))                      # emergency: 30 min to accept
    ok, ev2 = created(now - timedelta(minutes=10), ref="TR-0043")       # inside its 30 min
    send(hub, ev, ev2)
    [raised] = alerts(hub)   # raised as its case arrived, not at the next tick
    assert (raised["change"], raised["org_code"], raised["severity"]) == ("raised", "RTEST1", "warning")
    assert raised["threshold"] == 30 and raised["value"] is None
    since = datetime.fromisoformat(raised["since"])
    assert since == (now - timedelta(minutes=45) + timedelta(minutes=30)).replace(microsecond=since.microsecond)
    assert raised["at"] == raised["since"]   # timed by the breach, whenever the hub looked
    detail = raised["detail"]
    assert "transfer TR-0042 (emergency inter-hospital, RTEST1 to RTEST2) waiting to be accepted" in detail
    assert "past its 30 min threshold since" in detail and "TR-0043" not in detail
    for _ in range(3):   # the clock looks again and again: nothing more
        hub.alerts.tick(hub.db)
    assert len(alerts(hub)) == 1
    send(hub, event(late, "status", "requested", "accepted"))
    assert [a["change"] for a in alerts(hub)] == ["raised", "cleared"]
    cleared = alerts(hub)[1]
    assert cleared["alert_uuid"] == raised["alert_uuid"] and "TR-0042: accepted; cleared." in cleared["detail"]
    hub.alerts.tick(hub.db)   # accepted 45 min after its request: 15 min left of its 60 to depart
    assert len(alerts(hub)) == 2


def test_each_stage_is_its_own_alert_and_a_cancelled_case_clears(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=90))
    send(hub, ev, event(tid, "status", "requested", "accepted", at=now - timedelta(minutes=80)))
    [depart] = alerts(hub)   # accepted in time, 30 min past its 60 to depart
    assert "accepted, waiting to depart, past its 60 min threshold" in depart["detail"]
    other, ev2 = created(now - timedelta(minutes=50), ref="TR-0099", src="RTEST2", dst=None)
    send(hub, ev2)
    assert "TR-0099 (emergency inter-hospital, RTEST2 to destination not agreed)" in alerts(hub)[1]["detail"]
    assert alerts(hub)[1]["subject"] != depart["subject"] and len(alerts(hub)[1]["subject"]) <= 30
    send(hub, event(tid, "status", "accepted", "cancelled"), event(other, "status", "requested", "departed"))
    gone = [a for a in alerts(hub) if a["change"] == "cleared"]
    assert {a["alert_uuid"] for a in gone} == {depart["alert_uuid"], alerts(hub)[1]["alert_uuid"]}
    assert any("cancelled; cleared" in a["detail"] for a in gone)


def test_a_case_no_longer_past_its_threshold_clears_and_raised_again_is_a_new_alert(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=45))
    send(hub, ev)
    send(hub, event(tid, "priority", "emergency", "routine"))   # 240 min to accept: not past it
    send(hub, event(tid, "priority", "routine", "emergency"))
    changes = alerts(hub)
    assert [a["change"] for a in changes] == ["raised", "cleared", "raised"]
    assert "TR-0042: no longer past its threshold (its priority or kind changed)." in changes[1]["detail"]
    assert changes[2]["alert_uuid"] != changes[0]["alert_uuid"] and changes[2]["since"] == changes[0]["since"]
    hub.alerts.tick(hub.db)
    assert len(alerts(hub)) == 3


def test_a_restarted_hub_or_a_second_process_repeats_no_transfer_alert(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    tid, ev = created(datetime.now(UTC) - timedelta(minutes=45))
    send(hub, ev)
    peer = make_hub(settings(smtpd))   # another process on the same database (or this one restarted)
    for _ in range(2):
        peer.alerts.tick(peer.db)
        hub.alerts.tick(hub.db)
    assert [a["change"] for a in alerts(hub)] == ["raised"]
    send(peer, event(tid, "status", "requested", "cancelled"))
    hub.alerts.tick(hub.db)
    peer.alerts.tick(peer.db)
    assert [a["change"] for a in alerts(hub)] == ["raised", "cleared"]


def test_a_late_case_is_emailed_to_the_on_call_once_its_rules_minutes_pass_from_reaching_the_room(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    now = datetime.now(UTC)
    _tid, ev = created(now - timedelta(hours=3), ref="TR-0107", priority="urgent")   # 60 min to accept
    send(hub, ev)
    [raised] = alerts(hub)
    assert hub.escalation.check(now=now + timedelta(minutes=29)).claimed == []   # reached the room now
    report = hub.escalation.check(now=datetime.now(UTC) + timedelta(minutes=30, seconds=1))
    assert report.sent == [raised["alert_uuid"]], report
    [mail] = smtpd.wait_for(1)
    body = mail.message.get_content()
    assert "TR-0107 (urgent inter-hospital, RTEST1 to RTEST2)" in body
    assert "A transfer is waiting past its threshold" in mail.message["Subject"]
    assert set(escalations(hub)) == {raised["alert_uuid"]}


def test_a_disabled_rule_clears_its_open_transfer_alerts_and_raises_no_more(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    _tid, ev = created(now - timedelta(minutes=45))
    send(hub, ev)
    push(hub, "alert_rule", {"rule_id": RULE, "op": "disable", "author": "Room lead", "at": now.isoformat()})
    hub.alerts.tick(hub.db)
    assert [a["change"] for a in alerts(hub)] == ["raised", "cleared"]
    assert "cleared because the rule was disabled" in alerts(hub)[1]["detail"]
    _t2, ev2 = created(now - timedelta(minutes=45), ref="TR-0200")
    send(hub, ev2)
    hub.alerts.tick(hub.db)
    assert len(alerts(hub)) == 2
    push(hub, "alert_rule", {"rule_id": RULE, "op": "enable", "author": "Room lead", "at": now.isoformat()})
    hub.alerts.tick(hub.db)   # both cases, still past, are new alerts (the first's is not the cleared one)
    again = alerts(hub)[2:]
    assert sorted(a["change"] for a in again) == ["raised", "raised"]
    assert alerts(hub)[0]["alert_uuid"] not in {a["alert_uuid"] for a in again}


def test_a_hub_that_had_cases_before_the_rule_reads_them_from_its_feed_once(make_hub, smtpd):
    """A hub upgraded with open cases on its feed (its alert state knows none of them)."""
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    _tid, ev = created(now - timedelta(minutes=45))
    before = HubAlerts([r for r in default_rules() if r.id != RULE])   # the hub before this rule
    hub.db.observers[hub.db.observers.index(hub.alerts.observe)] = before.observe
    send(hub, ev)
    assert alerts(hub) == []
    hub.alerts = HubAlerts(default_rules())   # restarted with it
    hub.db.observers[hub.db.observers.index(before.observe)] = hub.alerts.observe
    hub.alerts.tick(hub.db)
    assert [a["change"] for a in alerts(hub)] == ["raised"]


def test_a_year_of_cases_costs_the_clock_little(make_hub, smtpd, capsys):
    """3,650 cases over a year (ten a day, every one closed but the last day's), then a tick: what the
    clock pays is the cases open or due a look, not the year."""
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    recs = []
    for n in range(3650):
        at = now - timedelta(minutes=144 * (3650 - n))
        tid, ev = created(at, ref=f"TR-{n:05d}", priority=("emergency", "urgent", "routine")[n % 3])
        recs.append(ev)
        if at < now - timedelta(days=1):
            recs += [event(tid, "status", "requested", "accepted", at=at + timedelta(minutes=20)),
                     event(tid, "status", "accepted", "departed", at=at + timedelta(minutes=50)),
                     event(tid, "status", "departed", "arrived", at=at + timedelta(minutes=90))]
    started = time.perf_counter()
    send(hub, *recs)
    pushed = time.perf_counter() - started
    open_now = [a for a in alerts(hub)]
    ticks = []
    for _ in range(5):
        t0 = time.perf_counter()
        hub.alerts.tick(hub.db)
        ticks.append(time.perf_counter() - t0)
    cases = hub.alerts._sections["transfers"]
    size = len(json.dumps(cases))
    with capsys.disabled():
        print(f"\n{len(recs)} events of 3650 cases pushed in {pushed:.1f} s; {len(open_now)} alerts; "
              f"{len(cases)} cases held ({size / 1e3:.0f} kB); ticks {sorted(ticks)[2] * 1e3:.1f} ms median "
              f"(max {max(ticks) * 1e3:.1f})")
    assert len(cases) <= 80   # a week of closed cases (70) and the open ones, not the year
    assert sorted(ticks)[2] < 0.25
    assert transfer_alerts.KEPT == timedelta(days=7)
