"""Snapshots and a hub database put back from a backup (session 30; review r2, finding 2).

Snapshots are files beside the hub's database: after a restore, one made after the backup was still served,
at a position whose item the restored feed numbers anew, and a desktop that joined from it kept no feed
mark, so nothing noticed (r2 measured: the joined desktop lacked 1,051 figures the hub holds and held 960 it
does not). Now a snapshot's description carries the feed's mark at its position, the hub serves only one its
feed agrees with, the next ``hub snapshot make`` makes the working replica again and replaces it, and a join
keeps the snapshot's mark so its first read is checked. 40 providers, two figures an hour, 2-3 days.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from models.replica.store import Store
from sync import feed_marks, snapshot_join
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import REPO, TEST_ORGS, HubProcess, start_hub
from tests.support.replica import fresh_replica
from tests.sync.snapshot_world import hub_command
from tests.sync.test_hub_restored import PROVIDERS, _backup, _days, _desktop, _observations, _put_back

pytestmark = pytest.mark.timeout(600)


def _head(hub) -> int:
    return hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 1}).json()["head"]


def _mark_at(hub, position: int) -> int:
    """The feed's mark of the item at ``position``: a batch ending there carries it."""
    r = hub.request("GET", "/v1/feed", role="room_lead", params={"after": position - 1, "limit": 1})
    assert r.status_code == 200, r.text
    return r.json()["next_after_mark"]


def _make(hub, folder) -> dict:
    return json.loads(hub_command(hub, "snapshot", "make", "--snapshots", str(folder)).stdout)


def _join(hub, tmp_path, name: str) -> tuple[SyncEngine, snapshot_join.JoinOutcome, tuple | None]:
    """A new desktop joined from the hub's snapshot (when it serves one), with the feed mark it starts with."""
    new = fresh_replica(tmp_path / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    path, key, cipher = new.path, new.key, new.cipher
    new.close()
    client = HubClient(hub.url, hub.tokens["room_lead"])
    outcome = snapshot_join.join(path, key, cipher, client)
    store = Store(path, key, cipher)
    with store.engine.connect() as conn:
        mark = feed_marks.current(conn)
    return SyncEngine(store, client, max_batches_per_cycle=100_000), outcome, mark


def _close(engines) -> None:
    for e in engines:
        e.client.close()
        e.store.close()


# The first day of 40 providers' figures on a hub's database, stored once per database in this process (an xdist
# worker) and copied for each test (the SQLite file; on PostgreSQL CREATE DATABASE ... TEMPLATE).
_FIRST_DAY: dict[str, dict] = {}


def _first_day(hub_db_url: str) -> dict:
    backend = "sqlite" if hub_db_url.startswith("sqlite") else "postgresql"
    if backend not in _FIRST_DAY:
        folder = Path(tempfile.mkdtemp(prefix="scc-first-day-"))
        atexit.register(shutil.rmtree, folder, True)
        if backend == "sqlite":
            url = f"sqlite:///{folder / 'hub.db'}"
        else:
            server, name = make_url(hub_db_url), f"first_day_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(f"host={server.host} port={server.port} user={server.username} dbname=postgres",
                                 autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            url = hub_db_url.rsplit("/", 1)[0] + "/" + name
        hub = start_hub(folder, url, orgs=TEST_ORGS + PROVIDERS, args=("--snapshots", str(folder / "snapshots")))
        try:
            _days(hub, 0, 24)
        finally:
            hub.stop()
        _FIRST_DAY[backend] = {"db_url": url, "tokens": dict(hub.tokens)}
    return _FIRST_DAY[backend]


def _copy_database(source_url: str, hub_db_url: str, tmp_path) -> None:
    if hub_db_url.startswith("sqlite"):
        assert hub_db_url == f"sqlite:///{tmp_path / 'hub.db'}", hub_db_url
        shutil.copy2(source_url.removeprefix("sqlite:///"), tmp_path / "hub.db")
        return
    url, template = make_url(hub_db_url), make_url(source_url)
    with psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname=postgres",
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE "{url.database}"')
        conn.execute(f'CREATE DATABASE "{url.database}" TEMPLATE "{template.database}"')


@contextmanager
def snapshot_hub(tmp_path, hub_db_url, *args: str, first_day: bool = True):
    """A real hub serving the snapshots of ``tmp_path/snapshots`` (``args``: further ``hub serve`` options), with
    the first day of 40 providers' figures unless ``first_day`` is False (that day stored once per database in
    this process, ``_first_day``, and the test's hub started on a copy of its own); yields the hub, the folder and
    a list the test adds its desktops' engines to. The engines are closed and the hub stopped however the test
    ends."""
    folder = tmp_path / "snapshots"
    serve = ("--snapshots", str(folder), *args)
    if first_day:
        day = _first_day(hub_db_url)
        _copy_database(day["db_url"], hub_db_url, tmp_path)
        hub = HubProcess(hub_db_url, tmp_path, dict(day["tokens"]), args=serve).start()
    else:
        hub = start_hub(tmp_path, hub_db_url, orgs=TEST_ORGS + PROVIDERS, args=serve)
    engines: list[SyncEngine] = []
    try:
        yield hub, folder, engines
    finally:
        _close(engines)
        hub.stop()


def test_a_snapshot_made_after_the_backup_is_not_served_and_the_next_make_replaces_it(tmp_path, hub_db_url):
    with snapshot_hub(tmp_path, hub_db_url) as (hub, folder, engines):
        backup = tmp_path / "hub-backup"
        _backup(hub.db_url, backup)
        _days(hub, 24, 12, salt=0.5)                          # after the backup: lost by the restore
        made = _make(hub, folder)                            # the snapshot timer, after the backup
        stale = made["published"]
        _put_back(hub, backup)
        restored_head = _head(hub)
        assert restored_head < stale["position"]
        # Beyond the restored head: not served (before, it was, and a join took it).
        r = hub.request("GET", "/v1/snapshot", role="room_lead")
        assert r.status_code == 404 and r.json()["code"] == "no_snapshot", r.text
        # ``hub snapshot show`` marks it, saying why, in text and in JSON (before: listed like a served one).
        shown = json.loads(hub_command(hub, "snapshot", "show", "--snapshots", str(folder), "--json").stdout)
        (listed,) = shown["snapshots"]
        assert listed["sha256"] == stale["sha256"] and listed["hidden"] and not listed["served"], listed
        assert f"beyond the feed's head {restored_head}" in listed["because"], listed
        text = hub_command(hub, "snapshot", "show", "--snapshots", str(folder)).stdout
        assert f"position {stale['position']:,}" in text and "HIDDEN, not served: its position" in text, text
        _days(hub, 24, 24, salt=0.25)                         # the restored hub written again, past the snapshot
        assert _head(hub) > stale["position"]
        # At or below the head now, but the item at its position is another: still not served, nor its file.
        r = hub.request("GET", "/v1/snapshot", role="room_lead")
        assert r.status_code == 404 and r.json()["code"] == "no_snapshot", r.text
        r = hub.request("GET", "/v1/snapshot/file", role="room_lead", params={"position": stale["position"],
                                                                              "sha256": stale["sha256"]})
        assert r.status_code == 404 and r.json()["code"] == "snapshot_gone", r.text
        # Nor is the feed pruned up to it: the positions it holds are not the feed's.
        refused = subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "snapshot", "prune", "--snapshots",
                                  str(folder), "--keep-days", "0", "--db", hub.db_url], cwd=REPO,
                                 env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                                 timeout=300)
        assert refused.returncode != 0 and "agrees with" in refused.stderr, refused.stderr[-2000:]
        assert hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 1}).status_code == 200
        # A new desktop meanwhile replays the feed, and holds what the hub holds.
        fresh = _desktop(hub, tmp_path, "fresh")
        engines.append(fresh)
        assert fresh.run_once().error is None
        replayed, outcome, _ = _join(hub, tmp_path, "replayed")
        engines.append(replayed)
        assert not outcome.joined and "no snapshot" in outcome.line, outcome.line
        assert replayed.run_once().error is None
        held = _observations(fresh)
        assert _observations(replayed) == held

        # The next make: the working replica made again from 0, the stale snapshot replaced and removed.
        again = _make(hub, folder)
        assert "put back from a backup" in again["working_replica_made_again"], again
        assert again["from"] == 0 and again["position"] == _head(hub), again
        assert [r["sha256"] for r in again["removed"]] == [stale["sha256"]], again
        assert not list(folder.glob(f"snapshot-{stale['position']}.*"))
        info = HubClient(hub.url, hub.tokens["room_lead"]).snapshot_info()
        assert info.position == again["published"]["position"] and info.mark == _mark_at(hub, info.position)

        joined, outcome, mark = _join(hub, tmp_path, "joined")
        engines.append(joined)
        assert outcome.joined, outcome.line
        assert mark == (info.position, info.mark)             # its first read is checked
        r = joined.run_once()
        assert r.error is None and r.feed_restored is None, (r.error, r.feed_restored)
        missing, extra = held - _observations(joined), _observations(joined) - held
        print(f"\nstale snapshot at {stale['position']}, restored head {restored_head}; after the next make "
              f"joined at {info.position}: lacks {len(missing)}, holds {len(extra)} the hub does not "
              f"({len(held)} figures)")
        assert not missing and not extra


def test_an_ordinary_snapshot_join_keeps_the_snapshots_mark_and_reads_the_tail(tmp_path, hub_db_url):
    with snapshot_hub(tmp_path, hub_db_url) as (hub, folder, engines):
        made = _make(hub, folder)
        assert "removed" not in made and "working_replica_made_again" not in made, made
        again = _make(hub, folder)                            # nothing moved: nothing published, nothing removed
        assert again["published"]["unchanged"] and "removed" not in again, again
        _days(hub, 24, 12)                                    # the tail
        info = HubClient(hub.url, hub.tokens["room_lead"]).snapshot_info()
        assert info.position == made["published"]["position"] and info.mark == _mark_at(hub, info.position)
        joined, outcome, mark = _join(hub, tmp_path, "joined")
        engines.append(joined)
        assert outcome.joined and outcome.position == info.position, outcome.line
        assert mark == (info.position, info.mark)
        r = joined.run_once()
        assert r.error is None and r.feed_restored is None, (r.error, r.feed_restored)
        fresh = _desktop(hub, tmp_path, "fresh")
        engines.append(fresh)
        assert fresh.run_once().error is None
        assert _observations(joined) == _observations(fresh)
        with joined.store.engine.connect() as conn:
            assert feed_marks.current(conn) == (_head(hub), _mark_at(hub, _head(hub)))


def test_a_description_without_a_mark_an_older_hubs_is_served_and_joined_as_before(tmp_path, hub_db_url):
    if not hub_db_url.startswith("sqlite"):
        pytest.skip("the description's form does not depend on the database")
    with snapshot_hub(tmp_path, hub_db_url) as (hub, folder, engines):
        _make(hub, folder)
        (meta,) = folder.glob("snapshot-*.json")
        doc = json.loads(meta.read_text())
        del doc["mark"]                                       # as a hub before session 30 wrote it
        meta.write_text(json.dumps(doc))
        info = HubClient(hub.url, hub.tokens["room_lead"]).snapshot_info()
        assert info.mark is None
        joined, outcome, mark = _join(hub, tmp_path, "joined")
        engines.append(joined)
        assert outcome.joined and mark is None, outcome.line  # no mark kept: the first batch gives one
        # The next make publishes one with the mark, though the feed did not move.
        again = _make(hub, folder)
        assert "no feed mark" in again["published"]["because"], again
        assert HubClient(hub.url, hub.tokens["room_lead"]).snapshot_info().mark == _mark_at(hub, info.position)
        _days(hub, 24, 6)                                     # the tail
        assert joined.run_once().error is None
        fresh = _desktop(hub, tmp_path, "fresh")
        engines.append(fresh)
        assert fresh.run_once().error is None
        assert _observations(joined) == _observations(fresh)


def test_the_serving_hubs_timer_replaces_a_snapshot_its_database_disagrees_with_at_once(tmp_path, hub_db_url):
    """``hub serve --snapshot-every``: after a restart on a restored database it waited the interval from the
    newest snapshot (an hour here, a day in a room), serving none meanwhile; now it makes one at once."""
    if not hub_db_url.startswith("sqlite"):
        pytest.skip("the timer does not depend on the database")
    every_hour = ("--snapshot-every", "1")
    with snapshot_hub(tmp_path, hub_db_url, *every_hour, first_day=False) as (hub, folder, _engines):
        first = _wait_until(lambda: _served(hub), "the timer's first snapshot", hub)
        _days(hub, 0, 24)
        backup = tmp_path / "hub-backup"
        _backup(hub.db_url, backup)
        _days(hub, 24, 12, salt=0.5)
        stale = _make(hub, folder)["published"]             # made after the backup
        assert _served(hub)["sha256"] == stale["sha256"]
        _put_back(hub, backup)                              # the hub restarted on the restored database
        head = _head(hub)
        made = _wait_until(lambda: (s := _served(hub)) and s["position"] == head and s,
                           "a snapshot at the restored head", hub)
        assert made["mark"] == _mark_at(hub, head) and made["sha256"] not in (first["sha256"], stale["sha256"])
        assert not list(folder.glob(f"snapshot-{stale['position']}.*"))   # the make removed it


def _served(hub) -> dict | None:
    r = hub.request("GET", "/v1/snapshot", role="room_lead")
    return r.json() if r.status_code == 200 else None


def _wait_until(predicate, what: str, hub, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} not seen in {timeout:g} s; hub log:\n{hub.log()[-4000:]}")
