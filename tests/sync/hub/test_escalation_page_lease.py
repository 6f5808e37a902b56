"""A check that sends several pages one after another gives each page's alerts a fresh lease as its turn comes
(docs/escalation.md, "A page about several refused for good is sent again in halves"): a page sent after others
is held for a whole lease from when it goes, not from when the check took the rows, so a slow gateway answering
the first page never leaves the second under a lease that is running out (another hub process takes a row whose
lease ran out, and would page it too). Session 28 added the step without a test of its own.

Real hub on SQLite and PostgreSQL, a real gateway (HTTPS, HMAC checked) with a body limit that splits the
30-alert backlog into two pages and taking 2 s to answer each, the hub's real clock. What each page was sent
under is read from the hub's database as the pager hands the page to the sender."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from sync.hub import page_sender, schema as s
from tests.sync.hub.test_escalation import make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_page import gateway, pages, paging  # noqa: F401
from tests.sync.hub.test_escalation_page_backlog import BACKLOG, backlog
from tests.sync.hub.test_escalation_page_refused_batch import LIMIT

SLOW = 2.0   # seconds the gateway takes to answer each page


def leases_as_sent(hub) -> list[tuple[datetime, dict[str, datetime]]]:
    """The pager's sender, observed: for each page as it goes, the time and each of its alerts' lease end (the
    row's ``next_attempt_at`` while the attempt is under way); the page itself goes to the real gateway."""
    seen = []

    def send(settings_, body, key):
        ids = [a["alert_id"] for a in body["alerts"]]
        with hub.db.read() as conn:
            t = s.alert_page
            held = dict(conn.execute(select(t.c.alert_uuid, t.c.next_attempt_at).where(t.c.alert_uuid.in_(ids))).all())
        seen.append((s.utcnow(), held))
        return page_sender.send(settings_, body, key)

    hub.pager.send = send
    return seen


def test_each_page_of_a_check_goes_under_a_lease_fresh_from_when_it_goes(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    gateway.max_body = LIMIT
    assert sorted(hub.pager.check().retrying) == sorted(ids)   # one page of 30, refused: 413, halves next check
    assert {r["state"] for r in pages(hub).values()} == {"pending"}
    gateway.slow = SLOW
    seen = leases_as_sent(hub)
    began = s.utcnow()
    report = hub.pager.check()
    assert sorted(report.sent) == sorted(ids)
    assert [(pg.status, pg.body["count"]) for pg in gateway.pages[1:]] == [(202, 15), (202, 15)]
    lease = hub.pager._lease()
    assert len(seen) == 2 and seen[1][0] - seen[0][0] >= timedelta(seconds=SLOW)   # the second waited for the first
    for n, (sent_at, held) in enumerate(seen):
        assert len(held) == BACKLOG // 2, n
        for uid, until in held.items():
            taken = until - lease   # when this row's lease began
            # A whole lease from the page's own turn: at most a second before it went (its figures check and the
            # words are made between), never from the check's start (for the second, 2 s and more before it went).
            assert began <= taken <= sent_at and sent_at - taken < timedelta(seconds=1), (n, uid, sent_at, taken)
    second = set(seen[1][1])
    assert all(pages(hub)[uid]["attempts"] == 2 for uid in second)   # the lease renewed, not a new attempt taken
