"""The second escalation channel: an alert whose e-mail failed, or had not gone in time, is paged through a
real HTTPS gateway on loopback (tests/sync/hub/page_gateway.py: its certificate signed by a throwaway CA made
here, HMAC checked), by a real hub on a real database, the e-mail refused by a real SMTP server (aiosmtpd).
Checks run with an explicit ``now`` so the edges are exact; the last test runs the hub's own serving loop."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from sync import protocol as p
from sync.hub import escalation_health, page_sender, schema as s
from sync.hub.page_sender import PageSettings
from sync.hub.paging_config import PagingConfig
from tests.support.at_once import at_once
from tests.sync.hub.page_gateway import SECRET, Gateway, failed_send
from tests.sync.hub.test_escalation import (NOW, escalations, make_hub, notices, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)

PHONE = "0300 123 4567"
SPAM = "554 5.7.1 Message rejected as spam"
BUSY = "451 4.3.0 Mail server busy, try later"


@pytest.fixture
def gateway(tmp_path):
    g = Gateway(tmp_path)
    yield g
    g.stop()


def paging(gw: Gateway, **over) -> PagingConfig:
    fields = {"gateway": PageSettings(gw.url, SECRET, str(gw.ca), timeout_seconds=3), "scc_phone": PHONE,
              "room_name": "Test ICB SCC", "after_minutes": 10, "retry_seconds": 30, **over}
    return PagingConfig(**fields)


def pages(hub) -> dict[str, dict]:
    with hub.db.read() as conn:
        return {r["alert_uuid"]: dict(r) for r in conn.execute(select(s.alert_page)).mappings()}


def page_notices(hub) -> list[dict]:
    return [n for n in notices(hub) if n.get("page")]


def failed_email(make_hub, smtpd, gw, **over):
    """A hub paging through ``gw``, an alert due 5 minutes ago whose e-mail the server refused for good."""
    hub = make_hub(settings(smtpd, paging=paging(gw, **over)))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW).failed == [uid]
    return hub, uid


def test_an_email_refused_for_good_is_paged_once_signed_and_the_room_sees_it(make_hub, smtpd, gateway):
    hub, uid = failed_email(make_hub, smtpd, gateway)
    report = hub.pager.check(now=NOW + timedelta(seconds=1))
    assert (report.claimed, report.sent) == ([uid], [uid])
    [page] = gateway.pages
    assert page.signed and page.status == 202
    body = page.body
    assert (body["alert_id"], body["rule_id"], body["severity"], body["value"], body["threshold"]) == (
        uid, "opel_provider_4", "critical", 4.0, 4.0)
    assert body["provider"] == {"code": "RTEST1", "name": "Test Acute Trust One"}
    assert body["room"] == "Test ICB SCC" and body["phone"] == f"Phone the SCC on {PHONE}"
    assert body["raised"].endswith(("GMT", "BST")) and body["figures_in_doubt"] is False
    assert body["why"].startswith("the e-mail failed: ") and "rejected as spam" in body["why"]
    assert f"Phone the SCC on {PHONE}." in body["text"] and "RTEST1 Test Acute Trust One" in body["text"]
    assert page.key == body["idempotency_key"] == pages(hub)[uid]["idempotency_key"]
    row = pages(hub)[uid]
    assert (row["state"], row["attempts"], row["error"]) == ("sent", 1, None)
    [entry] = json.loads(row["attempt_log"])
    assert (entry["n"], entry["status"], entry["error"]) == (1, 202, None)
    # Told on the feed, on the e-mail's own notice kind; the e-mail's fields as its row has them.
    [notice] = page_notices(hub)
    d = p.FeedAlertEscalation.model_validate(notice)
    assert (d.outcome, d.page.outcome, d.page.attempts) == ("failed", "sent", 1)
    assert "rejected as spam" in d.error and d.page.reason == body["why"]
    assert d.at == NOW and d.page.at == NOW + timedelta(seconds=1)   # the e-mail's last try, then the page
    # Never again: a second check, and a second hub object on the same database (a restart).
    assert hub.pager.check(now=NOW + timedelta(minutes=5)).claimed == []
    again = make_hub(settings(smtpd, paging=paging(gateway)))
    assert again.pager.check(now=NOW + timedelta(minutes=10)).claimed == []
    assert len(gateway.pages) == 1
    said = escalation_health.state(hub)
    assert said.page.state == "ok" and said.page.gateway == f"127.0.0.1:{gateway.port}"
    assert said.page.last_sent_at is not None


def test_an_email_not_gone_within_its_minutes_is_paged_then_and_not_before(make_hub, smtpd, gateway):
    hub = make_hub(settings(smtpd, paging=paging(gateway, after_minutes=10)))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next(*[BUSY] * 20)
    assert hub.escalation.check(now=NOW).retrying == [uid]
    assert hub.pager.check(now=NOW + timedelta(minutes=10) - timedelta(seconds=1)).claimed == []
    assert gateway.pages == []
    report = hub.pager.check(now=NOW + timedelta(minutes=10))
    assert report.sent == [uid]
    [page] = gateway.taken()
    assert page.body["why"].startswith("the e-mail had not gone 10 min after it fell due (last try: ")
    assert escalations(hub)[uid]["state"] == "pending"   # the e-mail goes on being tried


def test_every_escalation_is_paged_when_switched_on_and_an_acknowledged_one_never(make_hub, smtpd, gateway):
    from tests.sync.hub.test_escalation import ack
    hub = make_hub(settings(smtpd, paging=paging(gateway, every_escalation=True)))
    rota(hub)
    sent = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST1")
    acked = raise_alert(hub, NOW - timedelta(minutes=20), org="RTEST2")
    assert sorted(hub.escalation.check(now=NOW).sent) == sorted([sent, acked])
    ack(hub, acked, NOW + timedelta(seconds=1))
    assert hub.pager.check(now=NOW + timedelta(seconds=2)).sent == [sent]
    assert [pg.body["alert_id"] for pg in gateway.pages] == [sent]
    assert gateway.pages[0].body["why"].startswith("every escalated alert is paged")


def test_a_gateway_answering_500_then_200_is_tried_again_with_backoff_the_same_key_each_attempt_recorded(
        make_hub, smtpd, gateway):
    hub, uid = failed_email(make_hub, smtpd, gateway, retry_seconds=30)
    gateway.answer(500, 503)
    t0 = NOW + timedelta(seconds=1)
    assert hub.pager.check(now=t0).retrying == [uid]
    assert pages(hub)[uid]["next_attempt_at"] == t0 + timedelta(seconds=30)
    assert escalation_health.state(hub).page.state == "failing"
    [told] = page_notices(hub)   # the first failure, at once
    assert told["page"]["outcome"] == "failed" and "500" in told["page"]["error"]
    assert "trying again" in told["page"]["error"] and "phone the on-call" in told["page"]["error"]
    assert hub.pager.check(now=t0 + timedelta(seconds=29)).retrying == []   # its backoff holds
    assert hub.pager.check(now=t0 + timedelta(seconds=30)).retrying == [uid]
    assert pages(hub)[uid]["next_attempt_at"] == t0 + timedelta(seconds=90)   # doubled
    assert hub.pager.check(now=t0 + timedelta(seconds=90)).sent == [uid]
    assert [pg.status for pg in gateway.pages] == [500, 503, 202]
    assert len({pg.key for pg in gateway.pages}) == 1   # one idempotency key: the gateway can drop a copy
    log = json.loads(pages(hub)[uid]["attempt_log"])
    assert [(e["n"], e["status"]) for e in log] == [(1, 500), (2, 503), (3, 202)]
    assert "answered 500" in log[0]["error"] and log[2]["error"] is None
    assert [n["page"]["outcome"] for n in page_notices(hub)] == ["failed", "sent"]
    assert escalation_health.state(hub).page.state == "ok"


def test_a_gateway_down_then_back_is_paged_when_it_is_back(make_hub, smtpd, gateway):
    hub, uid = failed_email(make_hub, smtpd, gateway, retry_seconds=10)
    gateway.stop()
    t0 = NOW + timedelta(seconds=1)
    for n in range(4):   # down for 10 + 20 + 40 s of backoff: each refused attempt recorded
        at = t0 + timedelta(seconds=(0, 10, 30, 70)[n])
        assert hub.pager.check(now=at).retrying == [uid], n
    log = json.loads(pages(hub)[uid]["attempt_log"])
    assert len(log) == 4 and all("could not be reached" in e["error"] for e in log)
    assert escalations(hub)[uid]["state"] == "failed"
    gateway.start()
    assert hub.pager.check(now=t0 + timedelta(seconds=70 + 80)).sent == [uid]
    assert len(gateway.taken()) == 1 and pages(hub)[uid]["attempts"] == 5


def test_a_gateway_whose_certificate_the_hub_does_not_trust_is_refused_at_once(make_hub, smtpd, gateway, tmp_path):
    other = Gateway(tmp_path, stem="other")   # its own throwaway CA
    try:
        # The hub trusts the first gateway's CA; the second gateway's certificate was signed by another.
        cfg = paging(gateway)
        cfg = dataclasses.replace(cfg, gateway=dataclasses.replace(cfg.gateway, url=other.url))
        hub, uid = failed_email(make_hub, smtpd, gateway)
        hub.pager.config = cfg
        assert hub.pager.check(now=NOW + timedelta(seconds=1)).failed == [uid]
        assert other.pages == [] and gateway.pages == []
        row = pages(hub)[uid]
        assert row["state"] == "failed" and "certificate is not trusted" in row["error"]
        assert "paging.ca_file" in row["error"]
        [told] = page_notices(hub)
        assert told["page"]["outcome"] == "failed" and "not tried again; phone the on-call" in told["page"]["error"]
    finally:
        other.stop()


def test_a_wrong_signing_key_is_refused_by_the_gateway_and_not_tried_again(make_hub, smtpd, gateway):
    cfg = paging(gateway)
    hub, uid = failed_email(make_hub, smtpd, gateway)
    hub.pager.config = dataclasses.replace(cfg, gateway=dataclasses.replace(cfg.gateway, secret="x" * 32))
    assert hub.pager.check(now=NOW + timedelta(seconds=1)).failed == [uid]
    [page] = gateway.pages
    assert (page.signed, page.status) == (False, 401)
    assert "answered 401" in pages(hub)[uid]["error"]


def test_two_hub_processes_checking_at_the_same_moment_page_once(make_hub, smtpd, gateway):
    hub, uid = failed_email(make_hub, smtpd, gateway)
    hubs = [hub] + [make_hub(settings(smtpd, paging=paging(gateway))) for _ in range(2)]
    reports = at_once([lambda h=h: h.pager.check(now=NOW + timedelta(seconds=1)) for h in hubs], join=30)
    assert sorted(x for r in reports for x in r.sent) == [uid]
    assert sum(len(r.claimed) for r in reports) == 1
    assert len(gateway.pages) == 1 and len(page_notices(hub)) == 1


def test_a_hub_without_paging_says_nothing_of_it_on_health(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    said = escalation_health.state(hub)
    assert hub.pager is None and said.page is None
    assert "page" not in said.model_dump(exclude_none=True)


def test_a_page_that_cannot_be_sent_unencrypted():
    with pytest.raises(page_sender.PageFailure) as exc:
        page_sender.send(PageSettings("http://127.0.0.1:9/x", SECRET), {}, "k")
    assert not exc.value.transient and "not https://" in exc.value.reason


def test_health_and_the_log_name_the_gateway_by_host_never_its_url_a_token_in_it_or_a_long_one(
        make_hub, smtpd, gateway, caplog):
    """A webhook-style gateway URL holds its token in the path or query; /health (no sign-in) and the hub's
    log say host:port only. Before: /health carried the whole URL, and one over 300 characters made
    /health's own model refuse it (ValidationError: the probe answered 500)."""
    token = "tok-" + "s3cr3t" * 60
    cfg = paging(gateway)
    cfg = dataclasses.replace(cfg, gateway=dataclasses.replace(cfg.gateway, url=f"{gateway.url}?token={token}"))
    hub = make_hub(settings(smtpd, paging=cfg))
    rota(hub)
    uid = raise_alert(hub, NOW - timedelta(minutes=20))
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW).failed == [uid]
    with caplog.at_level("INFO", logger="sync.hub"):
        assert hub.pager.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    said = escalation_health.state(hub)
    assert said.page.state == "ok" and said.page.gateway == f"127.0.0.1:{gateway.port}"
    assert "s3cr3t" not in said.model_dump_json() and "s3cr3t" not in caplog.text
    gateway.stop()   # a failure's words too
    uid2 = raise_alert(hub, NOW - timedelta(minutes=19))
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW + timedelta(minutes=1)).failed == [uid2]
    assert hub.pager.check(now=NOW + timedelta(minutes=1, seconds=1)).retrying == [uid2]
    said = escalation_health.state(hub)
    assert said.page.state == "failing" and "s3cr3t" not in said.model_dump_json()
    assert "s3cr3t" not in json.dumps([n for n in notices(hub)]) and "s3cr3t" not in caplog.text


def test_a_gateway_that_answers_a_byte_at_a_time_is_given_up_on_within_the_attempts_bound(tmp_path):
    """Each read within timeout_seconds, the answer never whole: the attempt ends after twice
    timeout_seconds (connection, then answer) as transient, inside the page's lease, so a second hub
    process never takes a page still in flight, and the pager is not held. Before: 22 s for 70 bytes."""
    from tests.sync.hub.page_gateway import Trickle
    slow = Trickle(tmp_path, gap=0.3)
    took, failure = failed_send(PageSettings(slow.url, SECRET, str(slow.ca), timeout_seconds=1), slow.stop)
    assert 1.5 <= took < 4, took
    assert failure.transient and "did not answer in full within 2 s" in failure.reason


def test_a_gateway_name_the_resolver_never_answers_for_is_given_up_on_within_the_timeout(monkeypatch, gateway):
    """The one mock here: a resolver that does not answer cannot be had for real on loopback. The gateway's name
    is looked up on a thread of its own, waited for at most timeout_seconds, and the attempt fails as transient
    (tried again), naming the name. Before: the lookup had no bound (here, 8 s, the mock's own end; a real
    resolver's as long as it liked), holding the pager's thread."""
    real = socket.getaddrinfo
    released = threading.Event()

    def silent(host, *args, **kwargs):
        if host == "paging-gateway.test":
            released.wait(8)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    settings_ = PageSettings(f"https://paging-gateway.test:{gateway.port}/v1/pages", SECRET, str(gateway.ca),
                             timeout_seconds=1)
    took, failure = failed_send(settings_, released.set)
    assert took < 2, took
    assert failure.transient and "paging-gateway.test was not looked up within 1 s" in failure.reason
    assert gateway.pages == []


def test_a_gateway_named_by_a_name_is_reached_at_its_address_and_its_certificate_checked_against_the_name(
        monkeypatch, gateway):
    """The lookup's addresses are what the connection goes to; TLS still checks the name: a name the gateway's
    certificate does not carry (it is for 127.0.0.1) is refused as untrusted, not sent to."""
    settings_ = PageSettings(f"https://localhost:{gateway.port}/v1/pages", SECRET, str(gateway.ca), timeout_seconds=3)
    with pytest.raises(page_sender.PageFailure) as failed:
        page_sender.send(settings_, {"kind": "scc_escalation_page"}, "scc-page-test")
    assert not failed.value.transient and "certificate is not trusted" in failed.value.reason
    ok = PageSettings(gateway.url, SECRET, str(gateway.ca), timeout_seconds=3)
    assert page_sender.send(ok, {"kind": "scc_escalation_page"}, "scc-page-test") == 202
    assert [pg.signed for pg in gateway.pages] == [True]
