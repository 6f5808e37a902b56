"""Benchmark: a new desktop's first sync of a real ICS (``sync.apply.apply_batch``), before and after.

The world is the one the /m/ weight test syncs (``tests.web.ics_world``): a real hub on loopback holding
``--acute`` acute sites (40) and the ICS's other providers, ``--days`` (28) of the acute sites' handovers
and hourly occupancy, two hours of everyone's OPEL tables, the alerts the hub raised on them, intake
notices and a room's records.  The hub's whole feed is read once, as a desktop's engine reads it (columnar,
a first batch of 5,000 positions, then the hub's maximum), and kept in memory; then two fresh encrypted
replicas get the same batches: one applied by ``sync/apply.py`` at git revision ``--baseline`` (default
``main``), one by the working tree's (the modules ``sync/apply.py`` imports, e.g. ``sync/apply_alerts.py``,
are the working tree's for both: compare whole trees with two checkouts if those changed too).  Repeats
alternate which goes first.  Timed: the ``apply_batch``
calls (wall and this process's CPU).  Both replicas must end with the same rows (apply times aside).

Usage::

    .venv/bin/python benchmarks/bench_apply_catch_up.py                      # 28 days, 40 acute sites
    .venv/bin/python benchmarks/bench_apply_catch_up.py --baseline a63ac286 --doc docs/benchmarks.md
    .venv/bin/python benchmarks/bench_apply_catch_up.py --profile            # cProfile of the working tree's
    .venv/bin/python benchmarks/bench_apply_catch_up.py --days 2 --acute 12 --repeats 1  # a smoke run (11 sites at least: the room's records name 11)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync`, `tests` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report, source_at  # noqa: E402
from benchmarks.bench_apply import APPLY  # noqa: E402

PASSPHRASE = "bench first sync passphrase"
# Set when applied, not taken from the feed: they differ between any two applies.
APPLY_TIME = {"received_at", "updated_at", "last_sync_at"}
SKIPPED_TABLES = {"replica_meta"}


def read_feed(days: int, acute: int, progress=print, limit: int | None = None) -> tuple[list, dict]:
    """The hub's whole feed for the ICS world (at least 11 acute sites), as a desktop's engine reads it
    (or in batches of ``limit`` positions): ``(batches, composition)``."""
    from sync.client import HubClient
    from sync.engine import FIRST_BATCH
    from sync.hub.schema import utcnow
    from sync.protocol import MAX_COLUMNAR_BATCH
    from tests.support.hub import start_hub
    from tests.web import ics_world

    folder = Path(tempfile.mkdtemp(prefix="scc-bench-first-sync-hub-"))
    hub = start_hub(folder, orgs=ics_world.orgs(acute))
    try:
        t0 = time.perf_counter()
        ics_world.send(hub, utcnow(), days=days, acute=acute)
        progress(f"world sent to the hub in {time.perf_counter() - t0:.1f} s")
        client = HubClient(hub.url, hub.tokens["room_lead"])
        batches, after, size = [], 0, limit or FIRST_BATCH
        while True:
            batch = client.feed(after, size, columnar=True)
            batches.append(batch)
            if batch.next_after >= batch.head:
                break
            after, size = batch.next_after, limit or MAX_COLUMNAR_BATCH
        client.close()
    finally:
        hub.stop()
        shutil.rmtree(folder, ignore_errors=True)
    kinds = Counter(i.kind for b in batches for i in b.items)
    kinds["observation (columns)"] = sum(len(b.observations.seq) for b in batches if b.observations)
    return batches, dict(kinds.most_common())


def rows(store) -> dict:
    """Every row of every table the apply writes, each value as SQLite's ``quote()``, apply times aside."""
    out = {}
    with store.raw() as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            if table in SKIPPED_TABLES:
                continue
            cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table})") if r[1] not in APPLY_TIME]
            quoted = ", ".join(f'quote("{c}")' for c in cols)
            out[table] = raw.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid').fetchall()
    return out


def run(args) -> dict:
    from sync import apply as current
    from sync.engine import catalogue_validator
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica

    baseline = None if args.profile else source_at.load(APPLY, args.baseline, args.baseline_file)
    impls = {"before": baseline, "after": current}
    names = ["after"] if args.profile else ["before", "after"]
    batches, composition = read_feed(args.days, args.acute, progress=lambda line: print(line, file=sys.stderr))
    validator = catalogue_validator()
    tmp = Path(tempfile.mkdtemp(prefix="scc-bench-first-sync-"))
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    reports: dict[str, dict] = {}
    same = None
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    try:
        for r in range(args.repeats):
            order = names if r % 2 == 0 else names[::-1]
            stores = {}
            for name in order:
                store = stores[name] = fresh_replica(tmp / f"{name}-{r}" / "replica.db", PASSPHRASE, kdf=FAST_KDF)
                applied = quarantined = 0
                if profiler is not None:
                    profiler.enable()
                c0, t0 = time.process_time(), time.perf_counter()
                for batch in batches:
                    result = impls[name].apply_batch(store, batch, validator)
                    applied, quarantined = applied + result.applied, quarantined + result.quarantined
                wall[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                if profiler is not None:
                    profiler.disable()
                reports[name] = {"applied": applied, "quarantined": quarantined}
            if len(stores) == 2:
                same = (same is not False) and rows(stores["before"]) == rows(stores["after"])
            for store in stores.values():
                store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if same is False:
        raise RuntimeError("the two replicas differ after the same batches")
    if profiler is not None:
        import pstats
        pstats.Stats(profiler).sort_stats(args.profile_sort).print_stats(args.profile_lines)
    positions = sum(len(b.items) + (len(b.observations.seq) if b.observations else 0) for b in batches)
    out = {"days": args.days, "acute": args.acute, "batches": len(batches), "positions": positions,
           "composition": composition, "baseline": args.baseline_file or args.baseline, "repeats": args.repeats,
           "same_rows": same, "load": report.load(), "reports": reports, "doc": args.doc}
    for name in names:
        out[name] = {"median_s": statistics.median(wall[name]), "cpu_median_s": statistics.median(cpu[name]),
                     "samples_s": wall[name], "cpu_samples_s": cpu[name]}
    if "before" in out:
        out["ratio_after_before"] = out["after"]["median_s"] / out["before"]["median_s"]
        out["cpu_ratio_after_before"] = out["after"]["cpu_median_s"] / out["before"]["cpu_median_s"]
    return out


def markdown(out: dict) -> str:
    lines = [
        "## A new desktop's first sync of a real ICS (bench_apply_catch_up.py)", "",
        f"`benchmarks/bench_apply_catch_up.py` reads a real hub's whole feed for the /m/ weight test's world "
        f"({out['acute']} acute sites and the ICS's other providers, {out['days']} days of handovers and occupancy; "
        f"{out['positions']:,} positions in {out['batches']} batches: "
        + ", ".join(f"{k} {v:,}" for k, v in out["composition"].items())
        + f") and applies it to two fresh replicas: `sync/apply.py` at `{out['baseline']}` and the working tree's; "
        f"{out['repeats']} interleaved repeats, load {report.fmt(out['load'], '.1f')} on 2 shared cores (what "
        f"`sync/apply.py` imports is the working tree's for both).", "",
        "| apply | wall median | CPU median |", "|---|---:|---:|",
    ]
    for name in ("before", "after"):
        r = out[name]
        lines.append(f"| {name} | {r['median_s']:.2f} s | {r['cpu_median_s']:.2f} s |")
    lines += ["", f"Ratio after/before {out['ratio_after_before']:.3f} (wall), {out['cpu_ratio_after_before']:.3f} "
                  f"(CPU); both replicas end with the same rows; {out['reports']['after']['quarantined']} items "
                  f"quarantined either way."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--acute", type=int, default=40, help="acute sites (up to 40)")
    parser.add_argument("--repeats", type=int, default=3)
    source_at.add_arguments(parser, APPLY)
    parser.add_argument("--profile", action="store_true", help="profile the working tree's apply only")
    parser.add_argument("--profile-lines", type=int, default=40)
    parser.add_argument("--profile-sort", default="tottime")
    parser.add_argument("--doc", help="put the results into this report (e.g. docs/benchmarks.md)")
    out = report.run_keeping_json(parser, run, argv)
    for name in ("before", "after"):
        if name in out:
            r = out[name]
            print(f"{name:6s} median {r['median_s']:7.2f} s wall, {r['cpu_median_s']:7.2f} s CPU  "
                  f"(wall samples {', '.join(f'{s:.2f}' for s in r['samples_s'])})")
    if "ratio_after_before" in out:
        print(f"ratio after/before (medians): wall {out['ratio_after_before']:.3f}, CPU "
              f"{out['cpu_ratio_after_before']:.3f}; same rows: {out['same_rows']}")
    print(f"{out['positions']} positions in {out['batches']} batches: {out['composition']}; "
          f"reports {out['reports']}; load {out['load']}")
    if out["doc"] and "before" in out:
        report.update_doc(Path(out["doc"]), "apply-catch-up", markdown(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
