"""A new desktop joins from the hub's snapshot, then syncs the feed's tail (protocol 1.7).

Replaying a year's feed from position 0 (13.8M positions) takes hours; the hub's published
snapshot (``sync.hub.snapshot``) is the same replica content up to its position.  :func:`join`
replaces a *new* replica (cursor 0, empty outbox) with it:

1. ``GET /v1/snapshot``: its position, hub id, replica schema revision, size, sha256 and its own
   key.  None published (404), or a schema revision this version does not know (a newer
   desktop's): no join, one line saying why, and the caller replays the feed as before.
2. Download beside the replica (``<replica>.join-download``, still encrypted under the snapshot's
   key: the feed's data is never plaintext on this disk), hashing as it arrives; a size or
   sha256 that differs from the description refuses it.
3. Copy it page by page (SQLite's backup API; ``VACUUM INTO`` if the ciphers differ) into a second
   file (``<replica>.join-new``) under this replica's own key and cipher
   (``models.replica.store.copy_encrypted``: one pass, several times faster than ``PRAGMA rekey``),
   then the download is deleted.
4. Into the new file: this replica's own ``replica_meta`` rows (device id, saved hub token, ...)
   and the hub id; its cursor is the snapshot's position (the hub's working replica's own).
5. An atomic rename over the replica.  Until then the old (empty) replica is untouched: an
   interrupted or refused join leaves it as it was plus, at worst, a temp file the next join
   deletes first.

The caller then opens the replica as usual (newer migrations run then) and syncs the tail.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from models.replica import migrate
from models.replica.keyfile import fsync_dir
from models.replica.store import CIPHERS, Store, connect_raw, copy_encrypted
from sync import feed_marks, feed_restore
from sync.client import HubClient, HubRefused
from sync.hub.snapshot_files import remove
from sync.transfer_seen import MARK_KEY

log = logging.getLogger(__name__)
# replica_meta rows about rows the copy does not carry (this desktop's own alert events; a watermark
# of its local assessment ids): left behind, the housekeeping pass makes them again from the data.  The
# transfer changes' positions asked for their seen (sync.transfer_seen.MARK_KEY) are the old rows' too: the
# snapshot's may hold changes without seen up to it, so the copy asks for them again (review r1, session 28).
# The feed's marks and a recovery from a hub put back from a backup (sync.feed_marks, sync.feed_restore) are
# about the old rows' positions too: the copy keeps the snapshot's mark (SnapshotInfo.mark), or, from a hub
# without marks, its own from its first batch.
DERIVED_KEYS = ("local_alert_state", "opel_checklist_seen", "hub_id", "joined_from_snapshot", MARK_KEY,
                feed_marks.CURRENT, feed_marks.EARLIER, feed_restore.STATE)


class JoinFailed(Exception):
    """The join could not finish; the replica is as it was (new and empty)."""


class UnsentRecords(JoinFailed):
    """A rejoin refused because the outbox still holds records the hub has not had."""


@dataclass
class JoinOutcome:
    joined: bool
    line: str                      # what happened, in one line for a person
    position: int = 0              # the replica's cursor after the join
    size: int = 0                  # bytes downloaded
    phases: dict[str, float] = field(default_factory=dict)   # seconds: info, download, encrypt, finish


def temp_paths(path: Path) -> tuple[Path, Path]:
    return Path(f"{path}.join-download"), Path(f"{path}.join-new")


def is_new(conn) -> bool:
    """A replica that has applied nothing from the feed and authored nothing (cursor 0, outbox empty)."""
    cursor = conn.execute("SELECT coalesce(max(position), 0) FROM feed_cursor").fetchall()[0][0]
    outbox = conn.execute("SELECT count(*) FROM outbox").fetchall()[0][0]
    return not cursor and not outbox


def store_is_new(store) -> bool:
    """:func:`is_new` of an open ``Store`` (the window asks before it starts syncing)."""
    with store.reading() as conn:
        return is_new(conn)


def join(path: Path | str, key: bytes, cipher: str, client: HubClient, *, progress=None,
         rejoin: bool = False) -> JoinOutcome:
    """Replace the new replica at ``path`` (closed by the caller) with the hub's snapshot.

    Returns ``joined=False`` with the reason when there is nothing to join from or the replica is
    not new (the caller replays the feed); raises :class:`JoinFailed` (or ``HubUnreachable``)
    when a join began and could not finish: the replica is then as it was.

    ``rejoin``: the replica holds data but its cursor is behind the feed's retention horizon (410
    ``feed_pruned``): it is replaced too, once its outbox holds nothing unsent (push first), and
    its outbox rows (sent and refused, as the room's account of what it sent) go into the copy
    with its ``replica_meta``, and so do the rows of its decisions the hub refused, with their actions
    (the decision log is the room's record of what it decided; left behind, ``records verify`` read each
    as removed for good and the chain watch alerted the room: review r2).  What else only this replica
    held is not carried: rows of other records the hub refused, and what the desktop derives itself (its
    rules' alert events, quality findings), which its next housekeeping pass makes again from the data.

    :func:`prepare` and :func:`finish` are its two halves: the window prepares while its store stays
    open, then finishes inside ``Store.swap_file`` (``ui/hub_join.py``)."""
    path = Path(path)
    prepared = prepare(path, key, cipher, client, progress=progress, rejoin=rejoin)
    if isinstance(prepared, JoinOutcome):
        return prepared
    try:
        return finish(path, key, cipher, prepared)
    finally:
        prepared.discard()


@dataclass
class Prepared:
    """A snapshot downloaded, checked and encrypted under this replica's key beside it (``new``),
    not yet in its place (:func:`finish`)."""

    new: Path
    info: object          # sync.protocol.SnapshotInfo
    rejoin: bool
    size: int
    phases: dict[str, float]

    def discard(self) -> None:
        remove(self.new)


def prepare(path: Path | str, key: bytes, cipher: str, client: HubClient, *, progress=None,
            rejoin: bool = False, described=None) -> Prepared | JoinOutcome:
    """Everything of a join but the replacement: the description (``described(info)``), the download
    (``progress(bytes so far)``), the checks, the copy under this replica's key.  The replica at ``path`` may stay open
    meanwhile (it is only read).  A :class:`JoinOutcome` (not joined) says why there is nothing to do."""
    path = Path(path)
    download, new = temp_paths(path)
    for leftover in (download, new):   # an earlier join cut short
        remove(leftover)
    phases: dict[str, float] = {}
    t = time.perf_counter()
    own = _old_replica(path, key, cipher, rejoin)
    if own is None:
        return JoinOutcome(False, "the replica already holds data: it syncs from its own cursor")
    try:
        info = client.snapshot_info()
    except HubRefused as exc:
        if exc.status == 404:
            return JoinOutcome(False, "the hub has no snapshot yet: replaying the feed from position 0")
        raise
    phases["info"] = time.perf_counter() - t
    if own.cursor >= info.position:
        return JoinOutcome(False, f"the replica (position {own.cursor}) is not behind the hub's snapshot "
                                  f"({info.position}): nothing to join")
    if info.schema_revision not in migrate.known_revisions():
        return JoinOutcome(False, f"the hub's snapshot is at replica schema {info.schema_revision}, newer than "
                                  f"this version knows ({migrate.head_revision()}): replaying the feed from 0")
    if info.cipher not in CIPHERS:
        return JoinOutcome(False, f"the hub's snapshot uses cipher {info.cipher!r}, which this version does not "
                                  "offer: replaying the feed from 0")
    if described is not None:
        described(info)
    done = False
    try:
        t = time.perf_counter()
        with os.fdopen(os.open(download, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
            size, digest = client.download_snapshot(info.position, out, progress=progress, sha256=info.sha256)
            out.flush()
        phases["download"] = time.perf_counter() - t
        if size != info.size or digest != info.sha256:
            raise JoinFailed(f"the snapshot arrived altered or cut short ({size} bytes, sha256 {digest[:12]}..., "
                             f"expected {info.size} bytes, {info.sha256[:12]}...): not used")
        t = time.perf_counter()
        try:
            copy_encrypted(download, new, key, cipher, source_key=bytes.fromhex(info.key),
                           source_cipher=info.cipher, compact=False)   # compacted by the hub already
        except Exception as exc:
            raise JoinFailed(f"the snapshot could not be read with its key ({exc}): not used") from None
        remove(download)
        _check(new, key, cipher, info)
        phases["encrypt"] = time.perf_counter() - t
        t = time.perf_counter()
        _migrate(new, key, cipher)
        _fsync(new)
        phases["migrate"] = time.perf_counter() - t
        done = True
    finally:
        remove(download)
        if not done:
            remove(new)
    return Prepared(new, info, rejoin, size, phases)


def finish(path: Path | str, key: bytes, cipher: str, prepared: Prepared) -> JoinOutcome:
    """Give the prepared copy this replica's own facts and rename it over the replica, which must be
    closed (``Store.swap_file`` closes the window's).  Its outbox is read again now: a replica that
    took records while the snapshot downloaded is refused (``JoinFailed``; nothing changed)."""
    path = Path(path)
    t = time.perf_counter()
    own = _old_replica(path, key, cipher, prepared.rejoin)
    if own is None:
        raise JoinFailed("records were written to this replica while the snapshot downloaded: it keeps them and "
                         "replays the feed instead (nothing was changed)")
    position = _adopt(prepared.new, key, cipher, prepared.info, own)
    _replace(path, prepared.new)
    phases = {**prepared.phases, "finish": time.perf_counter() - t}
    return JoinOutcome(True, f"joined from the hub's snapshot at position {position} ({prepared.size / 1e6:,.0f} MB); "
                             "the feed's tail follows", position, prepared.size, phases)


@dataclass
class _Own:
    """What the replica being replaced carries into the copy."""

    meta: list[tuple]
    outbox_columns: list[str] = field(default_factory=list)
    outbox: list[tuple] = field(default_factory=list)
    cursor: int = 0
    refused: list[tuple[str, list[str], list[tuple]]] = field(default_factory=list)   # (table, columns, rows)


# The rows of this desktop's decisions the hub refused (never at the hub, so not in its snapshot), decisions
# first: their actions name them.
_REFUSED = "SELECT uuid FROM outbox WHERE kind = 'decision' AND rejected_at IS NOT NULL AND sent_at IS NULL"
_REFUSED_ROWS = (("decision_entry", f"uuid IN ({_REFUSED})"), ("action", f"decision_uuid IN ({_REFUSED})"))


def _old_replica(path: Path, key: bytes, cipher: str, rejoin: bool) -> _Own | None:
    """The replica's own rows if it may be replaced (new, or ``rejoin`` with nothing unsent), else
    None; checkpointed and closed, so nothing of it lives in a WAL file when it is replaced."""
    conn = connect_raw(path, key, cipher)
    try:
        own = _Own([tuple(r) for r in conn.execute("SELECT key, value FROM replica_meta")
                    if r[0] not in DERIVED_KEYS])
        own.cursor = conn.execute("SELECT coalesce(max(position), 0) FROM feed_cursor").fetchall()[0][0]
        if not is_new(conn):
            if not rejoin:
                return None
            unsent = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND rejected_at IS NULL"
                                  ).fetchall()[0][0]
            if unsent:
                raise UnsentRecords(f"{unsent} record(s) in the outbox are not sent yet: push them to the hub "
                                 "before joining again (nothing was changed)")
            own.outbox_columns = [r[1] for r in conn.execute("PRAGMA table_info(outbox)")]
            own.outbox = [tuple(r) for r in conn.execute(f"SELECT {', '.join(own.outbox_columns)} FROM outbox")]
            for table, where in _REFUSED_ROWS:
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                rows = [tuple(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {where}")]
                if rows:
                    own.refused.append((table, columns, rows))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return own
    finally:
        conn.close()


def _check(new: Path, key: bytes, cipher: str, info) -> int:
    """The copy is the snapshot described: its hub, its position.  Returns the position."""
    conn = connect_raw(new, key, cipher)
    try:
        found = dict(conn.execute("SELECT key, value FROM replica_meta").fetchall())
        position = conn.execute("SELECT coalesce(max(position), 0) FROM feed_cursor WHERE feed = 'main'").fetchall()[0][0]
        if found.get("snapshot_hub_id") != info.hub_id or int(found.get("snapshot_position", -1)) != info.position \
                or position != info.position:
            raise JoinFailed(f"the snapshot's own facts (hub {found.get('snapshot_hub_id')}, position {position}) "
                             f"are not those described (hub {info.hub_id}, position {info.position}): not used")
        return position
    finally:
        conn.close()


def _adopt(new: Path, key: bytes, cipher: str, info, own: _Own) -> int:
    """Give the checked copy this replica's own facts."""
    position = _check(new, key, cipher, info)
    conn = connect_raw(new, key, cipher)
    try:
        with conn:
            conn.execute("DELETE FROM replica_meta")
            conn.executemany("INSERT INTO replica_meta(key, value) VALUES (?, ?)",
                             [*own.meta, ("hub_id", info.hub_id), ("joined_from_snapshot", str(info.position)),
                              *marks(info)])
            if own.outbox:
                columns = ", ".join(own.outbox_columns)
                conn.executemany(f"INSERT INTO outbox ({columns}) VALUES ({', '.join('?' * len(own.outbox_columns))})",
                                 own.outbox)
            for table, names, rows in own.refused:   # one the hub holds after all (sent again, taken) is its own
                conn.executemany(f"INSERT OR IGNORE INTO {table} ({', '.join(names)}) "
                                 f"VALUES ({', '.join('?' * len(names))})", rows)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return position
    finally:
        conn.close()


def marks(info) -> list[tuple[str, str]]:
    """The feed mark the copy starts with: the snapshot's (session 30), so the first read after the join is
    checked (409 ``feed_diverged`` if the hub holds another item there, ``sync.feed_restore``); none from a hub
    before session 30, whose description carries no mark (then the first batch gives one, as before)."""
    mark = getattr(info, "mark", None)
    return [] if mark is None or not info.position else feed_marks.rows_from(info.position, mark)


def _replace(path: Path, new: Path) -> None:
    if Path(f"{path}-wal").exists() and Path(f"{path}-wal").stat().st_size:
        raise JoinFailed(f"the replica {path} is open in another program (its write-ahead log is in use): "
                         "close it and try again")
    for suffix in ("-wal", "-shm"):   # an empty log of the old file must not be read as the new one's
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with contextlib.suppress(OSError):   # owner-only, as Store.create makes a replica
        os.chmod(new, 0o600)
    _fsync(new)   # the adopted rows (the bulk was synced by prepare)
    os.replace(new, path)
    fsync_dir(path.parent)


def _migrate(new: Path, key: bytes, cipher: str) -> None:
    """Bring the copy to this version's schema now, not when the replica is next opened: a snapshot of
    an older revision (a hub not yet upgraded) may need minutes of index building on a year of data,
    which the window would otherwise do with its store closed (``Store.swap_file``)."""
    conn = connect_raw(new, key, cipher)
    try:
        current = migrate.raw_revision(conn) == migrate.head_revision()
    finally:
        conn.close()
    if not current:
        Store(new, key, cipher).close()   # its opening runs the migrations


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
