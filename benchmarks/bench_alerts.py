"""Benchmark: what the hub's alert rules cost, and how soon an alert reaches a desktop (issue 16).

``cpu``
    Two real hub processes (``scc-desktop hub serve`` on their own fresh SQLite
    files, on loopback, with the simulator's organisations): one with every
    default rule on (``resources/alerts/default_rules.json``, the product
    default), the BASELINE with ``--no-alerts``.  Both receive the same
    simulator submissions (``sync.simulator``, default ICS, seed 1, its
    deliberate faults included) at the same moments, posted in alternating
    order, paced at ``--speed`` simulated seconds per real second.  The
    default is ten times the simulator's own default speed (60: one simulated
    minute per second): 600.  The figure is each hub's CPU time (user +
    system, ``/proc/PID/stat``) from just before the first submission to just
    after the last, so it holds the hub's alert clock ticks (every 30 s, the
    default) as well as the submissions.  Ratio = alerts-on CPU / alerts-off
    CPU of the same round (both hubs shared the machine's load throughout);
    median over rounds.  Target: <= 1.2x.
``latency``
    A real hub (test ICS, default rules) and a desktop engine
    (``SyncEngine.run`` in a thread, long-poll 20 s: the app's default) on a
    fresh encrypted replica.  Each sample POSTs one provider submission
    (``critcon`` level 3 from an acute trust, which crosses the default rule
    ``critcon_2``) at a random moment and times from the start of the POST
    until the alert's ``alert_event`` row (its id worked out as the hub's
    engine names it) is visible to another connection on the replica
    (checked every 20 ms), and then until ``models.service.alerts.open_alerts``
    (the page the alert banner reads) lists it.  A level-0 report then clears
    it before the next sample.  Target: median <= 2 s.

Usage::

    .venv/bin/python benchmarks/bench_alerts.py                 # 24 simulated hours x 3 rounds, 30 samples
    .venv/bin/python benchmarks/bench_alerts.py --quick         # a few seconds of each
    .venv/bin/python benchmarks/bench_alerts.py --parts cpu --hours 6 --out /tmp/a.md --json /tmp/a.json \\
        --update-doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync`, `tests` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402
from tests.support.hub_group import process_cpu_s  # noqa: E402

SIM_DEFAULT_SPEED = 60.0          # `scc-desktop simulate`'s default --speed
DEFAULT_SPEED = 10 * SIM_DEFAULT_SPEED
DEFAULT_HOURS = 24.0
DEFAULT_ROUNDS = 3
DEFAULT_SAMPLES = 30
QUICK_HOURS = 1.0
QUICK_SPEED = 3600.0
QUICK_ROUNDS = 1
QUICK_SAMPLES = 4
SEED = 1
MODES = ("alerts", "no-alerts")   # the second is the baseline
TARGET_CPU_RATIO = 1.2
TARGET_MEDIAN_S = 2.0
LONG_POLL_S = 20.0
WATCH_EVERY_S = 0.02
SAMPLE_TIMEOUT_S = 20.0
LATENCY_RULE = "critcon_2"        # a default rule a single provider report crosses at once (min_minutes 0)
PASSPHRASE = "bench-alerts-passphrase"
# Both hubs start through the same `python -c` path; the baseline's adds the CLI's --no-alerts.
_PREAMBLE = {"alerts": "import sys", "no-alerts": "import sys\nsys.argv.append('--no-alerts')"}


# -- hub CPU with and without the rules ----------------------------------------------
@dataclass
class CpuRound:
    round: int
    submissions: int
    items: int
    wall_seconds: float
    behind_seconds: float                  # how late the last submission went out against its pace
    cpu_seconds: dict[str, float | None]   # mode -> hub CPU over the run
    accepted: dict[str, int]               # mode -> items the hub accepted
    refused: dict[str, int]                # mode -> submissions answered other than 200/422
    feed: dict[str, dict[str, int]]        # mode -> feed items by kind at the end
    load: float | None = None

    @property
    def ratio(self) -> float | None:
        on, off = self.cpu_seconds.get("alerts"), self.cpu_seconds.get("no-alerts")
        return on / off if on is not None and off else None

    @property
    def ok(self) -> bool:
        """Both hubs took the same data; only the rules' hub put alerts on the feed."""
        data = [{k: v for k, v in self.feed[m].items() if k != "alert"} for m in MODES]
        return (self.accepted["alerts"] == self.accepted["no-alerts"] > 0 and data[0] == data[1]
                and not any(self.refused.values()) and self.feed["no-alerts"].get("alert", 0) == 0
                and self.feed["alerts"].get("alert", 0) > 0)


def _start_hub(folder: Path, orgs: list[dict], mode: str):
    from tests.support.hub import HubProcess, seed

    folder.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{folder / 'hub.db'}"
    tokens = seed(db_url, orgs)
    return HubProcess(db_url, folder, tokens, preamble=_PREAMBLE[mode]).start()


def _feed_kinds(db_path: Path) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        return dict(con.execute("SELECT kind, count(*) FROM feed GROUP BY kind").fetchall())
    finally:
        con.close()


def measure_cpu(hours: float, speed: float, folder: Path, round_no: int = 0, progress=None) -> CpuRound:
    """One round: the simulator's last ``hours`` up to now, posted to both hubs at ``speed``."""
    import requests

    from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
    from sync.simulator import Simulator

    sim = Simulator(seed=SEED)
    end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = end - timedelta(hours=hours)
    subs = sim.submissions(start, end)
    bodies = [json.dumps(s.payload, default=str).encode() for s in subs]
    offsets = [max((s.submitted_at - start).total_seconds(), 0.0) / speed for s in subs]
    hubs = {}
    sessions = {m: requests.Session() for m in MODES}
    refused = {m: 0 for m in MODES}
    accepted = {m: 0 for m in MODES}
    try:
        for mode in MODES:
            hubs[mode] = _start_hub(folder / mode, sim.organisations(), mode)
            sessions[mode].headers.update({VERSION_HEADER: PROTOCOL_VERSION, "Content-Type": "application/json",
                                           "Authorization": f"Bearer {hubs[mode].tokens['admin']}"})
            sessions[mode].get(hubs[mode].url + "/health", timeout=10).raise_for_status()
        cpu0 = {m: process_cpu_s(h.proc.pid) for m, h in hubs.items()}
        t0 = time.perf_counter()
        behind = 0.0
        for i, (body, due) in enumerate(zip(bodies, offsets)):
            wait = t0 + due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                behind = -wait
            for mode in (MODES if i % 2 else MODES[::-1]):  # in turn: neither always goes first
                r = sessions[mode].post(hubs[mode].url + "/v1/submissions", data=body, timeout=60)
                if r.status_code in (200, 422):
                    accepted[mode] += r.json().get("accepted", 0) if r.status_code == 200 else 0
                else:
                    refused[mode] += 1
            if progress and (i + 1) % 200 == 0:
                progress(f"cpu round {round_no + 1}: {i + 1}/{len(bodies)} submissions")
        wall = time.perf_counter() - t0
        cpu1 = {m: process_cpu_s(h.proc.pid) for m, h in hubs.items()}
    finally:
        for s in sessions.values():
            s.close()
        for h in hubs.values():
            h.stop()
    cpu = {m: None if cpu0[m] is None or cpu1[m] is None else cpu1[m] - cpu0[m] for m in MODES}
    feed = {m: _feed_kinds(folder / m / "hub.db") for m in MODES}
    return CpuRound(round_no, len(subs), sum(len(s.payload["items"]) for s in subs), wall, behind, cpu,
                    accepted, refused, feed, report.load())


# -- submission to alert on a desktop -------------------------------------------------
@dataclass
class Latency:
    row: list[float] = field(default_factory=list)    # s, POST start -> alert_event row in the replica
    page: list[float] = field(default_factory=list)   # s, POST start -> open_alerts lists it
    post: list[float] = field(default_factory=list)   # s, the POST's own round trip
    timeouts: int = 0

    @staticmethod
    def stat(values: list[float], what: str) -> float | None:
        if not values:
            return None
        if what == "median":
            return statistics.median(values)
        if what == "p90":
            return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
        return max(values)


def _critcon(level: int, at: datetime) -> dict:
    return {"type": "critcon", "reported_at": at.isoformat(), "level": level}


def measure_latency(samples: int, folder: Path, rng: random.Random, progress=None) -> Latency:
    """``samples`` raises, each timed from its provider's POST to the desktop's replica and alert page."""
    import requests

    from models.replica import store
    from models.replica.keyfile import KdfParams
    from models.rules.alert_engine import alert_id
    from models.service import alerts as alert_service
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from tests.support.hub import SUBMITTER_ORG, start_hub

    folder.mkdir(parents=True, exist_ok=True)
    hub = start_hub(folder)
    replica_path = folder / "replica.db"
    replica = store.Store.create(replica_path, PASSPHRASE, kdf=KdfParams(n=2**10, r=8, p=1))
    watcher = store.Store.unlock(replica_path, PASSPHRASE)  # another connection, as the window's reads are
    engine = SyncEngine(replica, HubClient(hub.url, hub.tokens["room_lead"]))
    stop = threading.Event()
    worker = threading.Thread(target=engine.run, args=(stop,), name="bench-alerts-engine", daemon=True,
                              kwargs={"long_poll": LONG_POLL_S})
    out = Latency()
    session = requests.Session()
    session.headers.update(hub.headers("provider_submitter"))

    def post(level: int, at: datetime) -> float:
        body = {"submission_id": f"bench-{uuid.uuid4().hex}", "org_code": SUBMITTER_ORG,
                "submitted_at": datetime.now(timezone.utc).isoformat(), "items": [_critcon(level, at)]}
        t = time.perf_counter()
        resp = session.post(hub.url + "/v1/submissions", json=body, timeout=30)
        if resp.status_code != 200 or resp.json().get("accepted") != 1:
            raise RuntimeError(f"submission refused: HTTP {resp.status_code} {resp.text[:300]}")
        return t

    def wait_for(sql: str, args: tuple, raw) -> float | None:
        deadline = time.perf_counter() + SAMPLE_TIMEOUT_S
        while time.perf_counter() < deadline:
            if raw.execute(sql, args).fetchall():
                return time.perf_counter()
            time.sleep(WATCH_EVERY_S)
        return None

    try:
        worker.start()
        ready = time.monotonic() + 30
        while engine.position() == 0 and time.monotonic() < ready:
            time.sleep(0.05)
        base = datetime.now(timezone.utc) - timedelta(minutes=10)
        with watcher.raw() as raw:
            for k in range(samples):
                time.sleep(rng.uniform(0.2, 1.2))   # a random moment: the engine is waiting on the hub
                at = base + timedelta(seconds=2 * k)
                aid = alert_id(LATENCY_RULE, "provider", SUBMITTER_ORG, at)
                t0 = post(3, at)
                out.post.append(time.perf_counter() - t0)
                seen = wait_for("SELECT 1 FROM alert_event WHERE uuid = ?", (aid,), raw)
                if seen is None:
                    out.timeouts += 1
                    continue
                out.row.append(seen - t0)
                # What the banner does on the batch's change notice: read the alert page.
                page = alert_service.open_alerts(watcher, datetime.now(timezone.utc))
                if aid in {i.uuid for i in page.open}:
                    out.page.append(time.perf_counter() - t0)
                else:
                    out.timeouts += 1
                post(0, at + timedelta(seconds=1))   # clears it, so the next sample raises anew
                if wait_for("SELECT 1 FROM alert_event WHERE uuid = ? AND cleared_at IS NOT NULL", (aid,),
                            raw) is None:
                    out.timeouts += 1
                if progress:
                    progress(f"latency [{k + 1}/{samples}] row {out.row[-1] * 1000:7.1f} ms")
    finally:
        stop.set()
        session.close()
        hub.stop()  # answers a waiting long-poll at once
        worker.join(LONG_POLL_S + 10)
        watcher.close()
        replica.close()
    return out


# -- the whole benchmark ---------------------------------------------------------------
@dataclass
class AlertsResult:
    hours: float
    speed: float
    rounds: list[CpuRound] = field(default_factory=list)
    latency: Latency | None = None
    samples: int = 0
    wall_seconds: float = 0.0

    @property
    def ratio(self) -> float | None:
        ratios = [r.ratio for r in self.rounds if r.ratio is not None]
        return statistics.median(ratios) if ratios else None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rounds) and (self.latency is None or not self.latency.timeouts)


def run(hours: float = DEFAULT_HOURS, speed: float = DEFAULT_SPEED, rounds: int = DEFAULT_ROUNDS,
        samples: int = DEFAULT_SAMPLES, parts=("cpu", "latency"), tmpdir: str | None = None,
        progress=None) -> AlertsResult:
    say = progress or (lambda line: None)
    result = AlertsResult(hours, speed, samples=samples if "latency" in parts else 0)
    started = time.perf_counter()
    for n in range(rounds if "cpu" in parts else 0):
        with tempfile.TemporaryDirectory(prefix="scc-bench-alerts-", dir=tmpdir) as folder:
            one = measure_cpu(hours, speed, Path(folder), n, progress)
        result.rounds.append(one)
        say(f"cpu round {n + 1}/{rounds}: alerts {_s(one.cpu_seconds['alerts'])} no-alerts "
            f"{_s(one.cpu_seconds['no-alerts'])} ratio {report.fmt(one.ratio, '.3f')} ok={one.ok}")
    if "latency" in parts:
        with tempfile.TemporaryDirectory(prefix="scc-bench-alerts-", dir=tmpdir) as folder:
            result.latency = measure_latency(samples, Path(folder), random.Random(SEED), progress)
        lat = result.latency
        say(f"latency: row median {_ms(lat.stat(lat.row, 'median'))}, page median "
            f"{_ms(lat.stat(lat.page, 'median'))}, timeouts {lat.timeouts}")
    result.wall_seconds = time.perf_counter() - started
    return result


def _s(value: float | None) -> str:
    return report.fmt(value, ".2f") + " s"


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f} ms"


def markdown(result: AlertsResult) -> str:
    lines = ["## Alerts: hub CPU with the rules, and submission to alert on a desktop", ""]
    if result.rounds:
        lines += [
            "### Hub CPU, every default rule on against `--no-alerts`", "",
            f"Two real hub processes (SQLite, loopback, the simulator's {len(_orgs())} organisations), one with "
            f"the default rules (`resources/alerts/default_rules.json`), the baseline with `hub serve "
            f"--no-alerts`, receive the same simulator submissions (seed {SEED}, faults included) at the same "
            f"moments, in alternating order: the {result.hours:g} simulated hours up to now at "
            f"{result.speed:g} simulated seconds per real second ({result.speed / SIM_DEFAULT_SPEED:g}x the "
            f"simulator's default speed of {SIM_DEFAULT_SPEED:g}). Hub CPU = user + system time of each "
            "process from the first submission to the last (its alert clock ticks included). Ratio = alerts "
            "CPU / no-alerts CPU of the same round (the two shared the machine's load), median over "
            f"{len(result.rounds)} round(s). Target: <= {TARGET_CPU_RATIO:g}x.", "",
            "| round | submissions | items | wall s | hub CPU s, rules on | hub CPU s, --no-alerts | "
            "ratio | CPU ms/submission, on / off | alerts on the feed | load | same data |",
            "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
        for r in result.rounds:
            on, off = r.cpu_seconds["alerts"], r.cpu_seconds["no-alerts"]
            per = (f"{on * 1000 / r.submissions:.1f} / {off * 1000 / r.submissions:.1f}"
                   if on is not None and off is not None else "n/a")
            lines.append(f"| {r.round + 1} | {r.submissions:,} | {r.items:,} | {r.wall_seconds:.1f} | "
                         f"{report.fmt(on, '.2f')} | {report.fmt(off, '.2f')} | {report.fmt(r.ratio, '.3f')} | "
                         f"{per} | {r.feed['alerts'].get('alert', 0):,} | {report.fmt(r.load, '.1f')} | "
                         f"{'yes' if r.ok else 'NO'} |")
        ratio = result.ratio
        verdict = "n/a" if ratio is None else ("meets" if ratio <= TARGET_CPU_RATIO else "MISSES")
        lines += ["", f"- **hub CPU with every default rule on**: {report.fmt(ratio, '.2f')}x the CPU with "
                      f"`--no-alerts` ({verdict} <= {TARGET_CPU_RATIO:g}x; per round "
                      f"{', '.join(report.fmt(r.ratio, '.2f') for r in result.rounds)})",
                  f"- the last submission went out {max(r.behind_seconds for r in result.rounds):.1f} s behind "
                  "its pace at most (0: both hubs kept up; more: the machine was too busy for the pace, and "
                  "the run took longer than the simulated time / speed)"]
    lat = result.latency
    if lat is not None:
        lines += [
            "", "### Submission to alert on a desktop", "",
            "A real hub process (SQLite, loopback, default rules) and a desktop engine (`SyncEngine.run` in a "
            f"thread, long-poll {LONG_POLL_S:g} s, fresh encrypted replica). Each sample POSTs one provider "
            f"submission (CRITCON 3 from an acute trust: crosses `{LATENCY_RULE}`) and times from the start of "
            "the POST until the alert's `alert_event` row is visible to another connection on the replica "
            f"(checked every {WATCH_EVERY_S * 1000:.0f} ms, so about 10 ms late on average), and until "
            "`models.service.alerts.open_alerts` (the page the alert banner reads after a sync batch) lists it "
            "when read right after. The banner's paint adds one widget refresh on top of the page read. A "
            f"level-0 report clears the alert between samples. Target: median <= {TARGET_MEDIAN_S:g} s.", "",
            "| to | samples | median | p90 | max | timeouts |", "|---|--:|--:|--:|--:|--:|"]
        for name, values in (("alert_event row in the replica", lat.row), ("alert page (open_alerts)", lat.page)):
            lines.append(f"| {name} | {len(values)} | {_ms(lat.stat(values, 'median'))} | "
                         f"{_ms(lat.stat(values, 'p90'))} | {_ms(lat.stat(values, 'max'))} | {lat.timeouts} |")
        med = lat.stat(lat.page, "median")
        verdict = "n/a" if med is None else ("meets" if med <= TARGET_MEDIAN_S else "MISSES")
        lines += ["", f"- **submission to the alert page**: median {_ms(med)} ({verdict} <= "
                      f"{TARGET_MEDIAN_S:g} s); the POST itself {_ms(lat.stat(lat.post, 'median'))} median"]
    checks = ("both hubs stored the same data, only the rules hub raised alerts, every sample arrived"
              if result.ok else "FAILED (see the same data column and timeouts)")
    lines += ["", f"Checks: {checks}. Benchmark wall time {result.wall_seconds / 60:.1f} min."]
    return "\n".join(lines) + "\n"


def _orgs() -> list[dict]:
    from sync.simulator import Simulator

    return Simulator(seed=SEED).organisations()


def to_json(result: AlertsResult) -> dict:
    lat = result.latency
    return {"hours": result.hours, "speed": result.speed, "ratio": result.ratio, "ok": result.ok,
            "target_cpu_ratio": TARGET_CPU_RATIO, "target_median_s": TARGET_MEDIAN_S,
            "rounds": [{**asdict(r), "ratio": r.ratio, "ok": r.ok} for r in result.rounds],
            "latency": None if lat is None else {
                **asdict(lat), **{f"{k}_{w}": lat.stat(getattr(lat, k), w) for k in ("row", "page")
                                  for w in ("median", "p90", "max")}},
            "wall_seconds": result.wall_seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small run for a quick look")
    parser.add_argument("--parts", nargs="+", choices=("cpu", "latency"), default=["cpu", "latency"])
    parser.add_argument("--hours", type=float, help=f"simulated hours per CPU round (default {DEFAULT_HOURS:g})")
    parser.add_argument("--speed", type=float,
                        help=f"simulated seconds per real second (default {DEFAULT_SPEED:g})")
    parser.add_argument("--rounds", type=int, help=f"CPU rounds (default {DEFAULT_ROUNDS})")
    parser.add_argument("--samples", type=int, help=f"latency samples (default {DEFAULT_SAMPLES})")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    parser.add_argument("--update-doc", type=Path, metavar="MD",
                        help="put the section into this report (e.g. docs/benchmarks.md), keeping the rest")
    parser.add_argument("--tmpdir", help="folder for the temp databases (default: the system temp)")
    args = parser.parse_args(argv)
    hours = args.hours or (QUICK_HOURS if args.quick else DEFAULT_HOURS)
    speed = args.speed or (QUICK_SPEED if args.quick else DEFAULT_SPEED)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else DEFAULT_ROUNDS)
    samples = args.samples or (QUICK_SAMPLES if args.quick else DEFAULT_SAMPLES)
    if min(hours, speed, rounds, samples) <= 0:
        parser.error("--hours, --speed, --rounds and --samples must be positive")
    result = run(hours, speed, rounds, samples, tuple(args.parts), args.tmpdir,
                 progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = markdown(result)
    print(text)
    report.write_outputs(text, out=args.out, json_path=args.json, json_value=to_json(result))
    if args.update_doc:
        report.update_doc(args.update_doc, "bench_alerts", text)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
