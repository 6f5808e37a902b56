"""Benchmark: ``/m/``'s first read on a hub holding a year of feed, with the room read by a reader of its own
(before session 29) or through the hub process's one reader, shared with the escalation channels (after).

The room (open alerts, acknowledgements, the directory, the rota) is read from the feed by
``sync.hub.escalation_room.RoomReader``: its first refresh replays every ``alert`` item and room record since
position 0, selecting them by kind (through ``ix_feed_kind_seq`` since session 29; before it, from every item).
At the hub's start the escalation check refreshes its reader first; ``/m/``'s board then read the room again with
a reader of its own (the third reader of the feed, beside the e-mail check's and the pager's, which session 28
merged).

The hub database (SQLite, built once into ``--db``, reused): 40 providers, a year of 15-minute data at the
year fixture's rate (13,805,760 positions: 9,706,080 observations with their ``feed_observation`` rows and
4,099,680 OPEL assessments, in time order), a year of alerts as ``tests/sync/hub/test_escalation_reader_shared``
writes them (21,900 raised and cleared, half acknowledged: 54,750 items) and a rota.  The items' JSON is
shorter than a real hub's (an assessment here is about 200 bytes, about 2 KB on a hub), so every scan time
below is a lower bound.

Each mode runs in a process of its own: the escalation check's first refresh (as the hub's start makes it),
then the board's first read (``BoardReader.read``, what the hub's warm-up does; the week ahead's thread left
out of both modes), each timed, the board's read of the room within it too (``board_room_s``), with the
process's resident memory (``VmRSS``) after each.  ``hub_open_s`` is the hub's start on the database (a hub from
before an index makes it then, once); ``board_phases_s`` the first read's parts, each named as the page names what
it is reading (``BoardReader._reading``).  What a restart does before a phone can have figures is
``escalation_refresh_s`` and ``board_first_read_s`` together.

Usage::

    .venv/bin/python benchmarks/bench_board_room.py --db /tmp/year-hub.db            # builds it (once), both modes
    .venv/bin/python benchmarks/bench_board_room.py --db /tmp/year-hub.db --days 30  # a smaller hub
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROVIDERS = 40
SLOTS_A_DAY = 96
OBSERVATIONS_A_SLOT = 277     # 9,706,080 a year over 35,040 slots
ASSESSMENTS_A_SLOT = 117      # 4,099,680 a year
ALERTS_A_DAY = 60             # raised and cleared, half acknowledged (54,750 items a year with the acks)
HANDOVER = ("ambulances_waiting_count", "longest_handover_wait_minutes", "handovers_over_60_count")


def _text(dt: datetime) -> str:
    from models.replica.utc import to_utc_text

    return to_utc_text(dt)


def build(path: Path, days: int) -> dict:
    """The hub database: schema, organisations and a room by the hub's own code, the year's feed by bulk insert."""
    from sync.hub import orgs as hub_orgs
    from sync.hub import records
    from sync.hub.auth import Principal
    from sync.hub.core import Hub, HubConfig

    began = time.monotonic()
    url = f"sqlite:///{path}"
    hub = Hub(HubConfig(db_url=url))
    codes = [f"RY{i:03d}" for i in range(PROVIDERS)]
    hub_orgs.upsert(hub, [hub_orgs.OrgSpec(code, f"Year Trust {i}", "acute" if i < 22 else "community", 500.0)
                          for i, code in enumerate(codes)])
    with hub.db.read() as conn:
        head = hub.db.head(conn)
    hub.close()
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = now - timedelta(days=days)
    rng = random.Random(29)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    seq = head
    acks: list[dict] = []
    feed_rows, obs_rows = [], []

    def flush():
        db.executemany("INSERT INTO feed (seq, kind, org_code, data, created_at) VALUES (?, ?, ?, ?, ?)", feed_rows)
        db.executemany("INSERT INTO feed_observation (seq, org_code, metric, observed_at, value, source, received_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)", obs_rows)
        feed_rows.clear()
        obs_rows.clear()

    for slot in range(days * SLOTS_A_DAY):
        at = start + timedelta(minutes=15 * slot)
        t = _text(at)
        iso = at.isoformat()
        for k in range(OBSERVATIONS_A_SLOT):
            seq += 1
            org = codes[k % PROVIDERS]
            metric = HANDOVER[k % 3] if k % 7 == 0 else f"metric_{k % 9}"
            value = float(rng.randint(0, 40))
            feed_rows.append((seq, "observation", org, json.dumps(
                {"org_code": org, "metric": metric, "value": value, "observed_at": iso, "received_at": iso,
                 "submission_id": f"s{slot}-{k // 9}", "source": "provider"}), t))
            obs_rows.append((seq, org, metric, t, value, "provider", t))
        for k in range(ASSESSMENTS_A_SLOT):
            seq += 1
            org = codes[k % PROVIDERS]
            scope = "provider" if k < 80 else "pillar" if k < 116 else "system"
            feed_rows.append((seq, "opel_assessment", org if scope == "provider" else None, json.dumps(
                {"scope": scope, "org_code": org if scope == "provider" else None, "assessed_at": iso,
                 "level": 2 + (slot + k) % 3 // 2, "declared_level": None, "complete": True, "total": 41.5}), t))
        # ALERTS_A_DAY raises a day, each cleared 40 minutes on; every other one acknowledged.
        for k in range(ALERTS_A_DAY * slot // SLOTS_A_DAY, ALERTS_A_DAY * (slot + 1) // SLOTS_A_DAY):
            org = codes[k % PROVIDERS]
            uid = str(uuid.uuid4())
            base = {"alert_uuid": uid, "rule_id": "opel_provider_4", "rule_name": "A provider's OPEL level rose to 4",
                    "severity": "critical", "kind": "level", "direction": "above", "scope": "provider",
                    "subject": org, "org_code": org, "metric": "opel_level", "value": 4.0, "threshold": 4.0,
                    "since": iso, "escalate_after_minutes": 60, "detail": "OPEL 4"}
            seq += 1
            feed_rows.append((seq, "alert", org, json.dumps({**base, "change": "raised", "at": iso}), t))
            seq += 1
            feed_rows.append((seq, "alert", org, json.dumps(
                {**base, "change": "cleared", "at": (at + timedelta(minutes=40)).isoformat()}), t))
            if k % 2:
                acks.append({"uuid": str(uuid.uuid4()), "kind": "alert_ack", "device_id": str(uuid.uuid4()),
                             "authored_at": iso, "data": {"alert_uuid": uid,
                                                          "acknowledged_at": (at + timedelta(minutes=5)).isoformat(),
                                                          "acknowledged_by": "Ana", "note": "seen"}})
        if len(feed_rows) > 200_000:
            flush()
    flush()
    db.execute("UPDATE feed_counter SET value = ? WHERE id = 1", (seq,))
    db.commit()
    db.close()
    hub = Hub(HubConfig(db_url=url))
    room = Principal(1, "bench-room", "room_lead", None)
    for i in range(0, len(acks), 1000):   # the hub's own intake: record rows and their feed items
        records.push(hub, room, {"records": acks[i:i + 1000]})
    with hub.db.read() as conn:
        head = hub.db.head(conn)
    hub.close()
    return {"positions": head, "days": days, "acks": len(acks), "built_s": round(time.monotonic() - began, 1)}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(path: Path, mode: str) -> dict:
    """In this process: the escalation check's first refresh, then the board's first read."""
    from sync.hub.core import Hub, HubConfig
    from sync.hub.escalation_room import RoomReader
    from sync.hub.web.board import BoardReader

    load = os.getloadavg()[0]
    began = time.monotonic()
    hub = Hub(HubConfig(db_url=f"sqlite:///{path}"))   # a hub from before an index makes it here (once)
    opened = round(time.monotonic() - began, 2)
    try:
        gc.collect()
        out = {"mode": mode, "rss_start_mb": round(_rss_mb(), 1), "load": load, "hub_open_s": opened}
        began = time.monotonic()
        hub.room_reader.refresh(hub.db)   # the escalation check's first step at the start
        out["escalation_refresh_s"] = round(time.monotonic() - began, 2)
        gc.collect()
        out["rss_after_escalation_mb"] = round(_rss_mb(), 1)
        phases: list[tuple[str, float]] = []

        class Timed(BoardReader):   # each phase of the first read, by what the page would say it is reading
            def __setattr__(self, name, value):
                if name == "_reading" and value:
                    phases.append((value, time.monotonic()))
                super().__setattr__(name, value)

        board = Timed(hub)
        board.week.latest = lambda now: None   # the week ahead's own thread left out of both (a read of its own)
        if mode == "own":   # before session 29: the board's reader of its own
            board._room = RoomReader()
        assert (board._room is hub.room_reader) == (mode == "shared")
        room_s = []
        reading = board._room.read

        def timed(db):   # the board's read of the room, within its first read
            began = time.monotonic()
            try:
                return reading(db)
            finally:
                room_s.append(time.monotonic() - began)

        board._room.read = timed
        began = time.monotonic()
        snap = board.read()
        ended = time.monotonic()
        out["board_first_read_s"] = round(ended - began, 2)
        out["board_phases_s"] = {what: round((phases[i + 1][1] if i + 1 < len(phases) else ended) - at, 2)
                                 for i, (what, at) in enumerate(phases)}
        out["board_room_s"] = round(sum(room_s), 2)
        gc.collect()
        out["rss_after_board_mb"] = round(_rss_mb(), 1)
        out["board_rss_mb"] = round(out["rss_after_board_mb"] - out["rss_after_escalation_mb"], 1)
        out["open_alerts"] = len(snap.alerts)
        return out
    finally:
        hub.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="the hub database (built when missing)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--mode", choices=("own", "shared"), help="(internal) measure one mode in this process")
    parser.add_argument("--runs", type=int, default=2, help="runs of each mode, interleaved")
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(measure(args.db, args.mode)))
        return 0
    if not args.db.exists():
        print(json.dumps({"built": build(args.db, args.days)}), flush=True)
    print(json.dumps({"size_gb": round(args.db.stat().st_size / 1e9, 2)}), flush=True)
    for _ in range(args.runs):
        for mode in ("own", "shared"):
            done = subprocess.run([sys.executable, __file__, "--db", str(args.db), "--mode", mode],
                                  capture_output=True, text=True, timeout=3600,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(done.stdout.strip() or done.stderr[-2000:], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
