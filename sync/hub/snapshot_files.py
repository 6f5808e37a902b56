"""The hub's published snapshots on disk: finding the newest or one by position (what
``GET /v1/snapshot`` serves), writing their descriptions, forgetting old ones.  Light: the hub
process imports this, not :mod:`sync.hub.snapshot` (which applies the feed to a replica)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from sync import protocol as p

log = logging.getLogger("sync.hub")
KEEP = 2   # published snapshots kept: a download in progress is not cut by the next publication


def newest_first(found: list[tuple[p.SnapshotInfo, Path]]) -> list[tuple[p.SnapshotInfo, Path]]:
    """Newest first: by position, then (two published at one position: the copy changed while the feed did
    not, ``sync.hub.snapshot.differs``) by when each was made."""
    return sorted(found, key=lambda x: (x[0].position, x[0].made_at), reverse=True)


def current(folder: Path | None, check=None) -> tuple[p.SnapshotInfo, Path] | None:
    """The newest published snapshot in ``folder`` whose file is there, with its path.  ``check``: a
    function of a description giving why the hub's database disagrees with it (None: it agrees,
    :func:`sync.hub.snapshot_check.why_not`); one it disagrees with is passed over, and logged."""
    if folder is None or not folder.is_dir():
        return None
    for info, path in newest_first(published(folder)):
        if path.exists() and _agrees(info, path, check):
            return info, path
    return None


def find(folder: Path | None, position: int, sha256: str | None = None,
         check=None) -> tuple[p.SnapshotInfo, Path] | None:
    """The kept snapshot at ``position`` (a download of one the next publication replaced still works):
    the one whose file has ``sha256`` when it is given (what a desktop was described), else the newest
    made at that position.  ``check``: as for :func:`current`."""
    if folder is None:
        return None
    for info, path in newest_first(published(folder)):
        if info.position == position and (sha256 is None or info.sha256 == sha256) and path.exists() \
                and _agrees(info, path, check):
            return info, path
    return None


def hidden(folder: Path | None, check) -> list[tuple[p.SnapshotInfo, Path, str]]:
    """The published snapshots ``check`` disagrees with, each with why (``hub snapshot make`` removes them)."""
    if folder is None or not folder.is_dir():
        return []
    return [(info, path, why) for info, path in newest_first(published(folder)) if (why := check(info))]


_told: set[str] = set()   # the snapshots (sha256) already logged as hidden: once each, not on every request


def _agrees(info: p.SnapshotInfo, path: Path, check) -> bool:
    why = check(info) if check is not None else None
    if why and info.sha256 not in _told:
        _told.add(info.sha256)
        log.warning("snapshot %s (position %d) is not served: %s; the next 'hub snapshot make' replaces it",
                    path, info.position, why)
    return not why


def free_name(folder: Path, position: int) -> Path:
    """Where a snapshot at ``position`` is published: ``snapshot-<position>.db``, or, when one at that
    position is kept already, ``snapshot-<position>-<n>.db`` beside it (never over it: a desktop may be
    downloading it under the description it was given)."""
    path, n = folder / f"snapshot-{position}.db", 1
    while path.exists() or path.with_suffix(".json").exists():
        n += 1
        path = folder / f"snapshot-{position}-{n}.db"
    return path


def published(folder: Path) -> list[tuple[p.SnapshotInfo, Path]]:
    found = []
    for meta in folder.glob("snapshot-*.json"):
        try:
            info = p.SnapshotInfo.model_validate_json(meta.read_bytes())
        except (OSError, ValueError) as exc:
            log.warning("snapshot description %s cannot be read (%s); ignored", meta, exc)
            continue
        found.append((info, meta.with_suffix(".db")))
    return found


def forget_old(folder: Path) -> None:
    for info, path in newest_first(published(folder))[KEEP:]:
        remove(path.with_suffix(".json"))
        remove(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, doc: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)   # it holds the snapshot's key
    os.replace(tmp, path)


def remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
