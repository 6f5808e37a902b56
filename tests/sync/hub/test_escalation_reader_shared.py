"""One reader of the room for both escalation channels (docs/escalation.md, "Paging"): the e-mail check and the
pager share the hub process's RoomReader, so a year of alerts on the feed is replayed once at the hub's start, not
once per channel (until session 28 the pager kept its own and replayed it all again), and the two channels'
refreshes, on threads of their own, never change what the other reads. A year of alerts on a real hub database."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

from sync.hub import records
from sync.hub.escalation_page import Pager
from tests.support.hub import TEST_ORGS
from tests.sync.hub.test_escalation import NOW, ROOM, make_hub, raise_alert, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_page import SPAM, gateway, pages, paging  # noqa: F401

DAYS, PER_DAY = 365, 60   # 40 providers' alerts for a year: 21,900 raised and cleared, half acknowledged
PROVIDERS = [o["ods_code"] for o in TEST_ORGS] + [f"RX{n:03d}" for n in range(40 - len(TEST_ORGS))]


def a_year_of_alerts(hub) -> int:
    """Raised and cleared alerts for a year before NOW (each raise cleared 40 minutes on, half acknowledged),
    written as the rule engine writes them; the number of feed items."""
    start, acks, n = NOW - timedelta(days=DAYS), [], 0
    for day in range(DAYS):
        with hub.db.write() as w:
            for k in range(PER_DAY):
                at = start + timedelta(days=day, minutes=k * 24)
                org = PROVIDERS[k % len(PROVIDERS)]
                uid = str(uuid.uuid4())
                base = {"alert_uuid": uid, "rule_id": "opel_provider_4",
                        "rule_name": "A provider's OPEL level rose to 4",
                        "severity": "critical", "kind": "level", "direction": "above", "scope": "provider",
                        "subject": org, "org_code": org, "metric": "opel_level", "value": 4.0, "threshold": 4.0,
                        "since": at.isoformat(), "escalate_after_minutes": 60, "detail": "OPEL 4"}
                w.now = at
                w.emit("alert", {**base, "change": "raised", "at": at.isoformat()}, org)
                w.emit("alert", {**base, "change": "cleared", "at": (at + timedelta(minutes=40)).isoformat()}, org)
                n += 2
                if k % 2:
                    acks.append({"uuid": str(uuid.uuid4()), "kind": "alert_ack", "device_id": str(uuid.uuid4()),
                                 "authored_at": at.isoformat(),
                                 "data": {"alert_uuid": uid, "acknowledged_at": (at + timedelta(minutes=5)).isoformat(),
                                          "acknowledged_by": "Ana", "note": "seen"}})
    for i in range(0, len(acks), 1000):
        records.push(hub, ROOM, {"records": acks[i:i + 1000]})
    return n + len(acks)


def test_a_year_of_alerts_is_replayed_once_at_the_start_for_both_channels(make_hub, smtpd, gateway):
    first = make_hub(settings(smtpd, paging=paging(gateway)))
    rota(first)
    items = a_year_of_alerts(first)
    uid = raise_alert(first, NOW - timedelta(minutes=20))
    hub = make_hub(settings(smtpd, paging=paging(gateway)))   # the hub's start on that database
    assert hub.pager.reader is hub.escalation.reader   # before: a reader of its own
    began = time.monotonic()
    smtpd.fail_next(SPAM)
    assert hub.escalation.check(now=NOW).failed == [uid]
    email = time.monotonic() - began
    head = hub.escalation.reader.cursor
    began = time.monotonic()
    assert hub.pager.check(now=NOW + timedelta(seconds=1)).sent == [uid]
    page = time.monotonic() - began
    assert hub.pager.reader.cursor >= head and pages(hub)[uid]["state"] == "sent"
    assert gateway.pages[0].body["value"] == 4.0   # the alert's value, from the shared reader
    print(f"\n{items} feed items: first e-mail check {email:.2f} s, first paging check {page:.2f} s")
    # Measured against a pager with a reader of its own (as before session 28) on the same database.
    own = Pager(hub.pager.config, hub.db, hub.pager.check_seconds)
    began = time.monotonic()
    own.check(now=NOW + timedelta(seconds=2))
    print(f"a paging check with its own reader (before): {time.monotonic() - began:.2f} s")


def test_the_two_channels_refreshing_at_once_never_change_what_the_other_reads(make_hub, smtpd, gateway):
    hub = make_hub(settings(smtpd, paging=paging(gateway)))
    rota(hub)
    stop, failures = threading.Event(), []

    def feed():   # alerts raised and cleared all along, as a busy evening
        n = 0
        while not stop.is_set():
            uid = raise_alert(hub, NOW - timedelta(minutes=20), org=TEST_ORGS[n % len(TEST_ORGS)]["ods_code"])
            raise_alert(hub, NOW - timedelta(minutes=19), change="cleared", uid=uid,
                        org=TEST_ORGS[n % len(TEST_ORGS)]["ods_code"])
            n += 1
            stop.wait(0.005)

    def checks(check):
        for k in range(25):
            try:
                room = hub.escalation.reader.refresh(hub.db)
                for _ in room.alerts():   # read while the other thread refreshes
                    time.sleep(0)
                check(now=NOW + timedelta(seconds=k))
            except Exception as exc:  # noqa: BLE001 - collected and failed on below
                failures.append(exc)

    writer = threading.Thread(target=feed)
    threads = [threading.Thread(target=checks, args=(c,)) for c in (hub.escalation.check, hub.pager.check)]
    writer.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    writer.join(30)
    assert failures == []
