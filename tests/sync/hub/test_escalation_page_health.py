"""/health's page state is the database's, not the answering process's (docs/escalation.md, "Paging"): of two hub
processes on one database, the one whose page failed and the one that sent the next both say what the last
attempt across them did. Until session 28 each said its own: one "failing" while the other said "ok", and which a
desktop heard depended on which process answered its /health. Real gateway, real hub database, two hubs on it."""

from __future__ import annotations

from datetime import timedelta

from sync.hub import escalation_health
from tests.sync.hub.test_escalation import NOW, make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_page import SPAM, gateway, paging  # noqa: F401


def test_two_hub_processes_say_the_same_page_state_the_last_attempts_across_both(make_hub, smtpd, gateway):
    a = make_hub(settings(smtpd, paging=paging(gateway)))
    b = make_hub(settings(smtpd, paging=paging(gateway)))
    rota(a)
    first = raise_alert(a, NOW - timedelta(minutes=20), org="RTEST1")
    smtpd.fail_next(SPAM)
    assert a.escalation.check(now=NOW).failed == [first]
    gateway.answer(500)
    assert a.pager.check(now=NOW + timedelta(seconds=1)).retrying == [first]
    said = [escalation_health.state(h).page for h in (a, b)]
    assert [x.state for x in said] == ["failing", "failing"]   # before: b, which had sent nothing, said "ok"
    assert said[0] == said[1] and "answered 500" in said[1].last_error and said[1].last_sent_at is None
    # b takes the retry and the gateway takes it: both say ok, with when it went.
    assert b.pager.check(now=NOW + timedelta(seconds=31)).sent == [first]
    said = [escalation_health.state(h).page for h in (a, b)]
    assert [x.state for x in said] == ["ok", "ok"]   # before: a said "failing" until it sent one itself
    assert said[0] == said[1] and said[0].last_sent_at is not None and "answered 500" in said[0].last_error
    # Then a's next page fails: b says so too.
    second = raise_alert(a, NOW - timedelta(minutes=19), org="RTEST2")
    smtpd.fail_next(SPAM)
    assert a.escalation.check(now=NOW + timedelta(minutes=1)).failed == [second]
    gateway.answer(503)
    assert a.pager.check(now=NOW + timedelta(minutes=1, seconds=1)).retrying == [second]
    said = [escalation_health.state(h).page for h in (a, b)]
    assert [x.state for x in said] == ["failing", "failing"] and "answered 503" in said[1].last_error


def test_a_hub_whose_database_cannot_be_read_says_its_own_page_state(make_hub, smtpd, gateway):
    hub = make_hub(settings(smtpd, paging=paging(gateway)))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW).failed == [uid]
    assert hub.pager.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    real = hub.db.read

    def down():   # the one mock here: a read that fails (the probe must still answer)
        raise OSError("the database is down")

    hub.db.read = down
    try:
        said = escalation_health.state(hub).page
    finally:
        hub.db.read = real
    assert said.state == "ok" and said.last_sent_at is not None   # this process's own, as before
