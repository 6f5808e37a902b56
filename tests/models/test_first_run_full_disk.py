"""The emptied-replica check (found in review): a first run cut short by a full disk is not a replica emptied."""

from __future__ import annotations

import subprocess

import pytest

from models.replica.store import ReplicaUnavailableError, Store
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support import small_disk as disks

pytestmark = pytest.mark.timeout(120)


def test_a_first_run_on_a_full_disk_can_be_done_again_once_space_is_freed(tmp_path):
    """Store.create wrote the key file, SQLite made the file (0 bytes) and could not write its first page.
    The user was told 'free some space'; then the set-up dialog refused ('the key file already exists') and
    the next start said the replica had been emptied and its unsent records lost (there never was one)."""
    disk = tmp_path / "disk"
    with disks.small_disk(disk, "8k"):
        (disk / "other").write_bytes(b"x" * 4096)   # the rest of the disk is taken
        here = disk / "scc.db"
        with pytest.raises(ReplicaUnavailableError, match="full"):
            Store.create(here, PASSPHRASE, kdf=FAST_KDF)
        (disk / "other").unlink()
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True, timeout=10)
        assert not here.exists()   # the start after goes to the set-up again, not to a 'damaged' unlock
        Store.create(here, PASSPHRASE, kdf=FAST_KDF).close()   # the set-up's Create, again
        Store.unlock(here, PASSPHRASE).close()


def test_a_failed_create_leaves_an_existing_key_file_alone(tmp_path):
    here = tmp_path / "scc.db"
    Store.create(here, PASSPHRASE, kdf=FAST_KDF).close()
    key = here.with_name("scc.db.key").read_bytes()
    with pytest.raises(Exception):
        Store.create(here, PASSPHRASE, kdf=FAST_KDF)
    assert here.with_name("scc.db.key").read_bytes() == key and here.stat().st_size > 0
