"""The business-continuity pack kept fresh in a folder: what the window's hourly writer runs.

Each refresh builds the pack from the replica alone (no hub, no network) and writes its files
under their timestamped names, each whole or not at all; only then are ``bc-pack-latest.pdf`` and
``bc-pack-latest.json`` replaced, so the latest names always hold the last pack that was built and
written in full.  A build or a write that fails leaves them as they were.  The folder keeps the
newest ``keep`` packs; older packs' files are deleted, nothing else in the folder is touched.
"""

from __future__ import annotations

import re
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from models.service import reports

NAME = "bc-pack"
KEEP = 48                      # two days of hourly packs
LATEST = f"{NAME}-latest"
_PACK_FILE = re.compile(rf"^{NAME}-(\d{{4}}-\d{{2}}-\d{{2}}-\d{{4}})(?:-[a-z0-9_]+)?\.(?:pdf|json|csv)$")
_PART = re.compile(rf"^\.{NAME}-.*\.part$")
# A temporary file this old is a crashed write's, not another desktop's write under way.
ABANDONED = timedelta(hours=1)


@dataclass(frozen=True)
class Refreshed:
    written: reports.Written
    latest: tuple[Path, ...]     # the latest PDF and JSON
    removed: tuple[Path, ...]    # older packs' files deleted to keep ``keep``


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete the files of all but the newest ``keep`` packs (newest by when they were written, so
    the hour that repeats when the clocks go back sorts right), and abandoned temporary files."""
    packs: dict[str, list[Path]] = {}
    removed = []
    for path in folder.iterdir():
        found = _PACK_FILE.match(path.name)
        if found and path.is_file():
            packs.setdefault(found.group(1), []).append(path)
        elif _PART.match(path.name) and clock.time() - path.stat().st_mtime > ABANDONED.total_seconds():
            path.unlink(missing_ok=True)
            removed.append(path)
    newest = sorted(packs, key=lambda stem: (max(p.stat().st_mtime for p in packs[stem]), stem), reverse=True)
    for stem in newest[keep:]:
        for path in packs[stem]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return sorted(removed)


def refresh(store, folder: Path, at: datetime | None = None, keep: int = KEEP) -> Refreshed:
    """Build the pack as at ``at`` (None: now) into ``folder``, then point the latest names at it
    and prune.  ``OSError`` when the folder cannot be written (the latest names keep the last pack)."""
    if keep < 1:
        raise ValueError(f"keep: at least one pack is kept, not {keep}")
    folder = Path(folder)
    now = at or datetime.now(timezone.utc).replace(microsecond=0)
    written = reports.make(store, NAME, folder, now)
    latest = []
    for key in ("pdf", "json"):
        target = folder / f"{LATEST}.{key}"
        reports._put(target, written.files[key].read_bytes())
        latest.append(target)
    return Refreshed(written, tuple(latest), tuple(prune(folder, keep)))
