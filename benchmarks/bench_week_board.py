"""The week ahead on /m/: the hub's follower (``sync.hub.web.week_board``) on a realistic hub.

The hub: 22 acute sites, the simulator's five real trusts' days replayed (as ``bench_forecast.py
--parts week`` builds its replica), 85 days to Mon 12 Jan 2026 09:40 of hourly occupancy and every
handover, each sent as its "arrived" item and its "handed_over" item, written in time order (a
position's ``created_at`` is when it came), on SQLite.  Built once into ``benchmarks/.cache``.

Measured: the first read (every position since ``KEPT`` before the newest, folded into the mirror, and
the desktop's door run on it), a later read with a quarter of an hour's new items, and a read with
nothing new (the door alone); wall and CPU time, the process's resident memory before and after,
and the mirror's rows and file size.

    python benchmarks/bench_week_board.py [--sites 22] [--days 85] [--repeats 5] [--cache DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NOW = datetime(2026, 1, 12, 9, 40, tzinfo=timezone.utc)
AMBULANCE = "RWAMB"


CACHE = ROOT / "benchmarks" / ".cache"


def path_for(sites: int, days: int, cache: Path = CACHE) -> Path:
    return Path(cache) / f"hub-week-{sites}s-{days}d" / "hub.db"


def build(sites: int, days: int, cache: Path = CACHE) -> Path:
    from sqlalchemy import insert

    from models.service.week_ahead import OCCUPANCY
    from sync.hub import schema as s
    from sync.hub.db import HubDB
    from tests.forecast.intraday_world import simulator

    path = path_for(sites, days, cache)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name("building.db")
    building.unlink(missing_ok=True)
    db = HubDB(f"sqlite:///{building}")
    db.init_schema()
    world = simulator()
    shapes = [o.code for o in world.acute]
    codes = [f"RW{k:03d}" for k in range(sites)]
    end = NOW.replace(minute=0)
    with db.write() as w:
        w.now = end - timedelta(days=days + 1)
        for k, code in enumerate(codes):
            w.conn.execute(insert(s.organisation).values(ods_code=code, name=f"Acute site {k + 1}", sector="acute",
                                                          active=True, updated_at=w.now))
    n = 0
    pending: list[tuple[datetime, str, dict, str]] = []
    for h in range(days * 24, 0, -1):
        hour = end - timedelta(hours=h - 1)
        t = int(hour.timestamp())
        for k, code in enumerate(codes):
            shape = shapes[k % len(shapes)]
            at = hour + timedelta(minutes=30)
            pending.append((at, "observation", {"org_code": code, "metric": OCCUPANCY, "observed_at": at.isoformat(),
                                                "value": world.acute_values(shape, t)[OCCUPANCY], "source": "provider",
                                                "received_at": at.isoformat()}, code))
            for e in world.events_in_hour(shape, t // 3600):
                if e.arrived_at is None:
                    continue
                n += 1
                arrived = datetime.fromtimestamp(e.arrived_at, timezone.utc)
                item = {"ambulance_org": AMBULANCE, "event_uuid": f"{k:08d}-0000-4000-8000-{n:012d}",
                        "hospital_code": code, "state": "arrived", "arrived_at": arrived.isoformat(),
                        "updated_at": arrived.isoformat()}
                pending.append((arrived, "handover", item, AMBULANCE))
                if e.handed_over_at is not None and e.handed_over_at <= NOW.timestamp():
                    handed = datetime.fromtimestamp(e.handed_over_at, timezone.utc)
                    pending.append((handed, "handover", {**item, "state": "handed_over",
                                                         "handed_over_at": handed.isoformat(),
                                                         "updated_at": handed.isoformat()}, AMBULANCE))
        if h % 24 == 0 or h == 1:   # a day's items at a time, in time order
            pending.sort(key=lambda x: x[0])
            with db.write() as w:
                for at, kind, data, org in pending:
                    w.now = min(at, NOW)
                    w.emit(kind, data, org)
            pending = []
    db.dispose()
    building.rename(path)
    return path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(sites: int, days: int, repeats: int, cache: Path = CACHE) -> str:
    from sqlalchemy import func, select

    from sync.hub import schema as s
    from sync.hub.db import HubDB
    from sync.hub.web.week_board import WeekBoard

    import shutil
    import tempfile

    copy = Path(tempfile.mkdtemp(prefix="bench-week-board-")) / "hub.db"   # later reads add items: to a copy
    shutil.copy2(path_for(sites, days, cache), copy)
    db = HubDB(f"sqlite:///{copy}")
    with db.read() as conn:
        head = db.head(conn)
        handovers = conn.execute(select(func.count()).where(s.feed.c.kind == "handover")).scalar()
    import models.service.week_ahead  # noqa: F401 - imported before the first measure, as in a running hub

    before = rss_mb()
    board = WeekBoard(db)
    start, cpu = time.perf_counter(), time.process_time()
    week = board.read(NOW)
    first = (time.perf_counter() - start, time.process_time() - cpu)
    after = rss_mb()
    sizes = board.sizes()
    made = sum(bool(x.forecast.days) for p in week.places.values() for x in p.series.values())
    total = sum(len(p.series) for p in week.places.values())
    same = []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        board.read(NOW)
        same.append((time.perf_counter() - start, time.process_time() - cpu))
    # A quarter of an hour's new items: the newest positions written again under new ids and times.
    later = []
    with db.read() as conn:
        rows = conn.execute(select(s.feed.c.kind, s.feed.c.org_code, s.feed.c.data)
                            .where(s.feed.c.seq > head - 400).order_by(s.feed.c.seq)).all()
    import json

    for r in range(repeats):
        with db.write() as w:
            for i, (kind, org, text) in enumerate(rows[:100]):
                data = json.loads(text)
                if kind == "handover":
                    data["event_uuid"] = f"ffffffff-{r:04d}-4000-8000-{i:012d}"
                w.emit(kind, data, org)
        start, cpu = time.perf_counter(), time.process_time()
        board.read(NOW)
        later.append((time.perf_counter() - start, time.process_time() - cpu))
    db.dispose()
    shutil.rmtree(copy.parent, ignore_errors=True)

    def med(runs, k):
        return statistics.median(x[k] for x in runs)
    return (f"hub week board: {sites} acute sites, {days} days, {head:,} feed positions ({handovers:,} handover items)\n"
            f"  first read (follow from KEPT back + the door): wall {first[0]:.2f} s, CPU {first[1]:.2f} s; "
            f"resident memory {before:.0f} MB -> {after:.0f} MB\n"
            f"  mirror: {sizes['handover_event']:,} events, {sizes['observation']:,} occupancy rows, "
            f"file {sizes['file_bytes'] / 1e6:.1f} MB; {made} of {total} series forecast\n"
            f"  later read, nothing new (the door alone): median wall {med(same, 0):.3f} s, CPU {med(same, 1):.3f} s\n"
            f"  later read, 100 new positions: median wall {med(later, 0):.3f} s, CPU {med(later, 1):.3f} s; "
            f"resident memory after {rss_mb():.0f} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=22)
    parser.add_argument("--days", type=int, default=85)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args(argv)
    if args.build_only:
        build(args.sites, args.days, args.cache)
        return 0
    if not path_for(args.sites, args.days, args.cache).exists():   # built in its own process: not measured
        subprocess.run([sys.executable, __file__, "--build-only", "--sites", str(args.sites), "--days",
                        str(args.days), "--cache", str(args.cache)], check=True)
    print(measure(args.sites, args.days, args.repeats, args.cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
