"""A backlog is one page, not a flood (docs/escalation.md, "Paging"): the pages due in one check go to the gateway
as one message naming how many and the worst few, each alert's outcome still recorded against it and told to the
desktops. Until session 28 a hub back after hours with 30 failed e-mails paged the on-call Director 30 times.
Real gateway (HTTPS, HMAC checked), real SMTP server refusing the e-mail, real hub database."""

from __future__ import annotations

import json
from datetime import timedelta

from sync import protocol as p
from sync.hub.escalation_page import batch_key
from tests.support.at_once import at_once
from tests.support.hub import TEST_ORGS
from tests.sync.hub.test_escalation import NOW, make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_page import SPAM, gateway, page_notices, pages, paging  # noqa: F401

BACKLOG = 30


def backlog(make_hub, smtpd, gw, **over):
    """A hub paging through ``gw`` with 30 alerts open and unacknowledged since the evening, two critical, the
    rest warnings, whose one e-mail the server refused for good."""
    hub = make_hub(settings(smtpd, paging=paging(gw, **over)))
    rota(hub)
    ids = [raise_alert(hub, NOW - timedelta(hours=3, minutes=n), org=TEST_ORGS[n % len(TEST_ORGS)]["ods_code"],
                       severity="critical" if n in (7, 20) else "warning") for n in range(BACKLOG)]
    smtpd.fail_next(SPAM)
    assert sorted(hub.escalation.check(now=NOW).failed) == sorted(ids)
    return hub, ids


def test_thirty_alerts_due_at_once_are_one_page_naming_the_worst_and_each_alert_records_it(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    report = hub.pager.check(now=NOW + timedelta(seconds=1))
    assert sorted(report.sent) == sorted(ids)
    [page] = gateway.pages   # before: 30 pages, one per alert
    assert page.signed and page.status == 202
    body = page.body
    assert body["count"] == BACKLOG and len(body["alerts"]) == 20 and body["more"] == 10
    assert {a["alert_id"] for a in body["alerts"]} < set(ids)
    critical = [ids[7], ids[20]]   # the worst first: the critical ones, the longest open first
    assert [a["alert_id"] for a in body["alerts"][:2]] == [ids[20], ids[7]] and body["alert_id"] == ids[20]
    assert body["severity"] == "critical" and body["figures_in_doubt"] is False
    text = body["text"]
    assert text.startswith(f"[Test ICB SCC] {BACKLOG} alerts not acknowledged (worst CRITICAL): CRITICAL ")
    assert text.endswith(f", and {BACKLOG - 3} more. Phone the SCC on 0300 123 4567.") and text.count(";") == 2
    assert body["why"].startswith("the e-mail failed: ") and "rejected as spam" in body["why"]
    assert page.key == body["idempotency_key"] == batch_key(hub.db.hub_id, ids)
    # Each alert's outcome is its own: its row sent, its log naming the one page, a notice on the feed for it.
    rows = pages(hub)
    assert sorted(rows) == sorted(ids) and {r["state"] for r in rows.values()} == {"sent"}
    for uid in ids:
        [entry] = json.loads(rows[uid]["attempt_log"])
        assert (entry["status"], entry["page_of"], entry["key"]) == (202, BACKLOG, page.key)
    told = [p.FeedAlertEscalation.model_validate(n) for n in page_notices(hub)]
    assert sorted(t.alert_uuid for t in told) == sorted(ids) and {t.page.outcome for t in told} == {"sent"}
    assert set(critical) <= {t.alert_uuid for t in told}
    # Not paged again: a later check, and a restarted hub on the same database.
    assert hub.pager.check(now=NOW + timedelta(minutes=5)).claimed == []
    again = make_hub(settings(smtpd, paging=paging(gateway)))
    assert again.pager.check(now=NOW + timedelta(minutes=10)).claimed == []
    assert len(gateway.pages) == 1


def test_a_backlog_page_refused_is_tried_again_as_one_with_its_key_and_a_newcomer_is_a_page_of_its_own(
        make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway, retry_seconds=30)
    gateway.answer(503)
    t0 = NOW + timedelta(seconds=1)
    assert sorted(hub.pager.check(now=t0).retrying) == sorted(ids)
    assert len(page_notices(hub)) == BACKLOG   # each alert's first failure told, "phone the on-call"
    assert hub.pager.check(now=t0 + timedelta(seconds=29)).retrying == []   # the backoff holds, for all
    assert sorted(hub.pager.check(now=t0 + timedelta(seconds=30)).sent) == sorted(ids)
    first, second = gateway.pages
    assert (first.status, second.status, first.key) == (503, 202, second.key)   # the same page, the same key
    assert second.body["count"] == BACKLOG
    # An alert whose e-mail fails later is a page of its own: these 30 are not paged again with it.
    late = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST1")
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW + timedelta(minutes=2)).failed == [late]
    assert hub.pager.check(now=NOW + timedelta(minutes=2, seconds=1)).sent == [late]
    third = gateway.pages[2]
    assert (third.body["count"], third.body["alert_id"]) == (1, late)
    assert third.key == pages(hub)[late]["idempotency_key"]


def test_two_hub_processes_with_a_backlog_page_each_alert_once(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    hubs = [hub] + [make_hub(settings(smtpd, paging=paging(gateway))) for _ in range(2)]
    reports = at_once([lambda h=h: h.pager.check(now=NOW + timedelta(seconds=1)) for h in hubs], join=60)
    assert sorted(x for r in reports for x in r.sent) == sorted(ids)   # each alert once, across the processes
    assert sum(len(r.claimed) for r in reports) == BACKLOG
    assert sum(pg.body["count"] for pg in gateway.pages) == BACKLOG and len(gateway.pages) <= len(hubs)
    assert len(page_notices(hub)) == BACKLOG
