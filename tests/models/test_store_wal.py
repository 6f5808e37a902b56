"""The replica's write-ahead log shrinks back after a large write (a backfill, a year's catch-up) instead of
keeping the size of the largest transaction on a laptop's disk for ever."""

from __future__ import annotations

import os

from models.replica import store as store_module
from models.replica.store import Store
from tests.models.conftest import FAST_KDF, PASSPHRASE


def _wal_bytes(path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_the_wal_is_cut_back_to_its_limit_after_a_large_write(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "WAL_LIMIT_BYTES", 256 * 1024)
    path = tmp_path / "scc.db"
    store = Store.create(path, PASSPHRASE, kdf=FAST_KDF)
    try:
        with store.raw() as conn:
            conn.execute("CREATE TABLE bulk(x BLOB)")
            with conn:   # one transaction of about 6 MiB, as a backfill batch writes
                conn.executemany("INSERT INTO bulk VALUES (?)", ((os.urandom(4096),) for _ in range(1500)))
            grown = _wal_bytes(path)
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")   # what the automatic checkpoint does
            conn.execute("INSERT INTO bulk VALUES (x'00')")   # the next write starts the log again
        assert grown > 4 * 1024 * 1024
        assert _wal_bytes(path) <= 256 * 1024, f"the log kept {_wal_bytes(path):,} bytes"
        with store.reading() as db:
            assert db.execute("SELECT count(*) FROM bulk").fetchone()[0] == 1501
    finally:
        store.close()
