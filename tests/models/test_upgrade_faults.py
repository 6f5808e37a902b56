"""A new version installed over an old one meets an old replica: the upgrade killed, the disk full,
two starts at once.  Real encrypted replicas at revision 0010 with three days of 40 providers (about
33 MB, the later migrations take real time: 0015 rebuilds the observation index), real processes
killed with SIGKILL, a real small filesystem (tmpfs, as root).  After each fault the replica opens,
at its old revision or the head and never between, with every row, the outbox and the cursor."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models.replica import keyfile
from models.replica import migrate
from models.replica.store import ReplicaUnavailableError, Store
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE
from tests.support import small_disk as disks

OLD = "0010"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def old(tmp_path_factory):
    """(path, fingerprint) of the old replica, built once; tests copy it."""
    path = tmp_path_factory.mktemp("old") / "scc.db"
    return path, old_replica.build(path, OLD, days=3, providers=40)


def _copy(old, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".key"):
        shutil.copy(f"{old[0]}{suffix}", folder / f"scc.db{suffix}")
    return folder / "scc.db"


def _child(path: Path, key: bytes, *, wait_for: Path | None = None) -> subprocess.Popen:
    """A process that opens the replica as the app does (upgrading it) and says how that went."""
    code = ("import os, sys, time\n"
            "from models.replica.store import Store, StoreError\n"
            "print('ready', flush=True)\n"
            f"while {str(wait_for)!r} != 'None' and not os.path.exists({str(wait_for)!r}): time.sleep(0.005)\n"
            "try:\n"
            f"    with Store.open_with_key({str(path)!r}, bytes.fromhex({key.hex()!r})) as s:\n"
            "        print('opened', s.schema_revision(), flush=True)\n"
            "except StoreError as exc:\n"
            "    print('refused', exc, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.kill()
    if proc.stdout.closed:   # read to the end already (communicate)
        return ""
    out = proc.stdout.read()
    proc.wait(timeout=30)
    proc.stdout.close()
    return out


def _wal(path: Path) -> int:
    try:
        return os.path.getsize(f"{path}-wal")
    except OSError:
        return 0


def _same(path: Path, want: dict, key: bytes) -> str:
    found = old_replica.fingerprint(path, key)
    assert old_replica.without_revision(found) == old_replica.without_revision(want)
    assert found["revision"] in (OLD, migrate.head_revision())   # all or nothing: never a revision between
    return found["revision"]


@pytest.mark.timeout(600)
def test_an_upgrade_killed_at_any_point_leaves_the_replica_whole_and_the_next_start_finishes_it(old, tmp_path):
    key, _ = keyfile.unlock(old[0], PASSPHRASE)
    # One whole upgrade first, watched: how large its write-ahead log grows.
    path = _copy(old, tmp_path / "watched")
    proc, peak = _child(path, key), 0
    try:
        while proc.poll() is None:
            peak = max(peak, _wal(path))
            time.sleep(0.002)
    finally:
        out = _stop(proc)
    assert out.split() == ["opened", migrate.head_revision()]
    assert peak > 1 << 20, f"the upgrade wrote {peak} bytes of log: too small to kill part-way"
    # Then killed when its log reaches a share of that: early, part-way and near the end of the work.
    kept_old = 0
    for share in (0.0, 0.2, 0.5, 0.8, 0.98):
        path = _copy(old, tmp_path / f"killed-{share}")
        proc = _child(path, key)
        try:
            deadline = time.monotonic() + 120
            while _wal(path) <= share * peak and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            at = _wal(path)
            proc.send_signal(signal.SIGKILL)
        finally:
            _stop(proc)
        left = _same(path, old[1], key)
        kept_old += left == OLD
        print(f"killed at {at / 2**20:.1f} of {peak / 2**20:.1f} MiB of log: left at {left}, every row kept")
        with Store.open_with_key(path, key) as store:   # the next start
            assert store.schema_revision() == migrate.head_revision()
        assert _same(path, old[1], key) == migrate.head_revision()
    assert kept_old >= 3, "too few kills landed before the upgrade's commit to show anything"
    # Killed again and again at the same point, never finishing: nothing builds up.
    path = _copy(old, tmp_path / "again")
    for _ in range(3):
        proc = _child(path, key)
        try:
            while _wal(path) <= 0.5 * peak and proc.poll() is None:
                time.sleep(0.001)
            proc.send_signal(signal.SIGKILL)
        finally:
            _stop(proc)
        _same(path, old[1], key)
    with Store.open_with_key(path, key) as store:
        assert store.schema_revision() == migrate.head_revision()
    _same(path, old[1], key)


@pytest.mark.timeout(300)
def test_two_starts_upgrading_at_once_both_open(old, tmp_path):
    """A double double-click: two processes find the old revision at the same moment. The second
    waits for the first's upgrade and opens; before, it failed at once, 'database is locked'."""
    key, _ = keyfile.unlock(old[0], PASSPHRASE)
    for attempt in range(3):
        path = _copy(old, tmp_path / f"both-{attempt}")
        go = tmp_path / f"go-{attempt}"
        procs = [_child(path, key, wait_for=go) for _ in range(2)]
        try:
            go.touch()
            outs = [proc.communicate(timeout=120)[0] for proc in procs]
        finally:
            for proc in procs:
                _stop(proc)
        assert [o.split() for o in outs] == [["opened", migrate.head_revision()]] * 2, outs
        assert _same(path, old[1], key) == migrate.head_revision()


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = []

    def mount(size: int, *options: str) -> None:
        disks.mount(disk, size, *options)
        mounted.append(disk)
    mount.disk = disk
    try:
        yield mount
    finally:
        if mounted:
            disks.unmount(disk)


@pytest.mark.timeout(300)
def test_a_disk_full_during_an_upgrade_says_how_much_space_and_leaves_the_old_replica(old, small_disk):
    size = old[0].stat().st_size
    small_disk(size + (2 << 20))   # the replica and 2 MB: the upgrade's log needs several more
    path = _copy(old, small_disk.disk)
    with pytest.raises(ReplicaUnavailableError) as refused:
        Store.unlock(path, PASSPHRASE)
    said = str(refused.value)
    assert f"the replica {path} cannot be upgraded to this version of SCC Desktop now" in said
    assert "the disk that holds it is full" in said and "MB free there" in said
    assert "nothing in it was changed" in said and "free space on that disk and start SCC Desktop again" in said
    assert not Path(f"{path}-wal").exists()     # the failed upgrade's log went with it
    key, _ = keyfile.unlock(path, PASSPHRASE)
    assert _same(path, old[1], key) == OLD
    needed = int(said.split("needs about ")[1].split(" MB")[0].replace(",", ""))
    small_disk(size + (needed << 20), "remount")   # the space the message asked for, and no more
    with Store.unlock(path, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
    assert _same(path, old[1], key) == migrate.head_revision()


@pytest.mark.timeout(300)
def test_an_upgrade_waits_for_a_lock_held_longer_than_the_busy_timeout(old, tmp_path):
    """Another start upgrading a year's replica holds the write lock for minutes, longer than the 10 s
    every other write waits: the upgrade waits for it (here a process holds the lock 13 s), then opens."""
    from models.replica.store import BUSY_TIMEOUT_MS

    key, _ = keyfile.unlock(old[0], PASSPHRASE)
    path = _copy(old, tmp_path / "held")
    code = ("import time\n"
            "from models.replica.store import connect_raw\n"
            f"c = connect_raw({str(path)!r}, bytes.fromhex({key.hex()!r}))\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('held', flush=True)\n"
            f"time.sleep({BUSY_TIMEOUT_MS / 1000 + 3})\n"
            "c.execute('COMMIT')\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with Store.open_with_key(path, key) as store:
            assert store.schema_revision() == migrate.head_revision()
        assert time.monotonic() - started > BUSY_TIMEOUT_MS / 1000
    finally:
        _stop(holder)
    assert _same(path, old[1], key) == migrate.head_revision()
