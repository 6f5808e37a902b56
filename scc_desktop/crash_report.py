"""Local crash reports that hold no patient data.

A report says where the program failed and on what: the exception's type, each frame's file,
line, function and source line, the versions and the platform.  It never holds a value from
the running program: no local variables, and no exception message (a message can quote what
it was given: a record's text, a contact's name, a row of a feed), only its length.  An
``OSError`` keeps its error code and the operating system's wording, which are the system's,
not the user's.  Paths are cut to the part inside the program (no user name, no install path).

Reports go to ``crashes/`` in the per-user log folder, readable by the user only; the newest
``KEEP`` are kept.
"""

from __future__ import annotations

import errno
import logging
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from models.version import VERSION

log = logging.getLogger(__name__)

KEEP = 20
_PACKAGE_ROOTS = ("site-packages", "_internal", "lib-dynload")
_OWN = ("scc_desktop", "ui", "models", "sync", "resources")


@dataclass(frozen=True)
class Crash:
    """One unexpected error, described without the program's data."""

    kind: str          # the exception's class, e.g. "ValueError"
    text: str          # the whole report
    signature: str     # where it failed: the same error in the same place has the same one


def folder() -> Path:
    from scc_desktop import paths

    return paths.log_dir() / "crashes"


def _short(filename: str) -> str:
    """A frame's file without the install location or the user's home in it."""
    parts = Path(filename).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in _PACKAGE_ROOTS:
            return "/".join(parts[i + 1:])
    for i, part in enumerate(parts):
        if part in _OWN:
            return "/".join(parts[i:])
    return parts[-1] if parts else filename


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        return f"{name}: {exc.strerror or ''}".rstrip(": ")
    text = str(exc)
    return f"(message of {len(text)} characters withheld: it may quote data)" if text else "(no message)"


def _frames(tb: TracebackType | None) -> list[str]:
    lines = []
    for frame in traceback.extract_tb(tb):
        lines.append(f'  File "{_short(frame.filename)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and the ones it came from, oldest first (as Python prints them)."""
    seen, chain = set(), []
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return chain[::-1]


def _versions() -> list[str]:
    lines = [f"SCC Desktop {VERSION}{' (packaged)' if getattr(sys, 'frozen', False) else ''}",
             f"Python {platform.python_version()} ({platform.python_implementation()})",
             f"Platform {platform.platform()} {platform.machine()}"]
    qt = sys.modules.get("PySide6.QtCore")
    if qt is not None:
        lines.append(f"Qt {qt.qVersion()}, PySide6 {sys.modules['PySide6'].__version__}")
    for name in ("sqlalchemy", "apsw", "numpy", "pyqtgraph"):
        module = sys.modules.get(name)
        version = getattr(module, "__version__", None) or (module and getattr(module, "apsw_version", None))
        if callable(version):
            version = version()
        if version:
            lines.append(f"{name} {version}")
    return lines


def describe(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
             thread: str | None = None, when: datetime | None = None) -> Crash:
    """The report of one exception: where, on what, when; none of the program's data."""
    when = when or datetime.now(timezone.utc)
    exc = exc if exc is not None else exc_type()
    body = []
    for i, link in enumerate(_chain(exc)):
        if i:
            body += ["", "During or because of the error above:"]
        body += ["Traceback (most recent call last):", *_frames(link.__traceback__ if link is not exc else tb),
                 f"{type(link).__module__}.{type(link).__qualname__}: {_message(link)}"]
    where = [f"{_short(f.filename)}:{f.name}" for f in traceback.extract_tb(tb)]
    text = "\n".join([
        "SCC Desktop crash report",
        f"Time (UTC): {when.strftime('%Y-%m-%d %H:%M:%S')}",
        f"Thread: {thread or threading.current_thread().name}",
        *_versions(),
        "",
        *body,
        "",
        "This report holds no patient data: no values from the program, no exception messages.",
    ])
    return Crash(exc_type.__qualname__, text + "\n", f"{exc_type.__qualname__}@{'>'.join(where)}")


def write(crash: Crash, into: Path | None = None) -> Path:
    """Write the report (readable by the user only); keep the newest ``KEEP``."""
    into = into or folder()
    into.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    path = into / f"crash-{stamp}-{os.getpid()}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
        out.write(crash.text)
    reports = sorted(into.glob("crash-*.txt"))
    for old in reports[:-KEEP]:
        try:
            old.unlink()
        except OSError:
            pass
    return path


class Guard:
    """Catches what nothing else did, on the UI thread (``sys.excepthook``, which Qt calls for
    an error in a slot) and in any other thread (``threading.excepthook``): writes one report per
    distinct failure, logs it, and hands it to ``show`` (the crash dialog).  A hook never raises:
    if reporting itself fails, Python's own hook prints the error as it would have."""

    def __init__(self, show: Callable[[str, str, Path | None], None] | None = None,
                 into: Path | None = None) -> None:
        self._show, self._into = show, into
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook, threading.excepthook = self._sys_hook, self._thread_hook

    def _sys_hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):   # Ctrl+C is the stop signals' business
            self._previous[0](exc_type, exc, tb)
            return
        self.handle(exc_type, exc, tb, threading.current_thread().name)

    def _thread_hook(self, args) -> None:
        if args.exc_type is SystemExit:   # a thread asked to end: not an error (as Python's hook)
            return
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, args.thread.name if args.thread else None)

    def handle(self, exc_type, exc, tb, thread: str | None = None) -> Path | None:
        try:
            crash = describe(exc_type, exc, tb, thread)
            with self._lock:
                first = crash.signature not in self._seen
                self._seen.add(crash.signature)
            path = None
            if first:
                try:
                    path = write(crash, self._into)
                except OSError as failure:
                    log.error("crash report not written: %s", failure.strerror or failure)
            log.error("unexpected error; crash report %s\n%s", path or "(as before)", crash.text)
            if self._show is not None:
                self._show(crash.kind, crash.text, path)
            return path
        except Exception:   # reporting failed: at least what Python would have printed
            self._previous[0](exc_type, exc, tb)
            return None

    def close(self) -> None:
        """Put back the hooks that were there before (if nobody replaced ours since)."""
        if sys.excepthook == self._sys_hook:
            sys.excepthook = self._previous[0]
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous[1]


class WindowGuard:
    """What the window runs under: the rotating log file, and the crash dialog."""

    def __init__(self) -> None:
        from scc_desktop import logs
        from ui.crash_presenter import CrashPresenter

        self.log = logs.to_file()
        self.presenter = CrashPresenter()
        self.guard = Guard(self.presenter.report)

    def close(self) -> None:
        self.guard.close()
        self.log.close()


def guard_window() -> WindowGuard:
    return WindowGuard()
