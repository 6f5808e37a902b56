"""Benchmark: the time to build each room report (issue 19) on the year replica, 40 providers.

The replica is ``benchmarks/desktop_fixture.py``'s (the one ``bench_desktop.py`` uses): by default
365 days of 15-minute observations and OPEL assessments for 40 providers, built once into the cache
(``--cache DIR``, default ``benchmarks/.cache/``) and reused, keyed by its scale
(``desktop-365d-40p``); ``--days``/``--providers`` pick another scale.  ``--quick`` builds a small
seeded replica (3 days x 5 providers) in a temporary folder, for CI: it checks that every report
builds and writes, not how fast.

Each report is built as the app and the command build it (``models.service.reports.build``: the
door's reads, then the report), then written (``reports.write``: PDF, JSON, one CSV per table), as
at the end of the replica's data (the fixture's ``END``, a Sunday 00:00 UK time):

``brief``, ``handover``, ``bc-pack``
    as at that moment (the brief's changes since 24 hours before);
``sitrep``
    the last complete UK day;
``board-week``, ``board-month``
    the 7 and the 31 UK days before (the week holds the October clock change).

The build runs on a worker thread, as the window's ``ui.tasks`` read thread runs it (the
target is "3 s off the UI thread"); the figures are wall-clock medians of ``--repeats`` rounds
after one discarded warm-up round (the OS file cache, imports), the CPU seconds of the process
beside them.  No Qt: the reports are ``models`` code.  Target: a build (read + report) of at
most 3 s for each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):   # run as a script: python benchmarks/bench_reports.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import desktop_fixture as fixture  # noqa: E402
from models.reports.words import count  # noqa: E402

TARGET_S = 3.0
QUICK = fixture.Scale(3, 5)
DEFAULT_REPEATS = 3


@dataclass(frozen=True)
class Case:
    key: str                      # the benchmark's name for it
    report: str                   # the report's name (models.service.reports)
    at: datetime
    first: date | None = None
    last: date | None = None


def cases(end: datetime) -> list[Case]:
    """The reports a room makes, as at ``end`` (the replica's newest data)."""
    from models.uk_time import UK

    day = end.astimezone(UK).date() - timedelta(days=1)   # the last complete UK day
    return [Case("brief", "brief", end), Case("handover", "handover", end),
            Case("sitrep", "sitrep", end, day, day),
            Case("board-week", "board", end, day - timedelta(days=6), day),
            Case("board-month", "board", end, day - timedelta(days=30), day),
            Case("bc-pack", "bc-pack", end)]


@dataclass
class Samples:
    build_s: list[float] = field(default_factory=list)
    build_cpu_s: list[float] = field(default_factory=list)
    write_s: list[float] = field(default_factory=list)
    pages: int = 0
    tables: int = 0

    def median(self, name: str) -> float | None:
        values = getattr(self, name)
        return statistics.median(values) if values else None


def _off_the_main_thread(work):
    """Run ``work`` on a worker thread (as ``ui.tasks`` runs a read) and return its result."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = work()
        except BaseException as exc:   # handed back to the caller, whatever it is
            out["error"] = exc

    worker = threading.Thread(target=run, name="report-build")
    worker.start()
    worker.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def measure(store, case: Case, folder: Path) -> tuple[float, float, float, int, int]:
    """(build wall s, build CPU s, write wall s, PDF pages, tables) for one build and write of ``case``."""
    from models.service import reports

    cpu0, t0 = time.process_time(), time.perf_counter()
    report = _off_the_main_thread(lambda: reports.build(store, case.report, case.at, first=case.first,
                                                        last=case.last))
    built, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    t1 = time.perf_counter()
    written = _off_the_main_thread(lambda: reports.write(report, folder))
    return built, cpu, time.perf_counter() - t1, written.pdf_pages, len(report.tables())


def run(scale: fixture.Scale, repeats: int, cache: Path, *, warmup: bool = True, progress=None) -> dict:
    from models.replica.store import Store

    say = progress or (lambda _line: None)
    folder, meta = fixture.ensure(scale, cache, say)
    end = fixture.END
    samples = {c.key: Samples() for c in cases(end)}
    out_dir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        with Store.open_with_key(folder / "replica.db", fixture.key_of(folder)) as store:
            for round_no in range(repeats + (1 if warmup else 0)):
                kept = round_no >= (1 if warmup else 0)
                for case in cases(end):
                    built, cpu, wrote, pages, tables = measure(store, case, out_dir / case.key)
                    say(f"round {round_no}{'' if kept else ' (warm-up)'} {case.key}: build {built:.3f} s "
                        f"(CPU {cpu:.3f} s), write {wrote:.3f} s, {count(pages, 'page')}")
                    if kept:
                        s = samples[case.key]
                        s.build_s.append(built)
                        s.build_cpu_s.append(cpu)
                        s.write_s.append(wrote)
                        s.pages, s.tables = pages, tables
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return {"scale": {"days": scale.days, "providers": scale.providers}, "fixture": {
                "counts": meta.get("counts"), "db_mib": meta.get("db_mib")},
            "at": end.isoformat(), "repeats": repeats, "warmup": warmup, "target_s": TARGET_S,
            "reports": {key: {"build_s": s.median("build_s"), "build_cpu_s": s.median("build_cpu_s"),
                              "write_s": s.median("write_s"), "pages": s.pages, "tables": s.tables,
                              "samples_build_s": s.build_s, "met": (s.median("build_s") or 0) <= TARGET_S}
                        for key, s in samples.items()},
            "load": _load()}


def _load() -> str | None:
    """The machine's load averages (1, 5, 15 min) as the run ended: the figures are wall-clock."""
    try:
        return " ".join(Path("/proc/loadavg").read_text(encoding="ascii").split()[:3])
    except OSError:
        return None


def markdown(result: dict) -> str:
    scale, counts = result["scale"], (result["fixture"].get("counts") or {})
    lines = [f"Replica: {scale['days']} days x {scale['providers']} providers of 15-minute data "
             f"(`benchmarks/desktop_fixture.py`"
             + (f"; {counts.get('observation', 0):,} observations, {counts.get('opel_assessment', 0):,} assessments"
                if counts else "")
             + (f"; {result['fixture']['db_mib']:,.0f} MiB" if result["fixture"].get("db_mib") else "")
             + f"), as at {result['at']}; median of {result['repeats']}"
             + (" after a discarded warm-up" if result.get("warmup") else "") + f"; load {result['load']}.",
             "", "| report | read + build (wall) | CPU | PDF + JSON + CSV written | pages | target <= 3 s |",
             "|---|---|---|---|---|---|"]
    for key, r in result["reports"].items():
        lines.append(f"| `{key}` | {r['build_s']:.2f} s | {r['build_cpu_s']:.2f} s | {r['write_s']:.2f} s | "
                     f"{r['pages']} | {'met' if r['met'] else 'MISSED'} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None,
                        help="where desktop_fixture's replicas are kept (default benchmarks/.cache; "
                             "with --quick, a temporary folder)")
    parser.add_argument("--days", type=int, default=fixture.FULL.days, help="the replica's days (default 365)")
    parser.add_argument("--providers", type=int, default=fixture.FULL.providers,
                        help="the replica's providers (default 40)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a small seeded replica ({QUICK.days} days x {QUICK.providers} providers), one round: CI")
    parser.add_argument("--repeats", type=int, default=None, help=f"rounds measured (default {DEFAULT_REPEATS}; "
                                                                   "--quick 1)")
    parser.add_argument("--no-warmup", action="store_true", help="measure the first round too")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else fixture.Scale(args.days, args.providers)
    repeats = args.repeats or (1 if args.quick else DEFAULT_REPEATS)
    if scale.days <= 0 or scale.providers <= 0 or repeats <= 0:
        parser.error("--days, --providers and --repeats must be positive")
    temporary = None
    cache = args.cache
    if cache is None:
        cache = fixture.CACHE if not args.quick else Path(tempfile.mkdtemp(prefix="bench-reports-cache-"))
        temporary = cache if args.quick else None
    try:
        result = run(scale, repeats, cache, warmup=not (args.no_warmup or args.quick),
                     progress=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    return 0 if args.quick or all(r["met"] for r in result["reports"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
