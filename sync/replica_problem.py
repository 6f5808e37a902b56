"""What the room is told when the replica itself cannot take the feed (disk full, I/O error, ...).

The sync engine puts one of these in its ``CycleResult``; ``sync --once`` prints its
``line()``, the window shows its ``banner()``.  It says what happened, that nothing is
lost (the batch rolled back with its cursor and is applied again later) and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import apsw

from models.replica.dbapi import apsw_cause


@dataclass(frozen=True)
class ReplicaProblem:
    title: str      # e.g. "Replica disk full"
    detail: str     # SQLite's words, e.g. "database or disk is full"
    advice: str     # what to do, and that sync resumes by itself
    since: datetime  # the first cycle it stopped

    def line(self) -> str:
        """One line for a terminal or a log."""
        return (f"{self.title} ({self.detail}): sync stopped and nothing is lost (what could not be "
                f"written is fetched again); {self.advice}")

    def banner(self, since_text: str) -> str:
        """The window's banner; ``since_text`` is ``since`` as the room's clock shows it."""
        return f"{self.title} since {since_text}: sync is paused and nothing is lost; {self.advice}."


def describe(exc: BaseException, path: Path, since: datetime) -> ReplicaProblem:
    """The problem behind a replica fault ``exc`` (``models.replica.dbapi.replica_fault``) on the replica at ``path``."""
    cause = apsw_cause(exc)
    detail = str(cause or getattr(exc, "orig", None) or exc).strip() or type(exc).__name__
    folder = Path(path).parent
    if isinstance(cause, apsw.FullError):
        return ReplicaProblem("Replica disk full", detail,
                              f"free space on the disk that holds {folder}; sync resumes by itself when "
                              "space is freed", since)
    if isinstance(cause, apsw.IOError):
        return ReplicaProblem("Replica disk error", detail,
                              f"check the disk that holds {folder} (full, removed or failing?); sync resumes "
                              "by itself once it can write again", since)
    if isinstance(cause, (apsw.BusyError, apsw.LockedError)):
        return ReplicaProblem("Replica busy", detail,
                              f"another program is writing to {path}; sync tries again shortly", since)
    if isinstance(cause, (apsw.ReadOnlyError, apsw.PermissionsError, apsw.CantOpenError)):
        return ReplicaProblem("Replica read-only", detail,
                              f"make {path} and its folder writable; sync resumes by itself then", since)
    if isinstance(cause, apsw.NoMemError):
        return ReplicaProblem("Out of memory", detail, "close other programs; sync tries again shortly", since)
    if isinstance(cause, (apsw.CorruptError, apsw.NotADBError)):
        return ReplicaProblem("Replica damaged", detail,
                              "run 'scc-desktop db check', and restore the replica and its .key file from a "
                              "backup if it fails", since)
    return ReplicaProblem("Replica unavailable", detail, "sync tries again shortly", since)
