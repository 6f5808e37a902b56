"""A backup of the replica, and putting one back (``scc-desktop db backup`` / ``db restore``).

What the replica alone holds is what it has not yet sent: records authored here and still in the
outbox, and its identity (``replica_meta``); the rest comes back from the hub. A backup is a page
copy made inside one read transaction (consistent while the window syncs and writes), encrypted with
the replica's own key, with its key file beside it: it opens with the passphrase the replica had
when it was made. It is written in rollback-journal mode, so it is one file with nothing beside it.

Putting one back is where a copy by hand goes wrong: a write-ahead log left beside the replica by an
app that was killed is applied by SQLite to whatever file is put there, and a backup of the same
replica then opens without a word as a mix of the two (nothing ties a log to its file when the key
is the same; docs/reliability.md). ``restore`` moves the replica, its key file and any log and index
aside together into a folder of their own (nothing is deleted), then puts the backup and its key file
in place, under an authoring identity of its own (``models.replica.identity``). It refuses, changing
nothing, while the replica holds records it has not sent that the backup lacks, unless told they may
stay in the replica moved aside (from where ``scc-desktop sync --once --path ASIDE`` still sends them).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import apsw

from models.replica import identity, keyfile, migrate
from models.replica.store import (DEFAULT_CIPHER, DamagedReplicaError, StoreError, WrongKeyError, connect_raw,
                                  copy_encrypted, emptied)

SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(StoreError):
    """The backup or restore cannot be done; nothing was changed. The message says why and what to do."""


@dataclass(frozen=True)
class Facts:
    """What a replica file holds, read without changing it."""

    path: Path
    revision: str | None
    position: int
    unsent: tuple[str, ...] = field(default=())     # outbox items neither sent nor refused (uuids)
    last_sync_at: str | None = None
    bytes: int = 0

    def as_json(self) -> dict:
        return {"path": str(self.path), "schema": self.revision, "position": self.position,
                "unsent": len(self.unsent), "last_sync_at": self.last_sync_at, "bytes": self.bytes}


def read_facts(path: Path, key: bytes, cipher: str) -> Facts:
    """The facts of the replica file ``path``, after SQLite's quick check (``DamagedReplicaError`` if
    it fails)."""
    conn = connect_raw(path, key, cipher, readonly=True)
    try:
        check = conn.execute("PRAGMA quick_check(1)").fetchall()
        if check != [("ok",)]:
            raise DamagedReplicaError(f"{path} fails SQLite's quick check: {check[0][0]}")
        revision = migrate.raw_revision(conn)
        if revision is None:
            return Facts(Path(path), None, 0, bytes=Path(path).stat().st_size)
        position, synced = conn.execute("SELECT coalesce(max(position), 0), max(last_sync_at) "
                                        "FROM feed_cursor").fetchone()
        unsent = tuple(r[0] for r in conn.execute(
            "SELECT uuid FROM outbox WHERE sent_at IS NULL AND rejected_at IS NULL ORDER BY seq"))
        return Facts(Path(path), revision, int(position), unsent, synced, Path(path).stat().st_size)
    finally:
        conn.close()


def backup(source: Path, key: bytes, cipher: str, out: Path) -> Facts:
    """Write a backup of the replica ``source`` to the new file ``out`` (and its key file beside it)."""
    source, out = Path(source), Path(out)
    taken = {Path(f"{source}{s}").resolve() for s in (*SIDE_FILES, ".window.lock")}
    if out.resolve() in taken or (out.resolve().parent == source.resolve().parent
                                  and out.name.startswith(f".{source.name}.")):   # its restore's staging
        raise BackupError(f"{out} is a name the replica's own files take (SQLite deletes or rewrites its log, index "
                          "and journal); give another --out")
    for target in (out, keyfile.header_path(out)):
        if target.exists():
            raise BackupError(f"{target} already exists; give another --out (a backup never overwrites one)")
    if not out.parent.is_dir():   # made, as 'export records' makes its --out (a walkthrough: a new USB folder)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackupError(f"the folder {out.parent} does not exist and cannot be made ({exc.strerror or exc}); "
                              "give another --out") from None
    # A name of its own (two backups to one --out at once each had the other's partial file deleted
    # or overwrote the one that finished first: a review, session 21); stale ones go after a day.
    partial = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    _forget_stale_partials(out)
    key_partial = partial.with_name(partial.name + ".key")
    placed: list[Path] = []
    try:
        _copy_whole(source, partial, key, cipher)
        facts = read_facts(partial, key, cipher)
        _copy_synced(keyfile.header_path(source), key_partial)
        for made, target in ((key_partial, keyfile.header_path(out)), (partial, out)):
            _place_new(made, target)   # never over a file that came meanwhile
            placed.append(target)
        _fsync_folder(out.parent)
    except BaseException:
        for leftover in (*placed, partial, key_partial, *(Path(f"{partial}{s}") for s in SIDE_FILES)):
            leftover.unlink(missing_ok=True)
        raise
    return Facts(out, facts.revision, facts.position, facts.unsent, facts.last_sync_at, facts.bytes)


@dataclass(frozen=True)
class Restored:
    facts: Facts              # the replica now in place (the backup's)
    aside: Path | None        # the folder holding what was there (None: nothing was there)
    left_unsent: tuple[str, ...]   # unsent records of the replaced replica the backup lacks (kept aside)
    replaced: Facts | None    # the replaced replica's facts, when it could be read
    replaced_problem: str | None   # why it could not be read
    resumed: tuple[Path, ...] = ()   # a restore cut short before (killed, power cut) finished first: its aside
    device_id: str | None = None          # the identity it records under from now on (models.replica.identity)
    device_id_before: str | None = None   # the one the backup had (None: it had not authored anything)
    replica: Path | None = None           # the file restored (a link's own file: ``followed``)


def restore(target: Path, source: Path, key: bytes, cipher: str, *, current_key: bytes | None,
            leave_unsent_aside: bool = False, now: datetime | None = None) -> Restored:
    """Put the backup ``source`` (opened with ``key``) in place of the replica ``target``.

    ``current_key``: the key of the replica there now (None: it cannot be read, so what it holds
    cannot be compared: it is moved aside all the same). The caller holds the window's lock."""
    target, source = followed(Path(target), refuse=True), Path(source)
    resumed = finish_cut_short(target)
    if not source.is_file():
        raise BackupError(f"--from {source}: there is no such file")
    if not keyfile.header_path(source).is_file():
        raise BackupError(f"--from {source}: its key file {keyfile.header_path(source).name} is not beside it; "
                          "a backup opens only with the key file made with it")
    if target.resolve() == source.resolve():
        raise BackupError(f"--from {source} is the replica itself")
    if problem := emptied(source, keyfile.read_header(source)):
        raise BackupError(f"--from: {problem}")
    try:
        backup_facts = read_facts(source, key, cipher)
    except (WrongKeyError, apsw.NotADBError):
        raise BackupError(f"--from {source} cannot be read with its key file's key: it is damaged or not a "
                          "replica's backup; nothing was changed") from None
    except StoreError as exc:
        raise BackupError(f"--from {source}: {exc}; nothing was changed") from None
    conn = connect_raw(source, key, cipher, readonly=True)
    try:
        if newer := migrate.newer_replica_problem(conn, source):
            raise BackupError(f"--from: {newer}; nothing was changed")
    finally:
        conn.close()
    replaced, problem = None, None
    if target.exists():
        if current_key is None:
            problem = "its key was not given (another passphrase?)"
        else:
            try:
                replaced = read_facts(target, current_key, cipher_of(target))
            except (StoreError, apsw.Error, keyfile.KeyHeaderError, OSError) as exc:
                problem = str(exc)
    if target.exists() and current_key is None and not leave_unsent_aside:
        raise BackupError(
            f"the replica {target} does not open with the backup's passphrase or a key in the OS keyring, so the "
            "records it has not yet sent cannot be counted: restore with the passphrase it has now (if it is the "
            "same replica's backup), or add --leave-unsent-aside to restore anyway (it is kept aside whole); "
            "nothing was changed")
    left = tuple(u for u in (replaced.unsent if replaced else ()) if u not in set(backup_facts.unsent))
    if left and not leave_unsent_aside:
        raise BackupError(
            f"the replica {target} holds {len(left)} record(s) not yet sent to the hub that the backup lacks: "
            "sync it first (scc-desktop sync --once), or add --leave-unsent-aside to restore anyway (they stay "
            "in the replica moved aside, and 'scc-desktop sync --once --path' on it sends them later); "
            "nothing was changed")
    _not_open_elsewhere(target)
    now = now or datetime.now(timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    aside = _free(target.with_name(f"{target.name}.before-restore-{stamp}"))
    staged_db, staged_key = _staged(target)
    marker = _marker(target)
    for leftover in (staged_db, staged_key, marker.with_name(f"{marker.name}.partial")):   # left by a restore
        # stopped before it moved anything
        leftover.unlink(missing_ok=True)
    moved, placed, ids = [], [], []
    try:
        # The slow part first, beside the replica, while it is still whole in place: a kill here leaves
        # it as it was (and two hidden files the next restore removes).
        _copy_synced(keyfile.header_path(source), staged_key)
        _copy_whole(source, staged_db, key, cipher,
                    then=lambda conn: ids.extend(identity.renew(conn, now, f"restored from {source.name}")))
        _not_open_elsewhere(target)   # again: one may have started during the copy
        # From here only renames; a kill between two of them is finished by the next restore (the marker).
        _write_synced(marker, json.dumps({"aside": aside.name, "from": str(source)}))
        for suffix in ("", ".key", *SIDE_FILES):
            here = Path(f"{target}{suffix}")
            if here.exists():
                aside.mkdir(parents=False, exist_ok=True)   # only when there is something to keep
                os.replace(here, aside / here.name)
                moved.append(here)
        os.replace(staged_key, keyfile.header_path(target))
        placed.append(keyfile.header_path(target))
        os.replace(staged_db, target)
        placed.append(target)
        _fsync_folder(target.parent)
        marker.unlink()
        _fsync_folder(target.parent)
    except BaseException:
        for here in placed:
            here.unlink(missing_ok=True)   # what was put in place (what was there is aside)
        for here in moved:   # put back what was there: the restore changed nothing
            os.replace(aside / here.name, here)
        for leftover in (staged_db, staged_key, marker):
            leftover.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            aside.rmdir()
        raise
    return Restored(read_facts(target, key, cipher), aside if moved else None, left, replaced, problem, resumed,
                    device_id=ids[1], device_id_before=ids[0], replica=target)


_SQLITE_SHARED = (0x40000002, 510)   # SQLite's unix VFS: the bytes its SHARED lock reads (PENDING_BYTE + 2)


def check_not_open_elsewhere(target: Path) -> None:
    """``BackupError`` if another process has the replica open (POSIX)."""
    _not_open_elsewhere(Path(target))


def _not_open_elsewhere(target: Path) -> None:
    if target.exists() and _open_elsewhere(target):
        raise BackupError(
            f"the replica {target} is open in another program (an 'scc-desktop sync' or a report, say): stop it "
            "first; nothing was changed")


def _open_elsewhere(target: Path) -> bool:
    """True if another process has the replica open. SQLite holds a SHARED lock on the file for as long as a
    connection is open in WAL mode (idle too); a write lock on those bytes is refused while one is. POSIX
    only: Windows refuses the renames themselves while SQLite holds the file (no FILE_SHARE_DELETE).
    Needs no key, so a replica whose key was not given is checked too."""
    if os.name != "posix":
        return False
    import fcntl

    start, length = _SQLITE_SHARED
    fd = os.open(target, os.O_RDWR)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, length, start)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, length, start)
        return False
    finally:
        os.close(fd)


def _staged(target: Path) -> tuple[Path, Path]:
    return target.with_name(f".{target.name}.restoring"), target.with_name(f".{target.name}.key.restoring")


def _marker(target: Path) -> Path:
    return target.with_name(f".{target.name}.restore-cut-short")


def _free(aside: Path) -> Path:
    """``aside``, or with -2, -3... if a folder of that name is there (two restores in one second)."""
    name, n = aside.name, 1
    while aside.exists():
        n += 1
        aside = aside.with_name(f"{name}-{n}")
    return aside


def followed(target: Path, refuse: bool = False) -> Path:
    """The replica's own file when ``target`` is a link to it (a replica kept on another disk, linked
    from where the app looks): a restore moves and places files, and on the link it replaced the link
    with a regular file, the replica then on the link's disk and its own file left behind (a review,
    session 21). Followed only when the file's key file is beside it, as the files a restore moves
    together must be; otherwise, with ``refuse``, a ``BackupError`` says why (else the link itself)."""
    if not target.is_symlink():
        return target
    real = Path(os.path.realpath(target))
    if keyfile.header_path(real).is_file() or not target.exists():
        return real if target.exists() else target
    if refuse:
        raise BackupError(f"the replica {target} is a link to {real}, whose key file is not beside it (it is "
                          f"beside the link): a restore moves a replica and its key file together, so put "
                          f"{keyfile.header_path(real).name} beside {real} and link it too, or restore onto a "
                          "replica that is not a link; nothing was changed")
    return target


def cut_short(target: Path) -> str | None:
    """What to say of a restore onto ``target`` that was stopped part way (killed, a power cut), if any."""
    target = followed(Path(target))
    marker = _marker(Path(target))
    if not marker.exists():
        return None
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    return (f"a restore of {target} (from {info.get('from', 'a backup')}) was stopped part way: run "
            f"'scc-desktop db restore' again to finish it (what was there is in {Path(target).parent / info.get('aside', '?')})")


def finish_cut_short(target: Path) -> tuple[Path, ...]:
    """Finish a restore onto ``target`` that was stopped among its renames: what was there goes on into
    the aside folder it was going to (whole, its log with it), the staged backup into place. The caller
    holds the window's lock. Returns the aside folder, or () if there was nothing to finish."""
    target = followed(Path(target))
    marker = _marker(target)
    if not marker.exists():
        return ()
    info = json.loads(marker.read_text(encoding="utf-8"))
    aside = target.with_name(info["aside"])
    staged_db, staged_key = _staged(target)
    aside.mkdir(exist_ok=True)
    kept = [aside]
    if staged_key.exists():   # the backup's key not yet placed: what is at the target is the old replica's
        here_now = [Path(f"{target}{s}") for s in ("", ".key", *SIDE_FILES) if Path(f"{target}{s}").exists()]
        into = aside
        if any((aside / h.name).exists() for h in here_now):   # made there since (a new replica): never over
            into = _free(aside.with_name(f"{aside.name}-found-after"))      # what was set aside
            into.mkdir()
            kept.append(into)
        for here in here_now:
            os.replace(here, into / here.name)
        os.replace(staged_key, keyfile.header_path(target))
    if staged_db.exists():
        os.replace(staged_db, target)
    _fsync_folder(target.parent)
    marker.unlink()
    _fsync_folder(target.parent)
    return tuple(kept)


def cipher_of(path: Path) -> str:
    return keyfile.read_header(path).get("cipher", DEFAULT_CIPHER)


def _rollback_journal(path: Path, key: bytes, cipher: str, then=None) -> None:
    conn = connect_raw(path, key, cipher)   # sets WAL: the copy becomes one file again below
    try:
        if then is not None:
            then(conn)
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()


def _place_new(made: Path, target: Path) -> None:
    """Give the finished file ``made`` the name ``target``, which must still be free: a hard link fails if
    ``target`` exists (where links are not supported, a check then a rename)."""
    try:
        os.link(made, target)
    except FileExistsError:
        raise BackupError(f"{target} already exists (another backup wrote it meanwhile); give another --out") from None
    except OSError:
        if target.exists():
            raise BackupError(f"{target} already exists; give another --out") from None
        os.replace(made, target)
        return
    made.unlink()


def _forget_stale_partials(out: Path, older_than_s: float = 86_400) -> None:
    """Partial files a backup to ``out`` left when it was killed, a day old or more."""
    import time

    for stale in out.parent.glob(f".{out.name}.*.partial*"):
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > older_than_s:
                stale.unlink()


def _copy_whole(source: Path, target: Path, key: bytes, cipher: str, then=None) -> None:
    """A copy of the database ``source`` as SQLite reads it (with any log beside it: a replica set aside
    by a restore keeps its killed app's log, and a file copy would drop what the log holds), one file in
    rollback-journal mode, fsynced. ``then(conn)``: a change made to the copy before it is closed."""
    try:
        try:
            copy_encrypted(source, target, key, cipher, source_key=key, source_cipher=cipher, compact=False)
            _rollback_journal(target, key, cipher, then)
        except apsw.FullError:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target)) from None
        os.chmod(target, 0o600)
        _fsync(target)
    except BaseException:
        for leftover in (target, *(Path(f"{target}{s}") for s in SIDE_FILES)):
            leftover.unlink(missing_ok=True)
        raise


def _copy_synced(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    os.chmod(target, 0o600)
    _fsync(target)


def _write_synced(target: Path, text: str) -> None:
    partial = target.with_name(f"{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    _fsync(partial)
    os.replace(partial, target)
    _fsync_folder(target.parent)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if os.name == "posix":
        _fsync(folder)
