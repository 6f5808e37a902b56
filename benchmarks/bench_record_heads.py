"""The hub's decision chain heads (``GET /v1/records/heads``, sync/hub/record_heads.py): how long the read
takes on a hub holding ``--decisions`` decisions from ``--devices`` desktops, and that it is index reads.

A real hub database (SQLite) filled through the hub's own store (``sync.hub.records._store``: feed rows,
``record``, ``decision_number``, the hub chain), each decision's data padded with ~2 KB of snapshot text,
then a real hub process on it.  Printed: the query plan of the heads read (no SCAN of ``decision_number``,
``record`` or ``feed``), the in-process read (``--runs`` times; median and longest) and the HTTP request
from a desktop's client (same).

    python benchmarks/bench_record_heads.py [--decisions 2950] [--devices 8] [--runs 50] [--dir DIR]

docs/records.md has the numbers at 2,950 and 30,000.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
import time
import uuid as uuidlib
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def fill(db_url: str, decisions: int, devices: int) -> float:
    """``decisions`` decisions round the ``devices`` desktops, stored as the hub stores a push; seconds taken."""
    from sync import protocol as p
    from sync.hub import records
    from sync.hub.auth import Principal
    from sync.hub.db import HubDB

    db = HubDB(db_url)
    db.init_schema()
    who = Principal(token_id=1, user="bench", role="room_lead", org_code=None)
    ids = [str(uuidlib.uuid4()) for _ in range(devices)]
    last: dict[str, str | None] = dict.fromkeys(ids)
    pad = "x" * 2000
    at = datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat()
    started = time.perf_counter()
    for start in range(0, decisions, 500):
        with db.write() as w:
            for n in range(start, min(decisions, start + 500)):
                device = ids[n % devices]
                digest = hashlib.sha256(f"{n}".encode()).hexdigest()
                rec = p.RecordPush(uuid=str(uuidlib.uuid4()), kind="decision", device_id=device, authored_at=at,
                                   data={"device_seq": n // devices + 1, "content_hash": digest,
                                         "prev_device_hash": last[device], "decision": f"Decision {n}",
                                         "situation_snapshot": {"notes": pad}})
                records._store(w, who, rec)
                last[device] = digest
    db.dispose()
    return time.perf_counter() - started


def plan(db_url: str) -> list[str]:
    from sqlalchemy import text

    from sync.hub import record_heads
    from sync.hub.db import HubDB

    db = HubDB(db_url)
    with db.read() as conn:
        rows = [r[-1] for r in conn.execute(text("EXPLAIN QUERY PLAN " + str(record_heads._DEVICE_HEADS)))]
    db.dispose()
    return rows


def timed_reads(db_url: str, runs: int) -> list[float]:
    from sync.hub import record_heads
    from sync.hub.db import HubDB

    db = HubDB(db_url)
    db.init_schema()
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        with db.read() as conn:
            record_heads.heads(conn, db.hub_id, db.head(conn))
        out.append(time.perf_counter() - t)
    db.dispose()
    return out


def timed_requests(url: str, token: str, runs: int) -> tuple[list[float], object]:
    from sync.client import HubClient

    client = HubClient(url, token)
    out, heads = [], None
    for _ in range(runs):
        t = time.perf_counter()
        heads = client.record_heads()
        out.append(time.perf_counter() - t)
    return out, heads


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, longest {max(values) * 1000:.1f} ms"


def run(decisions: int, devices: int, runs: int, folder: Path) -> dict:
    from tests.support.hub import HubProcess, seed

    db_url = f"sqlite:///{folder / 'hub.db'}"
    tokens = seed(db_url)
    filled = fill(db_url, decisions, devices)
    steps = plan(db_url)
    reads = timed_reads(db_url, runs)
    hub = HubProcess(db_url, folder, tokens).start()
    try:
        requests_, heads = timed_requests(hub.url, tokens["room_lead"], runs)
    finally:
        hub.stop()
    size = (folder / "hub.db").stat().st_size
    print(f"{decisions} decisions from {devices} desktops ({size / 1e6:.0f} MB hub database, filled in {filled:.1f} s)")
    print("query plan: " + " | ".join(steps))
    print(f"heads read in the hub ({runs} runs): {_ms(reads)}")
    print(f"GET /v1/records/heads from a desktop's client ({runs} runs): {_ms(requests_)}")
    print(f"answer: {len(heads.devices)} device heads, hub head at hub_seq {heads.hub.position}")
    return {"plan": steps, "reads": reads, "requests": requests_, "heads": heads}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=2950)
    parser.add_argument("--devices", type=int, default=8)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--dir", type=Path, default=None, help="where the hub database goes (default: a temp dir)")
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench-heads-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        run(args.decisions, args.devices, args.runs, folder)
    finally:
        if args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
