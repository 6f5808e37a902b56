"""Run every benchmark with its defaults and write ``docs/benchmarks.md``.

    .venv/bin/python benchmarks/run.py            # full run (1M rows x 3 repeats, two tables; ~45 min,
                                                  # then the desktop over a year of data; ~10 min, plus
                                                  # ~10 min to build that replica the first time)
    .venv/bin/python benchmarks/run.py --quick    # 20k rows x 1 repeat, a minute or so (no desktop run)

The measured sections are regenerated on every run.  Marked blocks in the
existing file are carried over unchanged: the hand-written findings between
``<!-- notes -->`` and ``<!-- /notes -->``, and any section another tool
keeps there (e.g. ``bench_sync.py --update-doc`` writes ``<!-- bench_sync -->``).
The desktop benchmark's section (``<!-- bench_desktop -->``) is measured again
by a full run unless ``--skip-desktop``; ``--quick`` keeps it as it is (for a
quick look at the desktop: ``bench_desktop.py --scale smoke``).  The alerts
benchmark's section (``<!-- bench_alerts -->``: hub CPU with the rules on and off,
submission to alert on a desktop; ~10 min) likewise, unless ``--skip-alerts``
(a quick look: ``bench_alerts.py --quick``).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_alerts, bench_desktop, bench_ingest, report  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
# The second ingest table: the page cache the findings below recommend for
# bulk ingest, applied to the baseline, the encrypted raw path and the
# ingest's connection alike.
TUNED = bench_ingest.Tuning(cache_kib=65_536)
TUNED_NOTE = ("The same benchmark with a 64 MiB page cache (`PRAGMA cache_size = -65536`) on "
              "every connection measured: what the proposed cache change would give. The product "
              "does not set this yet.")
QUICK_ROWS = 20_000
QUICK_REPEATS = 1
# Blocks between <!-- name --> and <!-- /name --> in the existing file are kept
# as they are: the hand-written notes, and sections other tools put there
# (e.g. bench_sync.py --update-doc writes <!-- bench_sync -->).
KEPT = re.compile(r"<!-- ([\w-]+) -->.*?<!-- /\1 -->", re.S)
DEFAULT_NOTES = "<!-- notes -->\n<!-- /notes -->"
# The ingest tables of a previous run, kept by --skip-ingest.
INGEST_SECTION = re.compile(r"^## Bulk ingest .*?(?=^## |^<!-- )", re.S | re.M)


def cpu_model() -> str:
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def cpu_flags() -> str:
    """The crypto-relevant CPU features (AES-NI, AVX2, ...), where the OS says."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = set(next((ln.split(":", 1)[1].split() for ln in text.splitlines()
                      if ln.startswith("flags")), []))
    wanted = ("aes", "vaes", "pclmulqdq", "avx2", "avx512f", "sha_ni")
    return " ".join(f for f in wanted if f in flags) or "none of aes/avx2"


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def machine_info(tmpdir: str | None = None) -> list[tuple[str, str]]:
    import apsw
    import sqlalchemy

    conn = apsw.Connection(":memory:")
    try:
        mc = conn.execute("SELECT sqlite3mc_version()").fetchall()[0][0]
    except apsw.Error:
        mc = "not available"
    finally:
        conn.close()
    cores = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = cores
    return [
        ("date (UTC)", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")),
        ("CPU", cpu_model()),
        ("cores", f"{cores} logical, {usable} usable"),
        ("CPU crypto features", cpu_flags()),
        ("memory", memory_gib()),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0] + f" ({platform.python_implementation()})"),
        ("SQLite", apsw.sqlite_lib_version()),
        ("APSW", apsw.apsw_version()),
        ("SQLite3 Multiple Ciphers", mc),
        ("SQLAlchemy", sqlalchemy.__version__),
        ("temp folder (databases)", tmpdir or tempfile.gettempdir()),
    ]


def kept_blocks(previous: str) -> tuple[list[str], str]:
    """``(other marked blocks, notes block)`` from the previous file, in their order."""
    others, notes = [], DEFAULT_NOTES
    for match in KEPT.finditer(previous):
        if match.group(1) == "notes":
            notes = match.group(0)
        else:
            others.append(match.group(0))
    return others, notes


def render(sections: list[str], info: list[tuple[str, str]], quick: bool, notes: str,
           others: list[str] = ()) -> str:
    lines = ["# Benchmarks", "",
             "Generated by `benchmarks/run.py`"
             + (" with `--quick` (small rows; the ratios are not representative)" if quick else "")
             + ". Re-run it to refresh the figures; do not edit the tables by hand.", "",
             "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in info]
    lines += [""]
    for section in sections:
        lines += [section.rstrip(), ""]
    for block in others:
        lines += [block.strip(), ""]
    lines += [notes.strip(), "",
              "## How to run", "",
              "```sh",
              "# everything, with defaults (1,000,000 rows x 3 repeats, every cipher, product settings",
              "# and the 64 MiB cache); rewrites this file except its <!-- marked --> blocks; ~45-55 min",
              ".venv/bin/python benchmarks/run.py",
              "# a one-minute smoke version (20,000 rows x 1 repeat)",
              ".venv/bin/python benchmarks/run.py --quick",
              "# one benchmark, chosen ciphers, own output; --help lists the tuning options",
              ".venv/bin/python benchmarks/bench_ingest.py --rows 1000000 --repeats 3 \\",
              "    --ciphers chacha20 aegis --out /tmp/ingest.md",
              "# the desktop over a year of 15-minute data for 40 providers: cold start, overview",
              "# refresh, memory (the replica is built once into benchmarks/.cache/, ~10 min)",
              ".venv/bin/python benchmarks/bench_desktop.py --update-doc docs/benchmarks.md",
              ".venv/bin/python benchmarks/bench_desktop.py --scale smoke --repeats 1   # a quick look",
              "# the hub's CPU with every alert rule on against --no-alerts, and submission to alert",
              "# on a long-polling desktop (~10 min; --quick a few seconds)",
              ".venv/bin/python benchmarks/bench_alerts.py --update-doc docs/benchmarks.md",
              "# raw-path tuning experiments (applied to the plain baseline and encrypted raw alike)",
              ".venv/bin/python benchmarks/bench_ingest.py --kinds raw --cache-kib 65536 --page-size 8192",
              "# the CI smoke test and the full run as a test",
              ".venv/bin/python -m pytest tests/benchmarks",
              ".venv/bin/python -m pytest tests/benchmarks -m slow",
              "```", "",
              "Close other heavy work first: every figure is a median of interleaved runs, but a "
              "busy machine still moves them. Compare ratios from the same run, not absolute "
              "rates across machines.", ""]
    return "\n".join(lines)


def _replace_block(others: list[str], new: str) -> None:
    """Put a measured ``<!-- name -->`` block where the previous run's was, else at the end."""
    head = new.split("\n", 1)[0]
    at = next((i for i, b in enumerate(others) if b.startswith(head)), None)
    if at is None:
        others.append(new)
    else:
        others[at] = new


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Run all benchmarks and write docs/benchmarks.md.")
    parser.add_argument("--quick", action="store_true",
                        help=f"small version: {QUICK_ROWS:,} rows, {QUICK_REPEATS} repeat")
    parser.add_argument("--out", type=Path, default=DOC, help="markdown file to write (default docs/benchmarks.md)")
    parser.add_argument("--rows", type=int, help="override the row count")
    parser.add_argument("--repeats", type=int, help="override the repeats")
    parser.add_argument("--ciphers", nargs="+", help="override the ciphers (default: all)")
    parser.add_argument("--tmpdir", help="folder for the temp databases (default: the system temp)")
    parser.add_argument("--skip-tuned", action="store_true",
                        help="only the product-defaults table, not the 64 MiB cache one")
    parser.add_argument("--skip-ingest", action="store_true", help="leave the bulk-ingest tables out")
    parser.add_argument("--skip-desktop", action="store_true",
                        help="keep the desktop section as it is instead of measuring it again "
                             "(--quick always keeps it)")
    parser.add_argument("--skip-alerts", action="store_true",
                        help="keep the alerts section as it is instead of measuring it again "
                             "(--quick always keeps it)")
    args = parser.parse_args(argv)

    rows = args.rows or (QUICK_ROWS if args.quick else bench_ingest.DEFAULT_ROWS)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else bench_ingest.DEFAULT_REPEATS)
    progress = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731

    started = time.perf_counter()
    sections, ok = [], True
    configs = [(bench_ingest.Tuning(), "")]
    if not args.skip_tuned:
        configs.append((TUNED, TUNED_NOTE))
    for tuning, note in ([] if args.skip_ingest else configs):
        progress(f"bench_ingest ({tuning.label()}): {rows:,} rows x {repeats}")
        result = bench_ingest.run(rows, repeats, args.ciphers, tuning, tmpdir=args.tmpdir,
                                  progress=progress)
        section = bench_ingest.markdown(result)
        if note:
            head, _, rest = section.partition("\n\n")
            section = f"{head}\n\n{note}\n\n{rest}"
        sections.append(section)
        ok = ok and result.all_rows_ok

    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    others, notes = kept_blocks(previous)
    if not (args.skip_desktop or args.quick):
        scale = bench_desktop.SCALES["full"]
        progress(f"bench_desktop: {scale.days} days x {scale.providers} providers x "
                 f"{bench_desktop.DEFAULT_REPEATS}")
        desktop = bench_desktop.run(scale, bench_desktop.DEFAULT_REPEATS, bench_desktop.DEFAULT_BATCHES,
                                    progress=progress)
        _replace_block(others, bench_desktop.block(bench_desktop.markdown(desktop)).strip())
        ok = ok and desktop.all_ok
    if not (args.skip_alerts or args.quick):
        progress(f"bench_alerts: {bench_alerts.DEFAULT_HOURS:g} simulated hours x {bench_alerts.DEFAULT_ROUNDS} "
                 f"at {bench_alerts.DEFAULT_SPEED:g}x, {bench_alerts.DEFAULT_SAMPLES} latency samples")
        alerts = bench_alerts.run(tmpdir=args.tmpdir, progress=progress)
        _replace_block(others, report.block("bench_alerts", bench_alerts.markdown(alerts)).strip())
        ok = ok and alerts.ok
    if not sections and args.skip_ingest:  # only the desktop measured: keep the ingest tables
        sections = [previous[m.start():m.end()] for m in INGEST_SECTION.finditer(previous)]
    text = render(sections, machine_info(args.tmpdir), args.quick, notes, others)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    progress(f"wrote {args.out} in {(time.perf_counter() - started) / 60:.1f} min")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
