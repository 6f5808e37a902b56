"""Migration 0029 (``decision_entry.hub_author``: who pushed each decision to the hub, as the hub stamped it,
session 30) on a real encrypted replica at 0028 holding a year of decisions (a decision every 3 hours, each with a
40-provider snapshot, one desktop's chain and the hub's) beside the real-sized feed data. Upgraded in place as a
user's would be: every row kept, every chain still verifying (the column is outside the content hash), every
entry held before says nothing of who pushed it (NULL, shown as signed); downgraded, the column goes."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from models.records import decision_log
from models.records import verify as records_verify
from models.replica import migrate
from models.replica.orm.types import to_utc_text
from models.replica.store import Store
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

BEFORE = "0028"
YEAR = 365 * 8   # a decision every 3 hours
START = datetime(2024, 4, 1, 6, tzinfo=timezone.utc)


def _year_of_decisions(store) -> int:
    """YEAR decisions of one desktop, chained as the app chains them, all at the hub, written as 0028 holds them."""
    device = str(uuid.UUID(int=29))
    rows, prev, hub_prev = [], None, None
    for i in range(YEAR):
        at = START + timedelta(hours=3 * i)
        fields = {
            "uuid": str(uuid.UUID(int=10_000 + i)), "device_id": device, "device_seq": i + 1, "decided_at": at,
            "decision_maker": f"Dr Decider {i % 7}", "decision_maker_role": "Director on-call",
            "decision": f"Decision {i}: open escalation beds at Trust {i % 40}", "rationale": "Waits rising",
            "options_considered": "", "information_available": "", "review_at": None,
            "situation_snapshot": {"system_opel": 1 + i % 4, "providers": {
                f"R{p:03d}": {"opel": 1 + (i + p) % 4, "ga_bed_occupancy_pct": 90 + p % 9} for p in range(40)}},
            "recorded_by": "Room support", "recorded_at": at + timedelta(minutes=2), "amends_uuid": None,
            "links": []}
        content = decision_log.content_hash(fields, prev)
        hub = decision_log.hub_hash(hub_prev, content)
        rows.append((fields["uuid"], device, i + 1, to_utc_text(at), fields["decision_maker"],
                     fields["decision_maker_role"], fields["decision"], fields["rationale"], "", "",
                     json.dumps(fields["situation_snapshot"]), None, "Room support",
                     to_utc_text(fields["recorded_at"]), None, "[]", content, prev, i + 1, hub_prev, hub,
                     to_utc_text(fields["recorded_at"] + timedelta(seconds=5))))
        prev, hub_prev = content, hub
    with store.raw() as conn:
        with conn:
            conn.executemany(
                "INSERT INTO decision_entry (uuid, device_id, device_seq, decided_at, decision_maker, "
                "decision_maker_role, decision, rationale, options_considered, information_available, "
                "situation_snapshot, review_at, recorded_by, recorded_at, amends_uuid, links, content_hash, "
                "prev_device_hash, hub_seq, hub_prev_hash, hub_hash, hub_received_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def test_0029_on_a_replica_with_a_year_of_decisions_upgrades_keeps_every_chain_and_downgrades(tmp_path):
    path = tmp_path / "scc.db"
    t0 = time.perf_counter()
    before = old_replica.before(path, BEFORE, days=2, providers=40)
    with old_replica.held(path) as store:
        held = _year_of_decisions(store)
    built = time.perf_counter() - t0

    t0 = time.perf_counter()
    with Store.unlock(path, PASSPHRASE) as store:   # opened as the app opens it: upgraded in place
        upgraded = time.perf_counter() - t0
        assert store.schema_revision() == migrate.head_revision() and migrate.head_revision() >= "0029"
        with store.session() as s:
            assert s.execute(text("SELECT count(*), count(hub_author) FROM decision_entry")).one() == (held, 0)
            report = records_verify.verify(s)
        # The fixture's outbox holds 25 unsent 'decision' records that are not decisions (old_replica's stand-ins
        # for an outbox to keep): verify names each; none of the log's entries is named.
        assert report.entries == held and report.hub_head.entries == held and report.device_heads[0].seq == held
        named = {p.uuid for p in report.problems}
        assert len(named) == 25 and all(u.startswith("10000000-") for u in named), report.problems[:3]
    assert old_replica.without_revision(old_replica.fingerprint(path)) == old_replica.without_revision(before)

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        with store.engine.connect() as conn:
            assert "hub_author" not in {r[1] for r in conn.execute(text("PRAGMA table_info(decision_entry)"))}
            assert conn.execute(text("SELECT count(*) FROM decision_entry")).scalar() == held
    print(f"built {built:.1f} s; upgraded {upgraded:.2f} s; downgraded {downgraded:.2f} s; {held} decisions")
