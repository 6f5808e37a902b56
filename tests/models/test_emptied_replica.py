"""A replica file emptied to 0 bytes (a disk fault, a copy or restore cut short) beside its key file.
It opened without a word as a new, empty replica: the room saw nothing until the hub refilled it, and
the records it had not yet sent were gone with no one told. Now it is refused as damaged, and the file
is left as it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.replica import keyfile
from models.replica.store import DamagedReplicaError, Store
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(120)


def _emptied(tmp_path: Path) -> Path:
    path = tmp_path / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
    assert path.stat().st_size > 0   # a replica made and closed is never empty
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    os.truncate(path, 0)
    return path


def _said(exc: DamagedReplicaError, path: Path) -> None:
    said = str(exc)
    assert f"the replica {path} is empty (0 bytes)" in said
    assert "its key file says a replica was made here on" in said
    assert "restore the replica and its .key file from a backup" in said


def test_an_emptied_replica_is_refused_with_the_passphrase_and_left_as_it_was(tmp_path):
    path = _emptied(tmp_path)
    with pytest.raises(DamagedReplicaError) as refused:
        Store.unlock(path, PASSPHRASE)
    _said(refused.value, path)
    assert path.stat().st_size == 0 and not Path(f"{path}-wal").exists()


def test_an_emptied_replica_is_refused_with_the_key_from_the_keyring(tmp_path):
    path = _emptied(tmp_path)
    key, _ = keyfile.unlock(path, PASSPHRASE)
    with pytest.raises(DamagedReplicaError) as refused:
        Store.open_with_key(path, key)
    _said(refused.value, path)
    assert path.stat().st_size == 0


def test_a_new_replica_may_still_be_made_over_an_empty_file(tmp_path):
    """A file left empty by a first start stopped before its key was written is no replica yet."""
    path = tmp_path / "scc.db"
    path.touch()
    with Store.create(path, PASSPHRASE, kdf=FAST_KDF) as store:
        assert store.path.stat().st_size > 0
