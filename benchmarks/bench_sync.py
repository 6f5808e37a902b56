"""Benchmark: a desktop's initial sync from a real hub, and submission-to-replica latency.

``ingest``
    BASELINE, the store's own bulk-ingest rate: exactly ``bench_ingest``'s
    ``ingest`` measurement (``Store.create`` with the default cipher, then
    ``models.replica.ingest.ingest_observations`` on ``bench_ingest.generate_rows``).
``sync``
    The same rows sit in a real hub's feed (a ``scc-desktop hub serve``
    process on an SQLite file, on loopback); a fresh encrypted replica runs
    ``SyncEngine.run_once`` until it holds the hub's head. Timed: from the
    first request to the last commit. The hub's database is filled directly
    (one bulk INSERT into its ``feed`` table, the rows exactly as the hub's
    intake writes them, positions after the hub's own organisation items):
    this measures the desktop's sync, not provider intake.
    ``format`` is ``columnar`` (protocol 1.1, what the engine asks for) or
    ``items`` (1.0: every item a JSON object, as older desktops read it).
``latency``
    A real hub with the test ICS and a desktop engine running
    ``SyncEngine.run`` in a thread, either polling every 2 s
    (``long_poll=0, poll_interval=2``) or long-polling (the app's default).
    K single observations are POSTed to ``/v1/submissions`` at random
    moments; each latency is from the start of the POST to the row being
    visible to another connection on the replica (checked every 20 ms, so
    figures are late by 10 ms on average).

Every ingest and sync measurement runs in a fresh process (``--child``) and a
fresh temp folder; repeats are interleaved (ingest, then each sync format),
and the ratio is ``sync rate / ingest rate`` of the same repeat, reported as
the median over repeats.

Usage::

    .venv/bin/python benchmarks/bench_sync.py                 # 1,000,000 rows x 3, 30 latency samples
    .venv/bin/python benchmarks/bench_sync.py --quick         # 20,000 rows x 1, 5 samples
    .venv/bin/python benchmarks/bench_sync.py --rows 200000 --formats columnar --latency-modes long-poll \\
        --out /tmp/sync.md --json /tmp/sync.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
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

from benchmarks import bench_ingest, report  # noqa: E402
from benchmarks.report import fmt as _fmt  # noqa: E402

DEFAULT_ROWS = 1_000_000
DEFAULT_REPEATS = 3
DEFAULT_SAMPLES = 30
QUICK_ROWS = 20_000
QUICK_REPEATS = 1
QUICK_SAMPLES = 5
FORMATS = ("columnar", "items")
LATENCY_MODES = ("poll", "long-poll")
POLL_INTERVAL_S = 2.0
LONG_POLL_S = 20.0
WATCH_EVERY_S = 0.02
SAMPLE_TIMEOUT_S = 20.0
PASSPHRASE = bench_ingest.PASSPHRASE
SEED = 20251125
# Targets from the issue.
TARGET_SYNC_RATIO = 0.5        # initial sync rate >= 0.5x the store's bulk-ingest rate
TARGET_POLL_MEDIAN_S = 2.5     # submission -> replica with a 2-s poll, median


# -- the hub's feed, filled directly ------------------------------------------------
def _hub_time(text: str) -> str:
    """What the hub's intake stores for a time (``isoformat`` of a UTC datetime)."""
    return text[:19] + "+00:00" if text[19:26] == ".000000" else text


def seed_hub(folder: Path, rows: list[tuple]) -> tuple[str, dict[str, str], int]:
    """A hub database holding ``rows`` as observation feed items; returns (url, tokens, first seq - 1).

    The hub's own set-up (``tests.support.hub.seed``) creates the schema,
    tokens and one organisation item per organisation of the rows; the
    observations follow in one transaction, each ``data`` document exactly as
    ``sync.hub.intake`` writes it, and its typed ``feed_observation`` row as the
    intake's writer adds it (``sync.hub.db.observation_row``), with a ``submission``
    row so the feed has a ``last_provider_data_at``.
    """
    from sync.hub.db import dumps, observation_row
    from tests.support import hub as test_hub

    orgs = sorted({r[0] for r in rows})
    specs = [{"ods_code": o, "name": f"Benchmark Trust {o}", "sector": "acute", "size": 500.0} for o in orgs]
    specs.append(dict(test_hub.TEST_ORGS[0]))  # the submitter's organisation, for the latency runs
    path = folder / "hub.db"
    db_url = f"sqlite:///{path}"
    tokens = test_hub.seed(db_url, specs)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        head = con.execute("SELECT value FROM feed_counter WHERE id = 1").fetchone()[0]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

        typed: list[tuple] = []

        def items():
            for org, metric, observed, value, source, received, seq in rows:
                doc = {"metric": metric, "observed_at": _hub_time(observed), "value": value,
                       "org_code": org, "received_at": _hub_time(received),
                       "submission_id": f"bench-{seq // 2000:06d}", "source": source}
                row = observation_row(head + seq, doc)  # the intake's Writer adds the same row
                typed.append(tuple(row[c] for c in _TYPED))
                yield head + seq, "observation", org, dumps(doc), now

        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO feed (seq, kind, org_code, data, created_at) VALUES (?, ?, ?, ?, ?)",
                        items())
        con.executemany(f"INSERT INTO feed_observation ({', '.join(_TYPED)}) VALUES ({', '.join('?' * len(_TYPED))})",
                        typed)
        del typed
        con.execute("UPDATE feed_counter SET value = ? WHERE id = 1", (head + len(rows),))
        con.execute("INSERT INTO submission (submission_id, org_code, source, submitted_at, received_at, "
                    "submitted_by, receipt) VALUES ('bench-last', ?, 'json', ?, ?, 'benchmark', '{}')",
                    (orgs[0], now, now))
        con.execute("COMMIT")
    finally:
        con.close()
    return db_url, tokens, head


_TYPED = ("seq", "org_code", "metric", "observed_at", "value", "source", "received_at")


def _expected(rows: list[tuple]) -> dict:
    return {"rows": len(rows), "value_sum": math.fsum(r[3] for r in rows)}


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of another process, where /proc says."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


# -- one measurement (runs in a child process) --------------------------------------
def measure_sync(url: str, token: str, fmt: str, folder: Path, head: int, first_seq: int,
                 expected: dict) -> dict:
    """Sync a fresh replica from ``url`` until it holds ``head``; figures and checks."""
    from models.replica import ingest
    from models.replica import store
    from models.replica.keyfile import KdfParams
    from sync.client import HubClient
    from sync.engine import SyncEngine

    replica = store.Store.create(folder / "replica.db", PASSPHRASE, kdf=KdfParams(n=2**10, r=8, p=1))
    validator = ingest.ObservationValidator(bench_ingest.catalogue_ranges(bench_ingest.load_catalogue()))
    engine = SyncEngine(replica, HubClient(url, token), validator=validator, columnar=fmt == "columnar")
    result: dict = {"kind": "sync", "format": fmt, "rows": expected["rows"], "batch_limit": engine.batch_limit,
                    "load_before": bench_ingest._load()}
    cycles = batches = 0
    t0, c0 = time.perf_counter(), time.process_time()
    while engine.position() < head and cycles < 50:
        cycle = engine.run_once()
        if cycle.error:
            raise RuntimeError(f"sync failed: {cycle.error}")
        cycles, batches = cycles + 1, batches + cycle.batches
    result["seconds"] = time.perf_counter() - t0
    result["cpu_seconds"] = time.process_time() - c0
    result.update(cycles=cycles, batches=batches, position=engine.position())
    with replica.raw() as raw:
        count, lo, hi, total = raw.execute("SELECT count(*), min(feed_seq), max(feed_seq), sum(value) "
                                           "FROM observation").fetchall()[0]
        result["quarantined"] = raw.execute("SELECT count(*) FROM quarantined_record").fetchall()[0][0]
    n = expected["rows"]
    result["stored_rows"] = count
    result["rows_ok"] = ((count, lo, hi) == (n, first_seq + 1, first_seq + n) and result["quarantined"] == 0
                         and math.isclose(total or 0.0, expected["value_sum"], rel_tol=1e-9)
                         and engine.position() == head)
    result["rate"] = n / result["seconds"]
    result["load_after"] = bench_ingest._load()
    replica.close()  # the last checkpoint: the file then holds everything
    result["db_mib"] = (folder / "replica.db").stat().st_size / 2**20
    return result


def _child(kind: str, args: list[str], tmpdir: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="scc-bench-sync-", dir=tmpdir) as folder:
        return report.run_child(__file__, [kind, "--child-folder", folder, *args], what=kind)


# -- latency -------------------------------------------------------------------------
@dataclass
class Latency:
    mode: str
    samples: list[float] = field(default_factory=list)  # seconds, POST start -> visible in the replica
    timeouts: int = 0
    post_seconds: list[float] = field(default_factory=list)  # the POST's own round trip

    def stat(self, what: str) -> float | None:
        if not self.samples:
            return None
        if what == "median":
            return statistics.median(self.samples)
        if what == "p90":
            return statistics.quantiles(self.samples, n=10, method="inclusive")[8] if len(self.samples) > 1 \
                else self.samples[0]
        return max(self.samples)


def measure_latency(mode: str, samples: int, folder: Path, rng: random.Random, progress=None) -> Latency:
    """``samples`` single-observation submissions to a real hub, each timed into the replica."""
    import requests

    from models.replica import store
    from models.replica.keyfile import KdfParams
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from tests.support.hub import SUBMITTER_ORG, start_hub

    folder.mkdir(parents=True, exist_ok=True)
    hub = start_hub(folder)
    replica_path = folder / "replica.db"
    replica = store.Store.create(replica_path, PASSPHRASE, kdf=KdfParams(n=2**10, r=8, p=1))
    watcher = store.Store.unlock(replica_path, PASSPHRASE)  # another connection, as a view would have
    engine = SyncEngine(replica, HubClient(hub.url, hub.tokens["room_lead"]))
    stop = threading.Event()
    long_poll = LONG_POLL_S if mode == "long-poll" else 0.0
    worker = threading.Thread(target=engine.run, args=(stop,), name="bench-sync-engine", daemon=True,
                              kwargs={"poll_interval": POLL_INTERVAL_S, "long_poll": long_poll})
    out = Latency(mode)
    session = requests.Session()
    headers = hub.headers("provider_submitter")
    try:
        worker.start()
        engine_ready = time.monotonic() + 30
        while engine.position() == 0 and time.monotonic() < engine_ready:
            time.sleep(0.05)
        base = datetime.now(timezone.utc) - timedelta(hours=2)
        with watcher.raw() as raw:
            for k in range(samples):
                time.sleep(rng.uniform(0.2, POLL_INTERVAL_S + 0.2))  # a random moment in the poll cycle
                observed = (base + timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
                body = {"submission_id": f"bench-{uuid.uuid4().hex}", "org_code": SUBMITTER_ORG,
                        "submitted_at": datetime.now(timezone.utc).isoformat(),
                        "items": [{"type": "observation", "metric": "ga_bed_occupancy_pct",
                                   "observed_at": observed, "value": round(rng.uniform(80, 99), 1)}]}
                seen = threading.Event()
                found: dict = {}

                def watch():
                    while not seen.is_set():
                        hit = raw.execute("SELECT 1 FROM observation WHERE org_code = ? AND observed_at = ?",
                                          (SUBMITTER_ORG, observed)).fetchall()
                        if hit:
                            found["at"] = time.perf_counter()
                            seen.set()
                            return
                        seen.wait(WATCH_EVERY_S)

                eye = threading.Thread(target=watch, daemon=True)
                eye.start()
                t0 = time.perf_counter()
                resp = session.post(hub.url + "/v1/submissions", json=body, headers=headers, timeout=30)
                out.post_seconds.append(time.perf_counter() - t0)
                if resp.status_code != 200:
                    seen.set()
                    raise RuntimeError(f"submission refused: HTTP {resp.status_code} {resp.text[:300]}")
                if seen.wait(SAMPLE_TIMEOUT_S):
                    out.samples.append(found["at"] - t0)
                else:
                    out.timeouts += 1
                    seen.set()
                eye.join(5)
                if progress and out.samples:
                    progress(f"latency {mode:9} [{k + 1}/{samples}] {out.samples[-1] * 1000:7.1f} ms")
    finally:
        stop.set()
        hub.stop()  # answers a waiting long-poll at once
        worker.join(LONG_POLL_S + 10)
        watcher.close()
        replica.close()
    return out


# -- the whole benchmark -------------------------------------------------------------
@dataclass
class SyncResult:
    rows: int
    repeats: int
    formats: list[str]
    runs: list[dict] = field(default_factory=list)
    ratios: dict[str, list[float]] = field(default_factory=dict)  # format -> sync rate / ingest rate per repeat
    cpu_ratios: dict[str, list[float]] = field(default_factory=dict)  # ingest CPU / (client + hub CPU)
    latency: list[Latency] = field(default_factory=list)
    wall_seconds: float = 0.0

    def of(self, kind: str, fmt: str | None = None) -> list[dict]:
        return [r for r in self.runs if r["kind"] == kind and (fmt is None or r.get("format") == fmt)]

    def median(self, kind: str, key: str, fmt: str | None = None) -> float | None:
        values = [r[key] for r in self.of(kind, fmt) if r.get(key) is not None]
        return statistics.median(values) if values else None

    @property
    def all_rows_ok(self) -> bool:
        return all(r["rows_ok"] for r in self.runs) and all(not lat.timeouts for lat in self.latency)


def run(rows: int = DEFAULT_ROWS, repeats: int = DEFAULT_REPEATS, *, formats=("columnar", "items"),
        latency_modes=LATENCY_MODES, samples: int = DEFAULT_SAMPLES, cipher: str | None = None,
        tmpdir: str | None = None, progress=None) -> SyncResult:
    """Seed a hub once, then ``repeats`` interleaved rounds of ingest and sync; then the latency runs."""
    from models.replica import store
    from tests.support.hub import HubProcess

    cipher = cipher or store.DEFAULT_CIPHER
    say = progress or (lambda line: None)
    result = SyncResult(rows, repeats, list(formats))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="scc-bench-hub-", dir=tmpdir) as hub_folder:
        folder = Path(hub_folder)
        data = bench_ingest.generate_rows(rows)
        expected = _expected(data)
        t0 = time.perf_counter()
        db_url, tokens, first_seq = seed_hub(folder, data)
        del data
        say(f"hub seeded with {rows:,} observations in {time.perf_counter() - t0:.1f} s")
        for rep in range(repeats):
            base = _child("ingest", ["--rows", str(rows), "--cipher", cipher], tmpdir)
            base.update(repeat=rep, format=None)
            result.runs.append(base)
            say(f"[{rep + 1}/{repeats}] ingest   {base['seconds']:7.2f} s {base['rate']:>10,.0f} rows/s "
                f"cpu {base['cpu_seconds']:6.2f} s rows_ok={base['rows_ok']}")
            for fmt in formats:
                hub = HubProcess(db_url, folder, tokens).start()
                try:
                    hub_cpu = _process_cpu(hub.proc.pid)
                    r = _child("sync", ["--hub-url", hub.url, "--token", tokens["room_lead"], "--format", fmt,
                                        "--head", str(first_seq + rows), "--first-seq", str(first_seq),
                                        "--expected", json.dumps(expected)], tmpdir)
                    after = _process_cpu(hub.proc.pid)
                    r["hub_cpu_seconds"] = None if hub_cpu is None or after is None else after - hub_cpu
                finally:
                    hub.stop()
                r["repeat"] = rep
                result.runs.append(r)
                result.ratios.setdefault(fmt, []).append(r["rate"] / base["rate"])
                if r["hub_cpu_seconds"] is not None:
                    result.cpu_ratios.setdefault(fmt, []).append(
                        base["cpu_seconds"] / (r["cpu_seconds"] + r["hub_cpu_seconds"]))
                say(f"[{rep + 1}/{repeats}] sync {fmt:8} {r['seconds']:7.2f} s {r['rate']:>10,.0f} rows/s "
                    f"ratio {r['rate'] / base['rate']:.2f} cpu {r['cpu_seconds']:6.2f} s "
                    f"hub cpu {_fmt(r['hub_cpu_seconds'], '.2f')} s batches {r['batches']} rows_ok={r['rows_ok']}")
    rng = random.Random(SEED)
    for mode in latency_modes:
        with tempfile.TemporaryDirectory(prefix="scc-bench-latency-", dir=tmpdir) as lat_folder:
            lat = measure_latency(mode, samples, Path(lat_folder), rng, progress)
        result.latency.append(lat)
        say(f"latency {mode}: median {_ms(lat.stat('median'))}, p90 {_ms(lat.stat('p90'))}, "
            f"max {_ms(lat.stat('max'))}, timeouts {lat.timeouts}")
    result.wall_seconds = time.perf_counter() - started
    return result


# -- report --------------------------------------------------------------------------



def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:,.0f} ms"


def markdown(result: SyncResult, heading_level: int = 2) -> str:
    """The report: initial sync against the store's ingest, then latency; same style as bench_ingest."""
    h = "#" * heading_level
    lines = [f"{h} Initial sync of {result.rows:,} observations from a hub",
             "",
             f"Median of {result.repeats} interleaved run(s), each in a fresh process and temp folder. "
             "`ingest` is the store's bulk ingest (`models.replica.ingest.ingest_observations` into a fresh "
             "encrypted replica: the `ingest` measurement of the bulk-ingest benchmark) of the same rows; `sync` is a fresh encrypted replica pulling them from a real hub "
             "process (SQLite, loopback HTTP) with `SyncEngine.run_once`, from the first request to the "
             "last commit. Format `columnar` is protocol 1.1 (observations as parallel arrays, what the "
             "engine asks for); `items` is 1.0 (one JSON object per item, what older desktops read). "
             "Ratio = sync rate / ingest rate of the same repeat (median over repeats); CPU ratio = "
             "ingest CPU s / (desktop CPU s + hub CPU s), the ratio if the two processes had to share "
             f"one core. Target: sync >= {TARGET_SYNC_RATIO:g}x ingest.",
             "",
             "| path | format | seconds | rows/s | ratio to ingest | desktop CPU s | hub CPU s | CPU ratio | "
             "batches | replica MiB | load | rows ok |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
    ing = result.of("ingest")
    lines.append(f"| ingest | - | {result.median('ingest', 'seconds'):.2f} | "
                 f"{result.median('ingest', 'rate'):,.0f} | 1.000 | {result.median('ingest', 'cpu_seconds'):.2f} | "
                 f"- | - | 1 | {result.median('ingest', 'db_mib'):.1f} | "
                 f"{_fmt(result.median('ingest', 'load_before'), '.1f')} | "
                 f"{'yes' if all(r['rows_ok'] for r in ing) else 'NO'} |")
    for fmt in result.formats:
        runs = result.of("sync", fmt)
        cpu = result.cpu_ratios.get(fmt)
        lines.append(
            f"| sync | {fmt} | {result.median('sync', 'seconds', fmt):.2f} | "
            f"{result.median('sync', 'rate', fmt):,.0f} | {statistics.median(result.ratios[fmt]):.3f} | "
            f"{result.median('sync', 'cpu_seconds', fmt):.2f} | "
            f"{_fmt(result.median('sync', 'hub_cpu_seconds', fmt), '.2f')} | "
            f"{_fmt(statistics.median(cpu) if cpu else None, '.3f')} | "
            f"{result.median('sync', 'batches', fmt):.0f} | {result.median('sync', 'db_mib', fmt):.1f} | "
            f"{_fmt(result.median('sync', 'load_before', fmt), '.1f')} | "
            f"{'yes' if all(r['rows_ok'] for r in runs) else 'NO'} |")
    lines += ["", "Against the targets (median ratios):", ""]
    for fmt in result.formats:
        ratio = statistics.median(result.ratios[fmt])
        per = ", ".join(f"{x:.2f}" for x in result.ratios[fmt])
        lines.append(f"- **sync, {fmt}**: {ratio:.2f}x ingest ({'meets' if ratio >= TARGET_SYNC_RATIO else 'misses'} "
                     f">= {TARGET_SYNC_RATIO:g}x; per repeat {per})")
    if result.latency:
        lines += ["", f"{h}# Submission to replica",
                  "",
                  "A real hub process (SQLite, loopback) and a desktop engine (`SyncEngine.run` in a thread, "
                  f"fresh encrypted replica). Each sample POSTs one observation to `/v1/submissions` at a "
                  f"random moment and times from the start of the POST until another connection on the "
                  f"replica sees the row (checked every {WATCH_EVERY_S * 1000:.0f} ms). `poll` is "
                  f"`long_poll=0, poll_interval={POLL_INTERVAL_S:g}`; `long-poll` waits on the hub up to "
                  f"{LONG_POLL_S:g} s (the app's default). The hub also rescores OPEL on each submission, "
                  f"so each sample carries the assessment items too. Target: median <= "
                  f"{TARGET_POLL_MEDIAN_S:g} s with the 2-s poll.",
                  "",
                  "| mode | samples | median | p90 | max | POST round trip (median) | timeouts |",
                  "|---|--:|--:|--:|--:|--:|--:|"]
        for lat in result.latency:
            post = statistics.median(lat.post_seconds) if lat.post_seconds else None
            lines.append(f"| {lat.mode} | {len(lat.samples)} | {_ms(lat.stat('median'))} | "
                         f"{_ms(lat.stat('p90'))} | {_ms(lat.stat('max'))} | {_ms(post)} | {lat.timeouts} |")
        poll = next((lat for lat in result.latency if lat.mode == "poll"), None)
        if poll and poll.samples:
            med = poll.stat("median")
            lines += ["", f"- **2-s poll**: median {med:.2f} s ({'meets' if med <= TARGET_POLL_MEDIAN_S else 'misses'} "
                      f"<= {TARGET_POLL_MEDIAN_S:g} s)"]
    lines += ["", f"All row counts, value sums and cursors checked after every run: "
              f"{'all rows stored' if result.all_rows_ok else 'MISMATCH, see the rows ok column'}. "
              f"Benchmark wall time {result.wall_seconds / 60:.1f} min.", ""]
    return "\n".join(lines)


def to_json(result: SyncResult) -> dict:
    doc = asdict(result)
    for lat, out in zip(result.latency, doc["latency"]):
        out.update(median=lat.stat("median"), p90=lat.stat("p90"), max=lat.stat("max"))
    return doc


def update_doc(path: Path, section: str) -> None:
    """Put the section into an existing report without touching the rest (``report.update_doc``)."""
    report.update_doc(path, "bench_sync", section)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, help=f"observations (default {DEFAULT_ROWS:,}; --quick {QUICK_ROWS:,})")
    parser.add_argument("--repeats", type=int, help=f"interleaved rounds (default {DEFAULT_REPEATS}; --quick {QUICK_REPEATS})")
    parser.add_argument("--samples", type=int, help=f"latency samples per mode (default {DEFAULT_SAMPLES}; --quick {QUICK_SAMPLES})")
    parser.add_argument("--quick", action="store_true", help="a small run for a quick look")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS),
                        help="feed formats to sync with (default both)")
    parser.add_argument("--latency-modes", nargs="*", choices=LATENCY_MODES, default=list(LATENCY_MODES),
                        help="latency runs (default both; none to skip)")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--json", type=Path, help="write every run's figures here as JSON")
    parser.add_argument("--update-doc", type=Path, metavar="MD",
                        help="put the report into this file (e.g. docs/benchmarks.md), keeping the rest")
    parser.add_argument("--tmpdir", help="folder for the temp databases (default: the system temp)")
    parser.add_argument("--child", choices=("ingest", "sync"), help=argparse.SUPPRESS)
    parser.add_argument("--child-folder", help=argparse.SUPPRESS)
    parser.add_argument("--cipher", help=argparse.SUPPRESS)
    parser.add_argument("--hub-url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--format", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--head", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--first-seq", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--expected", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child == "ingest":
        out = bench_ingest.measure_one("ingest", args.cipher, args.rows, Path(args.child_folder))
        print(json.dumps(out))
        return 0
    if args.child == "sync":
        out = measure_sync(args.hub_url, args.token, args.format, Path(args.child_folder), args.head,
                           args.first_seq, json.loads(args.expected))
        print(json.dumps(out))
        return 0

    rows = args.rows or (QUICK_ROWS if args.quick else DEFAULT_ROWS)
    repeats = args.repeats or (QUICK_REPEATS if args.quick else DEFAULT_REPEATS)
    samples = args.samples or (QUICK_SAMPLES if args.quick else DEFAULT_SAMPLES)
    if rows <= 0 or repeats <= 0 or samples <= 0:
        parser.error("--rows, --repeats and --samples must be positive")
    result = run(rows, repeats, formats=args.formats, latency_modes=args.latency_modes, samples=samples,
                 tmpdir=args.tmpdir, progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = markdown(result)
    print(text)
    report.write_outputs(text, out=args.out, json_path=args.json, json_value=to_json(result))
    if args.update_doc:
        update_doc(args.update_doc, text)
    return 0 if result.all_rows_ok else 1


if __name__ == "__main__":
    sys.exit(main())
