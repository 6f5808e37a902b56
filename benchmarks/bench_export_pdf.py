"""Benchmark: a month's records export (``export_records``), seconds per entry, and where the time goes.

A records officer exports a month of the decision log: March 2025 with a decision every 3 hours (248 entries),
each with the whole ICS's situation snapshot as the app takes it (``situation_snapshot.take`` on the 39-provider
ICS of ``tests/records/ics_seed.py``, ~20 KB), varied per entry as a month's would be: its times moved to the
decision's, the providers' levels and the hospitals' queues different each time, the names the same.  Every
fifth provider declares a level with a reason (the seed's), so the snapshot has every part the PDF draws.

The export runs as the app runs it (``models.records.export.records.export_records`` on a real encrypted
replica: CSV, JSON, the streamed PDF, manifest and signature), once to warm up (fonts registered, modules
imported) and then ``--repeats`` times into fresh folders; the figures are the median wall and CPU seconds
(``time.process_time``: less disturbed by other work on the machine) of those, per entry.  ``--profile OUT``
writes a cProfile of one more export and prints its top functions.

``--code DIR`` times another tree's ``models`` (a checkout of the revision before a change: ``git worktree add``
or ``git archive``) on the same entries: the before figure.  ``--db PATH`` keeps the replica there (built when
missing, else reused), so two trees export the very same entries; ``--keep DIR`` leaves the last export there
(to compare the files, the PDF's text with ``pdftotext`` and its pages with ``pdftoppm``).

Usage::

    .venv/bin/python benchmarks/bench_export_pdf.py                      # a month, 3 repeats
    .venv/bin/python benchmarks/bench_export_pdf.py --code /tmp/before   # the same with the old tree's code
    .venv/bin/python benchmarks/bench_export_pdf.py --entries 24 --repeats 1 --profile /tmp/x.prof
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _code_from_argv() -> None:
    """``--code DIR`` must come first on ``sys.path`` before ``models`` is imported."""
    argv = sys.argv[1:]
    code = argv[argv.index("--code") + 1] if "--code" in argv[:-1] else None
    for folder in ([str(ROOT)] + ([str(Path(code).resolve())] if code else [])):
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)


_code_from_argv()

FIRST, LAST = date(2025, 3, 1), date(2025, 3, 31)
START = datetime(2025, 3, 1, 0, 30, tzinfo=timezone.utc)
STEP = timedelta(hours=3)
MONTH = 248   # March 2025, a decision every 3 hours


def _moved(value, delta: timedelta):
    """``value`` (a snapshot's JSON) with every aware time moved by ``delta`` (the export tests' own)."""
    from tests.records.test_export_pdf_same_text import _moved as moved

    return moved(value, delta)


def month_snapshot(base: dict, at: datetime, i: int) -> dict:
    """The base snapshot as taken at ``at``: times moved, the levels and queues of entry ``i``."""
    snap = _moved(copy.deepcopy(base), at - datetime.fromisoformat(base["taken_at"]))
    for k, (code, p) in enumerate(sorted(snap.get("providers", {}).items())):
        calc = 1 + (i + k) % 4
        p["calculated_level"] = calc
        p["level"] = p.get("declared_level") or calc
    for k, (code, h) in enumerate(sorted(snap.get("offload", {}).get("hospitals", {}).items())):
        h["waiting"] = (i + k) % 6
        h["longest_wait_minutes"] = round(12.0 + (i * 7 + k * 13) % 180, 1)
        h["handovers_today"] = (i + k) % 30
    if isinstance(snap.get("system"), dict):
        snap["system"]["level"] = snap["system"]["calculated_level"] = 1 + i % 4
    return snap


def build(path: Path, entries: int):
    """A replica at ``path`` holding ``entries`` decisions from ``START``, every ``STEP``, each with a month's
    snapshot; the one already there when ``path`` exists."""
    from models.queries import situation_snapshot
    from models.replica.store import Store
    from sync import authoring
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.records.ics_seed import SUMMER, seed_ics
    from tests.support.replica import fresh_replica

    if path.exists():
        store = Store.unlock(path, PASSPHRASE)
        with store.session() as s:
            from models.replica.orm import DecisionEntry
            snap = s.query(DecisionEntry).first().situation_snapshot
        return store, len(json.dumps(snap))
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    seed_ics(store)
    with store.session() as s:
        base = situation_snapshot.take(s, SUMMER)
    for i in range(entries):
        at = START + STEP * i
        authoring.record_decision(
            store, decision_maker=f"Dr Decider {i % 7}", decision_maker_role="Director on-call",
            decision=f"Decision {i}: open escalation beds at RA{i % 22 + 1:02d}",
            rationale=f"Rationale {i}: " + "queues rising at most acute sites; " * 20, recorded_by="Room support",
            options_considered="Do nothing: rejected", decided_at=at, situation_snapshot=month_snapshot(base, at, i))
    return store, len(json.dumps(base))


def export(store, out: Path):
    from models.records.export.records import export_records

    return export_records(store, FIRST, LAST, out, icb="Test Shire ICB", user="tester", host="desk",
                          now=datetime(2025, 4, 1, 9, tzinfo=timezone.utc))


def timed(store, out: Path) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = export(store, out)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=MONTH, help=f"decisions (default {MONTH}: March 2025)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="cProfile one more export into this file")
    parser.add_argument("--code", type=Path, help="time this tree's models (the revision before a change)")
    parser.add_argument("--db", type=Path, help="the replica: built here when missing, else reused")
    parser.add_argument("--keep", type=Path, help="leave the last export in this folder")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    import models
    with tempfile.TemporaryDirectory(prefix="bench_export_pdf_") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        store, snap_bytes = build(args.db or folder / "scc.db", args.entries)
        built = time.perf_counter() - t0
        try:
            timed(store, folder / "warm")
            runs = []
            for n in range(args.repeats):
                load = os.getloadavg()[0]
                wall, cpu, result = timed(store, args.keep if (args.keep and n == args.repeats - 1)
                                          else folder / f"run{n}")
                runs.append({"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "load": round(load, 2),
                             "pages": result.pdf_pages, "entries": result.entries})
                print(f"run {n + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU, {result.entries} entries, "
                      f"{result.pdf_pages} pages, load {load:.1f}", flush=True)
            if args.profile:
                import cProfile
                import pstats
                prof = cProfile.Profile()
                prof.enable()
                export(store, folder / "profiled")
                prof.disable()
                prof.dump_stats(args.profile)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        finally:
            store.close()
    count = runs[-1]["entries"]
    wall = statistics.median(r["wall_s"] for r in runs)
    cpu = statistics.median(r["cpu_s"] for r in runs)
    out = {"code": str(Path(models.__file__).parents[1]), "entries": count, "snapshot_bytes": snap_bytes,
           "build_s": round(built, 1), "runs": runs, "median_wall_s": wall, "median_cpu_s": cpu,
           "wall_s_per_entry": round(wall / count, 4), "cpu_s_per_entry": round(cpu / count, 4)}
    print(f"{out['code']}: {count} entries ({snap_bytes:,} bytes of snapshot each), median {wall:.2f} s wall "
          f"({out['wall_s_per_entry'] * 1000:.1f} ms per entry), {cpu:.2f} s CPU "
          f"({out['cpu_s_per_entry'] * 1000:.1f} ms per entry)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
