"""A folder a room's reports are written into again and again (the command's ``--out``, the hourly
business-continuity pack): the newest report under a stable name, the oldest pruned.

After a report's files are written under their own names (``brief-2025-07-14-0800.pdf``, ``.json``,
``-<table>.csv``), :func:`point_latest` copies its PDF and JSON to ``<name>-latest.pdf`` and
``<name>-latest.json`` (each whole or not at all), so a printer, a shared drive or a records system
pointed at the latest name always gets the last whole report; and :func:`prune` deletes the files of
all but the newest ``keep`` reports of that name.  Nothing else in the folder is touched: only files
named as this app names that report (and its abandoned temporary files) are ever deleted.
"""

from __future__ import annotations

import json
import re
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models.service import reports

# How many of each report a folder keeps (the command's --keep overrides): a month of daily papers,
# a year of monthly board reports (or half a year of weekly ones), two days of hourly packs.
KEEP = {"brief": 31, "handover": 31, "sitrep": 31, "board": 26, "bc-pack": 48}
# A report's own names: its UK time (as-at reports; in the hour the clocks go back, with its zone), its day
# (sitrep) or its days (board), then a table's key for a CSV.  ``-latest`` never matches, so the latest copies are never pruned.
_STEM = r"\d{4}-\d{2}-\d{2}(?:-\d{4}(?:-BST|-GMT)?|-to-\d{4}-\d{2}-\d{2})?"
# A temporary file this old is a crashed write's, not another desktop's write under way.
ABANDONED = timedelta(hours=1)


@dataclass(frozen=True)
class Kept:
    latest: tuple[Path, ...]     # the latest PDF and JSON (empty: a newer report holds the names)
    removed: tuple[Path, ...]    # older reports' files deleted to keep ``keep``


def latest_name(name: str, kind: str) -> str:
    """``brief-latest.pdf``: the stable name of report ``name``'s newest ``kind`` ("pdf" or "json")."""
    return f"{name}-latest.{kind}"


def _files(name: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(name)}-({_STEM})(?:-[a-z][a-z0-9_]*)?\.(?:pdf|json|csv)$")


def _parts(name: str) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(name)}-.*\.part$")


def prune(folder: Path, name: str, keep: int) -> list[Path]:
    """Delete the files of all but the newest ``keep`` reports called ``name`` in ``folder`` (newest by
    when they were written, so the hour that repeats when the clocks go back sorts right), and that
    report's abandoned temporary files."""
    if keep < 1:
        raise ValueError(f"keep: at least one report is kept, not {keep}")
    files, parts = _files(name), _parts(name)
    found: dict[str, list[Path]] = {}
    removed = []
    for path in Path(folder).iterdir():
        hit = files.match(path.name)
        if hit and path.is_file():
            found.setdefault(hit.group(1), []).append(path)
        elif parts.match(path.name) and clock.time() - path.stat().st_mtime > ABANDONED.total_seconds():
            path.unlink(missing_ok=True)
            removed.append(path)
    newest = sorted(found, key=lambda stem: (max(p.stat().st_mtime for p in found[stem]), stem), reverse=True)
    for stem in newest[keep:]:
        for path in found[stem]:
            path.unlink(missing_ok=True)
            removed.append(path)
    return sorted(removed)


def _latest_at(path: Path) -> datetime | None:
    """The time the report under a latest name is as at (None: none there, or not readable)."""
    try:
        at = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return at if at.tzinfo is not None else None


def point_latest(written: reports.Written, *, only_if_newer: bool = True) -> tuple[Path, ...]:
    """Copy the written report's PDF and JSON to the latest names.  With ``only_if_newer``, a report
    as at an earlier time than the one already there (a rebuild of an old day) leaves them alone."""
    r = written.report
    folder = written.folder
    if only_if_newer:
        there = _latest_at(folder / latest_name(r.name, "json"))
        if there is not None and there > r.at:
            return ()
    out = []
    for kind in ("pdf", "json"):
        target = folder / latest_name(r.name, kind)
        reports._put(target, written.files[kind].read_bytes())
        out.append(target)
    return tuple(out)


def keep(written: reports.Written, keep: int | None = None, *, only_if_newer: bool = True) -> Kept:
    """After a report is written: point the latest names at it, then prune its folder to ``keep``
    reports of its name (None: :data:`KEEP`'s count for it)."""
    name = written.report.name
    count = KEEP.get(name, 31) if keep is None else keep
    if count < 1:
        raise ValueError(f"keep: at least one report is kept, not {count}")
    latest = point_latest(written, only_if_newer=only_if_newer)
    return Kept(latest, tuple(prune(written.folder, name, count)))
