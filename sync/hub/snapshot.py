"""The hub's snapshot replica: the feed applied to a replica, published for new desktops to join from.

A folder (``hub serve --snapshots DIR``; ``hub snapshot make``) holds:

- ``working.db``: a plaintext replica in the desktop's own schema (its migrations), brought up to
  date from the hub's feed by the desktop's own apply code (``sync.apply.apply_batch``, columnar
  batches read straight from the hub's database), as a desktop that never shows a window would.
  Its ``replica_meta`` names the hub (``snapshot_hub_id``): a folder is never fed by two hubs.
- ``snapshot-<position>.db`` and ``.json``: published copies, each a compact ``VACUUM INTO`` of the
  working replica at one moment, encrypted with a random key of its own (so the file is never
  plaintext on the hub's disk or the desktop's), stripped of anything device-specific (outbox,
  ``replica_meta``), and described by its JSON (:class:`sync.protocol.SnapshotInfo`: position,
  hub id, schema revision, size, sha256, cipher and key).  The newest :data:`KEEP` are kept, so a
  download in progress is not cut by the next publication.

Everything here runs in the admin command (or a timer calling it), never in a request.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import apsw

from models.replica import dbapi, migrate
from models.replica.store import DEFAULT_CIPHER, BUSY_TIMEOUT_MS, Store, StoreError, connect_raw, copy_encrypted
from sync import protocol as p
from sync.hub import retention, snapshot_check
from sync.hub.snapshot_files import KEEP, file_sha256, forget_old, free_name, remove, write_json  # noqa: F401
from sync.hub.schema import utcnow

log = logging.getLogger("sync.hub")
WORKING = "working.db"
HUB_KEY = "snapshot_hub_id"
POSITION_KEY = "snapshot_position"
BATCH = 50_000   # feed positions per applied batch (as a desktop's columnar catch-up)


class SnapshotError(Exception):
    """The snapshot folder cannot be used (another hub's, damaged...); the message says why."""


@contextlib.contextmanager
def making(folder: Path):
    """Hold the folder's make lock (``.make.lock``) while a make runs: a timer that fires again before
    the last make finished, or a second hub process, is refused at once rather than racing it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".make.lock", "a+b") as fh:
        try:
            import fcntl
        except ImportError:   # Windows: no advisory locks here; one timer is the admin's to keep
            yield
            return
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SnapshotError(f"another 'hub snapshot make' is running on {folder}; this one did nothing") from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class PlainReplica(Store):
    """A replica without encryption: the hub's working copy only (the hub's own database holds the
    same data in plaintext).  Migrated to the head on open like any replica."""

    def __init__(self, path: Path | str) -> None:   # noqa: D107 -- Store's set-up, with a plain connection
        self.path = Path(path)
        self._key = b""
        self.cipher = "none"
        self._engine = None
        self._engine_lock = threading.Lock()
        self._reader_lock = threading.RLock()
        self._reading_depth = 0
        self._reader = _connect_plain(self.path)
        try:
            revision = migrate.raw_revision(self._reader)
            if migrate.newer_replica_problem(self._reader, self.path):   # an older hub after a newer one
                raise SnapshotError(
                    f"the hub's working replica {self.path} was written by a newer version of SCC Desktop (its "
                    f"schema is {revision}; this hub knows schemas up to {migrate.head_revision()}): run the hub "
                    "of that version, or move the folder aside and start one from the newest published snapshot; "
                    "nothing in it was changed")
            if revision != migrate.head_revision():
                migrate.upgrade(self.engine)
            self._reader.execute("PRAGMA query_only = ON")
        except BaseException:
            self.close()
            raise

    def _connect(self) -> dbapi.Connection:
        return dbapi.Connection(_connect_plain(self.path))


def _connect_plain(path: Path) -> apsw.Connection:
    conn = apsw.Connection(str(path))
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON", "temp_store = MEMORY",
                   "cache_size = -65536"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def _meta(conn: apsw.Connection, key: str) -> str | None:
    found = conn.execute("SELECT value FROM replica_meta WHERE key = ?", (key,)).fetchall()
    return found[0][0] if found else None


def _cursor(conn: apsw.Connection) -> int:
    found = conn.execute("SELECT position FROM feed_cursor WHERE feed = 'main'").fetchall()
    return int(found[0][0] or 0) if found else 0


@dataclass
class UpdateResult:
    start: int
    position: int
    applied: int
    quarantined: int
    seen_given: int = 0   # transfer changes given back their seen from the feed (sync.transfer_seen)
    seen_problem: str | None = None   # why that mend stopped short this time (logged; asked again next time)
    restarted: str | None = None   # why the working replica was made again from 0 (its feed was put back)


def update(hub, folder: Path, *, batch: int = BATCH, progress=None, validator=None) -> UpdateResult:
    """Bring ``folder``'s working replica up to the hub's head, one committed batch at a time."""
    from sync.apply import apply_batch
    from sync.engine import catalogue_validator
    from sync.hub import feed

    folder.mkdir(parents=True, exist_ok=True)
    validator = validator or catalogue_validator()
    hub_id = hub.db.hub_id
    restarted = _restart_if_disagrees(hub, folder)
    with PlainReplica(folder / WORKING) as store:
        with store.raw() as conn:
            owner = _meta(conn, HUB_KEY)
            if owner is None:
                conn.execute("INSERT INTO replica_meta(key, value) VALUES (?, ?)", (HUB_KEY, hub_id))
            elif owner != hub_id:
                raise SnapshotError(f"{folder} holds a snapshot of hub {owner}, not of this hub ({hub_id}); "
                                    "give this hub a folder of its own")
            start = position = _cursor(conn)
        with hub.db.read() as conn:
            horizon = retention.pruned_through(conn)
        if position < horizon:
            raise SnapshotError(f"the working replica in {folder} is at position {position}, behind the feed's "
                                f"retention horizon ({horizon}): it cannot be brought up to date; move the folder "
                                "aside and start one from the newest published snapshot")
        applied = quarantined = 0
        while True:
            rendered = feed.read_columnar(hub, position, batch)
            if not rendered.count:
                break
            fb = p.FeedBatch.model_validate_json(rendered.body)
            report = apply_batch(store, fb, validator)
            applied += report.applied
            quarantined += report.quarantined
            position = report.position
            if progress:
                progress(position, fb.head)
            if position >= fb.head:
                break
        mended = mend_seen(hub, store)
    return UpdateResult(start, position, applied, quarantined, mended.given, mended.problem, restarted)


def _restart_if_disagrees(hub, folder: Path) -> str | None:
    """Session 30 (review r2): a working replica the hub's feed disagrees with (the database was put back from
    a backup made before the replica's position: the position is beyond the head, or the feed's mark there is
    another item's) is deleted, and made again from position 0; returns why, None when it agrees.  A replica
    that kept no mark (made before session 30) is checked by its position only."""
    from sync import feed_marks

    if not (folder / WORKING).exists():
        return None
    with PlainReplica(folder / WORKING) as store:
        with store.raw() as conn:
            position, owner = _cursor(conn), _meta(conn, HUB_KEY)
        with store.engine.connect() as conn:
            kept = feed_marks.current(conn)
    if owner is not None and owner != hub.db.hub_id:
        return None   # another hub's folder: refused by the update, never deleted here
    mark = kept[1] if kept and kept[0] == position else None
    with hub.db.read() as conn:
        why = snapshot_check.why_not(hub.db, conn, p.SnapshotInfo.model_construct(position=position, mark=mark))
        horizon = retention.pruned_through(conn)
    if why is None:
        return None
    why = why.replace("its position", "the working replica's position")
    if horizon:
        raise SnapshotError(f"the working replica in {folder} disagrees with the hub's feed ({why}), and the feed is "
                            f"pruned through position {horizon}, so it cannot be made again from the feed: put back "
                            "the snapshot folder taken with the database's backup (docs/deployment.md)")
    log.warning("snapshot replica %s: %s; it is made again from position 0", folder / WORKING, why)
    remove(folder / WORKING)
    return why


def mend_seen(hub, store):
    """The working replica's transfer changes stored without ``seen`` given it from the hub's own feed: a hub
    from before session 24 applied them with the desktop code of its version, which dropped it, and replica
    migration 0021 left them NULL, so every snapshot published since folded them by the old settling rule
    (``sync.transfer_seen``; each position is asked once)."""
    from sync import transfer_seen
    from sync.hub import transfer_seen as hub_seen

    def ask(positions):
        with hub.db.read() as conn:
            return {e.position: (e.uuid, e.seen) for e in hub_seen.seen_at(conn, positions)}

    try:
        mended = transfer_seen.mend(store.engine, ask)
    except Exception as exc:  # noqa: BLE001 -- the feed is applied; a fault here must not stop the publishing
        # What each request wrote stays written; the rest is asked again at the next make (review r1,
        # session 28: one event's bad seen made every make fail, and nothing was published).
        log.warning("snapshot replica: transfer changes' seen not mended this time (asked again at the next "
                    "make): %s: %s", type(exc).__name__, exc, exc_info=True)
        return transfer_seen.Mended(problem=f"{type(exc).__name__}: {exc}")
    if mended.given:
        log.info("snapshot replica: %d transfer changes given their seen from the feed (%d cases refolded)",
                 mended.given, mended.cases)
    return mended


def content(conn: apsw.Connection) -> dict[str, object]:
    """What a make can change in the working replica, read from a replica (working or published): the feed
    position it holds (applying the feed moves it), its schema (a newer hub migrates the working replica
    when it opens it) and how many transfer changes it holds without ``seen`` (the mend, :func:`mend_seen`,
    writes only those, at an unmoved position).  Nothing else is written by a make."""
    revision = migrate.raw_revision(conn) or ""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(transfer_event)")}
    unseen = (conn.execute("SELECT count(*) FROM transfer_event WHERE seen IS NULL").fetchall()[0][0]
              if "seen" in columns else None)
    return {"position": _cursor(conn), "schema": revision, "transfer changes without seen": unseen}


def differs(folder: Path, published: tuple[p.SnapshotInfo, Path]) -> str | None:
    """Why the working replica in ``folder`` is not what the ``published`` snapshot holds, in words; None
    when it is the same (then publishing again would only put the same content under a new key).  Reads
    the published copy read-only (its own key, from its description): its file is never changed."""
    info, path = published
    working = _connect_plain(folder / WORKING)   # the make's own copy, under its lock: only read here
    try:
        now = content(working)
    finally:
        working.close()
    if now["position"] != info.position:
        return f"the feed moved from position {info.position} to {now['position']}"
    try:
        copy = connect_raw(path, bytes.fromhex(info.key), info.cipher, readonly=True)
        try:
            then = content(copy)
        finally:
            copy.close()
    except Exception as exc:  # noqa: BLE001 -- a copy that cannot be read is replaced, not kept
        log.warning("snapshot: the published copy %s could not be read (%s); publishing again", path, exc)
        return f"the published copy at position {info.position} could not be read ({type(exc).__name__}: {exc})"
    changed = [f"{what} {then[what]} -> {now[what]}" for what in now if now[what] != then[what]]
    return f"the copy changed at position {info.position}: " + ", ".join(changed) if changed else None


def publish(folder: Path, hub_id: str, *, source: Path | None = None, source_key: bytes | None = None,
            source_cipher: str = DEFAULT_CIPHER, cipher: str = DEFAULT_CIPHER, hub=None) -> p.SnapshotInfo:
    """Publish a copy of the working replica (or of ``source``, a replica encrypted with
    ``source_key``: the benchmark's year) as the newest snapshot; returns its description.  ``hub``:
    the hub whose feed it holds, to describe it with the feed's mark at its position (session 30)."""
    source = source or folder / WORKING
    if not source.exists():
        raise SnapshotError(f"there is no replica to publish at {source}: run 'hub snapshot make' first")
    key = secrets.token_bytes(32)
    tmp = folder / f".publishing-{os.getpid()}.db"
    remove(tmp)
    try:
        copy_encrypted(source, tmp, key, cipher, source_key=source_key, source_cipher=source_cipher)
        conn = connect_raw(tmp, key, cipher)
        try:
            with conn:   # one transaction: nothing of this device or this hub's working copy goes out
                conn.execute("DELETE FROM outbox")
                conn.execute("DELETE FROM replica_meta")
                position = _cursor(conn)
                conn.execute("INSERT INTO replica_meta(key, value) VALUES (?, ?), (?, ?)",
                             (HUB_KEY, hub_id, POSITION_KEY, str(position)))
            revision = migrate.raw_revision(conn)
            conn.execute("PRAGMA journal_mode = DELETE")   # one file: nothing beside it to serve
        finally:
            conn.close()
        final = free_name(folder, position)   # beside one kept at the same position, never over it
        info = p.SnapshotInfo(position=position, hub_id=hub_id, schema_revision=revision or "",
                              size=tmp.stat().st_size, sha256=file_sha256(tmp), cipher=cipher, key=key.hex(),
                              made_at=utcnow(), mark=None if hub is None else hub_mark(hub, position))
        os.replace(tmp, final)
        write_json(final.with_suffix(".json"), info.model_dump(mode="json"))
    finally:
        remove(tmp)
    forget_old(folder)
    log.info("published snapshot at position %d (%d bytes)", info.position, info.size)
    return info


def hub_mark(hub, position: int) -> int | None:
    """The feed's mark of the item at ``position`` (:func:`sync.hub.feed.feed_mark`), None where none is held."""
    from sync.hub import feed

    with hub.db.read() as conn:
        return feed.feed_mark(conn, position)


__all__ = ["PlainReplica", "SnapshotError", "StoreError", "differs", "publish", "update"]
