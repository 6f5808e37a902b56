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


def current(folder: Path | None) -> tuple[p.SnapshotInfo, Path] | None:
    """The newest published snapshot in ``folder`` whose file is there, with its path."""
    if folder is None or not folder.is_dir():
        return None
    for info, path in sorted(published(folder), key=lambda x: -x[0].position):
        if path.exists():
            return info, path
    return None


def find(folder: Path | None, position: int) -> tuple[p.SnapshotInfo, Path] | None:
    """The kept snapshot at ``position`` (a download of one the next publication replaced still works)."""
    if folder is None:
        return None
    for info, path in published(folder):
        if info.position == position and path.exists():
            return info, path
    return None


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
    kept = sorted(published(folder), key=lambda x: -x[0].position)
    for info, path in kept[KEEP:]:
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
