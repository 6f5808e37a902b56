"""An alert that flaps (raised, cleared, raised again) and nobody acknowledges is escalated once, from
the first raise of its run: each raise used to start its own 15 minutes and clear before they ran out,
so OPEL 4 coming and going all night emailed nobody. A real hub on its database, a real SMTP server
(aiosmtpd, STARTTLS, AUTH)."""

from __future__ import annotations

from datetime import timedelta

from sync.hub.escalation_room import open_alerts_for_escalation
from tests.sync.hub.test_escalation import (NOW, ack, escalations, make_hub, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)


def _flap(hub, start, times):
    """OPEL 4 for ten minutes, then not for ten, ``times`` over; returns the alert ids."""
    ids = []
    for n in range(times):
        raised = start + timedelta(minutes=20 * n)
        uid = raise_alert(hub, raised)
        raise_alert(hub, raised + timedelta(minutes=10), uid=uid, change="cleared")
        ids.append(uid)
    return ids


def test_a_flapping_alert_nobody_acknowledges_is_emailed_once_from_its_first_raise(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    start = NOW - timedelta(hours=2)
    _flap(hub, start, 2)                                   # 0-10 and 20-30 min: each cleared before 15
    third = raise_alert(hub, start + timedelta(minutes=40))   # open again at 40 min
    [alert] = open_alerts_for_escalation(hub.db)
    assert alert.run_since == start and alert.run_raises == 3
    report = hub.escalation.check(now=start + timedelta(minutes=40, seconds=30))
    assert report.sent == [third]
    [mail] = smtpd.wait_for(1)
    assert "raised 3 times since" in mail.message.get_content()
    # It clears and comes back: the same run, emailed already; not emailed again before it has held its
    # own 15 minutes (test_escalation_flapping_held: then it is).
    raise_alert(hub, start + timedelta(minutes=50), uid=third, change="cleared")
    fourth = raise_alert(hub, start + timedelta(minutes=60))
    assert hub.escalation.check(now=start + timedelta(minutes=74)).claimed == []
    # Acknowledged: the run is over; the next raise has its own 15 minutes.
    ack(hub, fourth, start + timedelta(minutes=61))
    raise_alert(hub, start + timedelta(minutes=95), uid=fourth, change="cleared")
    fifth = raise_alert(hub, start + timedelta(minutes=100))
    assert hub.escalation.check(now=start + timedelta(minutes=114)).claimed == []
    assert hub.escalation.check(now=start + timedelta(minutes=115, seconds=1)).sent == [fifth]
    assert set(escalations(hub)) == {third, fifth}


def test_raises_far_apart_are_separate_alerts_each_with_its_own_time(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    start = NOW - timedelta(hours=3)
    first = raise_alert(hub, start)
    raise_alert(hub, start + timedelta(minutes=10), uid=first, change="cleared")
    second = raise_alert(hub, start + timedelta(minutes=60))   # 50 minutes after the clear: a new run
    [alert] = open_alerts_for_escalation(hub.db)
    assert alert.run_since is None and alert.run_raises == 1
    assert hub.escalation.check(now=start + timedelta(minutes=74)).claimed == []
    assert hub.escalation.check(now=start + timedelta(minutes=75, seconds=1)).sent == [second]
