"""The encrypted replica: one SQLite file under SQLite3 Multiple Ciphers.

This module is the only place that sees the database key or the cipher.
Everything else gets an SQLAlchemy ``Session`` (``Store.session()``), for
bulk paths a raw APSW connection (``Store.raw()``) that is already keyed, or
for the window's quick reads the store's own read-only connection
(``Store.reading()``).  SQLAlchemy is loaded when the first session or raw
connection is asked for, not at open: the window paints the last known
picture through ``reading()`` first (most of a second of imports saved from
a cold start; docs/benchmarks.md).

Every connection: cipher and raw 256-bit key first (the ``x'..'`` form skips
the cipher's own passphrase KDF: the key is already random), then a read to
prove the key (a wrong key only shows at the first read, as ``NotADBError``),
then WAL, ``synchronous=FULL`` (a committed record survives power loss),
foreign keys on, temporary tables and sorts in memory (so no plaintext temp
file ever reaches the disk), and a page cache sized for bulk loads.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import apsw

from models.replica import dbapi
from models.replica import keyfile
from models.replica import migrate

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

# Chosen by benchmarks/bench_ingest.py (see docs/benchmarks.md): AEGIS-256 is
# authenticated and the cheapest (about +5% instructions over a plain file
# under valgrind, against +31% for chacha20).  A replica keeps the cipher named
# in its key header, so replicas made with chacha20 still open.
DEFAULT_CIPHER = "aegis"
# Only authenticated ciphers that use the whole 256-bit key.  The library's
# aes128cbc/aes256cbc take just the first 32 hex digits of a raw key and carry
# no tamper check, so the product does not offer them.
CIPHERS = ("aegis", "chacha20", "sqlcipher", "ascon128")
BUSY_TIMEOUT_MS = 10_000
# Page cache per connection, KiB.  SQLite's default (2 MiB) makes a bulk load
# into an indexed table of a replica this size re-read and re-decrypt pages
# over and over: 64 MiB took 1M-row ingest from 0.41x to 0.95x of a plain
# file and the encryption overhead from +105% to within noise
# (docs/benchmarks.md).  Pages are allocated only as they are used.
CACHE_KIB = 65_536
# What the write-ahead log is cut back to when it starts again after a checkpoint.  Without a limit it
# keeps the size of the largest transaction ever written (a year's backfill: hundreds of MiB) on the disk.
WAL_LIMIT_BYTES = 64 * 1024 * 1024


class StoreError(Exception):
    """The replica cannot be opened; the message says why and what to do."""


class WrongKeyError(StoreError):
    """The key does not decrypt the file (another replica's key header, a damaged file, or not a replica)."""


class PassphraseRefusedError(WrongKeyError):
    """The passphrase does not unwrap the key header (the user can try again; the file was not read)."""


class DamagedReplicaError(StoreError):
    """The file decrypts but SQLite finds it malformed (cut short, or pages changed)."""


class NewerReplicaError(StoreError):
    """The replica's schema is a newer version's (an older version installed over a newer one): never
    opened for writing or migrated; the message names the version it needs."""


class ForeignLogError(DamagedReplicaError):
    """The file is whole; the write-ahead log beside it belongs to another file (it replaced one)."""


class GaveWay(Exception):
    """A long read stopped for a file swap (:meth:`Store.giving_way`): its connection was given back so the
    swap need not wait for it; it is asked again on the new file.  Not a fault of the replica or the data."""


class ReplicaUnavailableError(StoreError):
    """The replica cannot be opened now for a reason outside it (disk full, I/O error, locked,
    read-only); nothing in it is lost."""


def _disk_full(path) -> bool:
    try:
        return shutil.disk_usage(Path(path).parent).free < 64 * 1024
    except OSError:
        return False


def _why(path, exc: BaseException) -> tuple[str, str]:
    """What stops the replica, and what the user does about it."""
    # SQLite says "disk I/O error" when a full disk leaves no room for the WAL index it makes
    # on opening: the free space tells the two apart.
    if isinstance(exc, apsw.FullError) or (isinstance(exc, apsw.IOError) and _disk_full(path)):
        return "the disk that holds it is full", "free space on that disk"
    if isinstance(exc, apsw.IOError):   # e.g. its WAL index cannot be made: no space left
        return ("the disk that holds it gave an I/O error (it may be full, removed or failing)",
                "check that disk (free space on it, or connect it again)")
    if isinstance(exc, (apsw.BusyError, apsw.LockedError)):
        return "another program holds it locked", "close the other program using it (another SCC Desktop?)"
    if isinstance(exc, (apsw.ReadOnlyError, apsw.PermissionsError, apsw.CantOpenError)):
        return "it or its folder cannot be written", "make the file and its folder writable"
    return str(exc), "fix that"


def unavailable(path, exc: BaseException) -> ReplicaUnavailableError:
    why, fix = _why(path, exc)
    return ReplicaUnavailableError(
        f"the replica {path} cannot be opened now: {why} ({exc}); nothing in it is lost: {fix} and try again")


# What an upgrade's one transaction may add to the write-ahead log, as a share of the replica's size:
# 0010 to 0017 on a 328 MiB replica peaked at 88 MiB (27%; 0015 rebuilds the two largest indexes).
UPGRADE_SPACE_SHARE = 0.4


def upgrade_failure(path, exc: BaseException) -> ReplicaUnavailableError:
    """A fault of the replica while it was being upgraded (its one transaction rolled back)."""
    why, fix = _why(path, exc)
    if fix.startswith("free space"):
        mib = 2**20
        with contextlib.suppress(OSError):
            need = -(-int(Path(path).stat().st_size * UPGRADE_SPACE_SHARE) // mib) + 16
            wal = Path(f"{path}-wal")   # the failed upgrade's log: removed when the replica closes next
            free = (shutil.disk_usage(Path(path).parent).free + (wal.stat().st_size if wal.exists() else 0)) // mib
            why += f" (the upgrade needs about {need:,} MB free there; {free:,} MB is free)"
    elif fix.startswith("close"):
        why += (f" for {migrate.UPGRADE_WAIT_MS // 60_000} minutes (another SCC Desktop may be upgrading it: "
                "on a year of data that takes a few minutes)")
        fix = "wait for that to finish, or close it,"
    return ReplicaUnavailableError(
        f"the replica {path} cannot be upgraded to this version of SCC Desktop now: {why}; nothing in it "
        f"was changed (it is as the earlier version left it): {fix} and start SCC Desktop again")


def _with_its_log(path) -> str:
    """How to put back a replica: a write-ahead log left beside it goes aside with the damaged file, or
    SQLite applies it to the file put back (a backup restored over a replica whose app was killed opened
    silently as a mix of both, which failed integrity_check)."""
    name = Path(path).name
    return (f"move it, its .key file and any {name}-wal and {name}-shm beside it aside together, then "
            "restore the replica and its .key file from a backup (scc-desktop db restore does all of this), or "
            "start a new replica, which fills again from the hub")


def damaged(path, exc: BaseException) -> DamagedReplicaError:
    return DamagedReplicaError(
        f"the replica {path} is damaged ({exc}): {_with_its_log(path)}; records not yet sent "
        "from the outbox are only in the damaged file")


def emptied(path, header: dict) -> DamagedReplicaError | None:
    """A replica file of 0 bytes beside its key file: emptied by a disk fault or a copy or restore cut
    short. SQLite would open it as a new database, and the replica would start again empty without a
    word (its unsent records gone). A made replica is never empty: making one writes its schema."""
    try:
        if Path(path).stat().st_size:
            return None
    except OSError:
        return None
    made = str(header.get("created_at") or "")[:10] or "an unknown day"
    return DamagedReplicaError(
        f"the replica {path} is empty (0 bytes), but its key file says a replica was made here on {made}: the "
        f"file was emptied (a disk fault, or a copy or restore cut short), and opening it would start a new, "
        f"empty replica: {_with_its_log(path)}; records it had not yet sent to the hub are not in it")


def connect_raw(path: Path | str, key: bytes, cipher: str = DEFAULT_CIPHER,
                *, readonly: bool = False) -> apsw.Connection:
    """Open one keyed APSW connection to the replica, configured and verified."""
    if cipher not in CIPHERS:
        raise StoreError(f"unknown cipher {cipher!r}; choose one of {', '.join(CIPHERS)}")
    if len(key) != keyfile.KEY_BYTES:
        raise StoreError(f"the database key must be {keyfile.KEY_BYTES} bytes, not {len(key)}")
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    try:
        conn = apsw.Connection(str(path), flags=flags)
    except apsw.CantOpenError:
        raise StoreError(f"cannot open the replica file {path}: check the folder exists "
                         "and is writable") from None
    try:
        conn.execute(f"PRAGMA cipher = '{cipher}'")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    except (apsw.NotADBError, apsw.CorruptError, *dbapi.REPLICA_FAULTS) as exc:
        conn.close()
        if isinstance(exc, (apsw.NotADBError, apsw.CorruptError)) and _foreign_log(path, key, cipher):
            raise ForeignLogError(
                f"the replica {path} is whole on its own, but the write-ahead log beside it ({Path(path).name}-wal) "
                f"cannot be applied to it: most likely it was left by the replica this file replaced (copied or "
                f"restored here after SCC Desktop stopped without closing it); move {Path(path).name}-wal and {Path(path).name}-shm "
                "aside (keep them: they hold the last writes of the replica they came with) and start again") from None
        if isinstance(exc, apsw.NotADBError):
            raise WrongKeyError(f"the replica {path} cannot be decrypted with this key: the key header "
                                "belongs to another replica, or the file is damaged or not a replica; "
                                f"{_with_its_log(path)}") from None
        raise _open_failure(path, exc) from None
    try:
        if not readonly:
            conn.execute("PRAGMA journal_mode = WAL")
        for pragma in ("synchronous = FULL", "foreign_keys = ON", "temp_store = MEMORY",
                       f"cache_size = -{CACHE_KIB}", f"journal_size_limit = {WAL_LIMIT_BYTES}"):
            conn.execute(f"PRAGMA {pragma}")
    except (apsw.CorruptError, *dbapi.REPLICA_FAULTS) as exc:
        conn.close()
        raise _open_failure(path, exc) from None
    return conn


def _foreign_log(path, key: bytes, cipher: str) -> bool:
    """True if the file alone (its write-ahead log ignored) decrypts and reads whole while a log is beside
    it: the log then belongs to another file.  SQLite ties a log to a database only by name, so a replica
    copied or restored over one whose app was killed gets the old one's log applied, and reads as damaged."""
    log = Path(f"{path}-wal")
    try:
        if not log.exists() or log.stat().st_size == 0:
            return False
    except OSError:
        return False
    from urllib.parse import quote

    try:   # immutable: nothing of the log or its index is read or written
        alone = apsw.Connection(f"file:{quote(str(Path(path).resolve()))}?immutable=1",
                                flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    except apsw.Error:
        return False
    try:
        alone.execute(f"PRAGMA cipher = '{cipher}'")
        alone.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        alone.execute("SELECT count(*) FROM sqlite_schema").fetchall()
        return migrate.raw_revision(alone) is not None and alone.execute("PRAGMA quick_check(1)").fetchall() == [("ok",)]
    except apsw.Error:
        return False
    finally:
        alone.close()


def copy_encrypted(source: Path | str, target: Path | str, key: bytes, cipher: str = DEFAULT_CIPHER, *,
                   source_key: bytes | None = None, source_cipher: str = DEFAULT_CIPHER,
                   compact: bool = True) -> None:
    """Write a copy of the database ``source`` (plaintext, or encrypted with ``source_key``) to the
    new file ``target``, encrypted with ``key`` under ``cipher``.

    ``compact``: ``VACUUM INTO`` a URI naming the cipher and the raw key, which rebuilds every
    table and index into a compact file; on 150 MB it took 3.8 s where ``PRAGMA rekey`` of a
    copy took 16.7 s.  Otherwise, between two files of one cipher, SQLite's backup API copies
    page by page (each page decrypted and encrypted once, nothing rebuilt: about 25% less time
    on 150 MB; the library refuses it between a plaintext and an encrypted file).  ``target``
    must not exist.  Either copy is made inside one read transaction, so it is consistent
    however ``source`` is being written meanwhile (the snapshot join, docs/retention.md)."""
    for k, c in ((key, cipher), (source_key, source_cipher)):
        if c not in CIPHERS:
            raise StoreError(f"unknown cipher {c!r}; choose one of {', '.join(CIPHERS)}")
        if k is not None and len(k) != keyfile.KEY_BYTES:
            raise StoreError(f"the database key must be {keyfile.KEY_BYTES} bytes, not {len(k)}")
    from urllib.parse import quote

    # The URI form is read only by a connection opened with SQLITE_OPEN_URI: one of its own.
    conn = apsw.Connection(str(source), flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_URI)
    try:
        if source_key is not None:
            conn.execute(f"PRAGMA cipher = '{source_cipher}'")
            conn.execute(f"PRAGMA key = \"x'{source_key.hex()}'\"")
        conn.set_busy_timeout(BUSY_TIMEOUT_MS)
        conn.execute("PRAGMA temp_store = MEMORY")   # no plaintext temp file on the way
        if not compact and source_key is not None and source_cipher == cipher:
            _backup(conn, target, key, cipher)
            return
        raw = quote(f"x'{key.hex()}'")
        conn.execute("VACUUM INTO ?", (f"file:{quote(str(Path(target).resolve()))}?cipher={cipher}&key={raw}",))
    except apsw.NotADBError:
        raise WrongKeyError(f"{source} cannot be read with the key given") from None
    finally:
        conn.close()


def _backup(source: apsw.Connection, target: Path | str, key: bytes, cipher: str) -> None:
    dest = apsw.Connection(str(target))
    try:
        dest.execute(f"PRAGMA cipher = '{cipher}'")
        dest.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        with dest.backup("main", source, "main") as copying:
            copying.step(-1)
    finally:
        dest.close()


class _InUse:
    """How many of an engine's pooled connections are checked out now (its pools' events: they carry
    over to the pool ``dispose()`` makes, and a connection out at the time still checks in)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        self._lock = threading.Lock()
        event.listen(engine, "checkout", lambda *_: self._add(1))
        event.listen(engine, "checkin", lambda *_: self._add(-1))

    def _add(self, n: int) -> None:
        with self._lock:
            self.count += n


def _open_failure(path, exc: BaseException) -> Exception:
    """A damaged file, or a replica that cannot be used now (full, I/O, ...), as the user is told it."""
    return damaged(path, exc) if isinstance(exc, apsw.CorruptError) else unavailable(path, exc)


# SQLite virtual-machine steps between two looks at a waiting swap by a read giving way (a few microseconds).
GIVE_WAY_STEPS = 1000


class Store:
    """An open replica: an SQLAlchemy engine over keyed APSW connections (made on first use),
    and one read-only keyed connection of its own for the window's quick reads."""

    def __init__(self, path: Path | str, key: bytes, cipher: str = DEFAULT_CIPHER,
                 *, upgrade: bool = True, on_upgrade: Callable[[str | None, str], None] | None = None) -> None:
        """``on_upgrade(old, new)``: called (on this thread) just before an older schema is upgraded, which
        on a year of data takes minutes (the window's start says so meanwhile)."""
        self.path = Path(path)
        self._key = key
        self.cipher = cipher
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._reader_lock = threading.RLock()
        self._reading_depth = 0
        self._swap_lock = threading.RLock()   # held while the file is replaced (swap_file): no connection opens
        self._swapping = False
        self._swap_wanted = threading.Event()   # set from a swap's start to its end: long reads give way
        # Prove the key once, with a clear error; the connection stays as the reader.
        self._reader: apsw.Connection | None = connect_raw(self.path, key, cipher)
        try:
            try:
                newer = upgrade and migrate.newer_replica_problem(self._reader, self.path)
                stale = upgrade and migrate.raw_revision(self._reader) != migrate.head_revision()
            except apsw.CorruptError as exc:
                raise damaged(self.path, exc) from None
            if newer:
                raise NewerReplicaError(newer)
            if stale:
                if on_upgrade is not None:
                    on_upgrade(migrate.raw_revision(self._reader), migrate.head_revision())
                try:
                    migrate.upgrade(self.engine)
                except Exception as exc:
                    if not dbapi.replica_fault(exc):
                        raise
                    raise upgrade_failure(self.path, dbapi.apsw_cause(exc) or exc) from None
            self._reader.execute("PRAGMA query_only = ON")
        except BaseException:
            self.close()
            raise

    @property
    def engine(self) -> "Engine":
        """The SQLAlchemy engine (pooled keyed connections), built on first use."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    from sqlalchemy import create_engine
                    from sqlalchemy.orm import sessionmaker
                    from sqlalchemy.pool import QueuePool

                    engine = create_engine("sqlite://", creator=self._connect, poolclass=QueuePool,
                                           pool_size=4, max_overflow=8)
                    self._in_use = _InUse(engine)   # connections handed out, across dispose() (swap_file)
                    # The pool rolls back every connection it takes back, so none keeps a
                    # WAL read snapshot open (that would stall checkpoints).
                    self._sessions = sessionmaker(engine, expire_on_commit=False)
                    self._engine = engine
        return self._engine

    @property
    def closed(self) -> bool:
        return self._reader is None and not getattr(self, "_swapping", False)   # (PlainReplica: no swaps)

    @property
    def engine_ready(self) -> bool:
        """True once SQLAlchemy is loaded and the engine built."""
        return self._engine is not None

    @property
    def key(self) -> bytes:
        """The unwrapped database key (for the OS keyring, when the user asks)."""
        return self._key

    def _connect(self) -> dbapi.Connection:
        with self._swap_lock:   # a connection asked for during swap_file waits for the new file
            return dbapi.Connection(connect_raw(self.path, self._key, self.cipher))

    def swap_file(self, replace, *, wait_s: float = 10.0) -> None:
        """Replace the file under this open store (the snapshot join, ``sync.snapshot_join``): close
        every connection to it, call ``replace()`` (which renames the new file over ``path``), and open
        the new file (migrated to the head if older), so everything holding this ``Store`` reads the new
        file from then on.  Quick reads wait meanwhile; a session asked for waits for the new file.
        No connection to the old file may outlive the rename (closing it would delete the new file's
        write-ahead log by name): if a session still holds one after ``wait_s``, nothing is replaced
        and :class:`ReplicaUnavailableError` says so.  If ``replace`` raises, the old file is opened
        again and the error goes to the caller.  The caller sees to it that nothing writes meanwhile.
        A long read made :meth:`giving_way` (the chain check) stops at once and gives its connection back."""
        self._swap_wanted.set()   # a long read (giving_way) stops at its next step and gives its connection back
        try:
            self._swap_in(replace, wait_s)
        finally:
            self._swap_wanted.clear()

    def _swap_in(self, replace, wait_s: float) -> None:
        import time

        with self._swap_lock, self._reader_lock:
            if self._reader is None:
                raise StoreError(f"the replica {self.path} is closed")
            self._swapping = True
            try:
                self._reader.close()
                self._reader = None
                in_use = old_pool = None
                if self._engine is not None:
                    in_use, old_pool = self._in_use, self._engine.pool
                    self._engine.dispose()   # idle connections closed; new ones wait on the swap lock
                deadline = time.monotonic() + wait_s
                while in_use is not None and in_use.count and time.monotonic() < deadline:
                    time.sleep(0.01)
                try:
                    if in_use is not None and in_use.count:
                        raise unavailable(self.path, apsw.BusyError(
                            f"{in_use.count} connection(s) still in use after {wait_s:g} s"))
                    if old_pool is not None:
                        # A connection given back since dispose() (a read giving way, a session ending) went
                        # into the old pool, open on the old file until the garbage collector came by.
                        old_pool.dispose()
                    replace()
                finally:
                    self._reopen()
            finally:
                self._swapping = False

    @property
    def swap_wanted(self) -> bool:
        """True while a file swap (:meth:`swap_file`) is waiting for connections or under way."""
        wanted = getattr(self, "_swap_wanted", None)   # (PlainReplica: no swaps)
        return wanted is not None and wanted.is_set()

    @contextlib.contextmanager
    def giving_way(self, session: "Session", every: int = GIVE_WAY_STEPS) -> Iterator["Session"]:
        """A long read in ``session`` (the chain check: seconds on a big log) that stops when a file swap
        starts, so the swap never waits for it nor fails with its connection "still in use": SQLite's
        progress handler, called every ``every`` virtual-machine steps of the session's statements, aborts the
        statement under way while :attr:`swap_wanted`, and :class:`GaveWay` is raised from the block.  The
        handler is taken off before the block ends (the pool's rollback of the connection is never stopped).
        Python work between two statements is not stopped: the read gives way at its next statement."""
        wanted = getattr(self, "_swap_wanted", None)   # (PlainReplica: no swaps)
        if wanted is None:
            yield session
            return
        raw = session.connection().connection.driver_connection.raw
        raw.set_progress_handler(wanted.is_set, every)
        try:
            yield session
        except Exception as exc:
            if isinstance(dbapi.apsw_cause(exc), apsw.InterruptError) and wanted.is_set():
                raise GaveWay(f"a read of {self.path.name} gave way to the file being replaced") from exc
            raise
        finally:
            with contextlib.suppress(apsw.Error):
                raw.set_progress_handler(None)

    def _reopen(self) -> None:
        self._reader = connect_raw(self.path, self._key, self.cipher)
        newer = migrate.newer_replica_problem(self._reader, self.path)
        if newer:
            self._reader.close()
            self._reader = None
            raise NewerReplicaError(newer)
        if migrate.raw_revision(self._reader) != migrate.head_revision():
            migrate.upgrade(self.engine)
        self._reader.execute("PRAGMA query_only = ON")

    # -- opening ---------------------------------------------------------
    @classmethod
    def create(cls, path: Path | str, passphrase: str, *, cipher: str = DEFAULT_CIPHER,
               kdf: keyfile.KdfParams = keyfile.KdfParams()) -> "Store":
        """Create a new replica and its key header. Refuses to overwrite either."""
        path = Path(path)
        if path.exists() and path.stat().st_size > 0:
            raise StoreError(f"{path} already exists; open it instead of creating it")
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        key = keyfile.create(path, passphrase, cipher, kdf)
        try:
            store = cls(path, key, cipher)
        except BaseException:
            # Nothing was made (a full disk, say): take back the key file and the empty file SQLite made, so
            # the set-up can be done again, and an empty file beside a key file is never one made here.
            if not path.exists() or path.stat().st_size == 0:
                keyfile.header_path(path).unlink(missing_ok=True)
                for made in ((path,) if not existed else ()) + (Path(f"{path}-wal"), Path(f"{path}-shm")):
                    with contextlib.suppress(OSError):
                        if made.exists() and (made == path or made.stat().st_size == 0 or made.name.endswith("-shm")):
                            made.unlink()
            raise
        with contextlib.suppress(OSError):  # owner-only, where the OS has modes
            os.chmod(path, 0o600)
        return store

    @classmethod
    def unlock(cls, path: Path | str, passphrase: str, *, on_upgrade=None) -> "Store":
        """Open an existing replica with the user's passphrase."""
        path = Path(path)
        if not path.exists():
            raise StoreError(f"there is no replica at {path}")
        try:
            key, header = keyfile.unlock(path, passphrase)
        except keyfile.WrongPassphraseError:
            raise PassphraseRefusedError("the passphrase is not correct for this replica") from None
        except (keyfile.KeyHeaderError, ValueError) as exc:
            raise StoreError(str(exc)) from None
        if problem := emptied(path, header):
            raise problem
        return cls(path, key, header.get("cipher", DEFAULT_CIPHER), on_upgrade=on_upgrade)

    @classmethod
    def open_with_key(cls, path: Path | str, key: bytes, *, on_upgrade=None) -> "Store":
        """Open with a key already unwrapped (e.g. from the OS keyring)."""
        header = keyfile.read_header(path)
        if problem := emptied(path, header):
            raise problem
        return cls(path, key, header.get("cipher", DEFAULT_CIPHER), on_upgrade=on_upgrade)

    # -- use -------------------------------------------------------------
    def session(self) -> "Session":
        self.engine   # noqa: B018 -- built on first use
        return self._sessions()

    @contextlib.contextmanager
    def writing(self) -> Iterator["Session"]:
        """A session in a write transaction that holds the replica's write lock from its start
        (``BEGIN IMMEDIATE``), committed at the end (rolled back on an error).

        Several threads write (sync, housekeeping, the user's own records): a transaction
        that reads first and writes later would fail at once, not wait, if another
        connection committed in between (SQLite cannot move its snapshot forward).  Taking
        the lock first makes a writer wait its turn, up to the busy timeout."""
        with self.session() as s, s.begin():
            s.connection().connection.driver_connection.begin(immediate=True)
            yield s

    @contextlib.contextmanager
    def reading(self) -> Iterator[apsw.Connection]:
        """The store's own read-only connection, inside one read transaction (one snapshot for
        every query in the block).  For the window's quick reads: needs no SQLAlchemy.
        Serialised: one block at a time (nested blocks share the outer snapshot)."""
        with self._reader_lock:
            if self._reader is None:
                raise StoreError(f"the replica {self.path} is closed")
            outer = self._reading_depth == 0
            if outer:
                self._reader.execute("BEGIN")
            self._reading_depth += 1
            try:
                yield self._reader
            finally:
                self._reading_depth -= 1
                if outer:
                    self._reader.execute("COMMIT")   # ends the snapshot; nothing was written

    @contextlib.contextmanager
    def raw(self) -> Iterator[apsw.Connection]:
        """A pooled, keyed APSW connection for bulk paths; no transaction is open."""
        pooled = self.engine.raw_connection()
        try:
            yield pooled.driver_connection.raw
        finally:
            pooled.close()

    def schema_revision(self) -> str | None:
        with self.reading() as conn:
            return migrate.raw_revision(conn)

    def close(self) -> None:
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
        if self._engine is not None:
            self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
