"""Benchmark: cold start of the frozen bundle against the unfrozen app, in the same run.

A start is a fresh process from launch to exit: ``app --screenshot`` on an encrypted replica
holding an hour of demo data (unlock, the window, the overview drawn and saved), and
``--version`` (the floor: bootloader and interpreter).  The frozen bundle (``installer/build``)
and the unfrozen app (this interpreter, ``-m scc_desktop``) alternate; the first round of each
is dropped, so both are measured with the file cache warm (dropping the OS cache needs root
and slows every other process on the machine).  Target (issue 17): frozen <= 1.5 x unfrozen.

Usage::

    .venv/bin/python installer/build
    .venv/bin/python benchmarks/bench_bundle.py --bundle dist/scc-desktop --update-doc docs/bundle.md
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402

TARGET = 1.5
MARK_BEGIN, MARK_END = "<!-- bench_bundle:begin -->", "<!-- bench_bundle:end -->"
DEMO_PASSPHRASE = "scc-desktop-demo"   # scc_desktop.demo.DEMO_PASSPHRASE (demo data only)


def frozen_cmd(bundle: Path) -> list[str]:
    return [str(bundle / ("scc-desktop.exe" if sys.platform == "win32" else "scc-desktop"))]


def unfrozen_cmd() -> list[str]:
    return [sys.executable, "-m", "scc_desktop"]


def timed(cmd: list[str], env: dict, cwd: Path, timeout: float = 180) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return elapsed


def measure(bundle: Path, runs: int, history_hours: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SCC_"))}
        env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local/share"),
                   XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"),
                   QT_QPA_PLATFORM="offscreen", SCC_PASSPHRASE=DEMO_PASSPHRASE)
        unfrozen_env = {**env, "PYTHONPATH": str(ROOT)}
        # The replica both open: an hour of the demo's simulated system, synced from its hub.
        folder = tmp / "demo"
        timed(unfrozen_cmd() + ["demo", "--folder", str(folder), "--history-hours", str(history_hours),
                                "--screenshot", str(tmp / "setup.png")], unfrozen_env, tmp, timeout=600)
        replica = folder / "replica.db"
        cases = {
            "window: app --screenshot (overview)": ["app", "--path", str(replica), "--screenshot",
                                                    str(tmp / "shot.png")],
            "command line: --version": ["--version"],
        }
        results = {}
        for case, args in cases.items():
            samples = {"frozen": [], "unfrozen": []}
            for i in range(runs + 1):
                order = ["frozen", "unfrozen"] if i % 2 == 0 else ["unfrozen", "frozen"]
                for kind in order:
                    cmd = frozen_cmd(bundle) if kind == "frozen" else unfrozen_cmd()
                    seconds = timed(cmd + args, env if kind == "frozen" else unfrozen_env, tmp)
                    if i > 0:   # the first round warms the file cache
                        samples[kind].append(seconds)
            results[case] = {kind: statistics.median(values) for kind, values in samples.items()}
            results[case]["ratio"] = results[case]["frozen"] / results[case]["unfrozen"]
    return results


def bundle_size_mb(bundle: Path) -> float:
    return sum(p.lstat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def table(results: dict, size_mb: float, runs: int) -> str:
    window = results["window: app --screenshot (overview)"]
    verdict = "met" if window["ratio"] <= TARGET else "NOT met"
    lines = [
        MARK_BEGIN,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPUs, load {report.fmt(report.load(), '.1f')}, "
        f"median of {runs} starts each, alternating:",
        "",
        "| start | unfrozen (s) | frozen (s) | frozen / unfrozen |",
        "|---|---:|---:|---:|",
        *[f"| {case} | {r['unfrozen']:.2f} | {r['frozen']:.2f} | {r['ratio']:.2f} |" for case, r in results.items()],
        "",
        f"Bundle on disk: {size_mb:.0f} MB (target 250 MB). Cold start to the drawn overview: "
        f"{window['ratio']:.2f} x the unfrozen app (target {TARGET} x): {verdict}.",
        MARK_END,
    ]
    return "\n".join(lines)


def update_doc(doc: Path, section: str) -> None:
    text = doc.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(MARK_BEGIN) + ".*?" + re.escape(MARK_END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{doc}: no {MARK_BEGIN} ... {MARK_END} section to replace")
    doc.write_text(pattern.sub(lambda _: section, text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "scc-desktop")
    parser.add_argument("--runs", type=int, default=7, help="starts of each kind per case (default 7)")
    parser.add_argument("--history-hours", type=float, default=1)
    parser.add_argument("--update-doc", type=Path, metavar="MD", help="replace the results section of this file")
    args = parser.parse_args(argv)
    if not Path(frozen_cmd(args.bundle)[0]).exists():
        raise SystemExit(f"no bundle at {args.bundle}: run installer/build first")
    results = measure(args.bundle, args.runs, args.history_hours)
    section = table(results, bundle_size_mb(args.bundle), args.runs)
    print(section)
    if args.update_doc:
        update_doc(args.update_doc, section)
    return 0 if results["window: app --screenshot (overview)"]["ratio"] <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
