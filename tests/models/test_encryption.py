"""Encryption at rest: no plaintext on disk, keys, passphrases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.replica import keyfile
from models.replica.orm import DecisionEntry, Organisation
from models.replica.store import Store, StoreError, WrongKeyError
from tests.models.conftest import FAST_KDF, PASSPHRASE

MARKER = "PLAINTEXT-CANARY-7f3a9c"


def _write_marker(store, n=200):
    now = datetime.now(timezone.utc)
    with store.session() as s, s.begin():
        for i in range(n):
            s.add(DecisionEntry(
                device_id="dev", device_seq=i, decided_at=now, decision_maker="Lead",
                decision_maker_role="Room lead", decision=f"{MARKER} decision {i}",
                rationale=f"{MARKER} rationale", recorded_by="Lead", recorded_at=now,
                content_hash="0" * 64))


def _files_containing(folder, needle: bytes):
    return [p.name for p in folder.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_no_plaintext_in_database_wal_or_any_file(store, store_path, monkeypatch, tmp_path):
    monkeypatch.setenv("SQLITE_TMPDIR", str(store_path.parent))
    _write_marker(store)
    # While the WAL still holds the pages (no checkpoint yet) ...
    wal = store_path.with_name(store_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    # ... a sort big enough to want temp space runs too.
    with store.session() as s:
        rows = s.execute(select(DecisionEntry.decision).order_by(DecisionEntry.rationale.desc(),
                                                                 DecisionEntry.decision)).all()
        assert len(rows) == 200 and MARKER in rows[0][0]
        assert _files_containing(store_path.parent, MARKER.encode()) == []
        assert _files_containing(store_path.parent, MARKER.encode("utf-16-le")) == []
    store.close()
    assert _files_containing(store_path.parent, MARKER.encode()) == []
    # The marker is really stored: reopening finds it.
    with Store.unlock(store_path, PASSPHRASE) as again, again.session() as s:
        assert s.scalar(select(DecisionEntry.decision).where(DecisionEntry.device_seq == 3)) \
            == f"{MARKER} decision 3"


def test_the_check_itself_finds_plaintext_in_an_unencrypted_file(tmp_path):
    # Proves the raw-bytes search above can fail: an unencrypted SQLite file shows the marker.
    import sqlite3
    db = sqlite3.connect(tmp_path / "plain.db")
    db.execute("CREATE TABLE t (x TEXT)")
    db.execute("INSERT INTO t VALUES (?)", (MARKER,))
    db.commit()
    db.close()
    assert _files_containing(tmp_path, MARKER.encode()) == ["plain.db"]


def test_wrong_passphrase_is_a_clear_error(store, store_path):
    store.close()
    with pytest.raises(WrongKeyError, match="passphrase is not correct"):
        Store.unlock(store_path, "not the passphrase")


def test_key_header_of_another_replica_is_a_clear_error(store, store_path, tmp_path):
    store.close()
    other = tmp_path / "other" / "scc.db"
    Store.create(other, PASSPHRASE, kdf=FAST_KDF).close()
    keyfile.header_path(store_path).write_bytes(keyfile.header_path(other).read_bytes())
    with pytest.raises(WrongKeyError, match="cannot be decrypted with this key"):
        Store.unlock(store_path, PASSPHRASE)


def test_missing_key_header_says_so(store, store_path):
    store.close()
    keyfile.header_path(store_path).unlink()
    with pytest.raises(StoreError, match="key header .* is missing"):
        Store.unlock(store_path, PASSPHRASE)


def test_weakened_kdf_in_header_does_not_unlock(store, store_path):
    store.close()
    path = keyfile.header_path(store_path)
    header = json.loads(path.read_text())
    header["kdf"]["n"] = 2**4
    path.write_text(json.dumps(header))
    with pytest.raises(WrongKeyError):
        Store.unlock(store_path, PASSPHRASE)


def test_change_passphrase_rewraps_without_rewriting_data(store, store_path):
    with store.session() as s, s.begin():
        s.add(Organisation(ods_code="RXX", name="Kept", sector="acute"))
    store.close()
    before = store_path.read_bytes()
    keyfile.change_passphrase(store_path, PASSPHRASE, "a new passphrase")
    assert store_path.read_bytes() == before
    with pytest.raises(WrongKeyError):
        Store.unlock(store_path, PASSPHRASE)
    with Store.unlock(store_path, "a new passphrase") as again, again.session() as s:
        assert s.get(Organisation, "RXX").name == "Kept"


def test_change_passphrase_needs_the_old_one(store, store_path):
    store.close()
    with pytest.raises(keyfile.WrongPassphraseError):
        keyfile.change_passphrase(store_path, "guess", "new")


def test_header_records_kdf_parameters_and_cipher(store, store_path):
    header = keyfile.read_header(store_path)
    assert header["kdf"]["name"] == "scrypt"
    assert (header["kdf"]["n"], header["kdf"]["r"], header["kdf"]["p"]) == (FAST_KDF.n, 8, 1)
    assert header["cipher"] == store.cipher
    assert header["wrap"]["alg"] == "AES-256-GCM"


def test_create_refuses_to_overwrite(store, store_path):
    with pytest.raises(StoreError, match="already exists"):
        Store.create(store_path, PASSPHRASE, kdf=FAST_KDF)


def test_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        Store.create(tmp_path / "x.db", "", kdf=FAST_KDF)


def test_open_with_unwrapped_key(store, store_path):
    store.close()
    key, _ = keyfile.unlock(store_path, PASSPHRASE)
    with Store.open_with_key(store_path, key) as again:
        assert again.schema_revision() is not None
    with pytest.raises(WrongKeyError):
        Store.open_with_key(store_path, bytes(32))


def test_connections_are_configured_for_durability_and_bulk_loads(store):
    from models.replica.store import CACHE_KIB
    with store.raw() as raw:
        pragmas = {p: raw.execute(f"PRAGMA {p}").fetchone()[0]
                   for p in ("journal_mode", "synchronous", "foreign_keys", "temp_store", "cache_size")}
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "temp_store": 2,
                       "cache_size": -CACHE_KIB}


def _tamper_one_byte_of_page_two(path) -> None:
    data = bytearray(path.read_bytes())
    data[4096 + 100] ^= 0x01
    path.write_bytes(bytes(data))


def _one_row_table(conn) -> None:
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("INSERT INTO t VALUES (randomblob(3000))")


def test_default_cipher_detects_a_tampered_page(tmp_path):
    import apsw

    from models.replica.store import DEFAULT_CIPHER, connect_raw
    path, key = tmp_path / "t.db", bytes(range(32))
    conn = connect_raw(path, key)
    conn.execute("PRAGMA journal_mode = DELETE")
    _one_row_table(conn)
    conn.close()
    _tamper_one_byte_of_page_two(path)
    conn = connect_raw(path, key)
    with pytest.raises(apsw.CorruptError):
        conn.execute("SELECT x FROM t").fetchall()
    conn.close()
    assert DEFAULT_CIPHER == "aegis"


def test_retired_cbc_cipher_would_not_have_noticed(tmp_path):
    """Control for the test above: why aes256cbc is not offered."""
    import apsw
    path, key = tmp_path / "t.db", bytes(range(32)).hex()

    def open_cbc():
        conn = apsw.Connection(str(path))
        conn.execute("PRAGMA cipher = 'aes256cbc'")
        conn.execute(f"PRAGMA key = \"x'{key}'\"")
        return conn
    conn = open_cbc()
    _one_row_table(conn)
    conn.close()
    _tamper_one_byte_of_page_two(path)
    conn = open_cbc()
    assert len(conn.execute("SELECT x FROM t").fetchall()[0][0]) == 3000
    conn.close()


@pytest.mark.parametrize("cipher", ["aes128cbc", "aes256cbc", "rc4"])
def test_unauthenticated_ciphers_are_refused(tmp_path, cipher):
    with pytest.raises(StoreError, match=f"unknown cipher '{cipher}'.*aegis"):
        Store.create(tmp_path / "x.db", PASSPHRASE, cipher=cipher, kdf=FAST_KDF)


def test_replica_made_with_chacha20_still_opens_after_the_default_changed(tmp_path):
    path = tmp_path / "old.db"
    with Store.create(path, PASSPHRASE, cipher="chacha20", kdf=FAST_KDF) as old:
        with old.session() as s, s.begin():
            s.add(Organisation(ods_code="RXX", name="Old Trust", sector="acute"))
    assert keyfile.read_header(path)["cipher"] == "chacha20"
    with Store.unlock(path, PASSPHRASE) as again:
        assert again.cipher == "chacha20"
        with again.session() as s:
            assert s.scalar(select(Organisation.name)) == "Old Trust"
