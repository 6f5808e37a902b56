"""One running demo per folder: a second one would start a second hub on the same files.

The lock is an OS file lock on ``running.lock`` in the folder, so it goes with
the process however that ends (a crash or a kill leaves no stale lock); the
file holds the owner's process id only to name it in the message.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scc_desktop.errors import UserError

LOCK_NAME = "running.lock"


class Held(UserError):
    """The lock is another process's: ``owner`` is its process id as it wrote it (or "unknown")."""

    def __init__(self, message: str, owner: str) -> None:
        super().__init__(message)
        self.owner = owner


class FolderLock:
    def __init__(self, folder: Path, what: str = "a demo", name: str = LOCK_NAME) -> None:
        self.path = Path(folder) / name
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            owner = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise Held(f"{self.what} is already running (process {owner}) on {self.path.parent}; "
                       "use its window, or stop it first", owner) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)   # releases the lock; the file stays (removing it would race a starter)
            self._fd = None


def _lock(fd: int) -> None:
    if sys.platform == "win32":   # pragma: no cover - exercised on Windows only
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
