"""Benchmark: the hub on PostgreSQL at ICS scale (issue 22, item 4) and regional scale (item 5).

A real hub process (``scc-desktop hub serve``; ``--hub-processes N``: N of
them sharing one port with ``--reuse-port``) on a throwaway PostgreSQL 15
cluster, on loopback, holding the 40-provider simulated ICS of the desktop
benchmark (``tests/quality/sim_ics.py``: 22 acute, 8 community, 6 mental
health, 3 NHS 111, 1 ambulance).  For ``--minutes`` of wall time:

``submissions``
    The simulator's submissions for that ICS, played at ``--rate`` times real
    time (default 10: ten times the simulator's cadences, which are themselves
    busier than most real feeds: every acute trust every 15 minutes, the
    ambulance service's handovers in 5-minute buckets), posted to
    ``/v1/submissions`` at their moments by a pool of submitter threads (real
    providers post concurrently).  Each POST is timed (submission latency).
``desktops``
    ``--desktops`` desktops syncing (default 50), spread over worker
    processes.  ``--engines`` of them (default 2) are the real thing: an
    ``scc-desktop sync`` process each, keeping a fresh encrypted replica; the
    rest are protocol clients (the desktop's own ``sync.client.HubClient``:
    long-polls of ``/v1/feed`` with ``format=columnar`` and ``wait=20`` as the
    engine asks, without applying into a replica, so that 50 replicas on one
    2-core machine do not measure the machine instead of the hub).  Every
    desktop also pushes a decision every ``--record-every`` seconds
    (``/v1/records``).  Delivery latency: from the start of a submission's
    POST to the moment each desktop's long-poll returns its ``intake_notice``
    (written in the submission's own transaction); and likewise for each
    pushed decision at every other desktop.

``--light`` (the regional run)
    The protocol clients are asyncio connections (``benchmarks/load_desktops.py``): one
    kept-alive HTTP/1.1 connection per desktop sending exactly the desktop engine's requests
    (its headers, ``format=columnar``, ``limit=50000``, ``wait=20.0``, following
    ``next_after``), a few hundred desktops per worker process (``--client-processes``,
    default 2). In a region they are separate machines: a thousand ``requests`` sessions in
    threads on the hub's own two cores measured themselves more than the hub (the
    2026-12-03 run: 8 worker processes of threads). Their CPU is reported apart from the
    hub's and PostgreSQL's, with the whole machine's in the same window (other work on a
    shared machine shows there). ``--quick --light`` is the CI smoke test of this mode.

``--db sqlite``
    The hub on an SQLite file instead (one hub process: SQLite is for one machine,
    ``docs/deployment.md``). ``--light --db sqlite --desktops 1000`` is the many-desktops run on
    the database a trial or a single-machine hub uses; ``--quick --light --db sqlite --desktops 50``
    its CI smoke test. Every run also samples the hub processes once a second (their threads,
    resident memory and open files at the peak), reads their open-files limits, and counts the
    clients' failed or refused requests (each client tries again after 0.5 s).

The regional rate (``docs/reliability.md``, "Regional scale"): England's 42 ICSs sit in 7
NHS regions, 3 to 11 ICSs each (6 on average), so a region's providers submit at 3 to
11 times one ICS's rate; ``--rate 10`` is about the largest region at real time, and since
the simulator's cadences are busier than most real feeds (every acute trust every 15
minutes, all at the quarter hour) it is a hard region. Its bursts matter more than its
mean: at 10x, the ~26 submissions due at each quarter hour arrive within about 9 s. Decisions:
a desktop records a handful a shift at most, so ``--record-every 3600`` (one a desktop an
hour; 1,000 desktops push one every 3.6 s) is generous; each desktop's first is spread
evenly over the first interval, so a run shorter than the interval still pushes at
that rate. The regional block was made with::

    nice -n 10 .venv/bin/python benchmarks/bench_load.py --light --desktops 1000 --engines 0 \
        --hub-processes 4 --minutes 5 --record-every 3600 \
        --update-doc docs/reliability.md --doc-block regional --doc-title "Regional scale"

Each protocol client also counts the feed answers it got in the measured window (and those
holding new positions: a wake-up each); hub CPU per answer is the hub's CPU in the window
over them: a wake-up and the re-poll that follows (with the submissions' intake in it; a
run with ``--desktops 1`` shows the intake alone).

At the end the run checks that nothing was lost or duplicated: every
protocol client saw every feed position from 1 to the head exactly once and
in order; every acknowledged submission's notice and every stored decision
reached every desktop; each real engine's replica holds exactly the hub's
observations and records with nothing quarantined.

Usage::

    .venv/bin/python benchmarks/bench_load.py                      # 10 min, 50 desktops, 10x
    .venv/bin/python benchmarks/bench_load.py --quick              # 10 s, 6 desktops (CI's smoke test)
    .venv/bin/python benchmarks/bench_load.py --quick --light --hub-processes 2   # the same, regional mode
    .venv/bin/python benchmarks/bench_load.py --quick --light --db sqlite --desktops 50   # an SQLite hub
    .venv/bin/python benchmarks/bench_load.py --update-doc docs/reliability.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync`, `tests` importable
    sys.path.insert(0, str(ROOT))

LONG_POLL_S = 20.0
FEED_LIMIT = 5000
SUBMITTERS = 8
DESKTOPS_PER_WORKER = 13   # protocol clients per worker process, up to MAX_WORKERS processes
MAX_WORKERS = 8
WORST_SHOWN = 8            # submissions whose deliveries were slowest, in --json (when in the run, POST time)
LIGHT_WORKERS = 2          # --light: asyncio worker processes (each holds hundreds of desktops)
GO_FILE = "go"            # the measured window begins (hub and client CPU, answers counted)
QUIET_FILE = "quiet"
STOP_FILE = "stop.json"
DOC_BLOCK = "bench_load"
DB_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


# --- one desktop worker process (protocol clients) ----------------------------------------------------
@dataclass
class Tally:
    """What one protocol client saw and did; ``report`` is its part of ``desktops-<first>.json``."""

    device: str
    seen: list = field(default_factory=list)         # feed positions, in the order they came
    problems: list = field(default_factory=list)
    notices: dict = field(default_factory=dict)      # submission id -> when its notice arrived
    records: dict = field(default_factory=dict)      # decision uuid -> when it arrived
    pushed: dict = field(default_factory=dict)       # decision uuid -> (push began, push took)
    answers: int = 0    # feed answers while the run measures ...
    nonempty: int = 0   # ... and those holding new positions

    def saw(self, seqs: list[int], items, got: float, measuring: bool) -> None:
        """One feed answer: its positions and its items as ``(kind, data)``, arrived at ``got``."""
        if measuring:
            self.answers += 1
            self.nonempty += bool(seqs)
        self.seen.extend(sorted(seqs))
        for kind, data in items:
            if kind == "intake_notice":
                self.notices.setdefault(data.get("submission_id"), got)
            elif kind == "record" and data.get("kind") == "decision":
                self.records.setdefault(data.get("uuid"), got)

    def report(self, after: int) -> dict:
        # Every position 1..head exactly once, in order: the feed has no gaps a reader may skip.
        seen, expect = self.seen, list(range(1, after + 1))
        return {"device": self.device, "positions_ok": seen == expect, "positions": len(seen),
                "duplicates": len(seen) - len(set(seen)), "missing": len(set(expect) - set(seen)),
                "notices": self.notices, "records": self.records, "pushed": self.pushed,
                "problems": self.problems[:20], "problem_count": len(self.problems),
                "answers": self.answers, "nonempty": self.nonempty}


def _desktop(index: int, hub_url: str, token: str, record_every: float, folder: Path, quiet: threading.Event,
             quieted: set, stop: threading.Event, out: dict, measuring: threading.Event) -> None:
    from sync.client import HubClient, HubRefused, HubUnreachable
    from sync.protocol import RecordBatch

    client = HubClient(hub_url, token)
    device = f"load-{os.getpid()}-{index}"
    tally = Tally(device)
    after, problems, pushed = 0, tally.problems, tally.pushed
    next_push = time.time() + record_every * (0.2 + 0.8 * (index % 7) / 7)
    final_head, prev_hash = None, None
    while True:
        if quiet.is_set():
            quieted.add(index)  # no push from here on: the run's last head can be taken
        if final_head is None and stop.is_set():
            final_head = json.loads((folder / STOP_FILE).read_text())["head"]
        if final_head is not None and after >= final_head:
            break
        now = time.time()
        if not quiet.is_set() and now >= next_push:
            rid = str(uuid.uuid4())
            data = _decision(rid, device, len(pushed) + 1, prev_hash)
            record = {"uuid": rid, "kind": "decision", "device_id": device,
                      "authored_at": datetime.now(timezone.utc).isoformat(), "data": data}
            try:
                receipt = client.push(RecordBatch.model_validate({"records": [record]}))
                status = receipt.results[0].status
                if status == "stored":
                    pushed[rid] = (now, time.time() - now)
                    prev_hash = data["content_hash"]
                else:
                    problems.append(f"decision {rid}: {status} {receipt.results[0].errors}")
            except (HubUnreachable, HubRefused) as exc:
                problems.append(f"push: {exc}")
            next_push = now + record_every
        if final_head is not None:
            wait = 0.0
        elif quiet.is_set():
            wait = LONG_POLL_S
        else:
            wait = min(LONG_POLL_S, max(0.0, next_push - time.time()))
        try:
            batch = client.feed(after, FEED_LIMIT, wait=wait, columnar=True)
        except (HubUnreachable, HubRefused) as exc:
            problems.append(f"feed after {after}: {exc}")
            time.sleep(0.5)
            continue
        seqs = [i.seq for i in batch.items] + (list(batch.observations.seq) if batch.observations else [])
        tally.saw(seqs, ((i.kind, i.data) for i in batch.items), time.time(),
                  measuring.is_set() and not quiet.is_set())
        after = batch.next_after
    client.close()
    out[index] = tally.report(after)


def _decision(rid: str, device: str, seq: int, prev: str | None) -> dict:
    """A decision's ``data`` exactly as a desktop authors it (``sync.authoring.record_decision``)."""
    from models.records import decision_log
    from models.replica.utc import to_utc_text

    now = datetime.now(timezone.utc)
    fields = {"uuid": rid, "device_id": device, "device_seq": seq, "decided_at": now, "decision_maker": "Load Lead",
              "decision_maker_role": "Room lead", "decision": f"load test decision {seq} of {device}",
              "rationale": "the load benchmark", "options_considered": "", "information_available": "",
              "situation_snapshot": {}, "review_at": None, "recorded_by": "Load Lead", "recorded_at": now,
              "amends_uuid": None, "links": []}
    digest = decision_log.content_hash(fields, prev)
    data = {k: (to_utc_text(v) if isinstance(v, datetime) else v) for k, v in fields.items()
            if k not in ("uuid", "device_id")}
    data.update(content_hash=digest, prev_device_hash=prev)
    return data


def child_desktops(args) -> int:
    folder = Path(args.folder)
    if args.light:
        from benchmarks import load_desktops
        return load_desktops.child(args)
    quiet, stop, measuring = threading.Event(), threading.Event(), threading.Event()
    quieted: set = set()
    out: dict = {}
    threads = [threading.Thread(target=_desktop, args=(args.first + i, args.hub, args.token, args.record_every,
                                                       folder, quiet, quieted, stop, out, measuring), daemon=True)
               for i in range(args.count)]
    for t in threads:
        t.start()
    # Two steps, so no decision lands after the last head is taken: every desktop stops pushing
    # (each says so after its long-poll in flight returns), then each reads up to that head.
    while not (folder / QUIET_FILE).exists():
        if (folder / GO_FILE).exists():
            measuring.set()
        time.sleep(0.1)
    quiet.set()
    deadline = time.monotonic() + LONG_POLL_S + 30
    while len(quieted) < args.count and time.monotonic() < deadline:
        time.sleep(0.1)
    (folder / f"quiet-{args.first}").touch()
    while not (folder / STOP_FILE).exists():
        time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(timeout=LONG_POLL_S + 60)
    (folder / f"desktops-{args.first}.json").write_text(json.dumps(out))
    return 0


# --- the run ---------------------------------------------------------------------------------------------
@dataclass
class LoadResult:
    minutes: float
    rate: float
    desktops: int
    engines: int
    hub_processes: int = 1
    submissions: int = 0
    accepted: int = 0
    refused: int = 0
    items: int = 0
    decisions: int = 0
    feed_head: int = 0
    submit_ms: dict = field(default_factory=dict)
    delivery_ms: dict = field(default_factory=dict)
    worst_submissions: list = field(default_factory=list)   # their own delivery percentiles, worst p99 first
    record_push_ms: dict = field(default_factory=dict)
    record_delivery_ms: dict = field(default_factory=dict)
    throughput_per_s: float = 0.0
    deliveries: int = 0
    lost: int = 0
    duplicated: int = 0
    engine_checks: list = field(default_factory=list)
    hub_cpu_s: float | None = None
    light: bool = False                 # protocol clients: asyncio (load_desktops) or HubClient threads
    client_processes: int = 0
    client_cpu_s: float | None = None   # the protocol clients' worker processes, the same window
    answers: int = 0                    # feed answers to the protocol clients in the window
    nonempty_answers: int = 0           # ... holding new positions (a wake-up each)
    hub_cpu_ms_per_answer: float | None = None
    window_s: float = 0.0                 # the measured window (the submissions' wall time)
    postgres_cpu_s: float | None = None   # the cluster's processes in it
    db: str = "postgresql"                # the hub's database: postgresql (a throwaway cluster) or sqlite (a file)
    hub_peak: dict = field(default_factory=dict)   # the hub processes' threads, RSS and open files at their peak
    hub_nofile: list = field(default_factory=list)  # each hub process's open-files limit (soft, hard)
    client_failures: int = 0              # the clients' failed or refused requests (each a retry after 0.5 s)
    machine_cpu_s: float | None = None    # every process on the machine in it (this run and anyone else's)
    problems: list = field(default_factory=list)
    load_before: str = ""


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    xs = sorted(values)

    def at(q: float) -> float:
        return round(xs[min(len(xs) - 1, int(q * len(xs)))] * 1000, 1)
    return {"n": len(xs), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(xs[-1] * 1000, 1)}


def _engine(hub, folder: Path, n: int) -> tuple[subprocess.Popen, Path]:
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.support.replica import fresh_replica

    path = folder / f"engine-{n}" / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
    env = {**os.environ, "SCC_PASSPHRASE": PASSPHRASE, "SCC_HUB_TOKEN": hub.tokens["room_lead"],
           "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", "sync", "--path", str(path), "--hub", hub.url,
                             "--wait", str(LONG_POLL_S)], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(folder / f"engine-{n}.log", "wb"), stdin=subprocess.DEVNULL)
    return proc, path


def _check_engine(hub, path: Path, counts: dict) -> dict:
    from sqlalchemy import func, select

    from models.replica.orm import DecisionEntry, Observation, QuarantinedRecord
    from models.replica.store import Store
    from tests.models.conftest import PASSPHRASE

    env = {**os.environ, "SCC_PASSPHRASE": PASSPHRASE, "SCC_HUB_TOKEN": hub.tokens["room_lead"],
           "PYTHONPATH": str(ROOT)}
    for _ in range(20):  # catch up to the head (each --once cycle is bounded)
        done = subprocess.run([sys.executable, "-m", "scc_desktop", "sync", "--once", "--path", str(path),
                               "--hub", hub.url], env=env, capture_output=True, text=True, timeout=300)
        report = json.loads(done.stdout or "{}")
        if report.get("position", -1) >= counts["head"]:
            break
    store = Store.unlock(path, PASSPHRASE)
    try:
        with store.session() as s:
            obs = s.scalar(select(func.count()).select_from(Observation))
            decisions = s.scalar(select(func.count()).select_from(DecisionEntry))
            quarantined = s.scalar(select(func.count()).select_from(QuarantinedRecord))
    finally:
        store.close()
    return {"replica": path.parent.name, "observations": obs, "hub_observations": counts["observation"],
            "decisions": decisions, "hub_decisions": counts["decision"], "quarantined": quarantined,
            "position": report.get("position"),
            "ok": obs == counts["observation"] and decisions == counts["decision"] and not quarantined}


def _cluster_cpu_s(cluster) -> float | None:
    """CPU seconds of the PostgreSQL cluster: its postmaster, the children it has reaped, and the
    live ones (every backend serving the hub). Linux ``/proc``; None elsewhere."""
    try:
        pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = sum(int(x) for x in fields[11:15])   # utime, stime, cutime, cstime
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                child = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(child[1]) == pid:
                total += int(child[11]) + int(child[12])
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _machine_busy_s() -> float | None:
    """CPU seconds every process on this machine has used since boot (``/proc/stat``), else None."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")   # less idle, iowait
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _proc_status(pid: int) -> dict | None:
    """Threads, resident memory (MiB) and open file descriptors of a live process (Linux ``/proc``)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        threads = int(re.search(r"^Threads:\s+(\d+)", status, re.M).group(1))
        rss_kib = int(re.search(r"^VmRSS:\s+(\d+)", status, re.M).group(1))
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, AttributeError, ValueError):
        return None
    return {"threads": threads, "rss_mib": round(rss_kib / 1024, 1), "fds": fds}


def _nofile(pid: int) -> tuple[int | str, int | str] | None:
    """A live process's open-files limit, (soft, hard), from ``/proc/<pid>/limits``."""
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return tuple(int(x) if x.isdigit() else x for x in (soft, hard))
    except OSError:
        pass
    return None


class HubSampler(threading.Thread):
    """Samples the hub processes' threads, memory and open files once a second; ``peak`` is the
    largest of each (summed over the processes at one sample)."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop = pids, {}, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            each = [_proc_status(pid) for pid in self.pids]
            if None in each:
                continue
            for key in ("threads", "rss_mib", "fds"):
                self.peak[key] = round(max(self.peak.get(key, 0), sum(e[key] for e in each)), 1)


def _hub_counts(db_url: str) -> dict:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            head = c.execute(text("SELECT coalesce(max(seq), 0) FROM feed")).scalar()
            observation = c.execute(text("SELECT count(*) FROM feed WHERE kind = 'observation'")).scalar()
            decision = c.execute(text("SELECT count(*) FROM feed WHERE kind = 'record' "
                                      "AND data LIKE '%\"kind\": \"decision\"%'")).scalar()
            if decision == 0:
                decision = c.execute(text("SELECT count(*) FROM feed WHERE kind = 'record' "
                                          "AND data LIKE '%\"kind\":\"decision\"%'")).scalar()
    finally:
        engine.dispose()
    return {"head": int(head), "observation": int(observation), "decision": int(decision)}


def run(minutes: float, rate: float, desktops: int, engines: int, record_every: float, folder: Path,
        progress=print, hub_processes: int = 1, light: bool = False, client_processes: int | None = None,
        db: str = "postgresql") -> LoadResult:
    import requests

    from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
    from tests.quality import sim_ics
    from tests.support.hub_group import start_hubs
    from tests.support.postgres import start_cluster

    from tests.support.hub_group import process_cpu_s

    res = LoadResult(minutes=minutes, rate=rate, desktops=desktops, engines=engines, hub_processes=hub_processes,
                     light=light, db=db, load_before=" ".join(f"{x:.2f}" for x in os.getloadavg()))
    sim = sim_ics.simulator()
    span = timedelta(seconds=minutes * 60 * rate)
    # From a quarter-hour (every acute trust's observations are due then), wholly in the past.
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - span
    start = start.replace(minute=start.minute // 15 * 15) - timedelta(minutes=15)
    end = start + span
    subs = sim.submissions(start, end)
    bodies = [(s.submission_id, json.dumps(s.payload, default=str).encode(), len(s.payload["items"])) for s in subs]
    offsets = [max((s.submitted_at - start).total_seconds(), 0.0) / rate for s in subs]
    cluster = start_cluster() if db == "postgresql" else None
    hub = workers = sampler = None
    engine_procs: list[tuple[subprocess.Popen, Path]] = []
    try:
        db_url = cluster.create_database() if cluster else f"sqlite:///{folder / 'hub.db'}"
        hub = start_hubs(folder, db_url, sim.organisations(), hub_processes)
        res.hub_nofile = [_nofile(proc.pid) for proc in hub.procs]
        progress(f"{hub_processes} hub process(es) on {DB_NAMES[db]} at {hub.url}; {len(bodies)} submissions "
                 f"over {minutes} min")
        protocol_clients = desktops - engines
        workers = []
        if light:
            per_worker = max(1, -(-protocol_clients // (client_processes or LIGHT_WORKERS)))
        else:
            per_worker = max(DESKTOPS_PER_WORKER, -(-protocol_clients // (client_processes or MAX_WORKERS)))
        for first in range(0, protocol_clients, per_worker):
            count = min(per_worker, protocol_clients - first)
            workers.append(subprocess.Popen(
                [sys.executable, __file__, "--child", "--folder", str(folder), "--hub", hub.url,
                 "--token", hub.tokens["room_lead"], "--first", str(first), "--count", str(count),
                 "--record-every", str(record_every), "--long-poll", str(LONG_POLL_S)]
                + (["--light"] if light else []),
                env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL))
        res.client_processes = len(workers)
        engine_procs = [_engine(hub, folder, n) for n in range(engines)]
        time.sleep(2.0 + protocol_clients / 500)  # the desktops' first long-polls are in place

        def clients_cpu() -> float | None:
            each = [process_cpu_s(w.pid) for w in workers]
            return None if None in each else sum(each)
        cpu0, client0, machine0 = hub.cpu_s(), clients_cpu(), _machine_busy_s()
        pg0 = _cluster_cpu_s(cluster) if cluster else None
        sampler = HubSampler([proc.pid for proc in hub.procs])
        sampler.start()
        (folder / GO_FILE).touch()
        timings: dict[str, tuple[float, float, int, int]] = {}
        lock = threading.Lock()
        local = threading.local()

        def post(sid: str, body: bytes, items: int) -> None:
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
                session.headers.update({VERSION_HEADER: PROTOCOL_VERSION, "Content-Type": "application/json",
                                        "Authorization": f"Bearer {hub.tokens['admin']}"})
            t0 = time.time()
            try:
                r = session.post(hub.url + "/v1/submissions", data=body, timeout=60)
                status, accepted = r.status_code, (r.json().get("accepted", 0) if r.status_code == 200 else 0)
            except requests.RequestException as exc:
                status, accepted = 0, 0
                res.problems.append(f"{sid}: {exc}")
            with lock:
                timings[sid] = (t0, time.time() - t0, status, accepted)

        t_start = time.perf_counter()
        with ThreadPoolExecutor(SUBMITTERS) as pool:
            for i, ((sid, body, items), due) in enumerate(zip(bodies, offsets)):
                wait = t_start + due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                pool.submit(post, sid, body, items)
                if progress and (i + 1) % 500 == 0:
                    progress(f"  {i + 1}/{len(bodies)} submissions posted")
        wall = time.perf_counter() - t_start
        cpu1, client1, machine1 = hub.cpu_s(), clients_cpu(), _machine_busy_s()
        pg1 = _cluster_cpu_s(cluster) if cluster else None
        sampler.stop.set()
        res.hub_peak = dict(sampler.peak)
        (folder / QUIET_FILE).touch()
        res.window_s = round(wall, 1)
        res.postgres_cpu_s = None if pg0 is None or pg1 is None else round(pg1 - pg0, 2)
        res.machine_cpu_s = None if machine0 is None or machine1 is None else round(machine1 - machine0, 1)
        res.hub_cpu_s = None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 2)
        res.client_cpu_s = None if client0 is None or client1 is None else round(client1 - client0, 2)
        deadline = time.monotonic() + LONG_POLL_S + 60
        while len(list(folder.glob("quiet-*"))) < len(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        counts = _hub_counts(db_url)
        (folder / STOP_FILE).write_text(json.dumps({"head": counts["head"]}))
        for w in workers:
            w.wait(timeout=LONG_POLL_S + 120)
        for proc, _ in engine_procs:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
        counts = _hub_counts(db_url)  # the decisions pushed up to the stop are in
        res.feed_head = counts["head"]
        res.decisions = counts["decision"]
        res.submissions = len(timings)
        ok = {sid: t for sid, t in timings.items() if t[2] == 200}
        res.accepted = len(ok)
        res.refused = len(timings) - len(ok)
        res.items = sum(t[3] for t in ok.values())
        res.throughput_per_s = round(len(ok) / wall, 2) if wall else 0.0
        res.submit_ms = percentiles([t[1] for t in timings.values()])
        delivery, record_delivery, record_push = [], [], []
        per_submission: dict[str, list[float]] = {}
        results: dict = {}
        for path in folder.glob("desktops-*.json"):
            results.update(json.loads(path.read_text()))
        pushed_all, owner = {}, {}
        for d in results.values():
            pushed_all.update(d["pushed"])
            owner.update({rid: d["device"] for rid in d["pushed"]})
            record_push += [t[1] for t in d["pushed"].values()]
        for d in results.values():
            res.answers += d.get("answers", 0)
            res.nonempty_answers += d.get("nonempty", 0)
            res.duplicated += d["duplicates"]
            res.lost += d["missing"]
            if not d["positions_ok"]:
                res.problems.append(f"{d['device']}: positions not 1..head in order")
            res.problems += d["problems"][:3]
            res.client_failures += d.get("problem_count", 0)
            for sid, (t0, _, _, _) in ok.items():
                got = d["notices"].get(sid)
                if got is None:
                    res.lost += 1
                else:
                    delivery.append(got - t0)
                    per_submission.setdefault(sid, []).append(got - t0)
            for rid, (t0, _) in pushed_all.items():
                got = d["records"].get(rid)
                if got is None:
                    res.lost += 1
                elif owner[rid] != d["device"]:
                    record_delivery.append(got - t0)
        if len(results) != desktops - engines:
            res.problems.append(f"{desktops - engines - len(results)} protocol clients did not report")
        if res.hub_cpu_s is not None and res.answers:
            res.hub_cpu_ms_per_answer = round(res.hub_cpu_s / res.answers * 1000, 3)
        res.deliveries = len(delivery)
        first = min((t[0] for t in ok.values()), default=0.0)
        res.worst_submissions = sorted(
            ({"at_s": round(ok[sid][0] - first, 1), "post_ms": round(ok[sid][1] * 1000, 1),
              **percentiles(times)} for sid, times in per_submission.items()),
            key=lambda w: -w["p99"])[:WORST_SHOWN]
        res.delivery_ms = percentiles(delivery)
        res.record_push_ms = percentiles(record_push)
        res.record_delivery_ms = percentiles(record_delivery)
        res.engine_checks = [_check_engine(hub, path, counts) for _, path in engine_procs]
        return res
    finally:
        if sampler is not None:
            sampler.stop.set()
        (folder / QUIET_FILE).touch(exist_ok=True)
        (folder / STOP_FILE).touch(exist_ok=True)
        for w in workers or []:
            if w.poll() is None:
                w.kill()
        for proc, _ in engine_procs:
            if proc.poll() is None:
                proc.kill()
        if hub is not None:
            hub.stop()
        if cluster is not None:
            cluster.stop()


def render(res: LoadResult) -> str:
    def row(name: str, p: dict) -> str:
        if not p:
            return f"| {name} | 0 | - | - | - | - |"
        return f"| {name} | {p['n']:,} | {p['p50']} | {p['p95']} | {p['p99']} | {p['max']} |"
    engines = "; ".join(f"{e['replica']}: {e['observations']:,}/{e['hub_observations']:,} observations, "
                        f"{e['decisions']}/{e['hub_decisions']} decisions"
                        f"{'' if e.get('quarantined') in (None, 0) else ', quarantined ' + str(e['quarantined'])}"
                        f" ({'equal' if e['ok'] else 'DIFFERENT'})" for e in res.engine_checks)
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, {os.cpu_count()} cores "
        f"(load before the run: {res.load_before}); "
        f"{'PostgreSQL 15' if res.db == 'postgresql' else 'SQLite (one file)'}, {res.hub_processes} hub process"
        f"{'es on one port' if res.hub_processes > 1 else ''}.",
        "",
        f"- {res.minutes:g} min at {res.rate:g}x the simulated 40-provider ICS's rate: {res.submissions:,} "
        f"submissions ({res.accepted:,} accepted, {res.refused} refused), {res.items:,} items; "
        f"{res.throughput_per_s} submissions/s accepted; feed head {res.feed_head:,}; hub CPU "
        f"{res.hub_cpu_s} s during the submissions.",
        f"- {res.desktops} desktops ({res.engines} real `scc-desktop sync` replicas, {res.desktops - res.engines} "
        f"protocol clients), {res.decisions:,} decisions pushed; {res.deliveries:,} submission deliveries timed.",
        f"- Protocol clients: {'asyncio, one kept-alive connection each' if res.light else 'HubClient threads'} "
        f"in {res.client_processes} worker process{'es' if res.client_processes != 1 else ''}, client CPU "
        f"{res.client_cpu_s} s in the same window; {res.answers:,} feed answers to them in it "
        f"({res.nonempty_answers:,} with new positions): hub CPU {res.hub_cpu_ms_per_answer} ms per answer "
        "(its wake-up or time-out, and the re-poll that follows).",
        f"- CPU in the {res.window_s:g} s window: hub {res.hub_cpu_s} s, "
        + (f"PostgreSQL {res.postgres_cpu_s} s, " if res.db == "postgresql" else "")
        + f"protocol clients {res.client_cpu_s} s; the whole machine {res.machine_cpu_s} s of "
        f"{round(res.window_s * (os.cpu_count() or 1)):,} ({os.cpu_count()} cores; the rest of it is other "
        "work on the machine and this script's submitters).",
        f"- Hub at its peak: {res.hub_peak.get('threads', '?')} threads, {res.hub_peak.get('rss_mib', '?')} MiB "
        f"resident, {res.hub_peak.get('fds', '?')} open files (limit "
        f"{', '.join(f'{s}/{h}' for s, h in filter(None, res.hub_nofile)) or '?'} soft/hard); "
        f"{res.client_failures} client requests failed or refused.",
        f"- Lost {res.lost}, duplicated {res.duplicated}; replicas: {engines or 'none'}.",
        "",
        "| latency (ms) | n | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|",
        row("submission POST (round trip)", res.submit_ms),
        row("submission to each desktop (intake notice)", res.delivery_ms),
        row("decision push (round trip)", res.record_push_ms),
        row("decision to each other desktop", res.record_delivery_ms),
    ]
    if res.problems:
        lines += ["", f"Problems ({len(res.problems)}): " + "; ".join(res.problems[:5])]
    return "\n".join(lines) + "\n"


def update_doc(doc: Path, text: str, name: str = DOC_BLOCK, title: str = "Load at ICS scale") -> None:
    """Put ``text`` between ``<!-- name -->`` markers in ``doc`` (under ``## title`` the first time)."""
    block = f"<!-- {name} -->\n{text}<!-- /{name} -->"
    old = doc.read_text() if doc.exists() else "# Reliability\n"
    pattern = re.compile(rf"<!-- {re.escape(name)} -->.*?<!-- /{re.escape(name)} -->", re.S)
    if pattern.search(old):
        new = pattern.sub(lambda _: block, old)
    else:
        new = old.rstrip("\n") + f"\n\n## {title}\n\nMeasured by `benchmarks/bench_load.py` " \
            "(how: its docstring).\n\n" + block + "\n"
    doc.write_text(new)


def main(argv: list[str] | None = None) -> int:
    global LONG_POLL_S
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=10.0, help="times the simulated ICS's real-time rate")
    p.add_argument("--desktops", type=int, default=None, help="desktops syncing (default 50; --quick 6)")
    p.add_argument("--engines", type=int, default=2, help="how many of the desktops keep a real replica")
    p.add_argument("--hub-processes", type=int, default=1, help="hub processes sharing one port (--reuse-port)")
    p.add_argument("--record-every", type=float, default=60.0, help="seconds between each desktop's decisions")
    p.add_argument("--long-poll", type=float, default=LONG_POLL_S, help="the desktops' long-poll wait (s)")
    p.add_argument("--quick", action="store_true",
                   help="10 s, 6 desktops (1 replica), 2 s long-polls; with --light 5 s, no replica")
    p.add_argument("--light", action="store_true",
                   help="protocol clients as asyncio connections (benchmarks/load_desktops.py), not HubClient threads")
    p.add_argument("--client-processes", type=int, default=None,
                   help=f"worker processes for the protocol clients (default {MAX_WORKERS}; --light {LIGHT_WORKERS})")
    p.add_argument("--db", choices=tuple(DB_NAMES), default="postgresql",
                   help="the hub's database: a throwaway PostgreSQL cluster, or an SQLite file")
    p.add_argument("--json", type=Path)
    p.add_argument("--update-doc", type=Path, metavar="MD")
    p.add_argument("--doc-block", default=DOC_BLOCK, help="the marked block of --update-doc to replace")
    p.add_argument("--doc-title", default="Load at ICS scale", help="its section's title, when first written")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    p.add_argument("--hub", help=argparse.SUPPRESS)
    p.add_argument("--token", help=argparse.SUPPRESS)
    p.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    LONG_POLL_S = 2.0 if args.quick else args.long_poll   # the app's is 20 s; a shorter one ends a quick run sooner
    if args.child:
        return child_desktops(args)
    if args.quick:
        # --light: no replica and 5 s of submissions (it checks the clients and the processes; the plain
        # quick run checks a real replica against the hub)
        args.minutes, args.engines, args.record_every = (1 / 12, 0, 2.0) if args.light else (1 / 6, 1, 4.0)
    args.desktops = args.desktops or (6 if args.quick else 50)
    with tempfile.TemporaryDirectory(prefix="scc-load-") as tmp:
        res = run(args.minutes, args.rate, args.desktops, args.engines, args.record_every, Path(tmp),
                  hub_processes=args.hub_processes, light=args.light, client_processes=args.client_processes,
                  db=args.db)
    text = render(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(asdict(res), indent=2))
    if args.update_doc:
        update_doc(args.update_doc, text, args.doc_block, args.doc_title)
    bad = res.lost or res.duplicated or res.refused or any(not e["ok"] for e in res.engine_checks)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
