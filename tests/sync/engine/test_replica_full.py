"""A desktop whose replica runs out of space, syncing from a real hub: no feed position is
skipped, the room is told in one line (and a banner) that nothing is lost and what to do,
and sync recovers by itself when space returns.

Two ways to fill the replica: ``PRAGMA max_page_count`` (SQLite answers ``SQLITE_FULL`` as
on a full disk; runs anywhere), and a real small filesystem (a tmpfs, mounted as root; the
replica's WAL counts: the store runs in WAL mode, and the WAL grows to about 4 MB before
SQLite checkpoints it into the file).  The hub serves 12 real-sized batches (40 providers,
every item kind, one item in each that cannot be applied), planted with its own writer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.replica.store import Store
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support import small_disk as disks
from tests.support.hub import REPO
from tests.sync.replica_space import PageLimit, accounted, check_no_gap, feed_items, plant, real_batches

BATCH = 400   # feed positions per batch: 13 batches
T = datetime(2026, 1, 12, 14, 5, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def items():
    return feed_items(real_batches(12))


def _planted(hub, items):
    first, last = plant(hub.db_url, items)
    feed = set(range(first, last + 1))
    poison = {first + i for i, (kind, data) in enumerate(items) if data.get("staffed_beds") == 10**20}
    return feed, poison


def _engine(store, hub, clock=lambda: T):
    return SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), batch_limit=BATCH,
                      max_batches_per_cycle=1, clock=clock)


def _cycles_until(engine, feed, *, full_cycles=None, limit=40):
    """Run one-batch cycles, checking after each that no position is skipped; stop after
    ``full_cycles`` cycles the replica refused, or when the feed is caught up."""
    results = []
    for _ in range(limit):
        with engine.store.raw() as raw:
            before = check_no_gap(raw, feed)
        result = engine.run_once()
        results.append(result)
        with engine.store.raw() as raw:
            after = check_no_gap(raw, feed)
        if result.replica_problem:
            assert after == before, "the cursor moved on a cycle the replica refused"
            if full_cycles and sum(1 for r in results if r.replica_problem) == full_cycles:
                return results
        else:
            assert result.error is None, result.error
        if after == max(feed):
            return results
    raise AssertionError(f"not done after {limit} cycles")


def test_a_full_replica_stops_sync_with_nothing_lost_and_recovers_when_space_returns(sqlite_hub, items, tmp_path):
    feed, poison = _planted(sqlite_hub, items)
    store = Store.create(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    limit = PageLimit(store, 60)
    now = [T]
    try:
        engine = _engine(store, sqlite_hub, clock=lambda: now[0])
        engine.run_once()   # the organisations (no feed_seq in the replica)
        full = []
        for _ in range(3):
            full += [r for r in _cycles_until(engine, feed, full_cycles=1) if r.replica_problem]
            now[0] += timedelta(minutes=5)
        problems = [r.replica_problem for r in full]
        assert [p.title for p in problems] == ["Replica disk full"] * 3
        assert {p.since for p in problems} == {T}   # since the first cycle that stopped
        assert "nothing is lost" in problems[0].line() and "free space" in problems[0].line()
        assert full[0].error == problems[0].line() and full[0].applied == 0
        limit.lift()   # space returns: no restart, the next cycles go on
        results = _cycles_until(engine, feed)
        assert all(r.replica_problem is None and r.error is None for r in results)
        with store.raw() as raw:
            stored, quarantined, cursor = accounted(raw)
        assert cursor == max(feed) and quarantined == poison and stored == feed - poison
    finally:
        limit.remove()
        store.close()


# --- a real small filesystem ------------------------------------------------------------------
DISK_KIB = 12 * 1024   # the whole feed (about 3 MB) and a full WAL (about 4 MB) fit once freed
LEFT_KIB = 300         # what the ballast leaves free: the replica fills during the second batch


@pytest.fixture
def small_disk(tmp_path):
    """(Without root, skipped: the max_page_count test covers the logic.)"""
    with disks.small_disk(tmp_path / "disk", f"{DISK_KIB}k") as disk:
        yield disk


def _fill(disk: Path, leave_kib: int) -> Path:
    """Another program's file takes the disk's space but ``leave_kib``."""
    st = os.statvfs(disk)
    ballast = disk / "ballast"
    with open(ballast, "wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave_kib * 1024))
    return ballast


def _sync_once(hub, path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCC_HUB_TOKEN": hub.tokens["room_lead"],
           "SCC_PASSPHRASE": PASSPHRASE}
    return subprocess.run([sys.executable, "-m", "scc_desktop", "sync", "--once", "--path", str(path),
                           "--hub", hub.url, "--batch-limit", str(BATCH)],
                          env=env, capture_output=True, text=True, timeout=90)


def test_on_a_real_full_disk_sync_says_so_in_one_line_and_recovers_when_space_is_freed(
        sqlite_hub, items, small_disk):
    feed, poison = _planted(sqlite_hub, items)
    path = small_disk / "scc.db"
    store = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    try:
        with store.raw() as raw:
            assert raw.execute("PRAGMA journal_mode").fetchall() == [("wal",)]   # the WAL shares the disk
        ballast = _fill(small_disk, LEFT_KIB)
        engine = _engine(store, sqlite_hub)
        results = _cycles_until(engine, feed, full_cycles=3)
        assert [r.replica_problem.title for r in results if r.replica_problem] == ["Replica disk full"] * 3
        assert any(r.applied for r in results)   # it filled part way through the feed

        cli = _sync_once(sqlite_hub, path)   # a second process on the full disk
        assert cli.returncode == 1, cli.stderr
        lines = cli.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("scc-desktop: Replica disk full"), cli.stderr
        assert "nothing is lost" in lines[0] and f"free space on the disk that holds {small_disk}" in lines[0]
        with store.raw() as raw:
            check_no_gap(raw, feed)

        ballast.unlink()   # space is freed: the same engine goes on, no restart
        results = _cycles_until(engine, feed)
        assert all(r.replica_problem is None for r in results)
        with store.raw() as raw:
            stored, quarantined, cursor = accounted(raw)
        assert cursor == max(feed) and quarantined == poison and stored == feed - poison
        again = _sync_once(sqlite_hub, path)
        assert again.returncode == 0 and again.stderr == "", again.stderr
    finally:
        store.close()

    # Closed cleanly (no WAL left), then the disk fills up to the last byte: opening needs room
    # for the WAL index, and says so in one line.
    ballast = _fill(small_disk, 0)
    cli = _sync_once(sqlite_hub, path)
    lines = cli.stderr.strip().splitlines()
    assert cli.returncode == 1 and len(lines) == 1, cli.stderr
    assert "cannot be opened now: the disk that holds it is full" in lines[0] and "nothing in it is lost" in lines[0]
    ballast.unlink()
    assert _sync_once(sqlite_hub, path).returncode == 0


def test_records_pushed_while_the_replica_is_full_are_marked_sent_once_space_returns(sqlite_hub, tmp_path):
    """The outbox writer in the sync thread: the hub stored a chunk, marking it sent fails for want
    of space; nothing is marked (one transaction, never carried on after SQLite rolled it back),
    the cycle says why, and the next cycle pushes again (the hub answers "duplicate") and marks all."""
    import sqlite3

    from sqlalchemy import func, select

    from models.replica.orm import OutboxItem
    from sync import authoring

    store = Store.create(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        for i in range(150):   # two push chunks of real-sized decisions, pages packed
            authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                      decision=f"Decision {i}: open escalation beds " + "x" * 300,
                                      rationale="OPEL 3 at two acute trusts " * 12, recorded_by="Room support")
        engine = _engine(store, sqlite_hub)

        def sent() -> int:
            with store.session() as s:
                return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_not(None)))

        def held() -> int:
            with sqlite3.connect(sqlite_hub.db_url.removeprefix("sqlite:///")) as hub_db:
                return hub_db.execute("SELECT count(*) FROM record").fetchone()[0]

        limit = PageLimit(store, 0)
        full = engine.run_once()
        assert full.replica_problem.title == "Replica disk full" and full.pushed == 0
        assert sent() == 0 and held() == 100   # the first chunk reached the hub; none marked here
        limit.remove()   # space returns
        done = engine.run_once()
        assert done.error is None and done.pushed == 150
        assert sent() == 150 and held() == 150
    finally:
        store.close()
