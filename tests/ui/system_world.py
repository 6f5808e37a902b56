"""A whole system on a real replica for the system picture's tests and screenshots.

``tests.records.ics_seed.seed_ics``'s 40 providers (22 acute, 8 community, 6 mental health, 3 NHS
111, the ambulance service) with its pillar and system roll-ups and queues at every acute site,
plus what the rest of the wall screen shows: each acute site's four-hour and 12-hour figures and
CRITCON report, the ambulance service's response times since midnight, the Director on-call rota,
transfers (one past its threshold), the hub's alerts and an overdue action.  Everything arrives
through ``sync.apply`` or the door, as in the app.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from models.records import contacts
from models.replica.utc import to_utc_text
from sync import authoring
from tests.records.ics_seed import SUMMER, seed_ics
from tests.ui.alert_seed import apply_alerts, signals_to_alerts, wait
from tests.ui.feeds import AMBULANCE, Feed
from tests.ui.records.seed import CONTACTS, RecordFeed

NOW = SUMMER


def seed_world(store, now: datetime = NOW) -> dict[str, list[str]]:
    codes = seed_ics(store, now)
    f = Feed(first_seq=90_000)
    for i, code in enumerate(codes["acute"]):
        at = now - timedelta(minutes=12 + i % 5)
        f.observation(code, "ed_four_hour_performance_pct", at, 58.0 + i * 1.5)
        f.observation(code, "ed_over_12h_from_arrival_count", at, float(3 + i % 9))
        f.observation(code, "ed_over_12h_from_arrival_pct", at, 2.0 + (i % 9) * 1.1)
        staffed = 8 + i % 5
        occupied = staffed + 1 if i == 4 else staffed - (i % 4)
        f.critcon(code, now - timedelta(minutes=20 + i), min(3, i % 4), staffed, occupied)
    midnight = now.replace(hour=0, minute=0) - timedelta(hours=1)   # 00:00 BST
    for h in range(1, 11):
        end = midnight + timedelta(hours=h)
        if end > now:
            break
        f.response("C1", end, mean_s=420 + 6 * h, p90_s=860 + 10 * h, incidents=10 + h)
        f.response("C2", end, mean_s=1500 + 40 * h, p90_s=3000 + 60 * h, incidents=30 + h)
    f.apply(store)
    uids = {c["name"]: authoring.upsert_contact(store, author="seed", **c) for c in CONTACTS}
    with store.session() as s, s.begin():
        contacts.add_shift(s, rota="Director on-call", contact_uuid=uids["Dr Priya Raman"],
                           starts_at=now - timedelta(hours=3), ends_at=now + timedelta(hours=5))
    acute = codes["acute"]
    t = RecordFeed(first_seq=96_000)
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    t.case("T-2613", "mh_out_of_area", "urgent", codes["mental_health"][0], None, "PICU bed, out of area",
           ago(300), "Crisis team")
    t.case("T-2611", "inter_hospital", "emergency", acute[2], acute[5], "Level 3 critical care bed", ago(95),
           "Dr Priya Raman")
    t.case("T-2615", "intra_hospital", "urgent", acute[1], acute[1], "ED to cardiac care unit", ago(20),
           "Site manager")
    t.apply(store)
    apply_alerts(store, signals_to_alerts([wait(acute[0], 30, 72.0, now), wait(acute[3], 20, 50.0, now)]),
                 first_seq=97_000)
    authoring.add_action(store, description="Call the site lead at the worst site", owner="Room lead",
                         author="seed", due_at=now - timedelta(minutes=40))
    authoring.add_action(store, description="Review the divert", owner="Room lead", author="seed",
                         due_at=now + timedelta(hours=2))
    # The world's last sync is at its own clock (apply stamps the wall clock): REAP and CSP, as at the
    # last sync, then go stale when a test moves the clock on without a sync.
    with store.writing() as s:
        s.execute(text("UPDATE feed_cursor SET last_sync_at = :at"), {"at": to_utc_text(now)})
    return codes


__all__ = ["AMBULANCE", "NOW", "seed_world"]
