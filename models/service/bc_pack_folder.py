"""The business-continuity pack kept fresh in a folder: what the window's hourly writer runs.

Each refresh builds the pack from the replica alone (no hub, no network) and writes its files
under their timestamped names, each whole or not at all; only then are ``bc-pack-latest.pdf`` and
``bc-pack-latest.json`` replaced, so the latest names always hold the last pack that was built and
written in full.  A build or a write that fails leaves them as they were.  The folder keeps the
newest ``keep`` packs; older packs' files are deleted, nothing else in the folder is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from models.service import report_folder, reports

NAME = "bc-pack"
KEEP = report_folder.KEEP[NAME]   # two days of hourly packs
LATEST = f"{NAME}-latest"
ABANDONED = report_folder.ABANDONED


@dataclass(frozen=True)
class Refreshed:
    written: reports.Written
    latest: tuple[Path, ...]     # the latest PDF and JSON
    removed: tuple[Path, ...]    # older packs' files deleted to keep ``keep``


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete the files of all but the newest ``keep`` packs, and abandoned temporary files
    (``models.service.report_folder.prune``, which the command's reports share)."""
    return report_folder.prune(Path(folder), NAME, keep)


def refresh(store, folder: Path, at: datetime | None = None, keep: int = KEEP) -> Refreshed:
    """Build the pack as at ``at`` (None: now) into ``folder``, then point the latest names at it
    and prune.  ``OSError`` when the folder cannot be written (the latest names keep the last pack)."""
    if keep < 1:
        raise ValueError(f"keep: at least one pack is kept, not {keep}")
    folder = Path(folder)
    now = at or datetime.now(timezone.utc).replace(microsecond=0)
    written = reports.make(store, NAME, folder, now)
    kept = report_folder.keep(written, keep, only_if_newer=False)   # the hourly pack is always the newest made
    return Refreshed(written, kept.latest, kept.removed)
