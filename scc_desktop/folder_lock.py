"""One running demo per folder: a second one would start a second hub on the same files.

The lock is an OS file lock on ``running.lock`` in the folder, so it goes with
the process however that ends (a crash or a kill leaves no stale lock); the
file holds the owner's process id only to name it in the message.
"""

from __future__ import annotations

import contextlib
import errno
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
    def __init__(self, folder: Path, what: str = "a demo") -> None:
        self.path = Path(folder) / LOCK_NAME
        self.what = what
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            lock_fd(fd)
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
            unlock_fd(self._fd)
            os.close(self._fd)   # releases the lock; the file stays (removing it would race a starter)
            self._fd = None


def lock_fd(fd: int) -> None:
    """An exclusive, non-blocking OS lock on the open file ``fd`` (``OSError`` if it cannot be had)."""
    if sys.platform == "win32":   # pragma: no cover - exercised on Windows only
        import msvcrt

        # A byte past what the file holds, so the owner's line stays readable by a second start.
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def unlock_fd(fd: int) -> None:
    """Undo the lock before the file is closed. POSIX: closing does it. Windows: a lock left at a close is
    undone by the OS 'depending upon available system resources' (LockFileEx's documentation), so a start
    just after could be refused meanwhile."""
    if sys.platform == "win32":   # pragma: no cover - exercised on Windows only
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 1 << 20, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def held(exc: OSError) -> bool:
    """The lock failed because another process holds it (not because the file system takes none)."""
    return exc.errno in {errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK),
                         errno.EDEADLK}
