"""A new desktop joins from the hub's snapshot, then the tail (protocol 1.7; sync/snapshot_join.py).

One world for the module (tests/sync/snapshot_world.py, a copy of the one built once per process): a real hub on loopback holding 12 hours of
the 40-provider simulated ICS, decisions and actions from a desktop, a snapshot published by the
real ``hub snapshot make`` command, then two more hours and more records after it (the tail).
Desktops are real encrypted replicas.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.replica.store import Store, connect_raw
from sync import snapshot_join
from sync.client import HubClient, HubRefused
from sync.hub.feed import KEEP_SECONDS
from tests.support.hub import REPO
from tests.sync.snapshot_world import content, copied_world, hub_command, join, leftovers

pytestmark = pytest.mark.timeout(900)

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The module's world: a copy of the one built once in this process (``copied_world``)."""
    with copied_world(tmp_path_factory.mktemp("snapshot-join"), lambda: tmp_path_factory.mktemp("world")) as w:
        yield w


def test_joined_desktop_equals_one_that_replayed_the_feed(world):
    replayed, joined = world.desktop("replayed"), world.desktop("joined")
    try:
        engine = world.engine(replayed)
        assert engine.run_once().error is None
        assert engine.position() == world.head
        joined, outcome = join(world, joined)
        assert outcome.joined, outcome.line
        assert outcome.position == world.snapshot_position
        tail = world.engine(joined)
        assert tail.position() == world.snapshot_position
        result = tail.run_once()
        assert result.error is None and tail.position() == world.head
        a, b = content(replayed), content(joined)
        for table in ("observation", "opel_assessment", "opel_parameter_score", "decision_entry", "action",
                      "organisation"):
            assert a[table], f"the world has no {table} rows: the comparison would prove nothing"
        assert any(a[t] for t in a if "alert" in t), "the world raised no alert"
        assert {t: len(v) for t, v in a.items()} == {t: len(v) for t, v in b.items()}
        assert a == b
        assert leftovers(joined.path) == []
    finally:
        replayed.close()
        joined.close()


def test_the_tail_brings_each_position_after_the_snapshot_exactly_once(world):
    store = world.desktop("tail")
    try:
        store, outcome = join(world, store)
        assert outcome.joined
        with store.reading() as conn:
            before = conn.execute("SELECT count(*) FROM observation").fetchall()[0][0]
            assert conn.execute("SELECT max(feed_seq) FROM observation").fetchall()[0][0] <= world.snapshot_position
        engine = world.engine(store)
        result = engine.run_once()
        assert result.error is None
        # Every position after the snapshot was applied once: as many as the hub served, none twice.
        assert result.applied == world.head - world.snapshot_position
        assert engine.run_once().applied == 0
        with store.reading() as conn:
            after = conn.execute("SELECT count(*) FROM observation").fetchall()[0][0]
            seqs = [r[0] for r in conn.execute("SELECT feed_seq FROM observation WHERE feed_seq > ?",
                                               (world.snapshot_position,))]
        assert len(seqs) == len(set(seqs)) == after - before > 0
    finally:
        store.close()


def test_the_desktops_own_facts_survive_the_join(world):
    store = world.desktop("own-facts")
    from models.service import hub_access

    hub_access.save_token(store, "a-token-saved-by-connect")
    try:
        store, outcome = join(world, store)
        assert outcome.joined
        assert hub_access.saved_token(store) == "a-token-saved-by-connect"
        assert store.path.stat().st_mode & 0o777 == 0o600   # owner-only, as a replica Store.create makes
        with store.reading() as conn:
            meta = dict(conn.execute("SELECT key, value FROM replica_meta"))
            outbox = conn.execute("SELECT count(*) FROM outbox").fetchall()[0][0]
        assert outbox == 0 and "snapshot_hub_id" not in meta and "device_id" not in meta
        assert meta["joined_from_snapshot"] == str(world.snapshot_position)
        assert meta["hub_id"] == world.hub.request("GET", "/health").json()["hub_id"]
    finally:
        store.close()


def _published(world) -> tuple[Path, dict]:
    info = world.hub.request("GET", "/v1/snapshot", role="viewer").json()
    path = world.snapshots / f"snapshot-{info['position']}.db"
    return path, info


def test_a_tampered_snapshot_is_refused_and_the_new_replica_stays_usable(world):
    path, info = _published(world)
    original = path.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0x01
    store = world.desktop("tampered")
    try:
        path.write_bytes(bytes(altered))
        with pytest.raises(snapshot_join.JoinFailed, match="altered or cut short"):
            join(world, store)
        store = Store(store.path, store.key, store.cipher)
        assert leftovers(store.path) == []
        with store.reading() as conn:
            assert snapshot_join.is_new(conn)
    finally:
        path.write_bytes(original)
    store, outcome = join(world, store)   # the genuine one is taken afterwards
    try:
        assert outcome.joined
    finally:
        store.close()


class _CutAfter(Exception):
    pass


def test_a_download_cut_short_leaves_the_replica_new_and_the_next_join_works(world):
    store = world.desktop("cut")

    def cut(size):
        if size > 1 << 20:
            raise _CutAfter(size)
    with pytest.raises(_CutAfter):
        join(world, store, progress=cut)
    path = store.path
    assert leftovers(path) == []
    store = Store(path, store.key, store.cipher)
    with store.reading() as conn:
        assert snapshot_join.is_new(conn)
    store, outcome = join(world, store)
    try:
        assert outcome.joined and leftovers(path) == []
        assert world.engine(store).run_once().error is None
    finally:
        store.close()


_CHILD = """
import os, sys, time
from pathlib import Path
from sync import snapshot_join
from sync.client import HubClient
slow = float(os.environ["JOIN_SLOW"])
def progress(size):
    time.sleep(slow)
client = HubClient(os.environ["HUB_URL"], os.environ["HUB_TOKEN"])
print(snapshot_join.join(Path(sys.argv[1]), bytes.fromhex(os.environ["REPLICA_KEY"]), sys.argv[2], client,
                         progress=progress).line)
"""


@pytest.mark.parametrize("stage", ["join-download", "join-new"])
def test_a_join_killed_midway_leaves_the_old_replica_and_the_next_join_cleans_up(world, stage):
    """The joining process is SIGKILLed while it downloads (a slow network) or while it writes the
    encrypted copy: the replica is the new, empty one it was, and the next join succeeds."""
    store = world.desktop(f"killed-{stage}")
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    env = {**os.environ, "PYTHONPATH": str(REPO), "HUB_URL": world.hub.url, "HUB_TOKEN": world.hub.tokens["viewer"],
           "REPLICA_KEY": key.hex(), "JOIN_SLOW": "0.02" if stage == "join-download" else "0"}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), cipher], env=env, cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    target = Path(f"{path}.{stage}")
    try:
        deadline = time.monotonic() + 120
        while not (target.exists() and target.stat().st_size > 0) and child.poll() is None:
            assert time.monotonic() < deadline, "the join never reached the stage"
            time.sleep(0.002)
        child.kill()
    finally:
        child.kill()
        out, err = child.communicate(timeout=30)
    if child.returncode == 0:
        pytest.fail(f"the join finished before it could be killed at {stage}: {out!r}")
    assert target.exists(), err[-2000:]      # cut short where it was
    store = Store(path, key, cipher)
    with store.reading() as conn:
        assert snapshot_join.is_new(conn)    # the old replica, untouched
    store, outcome = join(world, store)
    try:
        assert outcome.joined and leftovers(path) == []
        assert world.engine(store).run_once().error is None
        assert world.engine(store).position() == world.head
    finally:
        store.close()


def test_a_snapshot_of_a_newer_schema_is_refused_in_one_line(world):
    path, info = _published(world)
    meta = path.with_suffix(".json")
    original = meta.read_text()
    store = world.desktop("newer")
    try:
        meta.write_text(json.dumps({**json.loads(original), "schema_revision": "9999"}))
        store, outcome = join(world, store)
        assert not outcome.joined and "newer than this version knows" in outcome.line
        assert "\n" not in outcome.line
        assert world.engine(store).run_once().error is None   # the feed is replayed instead
    finally:
        meta.write_text(original)
        store.close()


def test_a_replica_that_holds_data_is_never_replaced(world):
    store = world.desktop("has-data")
    try:
        engine = world.engine(store)
        assert engine.run_once().error is None
        store, outcome = join(world, store)
        assert not outcome.joined
        assert world.engine(store).position() == world.head
    finally:
        store.close()


def test_the_snapshot_needs_a_feed_reader_token(world):
    resp = world.hub.request("GET", "/v1/snapshot", role="provider_submitter")
    assert resp.status_code == 403
    resp = world.hub.request("GET", "/v1/snapshot", role=None)
    assert resp.status_code == 401
    resp = world.hub.request("GET", "/v1/snapshot/file", role="viewer", params={"position": 1})
    assert resp.status_code == 404 and resp.json()["code"] == "snapshot_gone"


@pytest.mark.parametrize("replay", [False, True])
def test_the_sync_command_joins_a_new_replica_and_keeps_the_saved_hub(world, tmp_path, replay):
    """``connect`` then ``sync --once`` as a user would: the new replica joins from the snapshot
    (or replays with ``--no-snapshot``), ends at the head, and the token saved by ``connect`` (in
    the replica) still works for the next sync."""
    from tests.models.conftest import FAST_KDF
    from tests.scc_desktop.test_cli_db import PASS, run
    from tests.support.replica import fresh_replica

    path = tmp_path / "cli" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    token_file = tmp_path / "room.token"
    token_file.write_text(world.hub.tokens["room_lead"])
    env = {"SCC_PASSPHRASE": PASS}
    done = run("connect", "--hub", world.hub.url, "--token-file", str(token_file), "--path", str(path),
               env_extra=env, home=tmp_path)
    assert done.returncode == 0, done.stderr
    synced = run("sync", "--once", *(["--no-snapshot"] if replay else []), env_extra=env, home=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["position"] == world.head
    assert ("joined from the hub's snapshot" in synced.stderr) is not replay, synced.stderr
    again = run("sync", "--once", env_extra=env, home=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["applied"] == 0, again.stderr


def test_a_make_while_another_runs_does_nothing_and_says_so(world):
    import fcntl

    with open(world.snapshots / ".make.lock", "a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)   # as a make in progress holds it
        done = subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "snapshot", "make", "--db",
                               world.hub.db_url, "--snapshots", str(world.snapshots)], cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                              timeout=120)
    assert done.returncode != 0 and "another 'hub snapshot make' is running" in done.stderr, done.stderr
    assert world.hub.request("GET", "/v1/snapshot", role="viewer").json()["position"] == world.snapshot_position


@pytest.fixture
def own_world(tmp_path_factory):
    """A world of the test's own, for a test that changes what the module's other tests read (a newer
    snapshot published, positions pruned): they then pass in any order and when xdist shares them out
    (they failed run after either)."""
    with copied_world(tmp_path_factory.mktemp("snapshot-own"), lambda: tmp_path_factory.mktemp("world")) as w:
        yield w


def test_a_second_make_applies_only_the_new_positions_and_keeps_the_last_two(own_world):
    world = own_world
    done = json.loads(hub_command(world.hub, "snapshot", "make", "--snapshots", str(world.snapshots)).stdout)
    assert done["from"] == world.snapshot_position and done["position"] == world.head
    assert done["published"]["position"] == world.head
    shown = json.loads(hub_command(world.hub, "snapshot", "show", "--snapshots", str(world.snapshots),
                                   "--json").stdout)
    assert [s["position"] for s in shown["snapshots"]] == [world.head, world.snapshot_position]
    # The older one is still served by position (a download begun before this publication).
    resp = world.hub.request("GET", "/v1/snapshot/file", role="viewer", params={"position": world.snapshot_position})
    assert resp.status_code == 200 and resp.headers["SCC-Snapshot-Position"] == str(world.snapshot_position)
    assert world.hub.request("GET", "/v1/snapshot", role="viewer").json()["position"] == world.head
    store = world.desktop("second")
    try:
        store, outcome = join(world, store)
        assert outcome.joined and outcome.position == world.head
        assert world.engine(store).run_once().applied == 0
    finally:
        store.close()


def _behind(world, tmp_path):
    """A replica that read only the feed's first 100 positions, with the hub saved by ``connect``
    and a decision authored but not sent: a desktop that was offline a long time."""
    from sync import authoring
    from sync.engine import SyncEngine
    from tests.models.conftest import FAST_KDF
    from tests.scc_desktop.test_cli_db import PASS, run
    from tests.support.replica import fresh_replica

    path = tmp_path / "behind" / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    token_file = tmp_path / "room.token"
    token_file.write_text(world.hub.tokens["room_lead"])
    done = run("connect", "--hub", world.hub.url, "--token-file", str(token_file), "--path", str(path),
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    store = Store.unlock(path, PASS)
    try:
        engine = SyncEngine(store, world.client(), batch_limit=100, max_batches_per_cycle=1)
        assert engine.run_once().error is None and engine.position() == 100
        decision = authoring.record_decision(store, decision_maker="Dr Offline", decision_maker_role="Director on-call",
                                             decision="Decided while offline", rationale="No connection",
                                             recorded_by="Room support").uuid
        with store.reading() as conn:
            device = dict(conn.execute("SELECT key, value FROM replica_meta"))["device_id"]
    finally:
        store.close()
    return path, decision, device


def _kinds(world, position: int) -> dict[str, int]:
    with sqlite3.connect(world.hub.db_url.removeprefix("sqlite:///")) as db:
        return dict(db.execute("SELECT kind, count(*) FROM feed WHERE seq <= ? GROUP BY kind", (position,)).fetchall())


def test_pruning_answers_a_cursor_behind_the_horizon_with_410_and_such_a_desktop_rejoins(own_world, tmp_path):
    """It deletes the snapshot's positions from the feed, in a world of its own."""
    world = own_world
    from models.replica.orm import DecisionEntry, OutboxItem
    from tests.scc_desktop.test_cli_db import PASS, run

    path, decision, device = _behind(world, tmp_path)
    position = world.hub.request("GET", "/v1/snapshot", role="viewer").json()["position"]
    before = _kinds(world, position)
    done = json.loads(hub_command(world.hub, "snapshot", "prune", "--snapshots", str(world.snapshots),
                                  "--keep-days", "0").stdout)
    assert done["pruned_through"] == position and done["deleted"] > 0
    # A read the hub made before the prune may be served again for KEEP_SECONDS (sync/hub/feed.py: a
    # retention run's horizon is honoured within that). Run alone, this test comes within it of the
    # world's last sync from 0 and was served that kept page, not 410: wait the window out.
    time.sleep(KEEP_SECONDS + 0.5)
    resp = world.hub.request("GET", "/v1/feed", role="viewer", params={"after": 0})
    assert resp.status_code == 410
    body = resp.json()
    assert body["code"] == "feed_pruned" and str(position + 1) in body["message"]
    old = world.desktop("replays")
    try:
        result = world.engine(old).run_once()
        assert result.error and "oldest feed position" in result.error
    finally:
        old.close()
    # Records authored by desktops are kept in the feed whatever their age.
    kept = _kinds(world, position)
    assert before["observation"] and before["opel_assessment"] and before["record"] >= 6
    from sync.hub.retention import PRUNABLE

    assert kept == {k: n for k, n in before.items() if k not in PRUNABLE}, (before, kept)
    assert kept["record"] == before["record"] and kept["organisation"] == 40
    # The desktop behind the horizon: one 'sync --once' pushes its decision, is told 410, joins again
    # from the snapshot keeping its outbox and identity, and reads the tail (its decision included).
    synced = run("sync", "--once", env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert "joined from the hub's snapshot" in synced.stderr
    head = world.hub.request("GET", "/health").json()["head"]
    assert json.loads(synced.stdout)["position"] == head
    with Store.unlock(path, PASS) as store, store.session() as s:
        entry = s.get(DecisionEntry, decision)
        assert entry is not None and entry.hub_seq and entry.hub_seq > position
        sent = s.query(OutboxItem).filter(OutboxItem.uuid == decision).one()
        assert sent.sent_at is not None
        with store.reading() as conn:
            assert dict(conn.execute("SELECT key, value FROM replica_meta"))["device_id"] == device
    store = world.desktop("after-prune")
    try:
        store, outcome = join(world, store)
        assert outcome.joined
        assert world.engine(store).run_once().error is None
        assert world.engine(store).position() == head
    finally:
        store.close()


def test_a_hub_without_a_snapshot_says_so_and_the_desktop_replays(sqlite_hub, tmp_path):
    resp = sqlite_hub.request("GET", "/v1/snapshot", role="viewer")
    assert resp.status_code == 404 and resp.json()["code"] == "no_snapshot"
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.support.replica import fresh_replica

    store = fresh_replica(tmp_path / "d" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    outcome = snapshot_join.join(path, key, cipher, HubClient(sqlite_hub.url, sqlite_hub.tokens["viewer"]))
    assert not outcome.joined and "no snapshot" in outcome.line
    with pytest.raises(HubRefused):
        HubClient(sqlite_hub.url, sqlite_hub.tokens["viewer"]).snapshot_info()
    conn = connect_raw(path, key, cipher)
    conn.close()
