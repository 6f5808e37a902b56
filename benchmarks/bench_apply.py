"""Benchmark: applying one 15-minute feed batch (``sync.apply.apply_batch``), before and after.

Two copies of the same desktop fixture replica (``benchmarks/desktop_fixture.py``,
40 providers by default) get the same batches: the next ticks of the fixture's
feed (columnar observations plus one OPEL assessment item per provider, pillar
and system, each with its parameter scores).  One copy is applied by
``sync/apply.py`` as it is at git revision ``--baseline`` (default ``main``),
the other by the working tree's.  Samples alternate which goes first; the
timed span is the ``apply_batch`` call (its commit included).  At the end both
replicas must hold the same rows (``received_at`` aside), else the run fails.

Usage::

    .venv/bin/python benchmarks/bench_apply.py                    # 30 batches on a 30-day, 40-provider replica
    .venv/bin/python benchmarks/bench_apply.py --days 1 --batches 5 --baseline HEAD~3
    .venv/bin/python benchmarks/bench_apply.py --replica benchmarks/.cache/desktop-365d-40p
    .venv/bin/python benchmarks/bench_apply.py --profile          # cProfile of the working tree's apply
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import desktop_fixture as fixture  # noqa: E402
from benchmarks import report, source_at  # noqa: E402

APPLY = "sync/apply.py"

# What both replicas must agree on (received_at is the apply time, so it is left out).
COMPARED = {
    "observation": "SELECT org_code, metric_code, observed_at, value, source, received_at, feed_seq "
                   "FROM observation WHERE feed_seq > ? ORDER BY id",
    "opel_assessment": "SELECT id, scope, org_code, pillar, assessed_at, table_edition, table_verified, "
                       "total_score, calculated_level, at_least_level, complete, declared_level, "
                       "override_reason, feed_seq FROM opel_assessment WHERE feed_seq > ? ORDER BY id",
    "opel_parameter_score": "SELECT p.id, p.assessment_id, parameter_key, value, band, points, weight, problem "
                            "FROM opel_parameter_score p JOIN opel_assessment a ON a.id = p.assessment_id "
                            "WHERE a.feed_seq > ? ORDER BY p.id",
    "quarantined_record": "SELECT id, source, payload, errors FROM quarantined_record ORDER BY id",
    "feed_cursor": "SELECT feed, position FROM feed_cursor",
}


def _copy(folder: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("replica.db", "replica.db.key"):
        shutil.copy2(folder / name, dest / name)
    return dest / "replica.db"


def _rows(store, head: int) -> dict:
    with store.raw() as raw:
        return {table: raw.execute(sql, (head,) if "?" in sql else ()).fetchall() for table, sql in COMPARED.items()}


def run(args) -> dict:
    from models.replica import ingest
    from models.replica.store import Store
    from sync import apply as current

    baseline = source_at.load(APPLY, args.baseline, args.baseline_file) if not args.profile else None
    if args.replica:
        folder = Path(args.replica)
        meta = json.loads((folder / "fixture.json").read_text(encoding="utf-8"))
    else:
        folder, meta = fixture.ensure(fixture.Scale(args.days, args.providers), Path(args.cache),
                                      progress=lambda line: print(line, file=sys.stderr))
    key = fixture.key_of(folder)
    tmp = Path(tempfile.mkdtemp(prefix="scc-bench-apply-"))
    try:
        names = ["after"] if args.profile else ["before", "after"]
        stores = {name: Store.open_with_key(_copy(folder, tmp / name), key) for name in names}
        impls = {"before": baseline, "after": current}
        feed = fixture.Feed(fixture.Scale(**meta["scale"]))
        validator = ingest.ObservationValidator(
            {m.code: (m.valid_min, m.valid_max) for m in feed.catalogue.metrics.values()})
        t = int(datetime.fromisoformat(meta["end"]).astimezone(timezone.utc).timestamp())
        seq = head = meta["head_seq"]
        times: dict[str, list[float]] = {name: [] for name in names}
        composition = None
        profiler = None
        if args.profile:
            import cProfile
            profiler = cProfile.Profile()
        for n in range(args.warmup + args.batches):
            t += fixture.STEP_S
            batch, seq, n_obs, n_assess = fixture.feed_batch(feed, t, seq, seq)
            composition = {"observations": n_obs, "assessment_items": n_assess,
                           "parameter_scores": sum(len(i.data["parameters"]) for i in batch.items)}
            order = names if n % 2 == 0 else names[::-1]
            for name in order:
                if profiler is not None and n >= args.warmup:
                    profiler.enable()
                t0 = time.perf_counter()
                result = impls[name].apply_batch(stores[name], batch, validator)
                elapsed = (time.perf_counter() - t0) * 1000
                if profiler is not None:
                    profiler.disable()
                if result.quarantined or result.applied != n_obs + n_assess:
                    raise RuntimeError(f"{name}: unexpected report {result}")
                if n >= args.warmup:
                    times[name].append(elapsed)
        same = None
        if not args.profile:
            rows = {name: _rows(store, head) for name, store in stores.items()}
            same = rows["before"] == rows["after"]
            if not same:
                raise RuntimeError("the two replicas differ after the same batches")
        for store in stores.values():
            store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if profiler is not None:
        import pstats
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile_lines)
    out = {"replica": meta["scale"], "baseline": args.baseline_file or args.baseline, "batches": args.batches,
           "warmup": args.warmup, "composition": composition, "same_rows": same, "load": report.load()}
    for name, samples in times.items():
        out[name] = {"median_ms": statistics.median(samples), "min_ms": min(samples),
                     "max_ms": max(samples), "samples_ms": samples}
    if "before" in out:
        out["ratio_after_before"] = out["after"]["median_ms"] / out["before"]["median_ms"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="fixture replica length (built and cached once)")
    parser.add_argument("--providers", type=int, default=40)
    parser.add_argument("--replica", help="an existing fixture folder to copy instead (e.g. desktop-365d-40p)")
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    source_at.add_arguments(parser, APPLY)
    parser.add_argument("--cache", default=str(fixture.CACHE), help="where fixture replicas are kept")
    parser.add_argument("--profile", action="store_true", help="profile the working tree's apply only")
    parser.add_argument("--profile-lines", type=int, default=40)
    out = report.run_keeping_json(parser, run, argv)
    for name in ("before", "after"):
        if name in out:
            r = out[name]
            print(f"{name:6s} median {r['median_ms']:7.1f} ms  (min {r['min_ms']:.1f}, max {r['max_ms']:.1f}, "
                  f"n={len(r['samples_ms'])})")
    if "ratio_after_before" in out:
        print(f"ratio after/before (medians): {out['ratio_after_before']:.3f}; same rows: {out['same_rows']}")
    print(f"batch: {out['composition']}; replica {out['replica']}; load {out['load']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
