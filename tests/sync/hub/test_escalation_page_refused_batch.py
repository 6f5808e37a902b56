"""A page about several alerts refused for good (docs/escalation.md, "A backlog is one page"): the refusal may be
the page's, not each alert's (a gateway's body limit, one alert it will not take), so the alerts are paged again
at the next check in pages of half as many, and an alert fails for good only when a page about it alone is
refused. Found by review r1 (session 28): one 413 about the 30-alert backlog's one page failed all 30 for good,
each desktop told "not tried again; phone the on-call" for every one. Real gateway (HTTPS, HMAC checked, a body
limit or an alert it refuses), real SMTP server refusing the e-mail, real hub database; the two-process test
runs three hub objects on one database at once."""

from __future__ import annotations

import json
from datetime import timedelta

from sync import protocol as p
from sync.hub import escalation_health
from sync.hub.escalation_page import batch_key
from tests.support.at_once import at_once
from tests.sync.hub.test_escalation import NOW, make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_page import gateway, page_notices, pages, paging  # noqa: F401
from tests.sync.hub.test_escalation_page_backlog import BACKLOG, backlog

LIMIT = 10_000   # bytes: the backlog's one page is 12,090 (20 alerts written out), a page about 15 is under it
T1 = NOW + timedelta(seconds=1)
NEXT = T1 + timedelta(seconds=30)   # the next check


def told(hub) -> dict[str, list[p.FeedAlertPage]]:
    """Each alert's page notices on the feed, in order: what every desktop shows on it."""
    out: dict[str, list[p.FeedAlertPage]] = {}
    for n in page_notices(hub):
        d = p.FeedAlertEscalation.model_validate(n)
        out.setdefault(d.alert_uuid, []).append(d.page)
    return out


def test_one_refused_page_about_the_backlog_does_not_fail_every_alert_in_it(make_hub, smtpd, gateway):
    """r1's test: a gateway answering 413 to the backlog's one page. Before: failed 30, every row 'failed'."""
    hub, ids = backlog(make_hub, smtpd, gateway)
    gateway.answer(413)
    report = hub.pager.check(now=T1)
    assert report.failed == [] and sorted(report.retrying) == sorted(ids)
    assert {r["state"] for r in pages(hub).values()} == {"pending"}


def test_a_backlog_page_over_the_gateways_body_limit_goes_as_two_halves_at_the_next_check(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    gateway.max_body = LIMIT
    assert sorted(hub.pager.check(now=T1).retrying) == sorted(ids)
    [refused] = gateway.pages
    assert (refused.status, refused.body["count"]) == (413, BACKLOG)
    # Meanwhile every desktop shows each alert's page failed, the hub trying again, and to phone.
    first = told(hub)
    assert sorted(first) == sorted(ids)
    for uid in ids:
        [page] = first[uid]
        assert page.outcome == "failed" and "answered 413" in page.error
        assert "the hub pages them again at its next check, at most 15 a page: phone the on-call" in page.error
    assert escalation_health.state(hub).page.state == "failing"
    rows = pages(hub)
    assert {(r["state"], r["next_attempt_at"]) for r in rows.values()} == {("pending", T1)}
    assert {json.loads(r["attempt_log"])[-1]["at_most"] for r in rows.values()} == {15}
    # The next check: two pages of 15, the worst first, each its own key; each alert sent, told once more.
    assert sorted(hub.pager.check(now=NEXT).sent) == sorted(ids)
    halves = gateway.pages[1:]
    assert [(pg.status, pg.body["count"]) for pg in halves] == [(202, 15), (202, 15)]
    assert halves[0].body["severity"] == "critical"
    named = [{a["alert_id"] for a in pg.body["alerts"]} for pg in halves]
    assert not named[0] & named[1] and named[0] | named[1] == set(ids)
    for pg, alerts in zip(halves, named):
        assert pg.key == pg.body["idempotency_key"] == batch_key(hub.db.hub_id, sorted(alerts))
        assert len(json.dumps(pg.body).encode()) < LIMIT
    assert {r["state"] for r in pages(hub).values()} == {"sent"}
    assert {tuple(x.outcome for x in pg) for pg in told(hub).values()} == {("failed", "sent")}
    assert escalation_health.state(hub).page.state == "ok"
    assert hub.pager.check(now=NEXT + timedelta(minutes=5)).claimed == [] and len(gateway.pages) == 3


def test_one_alert_the_gateway_will_not_take_fails_alone_and_the_other_29_go(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    bad = ids[7]   # one of the two critical: written out in every page about it
    gateway.refused_alerts = {bad}
    at = T1
    for _ in range(7):   # 30, then 15 + 15, 8 + 7, 4 + 4, 2 + 2, 1 + 1: six checks, and one with nothing left
        hub.pager.check(now=at)
        at += timedelta(seconds=30)
    rows = pages(hub)
    assert rows[bad]["state"] == "failed" and "answered 422" in rows[bad]["error"]
    assert {uid for uid, r in rows.items() if r["state"] == "sent"} == set(ids) - {bad}
    assert [pg.body["count"] for pg in gateway.pages if pg.status == 422] == [30, 15, 8, 4, 2, 1]
    assert sorted(a["alert_id"] for pg in gateway.taken() for a in pg.body["alerts"]) == sorted(set(ids) - {bad})
    assert len(gateway.pages) == 11
    # The bad alert alone is told "not tried again"; the others that its pages held up went.
    shown = told(hub)
    assert [x.outcome for x in shown[bad]] == ["failed", "failed"]
    assert "not tried again; phone the on-call" in shown[bad][-1].error
    assert all([x.outcome for x in shown[uid]] == ["failed", "sent"] for uid in set(ids) - {bad})
    assert json.loads(rows[bad]["attempt_log"])[-1]["status"] == 422


def test_three_hub_processes_paging_a_refused_backlog_again_page_each_alert_once(make_hub, smtpd, gateway):
    hub, ids = backlog(make_hub, smtpd, gateway)
    gateway.max_body = LIMIT
    assert sorted(hub.pager.check(now=T1).retrying) == sorted(ids)
    hubs = [hub] + [make_hub(settings(smtpd, paging=paging(gateway))) for _ in range(2)]
    reports = at_once([lambda h=h: h.pager.check(now=NEXT) for h in hubs], join=60)
    assert sorted(x for r in reports for x in r.sent) == sorted(ids)   # each alert once, across the processes
    went = [a["alert_id"] for pg in gateway.taken() for a in pg.body["alerts"]]
    assert sorted(went) == sorted(ids) and all(pg.body["count"] <= 15 for pg in gateway.pages[1:])
    assert {r["state"] for r in pages(hub).values()} == {"sent"}
    assert all(len(v) == 2 for v in told(hub).values())   # failed, then sent: once each


def test_a_hub_stopping_between_the_halves_hands_the_second_back_to_be_paged_at_once(make_hub, smtpd, gateway):
    """The halves go one after another; a hub stopping after the first hands the rest back (not held for a
    lease), and another process pages them at its next check."""
    hub, ids = backlog(make_hub, smtpd, gateway)
    gateway.max_body = LIMIT
    hub.pager.check(now=T1)
    report = hub.pager.check(now=NEXT, stopping=lambda: len(gateway.pages) >= 2)
    assert len(report.sent) == 15 and len(gateway.pages) == 2
    left = {uid: r for uid, r in pages(hub).items() if r["state"] == "pending"}
    assert len(left) == 15 and {(r["attempts"], r["next_attempt_at"]) for r in left.values()} == {(1, NEXT)}
    other = make_hub(settings(smtpd, paging=paging(gateway)))
    assert sorted(other.pager.check(now=NEXT + timedelta(seconds=1)).sent) == sorted(left)
    assert [pg.body["count"] for pg in gateway.taken()] == [15, 15]


def test_an_untrusted_certificate_fails_a_page_about_several_at_once_the_set_up_not_the_page(
        make_hub, smtpd, gateway, tmp_path):
    """Not the gateway's answer about a page but the hub's set-up: sending smaller pages would meet it again."""
    import dataclasses

    from tests.sync.hub.page_gateway import Gateway
    other = Gateway(tmp_path, stem="other")   # its own throwaway CA, which the hub does not trust
    try:
        hub, ids = backlog(make_hub, smtpd, gateway)
        cfg = hub.pager.config
        hub.pager.config = dataclasses.replace(cfg, gateway=dataclasses.replace(cfg.gateway, url=other.url))
        assert sorted(hub.pager.check(now=T1).failed) == sorted(ids)
        assert other.pages == [] and {r["state"] for r in pages(hub).values()} == {"failed"}
    finally:
        other.stop()
