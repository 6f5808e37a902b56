"""A flapping alert's run is emailed once, but a raise of that run that then holds, unacknowledged, for
its rule's whole escalation time is emailed again: the email about the run named an alert that has since
cleared, and nobody knows this one is still open.  A real hub on its database (SQLite and PostgreSQL), a
real SMTP server (aiosmtpd, STARTTLS, AUTH)."""

from __future__ import annotations

from datetime import timedelta

from tests.sync.hub.test_escalation import (NOW, escalations, make_hub, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)


def test_a_raise_of_an_emailed_run_that_holds_for_hours_is_emailed(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    start = NOW - timedelta(hours=6)
    first = raise_alert(hub, start)                                                  # OPEL 4, 15 minutes
    assert hub.escalation.check(now=start + timedelta(minutes=15, seconds=1)).sent == [first]
    smtpd.wait_for(1)
    raise_alert(hub, start + timedelta(minutes=20), uid=first, change="cleared")
    again = raise_alert(hub, start + timedelta(minutes=30))   # back 10 minutes on: the same run
    # A quick flap of the run is not emailed again ...
    assert hub.escalation.check(now=start + timedelta(minutes=40)).claimed == []
    # ... but held open, nobody acknowledging, for its own 15 minutes, it is (it was never, all night).
    assert hub.escalation.check(now=start + timedelta(minutes=45, seconds=1)).sent == [again]
    assert set(escalations(hub)) == {first, again}
    mails = smtpd.wait_for(2)
    assert len(mails) == 2 and "raised 2 times since" in mails[1].message.get_content()
