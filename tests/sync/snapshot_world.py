"""A hub with the 40-provider simulated ICS's data, a room's records, a published snapshot and a tail
after it: the world the snapshot-join tests (and ``benchmarks/bench_join.py --quick``) use.

Everything real: the hub is ``scc-desktop hub serve --snapshots DIR`` on loopback, the data goes in
through ``/v1/submissions`` (the hub derives OPEL assessments and raises alerts from it), records
are authored on a real encrypted replica and pushed, and the snapshot is made by the real
``scc-desktop hub snapshot make`` command.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from models.replica import keyfile
from models.replica.store import Store
from sync import snapshot_join
from sync import authoring
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.simulator.generator import merge
from sync.simulator.sender import Sender
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.quality.sim_ics import simulator
from tests.support.hub import REPO, HubProcess, start_hub
from tests.support.replica import fresh_replica


# Columns a desktop fills from its own clock or sequence as it applies (not the feed's content).
LOCAL_COLUMNS = {"id", "received_at", "assessment_id", "updated_at", "last_sync_at"}
LOCAL_TABLES = {"outbox", "replica_meta", "alembic_version", "feed_cursor", "sqlite_sequence"}


@dataclass
class World:
    hub: HubProcess
    snapshots: Path
    folder: Path
    snapshot_position: int   # what the published snapshot holds
    head: int                # the feed's head, the tail after the snapshot included

    def desktop(self, name: str) -> Store:
        return fresh_replica(self.folder / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)

    def client(self, role: str = "room_lead") -> HubClient:
        return HubClient(self.hub.url, self.hub.tokens[role], read_timeout=60)

    def engine(self, store: Store) -> SyncEngine:
        return SyncEngine(store, self.client())

    def key(self, store: Store) -> bytes:
        return keyfile.unlock(store.path, PASSPHRASE)[0]


def hub_command(hub: HubProcess, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``scc-desktop hub ARGS --db <the hub's database>`` in a process of its own."""
    done = subprocess.run([sys.executable, "-m", "scc_desktop", "hub", *args, "--db", hub.db_url],
                          cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def send(sender: Sender, subs) -> None:
    for sub in merge(subs, 240):
        result = sender.send({**sub.payload, "submitted_at": datetime.now(timezone.utc).isoformat()})
        assert result.http_status == 200, result


def author_records(world: World, name: str, n: int) -> None:
    """A desktop records ``n`` decisions, each with an action, and pushes them."""
    store = world.desktop(name)
    try:
        for i in range(n):
            uid = authoring.record_decision(store, decision_maker="Dr Patel", decision_maker_role="Director on-call",
                                            decision=f"Decision {name} {i}", rationale="Handover waits over 60 minutes",
                                            recorded_by="Room support").uuid
            authoring.add_action(store, description=f"Action {name} {i}", owner="Room lead", author="Room support",
                                 decision_uuid=uid)
        result = world.engine(store).run_once()
        assert result.error is None and result.pushed == 2 * n, result
    finally:
        store.close()


def content(store: Store) -> dict[str, list[tuple]]:
    """Every feed-derived row of the replica, without the columns each desktop fills itself; OPEL
    parameter scores keyed by their assessment's feed position instead of its local id."""
    out = {}
    with store.reading() as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
        for table in tables:
            if table in LOCAL_TABLES:
                continue
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in LOCAL_COLUMNS]
            select = ", ".join(f't."{c}"' for c in columns)
            if table == "opel_parameter_score":
                query = (f"SELECT a.feed_seq, {select} FROM {table} t JOIN opel_assessment a "
                         "ON a.id = t.assessment_id")
            else:
                query = f"SELECT {select} FROM {table} t"
            out[table] = sorted(map(repr, conn.execute(query)))
    return out


def join(world, store: Store, client: HubClient | None = None, **kw) -> tuple[Store, snapshot_join.JoinOutcome]:
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    outcome = snapshot_join.join(path, key, cipher, client or world.client(), **kw)
    return Store(path, key, cipher), outcome


def leftovers(store_path: Path) -> list[str]:
    return sorted(p.name for p in store_path.parent.iterdir() if ".join-" in p.name)


@contextlib.contextmanager
def snapshot_world(folder: Path, *, hours: float = 12, tail_hours: float = 2, database: str | None = None):
    """``hours`` of the 40 providers and some records, snapshot published, then ``tail_hours`` more and
    more records (the tail)."""
    sim = simulator()
    snapshots = folder / "snapshots"
    hub = start_hub(folder, database, orgs=sim.organisations(), args=("--snapshots", str(snapshots)))
    sender = Sender(hub.url, hub.tokens["admin"], timeout=(3.05, 60), retries=2)
    try:
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        start, cut = now - timedelta(hours=hours + tail_hours), now - timedelta(hours=tail_hours)
        world = World(hub, snapshots, folder, 0, 0)
        send(sender, sim.submissions(start, cut))
        author_records(world, "author-before", 3)
        hub_command(hub, "snapshot", "make", "--snapshots", str(snapshots))
        world.snapshot_position = int(hub.request("GET", "/v1/snapshot", role="viewer").json()["position"])
        send(sender, sim.submissions(cut, now))
        author_records(world, "author-after", 2)
        world.head = hub.request("GET", "/health").json()["head"]
        assert world.head > world.snapshot_position
        yield world
    finally:
        sender.close()
        hub.stop()


# The default world, built once in this process (an xdist worker) by ``copied_world`` and copied for each caller.
_BUILT: dict[str, object] = {}


@contextlib.contextmanager
def copied_world(folder: Path, build_folder):
    """A world of the caller's own, as ``snapshot_world(folder)`` gives (12 hours, a 2-hour tail, SQLite), for
    the cost of a copy: the world is built once in this process (under ``build_folder()``, a fresh folder, e.g.
    ``lambda: tmp_path_factory.mktemp("world")``), its hub stopped, and each caller gets copies of the hub's
    database and snapshots folder under ``folder`` and a hub process started on them (as a hub restarted on
    its database, evaluating no alert rules). Nothing written to one copy is seen by another."""
    built = _BUILT.get("default")
    if built is None:
        source = build_folder()
        with snapshot_world(source) as w:
            built = {"folder": source, "tokens": dict(w.hub.tokens), "snapshot_position": w.snapshot_position,
                     "head": w.head}
        _BUILT["default"] = built
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built["folder"] / "hub.db", folder / "hub.db")
    for extra in ("-wal", "-shm"):
        if (built["folder"] / f"hub.db{extra}").exists():
            shutil.copy2(built["folder"] / f"hub.db{extra}", folder / f"hub.db{extra}")
    snapshots = folder / "snapshots"
    shutil.copytree(built["folder"] / "snapshots", snapshots)
    # No alert evaluation on the copy: the world's handovers cross their 45- and 60-minute marks as the
    # clock runs on, and a copy started minutes after the build raised them, moving the head the tests
    # compare against (test_snapshot_join under load: head + 2, two handover_release_45 alerts). The
    # build raised its alerts; the copy holds them.
    hub = HubProcess(f"sqlite:///{folder / 'hub.db'}", folder, dict(built["tokens"]),
                     args=("--snapshots", str(snapshots), "--no-alerts")).start()
    try:
        yield World(hub, snapshots, folder, built["snapshot_position"], built["head"])
    finally:
        hub.stop()
