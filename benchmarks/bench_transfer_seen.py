"""Mending a desktop upgraded after the others: 3,500 transfer cases of six changes each (21,000 changes), 70
of them in conflict (a cancellation made offline, then a step on a desktop that had not received it), held by a
real hub on loopback (SQLite) and synced to a real encrypted replica, which is then made as a desktop upgraded
after the others holds it (schema back to 0020, no ``seen``; opened by this version: 0021 leaves ``seen`` NULL).

Measured: the upgrade on open; the mend to completion through the hub (``sync.transfer_seen.mend``); and the
same as the sync engine does it, one cycle at a time (:data:`sync.transfer_seen.BUDGET_S` of work a cycle),
each cycle's time.  ``--cases`` for a smaller run.

    .venv/bin/python benchmarks/bench_transfer_seen.py [--cases 3500]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.replica import keyfile  # noqa: E402
from models.replica.store import Store  # noqa: E402
from sync import transfer_seen  # noqa: E402
from sync.client import HubClient  # noqa: E402
from sync.engine import SyncEngine  # noqa: E402
from tests.models.conftest import FAST_KDF, PASSPHRASE  # noqa: E402
from tests.records.test_transfer_seen_mended import downgrade  # noqa: E402
from tests.support.hub import start_hub  # noqa: E402
from tests.support.replica import fresh_replica  # noqa: E402

A, B = str(uuid.UUID(int=0xA)), str(uuid.UUID(int=0xB))
T0 = datetime.now(timezone.utc) - timedelta(days=30)


def _t(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _records(cases: int, clashes: int) -> list[dict]:
    out = []

    def ev(device, case, at, field, old, new, seen=()):
        out.append({"uuid": str(uuid.uuid4()), "kind": "transfer_event", "device_id": device, "authored_at": at,
                    "data": {"transfer_uuid": case, "field": field, "old_value": old, "new_value": new, "at": at,
                             "author": f"Lead {device[-1]}", "seen": list(seen)}})

    every = max(1, cases // max(1, clashes))
    for n in range(cases):
        case, m = str(uuid.uuid4()), n * 0.01
        ev(A, case, _t(m), "created", None, json.dumps({
            "local_ref": f"T-{n:05d}", "kind": "inter_hospital", "from_code": "RAA", "to_code": "RBB",
            "clinical_need": "", "priority": "urgent", "status": "requested", "requested_at": _t(m), "owner": None}))
        ev(A, case, _t(m + 10), "status", "requested", "accepted")
        ev(A, case, _t(m + 10), "accepted_at", None, _t(m + 10))
        ev(A, case, _t(m + 30), "status", "accepted", "departed")
        if n % every == 0 and n // every < clashes:   # B cancels offline; A marks arrived not having received it
            ev(B, case, _t(m + 35), "status", "requested", "cancelled")
        else:
            ev(A, case, _t(m + 30), "departed_at", None, _t(m + 30))
        ev(A, case, _t(m + 60), "status", "departed", "arrived")
    return out


def _conflicts(store) -> int:
    with store.reading() as conn:
        return conn.execute("SELECT count(*) FROM transfer WHERE has_conflict").fetchall()[0][0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=3500)
    ap.add_argument("--clashes", type=int, default=70)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-seen-") as tmp:
        folder = Path(tmp)
        hub = start_hub(folder)
        try:
            records = _records(args.cases, args.clashes)
            t = time.perf_counter()
            for i in range(0, len(records), 1000):
                resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records[i:i + 1000]},
                                   timeout=600)
                assert resp.status_code == 200 and all(r["status"] == "stored" for r in resp.json()["results"])
            pushed = time.perf_counter() - t
            store = fresh_replica(folder / "b" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
            engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"], read_timeout=120))
            t = time.perf_counter()
            while engine.run_once().applied:
                pass
            synced = time.perf_counter() - t
            held = _conflicts(store)
            path, key = store.path, keyfile.unlock(store.path, PASSPHRASE)[0]
            downgrade(store, "0020")
            store.close()
            t = time.perf_counter()
            store = Store(path, key, "aegis")
            upgraded = time.perf_counter() - t
            before = _conflicts(store)
            with store.reading() as conn:
                nulls = conn.execute("SELECT count(*) FROM transfer_event WHERE seen IS NULL").fetchall()[0][0]
            client = HubClient(hub.url, hub.tokens["room_lead"])
            engine = SyncEngine(store, client)
            cycles = []
            while True:   # the engine's way: each cycle pulls the feed, then mends for BUDGET_S
                t = time.perf_counter()
                result = engine.run_once()
                cycles.append(time.perf_counter() - t)
                assert result.error is None, result.error
                if engine.transfer_seen.last is None or engine.transfer_seen.last.done:
                    break
            after = _conflicts(store)
            with store.reading() as conn:
                left = conn.execute("SELECT count(*) FROM transfer_event WHERE seen IS NULL").fetchall()[0][0]
                conn_marker = conn.execute("SELECT value FROM replica_meta WHERE key = ?",
                                           (transfer_seen.MARK_KEY,)).fetchall()
            # The same from scratch in one call (no budget): marker cleared, seen NULL again.
            with store.engine.begin() as conn:
                conn.exec_driver_sql("UPDATE transfer_event SET seen = NULL")
                conn.exec_driver_sql("DELETE FROM replica_meta WHERE key = ?", (transfer_seen.MARK_KEY,))
            t = time.perf_counter()
            whole = transfer_seen.mend(store.engine, transfer_seen.hub_asker(client, engine._hub_id_kept))
            one_call = time.perf_counter() - t
            t = time.perf_counter()
            again = transfer_seen.mend(store.engine, transfer_seen.hub_asker(client, engine._hub_id_kept))
            idle = time.perf_counter() - t
            store.close()
        finally:
            hub.stop()
    print(json.dumps({
        "cases": args.cases, "changes": len(records), "conflicts_held_before_upgrade": held,
        "push_s": round(pushed, 1), "sync_s": round(synced, 1), "upgrade_on_open_s": round(upgraded, 2),
        "null_seen_after_upgrade": nulls, "conflicts_after_upgrade": before,
        "engine_cycles": len(cycles), "cycle_s": [round(c, 2) for c in cycles],
        "conflicts_after_mend": after, "null_seen_left": left, "marker": conn_marker,
        "one_call": {"s": round(one_call, 2), "asked": whole.asked, "given": whole.given, "cases": whole.cases,
                     "requests": -(-whole.asked // transfer_seen.ASK_MAX)},
        "again_s": round(idle, 4), "again_asked": again.asked}, indent=1))


if __name__ == "__main__":
    main()
