"""When a transfer alert clears (hazard H-16): at the recorded time of the step that ended the breach, never
later than the hub heard of it, and, for a rule the room disables, in the transaction that disables it. The
real hub on its database (SQLite and PostgreSQL), the events through its record intake as a desktop pushes
them. Until session 27 a case accepted on a desktop offline for an hour cleared an hour late (at the hub's
clock when the push came), and a disabled rule's transfer alerts waited for the alert clock's next tick
(up to 30 s), where the rule's other alerts cleared at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.sync.hub.test_escalation import make_hub, push, settings, smtpd  # noqa: F401
from tests.sync.hub.test_transfer_alerts import RULE, UTC, alerts, created, event, send


def at(item: dict, name: str) -> datetime:
    return datetime.fromisoformat(item[name])


def test_a_case_accepted_on_a_desktop_offline_for_an_hour_clears_at_its_acceptance(make_hub, smtpd):  # noqa: F811
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=120))   # emergency: 30 min to accept, past it for 90 min
    send(hub, ev)
    accepted = now - timedelta(minutes=60)   # accepted an hour ago, on a desktop offline since
    send(hub, event(tid, "status", "requested", "accepted", at=accepted))
    raised, cleared = alerts(hub)[:2]
    assert (raised["change"], cleared["change"]) == ("raised", "cleared")
    assert at(cleared, "at") == accepted, cleared   # not the hub's clock an hour later
    assert at(cleared, "feed_at") - at(cleared, "at") >= timedelta(minutes=59)   # heard of it only now
    assert "TR-0042: accepted; cleared." in cleared["detail"]


def test_a_step_stamped_by_a_fast_clock_clears_at_the_hubs_receipt_not_in_the_future(make_hub, smtpd):  # noqa: F811
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=45))
    send(hub, ev)
    send(hub, event(tid, "status", "requested", "accepted", at=now + timedelta(hours=1)))   # a clock an hour fast
    cleared = alerts(hub)[1]
    assert cleared["change"] == "cleared" and at(cleared, "at") == at(cleared, "feed_at"), cleared
    assert at(cleared, "at") < datetime.now(UTC)


def test_a_step_made_before_the_hub_raised_clears_at_the_alerts_own_time(make_hub, smtpd):  # noqa: F811
    """Accepted before its breach, heard of after the hub raised it (the case had come alone): the alert
    clears at its own time, never before it was raised."""
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=45))   # past since 15 min ago
    send(hub, ev)
    send(hub, event(tid, "status", "requested", "accepted", at=now - timedelta(minutes=20)))
    raised, cleared = alerts(hub)[:2]
    assert cleared["change"] == "cleared" and cleared["at"] == raised["since"] == raised["at"], (raised, cleared)


def test_of_several_steps_heard_at_once_the_one_that_ended_the_breach_times_the_clear(make_hub, smtpd):  # noqa: F811
    """Accepted, then a note, then departed, all pushed together an hour on: the acceptance ended the wait."""
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    tid, ev = created(now - timedelta(minutes=120))
    send(hub, ev)
    accepted = now - timedelta(minutes=70)
    send(hub, event(tid, "status", "requested", "accepted", at=accepted),
         event(tid, "notes", "", "bed 4 on ward 9", at=now - timedelta(minutes=40)),
         event(tid, "status", "accepted", "departed", at=now - timedelta(minutes=30)))
    changes = alerts(hub)
    assert [a["change"] for a in changes] == ["raised", "cleared"], changes
    assert at(changes[1], "at") == accepted


def test_a_disabled_rule_clears_its_open_transfer_alerts_in_the_same_transaction(make_hub, smtpd):  # noqa: F811
    hub = make_hub(settings(smtpd))
    now = datetime.now(UTC)
    _tid, ev = created(now - timedelta(minutes=45))
    _t2, ev2 = created(now - timedelta(minutes=50), ref="TR-0043", src="RTEST2")
    send(hub, ev, ev2)
    assert [a["change"] for a in alerts(hub)] == ["raised", "raised"]
    push(hub, "alert_rule", {"rule_id": RULE, "op": "disable", "author": "Room lead", "at": now.isoformat()})
    # No tick of the alert clock: cleared by the record's own transaction, as the rule's other alerts are.
    cleared = [a for a in alerts(hub) if a["change"] == "cleared"]
    assert len(cleared) == 2 and all("cleared because the rule was disabled" in a["detail"] for a in cleared)
    assert all(a["at"] == a["feed_at"] for a in cleared)
    hub.alerts.tick(hub.db)
    assert len(alerts(hub)) == 4   # nothing more at the tick
    push(hub, "alert_rule", {"rule_id": RULE, "op": "enable", "author": "Room lead", "at": now.isoformat()})
    hub.alerts.tick(hub.db)
    assert [a["change"] for a in alerts(hub)[4:]] == ["raised", "raised"]   # new alerts, as before
