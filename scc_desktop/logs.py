"""The window's log file: ``scc-desktop.log`` in the per-user log folder, rotated.

Started from a menu there is no terminal to read; the file is what the user (or their IT
service desk) can look at.  It rotates at ``MAX_BYTES`` and keeps ``BACKUPS`` old files, so it
never fills the disk; its files are readable by the user only.  The terminal, where there is
one, goes on showing what it showed before: only the file gets the INFO lines.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_NAME = "scc-desktop.log"
MAX_BYTES = 2_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Each new file (the first, and each after a rotation) is made readable by the user only."""

    def _open(self):
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


class _AsBefore(logging.Filter):
    """On a handler that was there before the file: a record passes only if its logger would have
    let it through with the root at its earlier level (a logger set on its own, as the demo sets
    ``scc_desktop`` to INFO under a WARNING root, keeps its own level)."""

    def __init__(self, root_level: int) -> None:
        super().__init__()
        self.root_level = root_level

    def filter(self, record: logging.LogRecord) -> bool:
        logger = logging.getLogger(record.name)
        while logger is not None and logger.parent is not None:
            if logger.level:
                return record.levelno >= logger.level
            logger = logger.parent
        return record.levelno >= self.root_level


class FileLog:
    """The handler on the root logger; ``close()`` takes it off and puts the levels back."""

    def __init__(self, path: Path, handler: logging.Handler | None, restore: list,
                 filtered: list | None = None) -> None:
        self.path, self._handler, self._restore = path, handler, restore
        self._filtered = filtered or []

    def close(self) -> None:
        if self._handler is None:
            return
        root = logging.getLogger()
        root.removeHandler(self._handler)
        self._handler.close()
        self._handler = None
        for target, level in self._restore:
            target.setLevel(level)
        for existing, as_before in self._filtered:
            existing.removeFilter(as_before)


def log_folder() -> Path:
    from scc_desktop import paths

    return paths.log_dir()


def to_file(folder: Path | None = None, level: int = logging.INFO) -> FileLog:
    """Send the application's log to the rotating file too.  A folder that cannot be made is
    said in one line on stderr and the app runs on without a file (a log must never stop it)."""
    path = (folder or log_folder()) / LOG_NAME
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _PrivateRotatingHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        print(f"scc-desktop: no log file in {path.parent}: {exc.strerror or exc}", file=sys.stderr)
        return FileLog(path, None, [])
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    restore, filtered = [], []
    if root.getEffectiveLevel() > level:
        # The file wants INFO; the handlers already there show what they showed before.
        as_before = _AsBefore(root.getEffectiveLevel())
        for existing in root.handlers:
            existing.addFilter(as_before)
            filtered.append((existing, as_before))
        restore.append((root, root.level))
        root.setLevel(level)
    root.addHandler(handler)
    return FileLog(path, handler, restore, filtered)
