"""One window per replica: a second start brings the first one's window to the front.

A room lead who double-clicks SCC Desktop again, because its window is behind the wall screen's
browser or minimised, got a second window on the same replica: a second sync loop, a second set of
alert notifications and tray icon, two decision logs open where one is edited. Now the first start
holds an OS lock on ``<replica>.window.lock`` beside the replica (it goes with the process however
that ends: a crash or a kill leaves no stale lock) and listens on a loopback port for a second
start. The second start finds the lock held, asks the first to bring its window (or its unlock
dialog) to the front, and ends. If the first does not answer (busy), the second says so in a
message box, naming the process. The lock file names the computer too: a replica in a folder two
computers share is said to be open on the other one, which no port on this one can reach.

The port and a random token are in the lock file (readable by this user only); the second start
sends the token, so no other program on the machine can make the window jump. Plain sockets and
``QSocketNotifier``, not QtNetwork's ``QLocalServer``: the installer leaves QtNetwork out
(docs/bundle.md: 2 MB the bundle does not have).

Commands that only read or sync the replica (``report``, ``sync --once``, ``--screenshot``) take no
lock: SQLite keeps them safe beside a window.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

from scc_desktop.folder_lock import held as _held
from scc_desktop.folder_lock import lock_fd as _lock
from scc_desktop.folder_lock import unlock_fd as _unlock

log = logging.getLogger(__name__)

SUFFIX = ".window.lock"
CONNECT_S = 2.0       # the first start's port, on this machine
ANSWER_S = 5.0        # its UI thread answers between events; an unlock dialog's too
READ_S = 0.5          # the first start reads a request already sent (one short line)
SETTLE_S = 1.0        # a second start waits this long for a first start's port to be written
MAX_PENDING = 8       # connections read at once; more are closed unread
_RAISE = b"raise"
_RAISED = b"raised"
_RESTORING = "restoring"   # in the lock file's token line while window_closed holds it


def lock_path(replica: Path) -> Path:
    """Beside the replica's own file: a link to it (or a relative path) names the same lock."""
    replica = Path(replica)
    with contextlib.suppress(OSError, RuntimeError):
        replica = replica.resolve()
    return replica.with_name(replica.name + SUFFIX)


class AlreadyOpen(Exception):
    """The replica's window is another process's (``owner``); ``raised``: it came to the front."""

    def __init__(self, replica: Path, owner: str, raised: bool, restoring: bool = False,
                 elsewhere: str | None = None) -> None:
        self.replica, self.owner, self.raised = Path(replica), owner, raised
        if elsewhere:
            text = (f"SCC Desktop is open on {replica} on another computer ({elsewhere}, process {owner}): a "
                    "replica is used on one computer at a time. Close it there, or give this computer a replica "
                    "of its own (each syncs from the hub)")
        elif restoring:
            text = (f"a backup is being put in place of {replica} ('scc-desktop db restore', process {owner}): "
                    "start SCC Desktop again when it has finished")
        elif raised:
            text = (f"SCC Desktop is already open on {replica} (process {owner}): its window has been "
                    "brought to the front")
        else:
            text = (f"SCC Desktop is already open on {replica} (process {owner}), but that window did not "
                    "answer (it may be busy or still starting): use it, or close it and start SCC Desktop again")
        super().__init__(text)


class _Pending:
    """A connection to the window's port whose line has not all come yet."""

    def __init__(self, conn: socket.socket, notifier) -> None:
        self.conn, self.notifier, self.fileno = conn, notifier, conn.fileno()
        self.data = b""
        self.done = False


class WindowClaim:
    """Held while this process shows the replica's window (``claim`` makes one)."""

    def __init__(self, replica: Path, bring_forward: Callable[[], None] | None = None) -> None:
        self.replica = Path(replica)
        self.path = lock_path(replica)
        self.bring_forward = bring_forward or raise_windows
        self._fd: int | None = None
        self._sock: socket.socket | None = None
        self._notifier = None
        self._token = secrets.token_hex(16)
        self._pending: dict[int, _Pending] = {}

    def acquire(self) -> WindowClaim:
        """Take the lock and listen, or raise ``AlreadyOpen`` (after asking the owner to come forward)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:   # a folder that takes no new file: the window opens, without the claim
            log.warning("no window lock beside %s (%s): a second start will open a second window",
                        self.replica, exc.strerror or exc)
            return self
        try:
            _lock(fd)
        except OSError as exc:
            os.close(fd)
            if not _held(exc):   # a file system without locks (ENOLCK on NFS, say): never a lock-out
                log.warning("the window lock beside %s cannot be taken here (%s): a second start will open a "
                            "second window", self.replica, exc.strerror or exc)
                return self
            if elsewhere := _elsewhere(self.path):   # a replica in a shared folder: its port is not ours
                raise AlreadyOpen(self.replica, _read(self.path)[0], False, elsewhere=elsewhere) from None
            owner, raised = _ask_holder(self.path)
            raise AlreadyOpen(self.replica, owner, raised,
                              restoring=not raised and _read(self.path)[2] == _RESTORING) from None
        self._fd = fd
        _owner_only(fd)   # a file made earlier with wider modes: the token is this user's alone
        try:
            self._listen()
        except OSError as exc:   # no loopback (a locked-down machine): one window still, without the call
            log.warning("a second start on %s cannot reach this window: %s", self.replica, exc)
        port = self._sock.getsockname()[1] if self._sock else 0
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, _holder(port, self._token))
        return self

    def _listen(self) -> None:
        from PySide6.QtCore import QSocketNotifier

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.bind(("127.0.0.1", 0))
            sock.listen(4)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._answer)

    def _answer(self, *_args) -> None:
        """A connection waiting: read its line as it comes, on notifiers of its own. Never a blocking read
        on the UI thread: any program on the machine can connect and send nothing, or a byte at a time."""
        from PySide6.QtCore import QSocketNotifier, QTimer

        while self._sock is not None:
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, OSError):
                return
            if len(self._pending) >= MAX_PENDING:   # more at once than any second start makes
                conn.close()
                continue
            conn.setblocking(False)
            notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read)
            pending = _Pending(conn, notifier)
            self._pending[conn.fileno()] = pending
            notifier.activated.connect(lambda *_a, p=pending: self._read_some(p))
            QTimer.singleShot(int(READ_S * 1000), lambda p=pending: self._drop(p))

    def _read_some(self, pending: "_Pending") -> None:
        if pending.done:
            return
        try:
            chunk = pending.conn.recv(256)
        except BlockingIOError:
            return
        except OSError:
            self._drop(pending)
            return
        pending.data += chunk
        if b"\n" not in pending.data:
            if not chunk or len(pending.data) >= 256:
                self._drop(pending)
            return
        line = pending.data.split(b"\n", 1)[0].strip()
        token, _, what = line.partition(b" ")
        if what != _RAISE or not hmac.compare_digest(token, self._token.encode()):
            log.warning("a request to this window without its token was ignored")
            self._drop(pending)
            return
        try:
            self.bring_forward()
            log.info("a second start on %s: this window was brought to the front", self.replica)
            with contextlib.suppress(OSError):
                pending.conn.send(_RAISED + b"\n")   # 7 bytes into an empty socket buffer
        finally:
            self._drop(pending)

    def _drop(self, pending: "_Pending") -> None:
        if pending.done:
            return
        pending.done = True
        pending.notifier.setEnabled(False)
        self._pending.pop(pending.fileno, None)
        pending.conn.close()

    def release(self) -> None:
        for pending in list(self._pending.values()):
            self._drop(pending)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)   # the file stays (removing it would race a starter)
            self._fd = None

    def __enter__(self) -> WindowClaim:
        return self.acquire() if self._fd is None else self

    def __exit__(self, *exc) -> None:
        self.release()


class WindowOpen(Exception):
    """A window holds the replica (process ``owner``): what needs it closed cannot run."""

    def __init__(self, replica: Path, owner: str, elsewhere: str | None = None) -> None:
        self.replica, self.owner = Path(replica), owner
        where = f"on another computer ({elsewhere}, process {owner})" if elsewhere else f"(process {owner})"
        super().__init__(f"SCC Desktop is open on {replica} {where}: close its window first")


@contextlib.contextmanager
def window_closed(replica: Path) -> Iterator[None]:
    """Hold the window's lock, so no window opens on ``replica`` meanwhile; ``WindowOpen`` if one is."""
    path = lock_path(replica)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            _lock(fd)
        except OSError as exc:
            if _held(exc):
                raise WindowOpen(replica, _read(path)[0], _elsewhere(path)) from None
            log.warning("the window lock beside %s cannot be taken here (%s): a window opened meanwhile is not "
                        "kept out", replica, exc.strerror or exc)
            yield
            return
        os.ftruncate(fd, 0)
        os.write(fd, _holder(0, _RESTORING))   # a window started meanwhile says so
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def raise_windows() -> None:
    """Bring this application's shown windows to the front (a minimised one restored), a modal
    dialog (the unlock dialog, say) last so it stays on top."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    modal = app.activeModalWidget()
    shown = [w for w in app.topLevelWidgets() if w.isWindow() and w.isVisible() and w is not modal]
    for window in [*shown, *([modal] if modal is not None else [])]:
        if window.windowState() & Qt.WindowState.WindowMinimized:
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.raise_()
        window.activateWindow()


def ask_forward(replica: Path) -> tuple[str, bool]:
    """(owner, came forward): ask the window holding ``replica``'s lock to come to the front."""
    return _ask_holder(lock_path(replica))


def _ask_holder(path: Path, settle_s: float = SETTLE_S) -> tuple[str, bool]:
    """(owner, came forward). A holder that took the lock an instant ago has not yet written its port: the
    file still holds the last run's (or nothing), so what is found there is asked again as it changes,
    for up to ``settle_s``."""
    import time

    deadline = time.monotonic() + settle_s
    asked = None
    while True:
        owner, port, token = _read(path)
        if (port, token) != asked and port and token:
            asked = (port, token)
            if _ask(port, token):
                return owner, True
        if time.monotonic() >= deadline:
            return owner, False
        time.sleep(0.05)


def _this_host() -> str:
    return socket.gethostname() or "unknown"


def _holder(port: int, token: str) -> bytes:
    """The lock file's lines: the holder's process, port, token and computer."""
    return f"{os.getpid()}\n{port}\n{token}\n{_this_host()}\n".encode()


def _lines(path: Path) -> list[str]:
    """The lock file's lines as its holder wrote them ([] if unreadable)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return []


def _elsewhere(path: Path) -> str | None:
    """The other computer holding the lock (a replica in a shared folder), or None: this one's, or a
    lock file from before the host was written in it."""
    lines = _lines(path)
    host = lines[3].strip() if len(lines) > 3 else ""
    return host if host and host != _this_host() else None


def _read(path: Path) -> tuple[str, int, str]:
    """(owner, port, token) as the lock's holder wrote them; ("unknown", 0, "") if unreadable."""
    lines = _lines(path) or [""]
    owner = lines[0].strip() or "unknown"
    try:
        port = int(lines[1])
    except (IndexError, ValueError):
        port = 0
    return owner, port, (lines[2].strip() if len(lines) > 2 else "")


def _ask(port: int, token: str) -> bool:
    """Ask the window on ``port`` to come to the front: True once it says it has."""
    if not port or not token:
        return False
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=CONNECT_S) as conn:
            conn.settimeout(ANSWER_S)
            conn.sendall(token.encode() + b" " + _RAISE + b"\n")
            return _read_line(conn) == _RAISED
    except OSError:
        return False


def _read_line(conn: socket.socket, limit: int = 256) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < limit:
        chunk = conn.recv(limit)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0].strip()


def _owner_only(fd: int) -> None:
    if hasattr(os, "fchmod"):   # POSIX (Windows: the profile folder's ACL)
        with contextlib.suppress(OSError):
            os.fchmod(fd, 0o600)
