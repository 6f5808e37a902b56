"""One window per replica (found in review): what a local program can do to the first window's UI thread, a
lock the OS cannot take, a start racing another."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time

import pytest

from scc_desktop import single_window

pytestmark = pytest.mark.timeout(120)


def _largest_gap(qapp, seconds: float) -> float:
    """Run the event loop for ``seconds``; the longest time the UI thread did not turn (a 20 ms timer)."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer

    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    clock = QElapsedTimer()
    clock.start()
    loop.exec()
    timer.stop()
    ticks = [0.0, *ticks] if not ticks else ticks
    return max((b - a for a, b in zip(ticks, ticks[1:])), default=seconds)


def _trickle(port: int, every: float, seconds: float):
    """Another program: one byte every ``every`` s for ``seconds``, never a newline."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", (
        "import socket, time\n"
        f"c = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        f"end = time.monotonic() + {seconds}\n"
        "while time.monotonic() < end:\n"
        f"    c.sendall(b'x'); time.sleep({every})\n")])


def test_a_local_program_trickling_bytes_does_not_freeze_the_window(qapp, tmp_path):
    """Any program on the machine (any user's, on a shared terminal server) can connect to the port: one
    byte every 0.3 s, never a newline, held the UI thread in _answer's reads for the whole time."""
    with single_window.WindowClaim(tmp_path / "scc.db", bring_forward=lambda: None) as claim:
        port = single_window._read(claim.path)[1]
        trickler = _trickle(port, 0.3, 3)
        try:
            gap = _largest_gap(qapp, 4)
        finally:
            trickler.wait(10)
    assert gap < 0.3, f"the UI thread stood still for {gap:.2f} s"


def test_a_silent_connection_does_not_freeze_the_window(qapp, tmp_path):
    """A port scan (or any connect without a line) held the UI thread READ_S (0.5 s) per connection."""
    with single_window.WindowClaim(tmp_path / "scc.db", bring_forward=lambda: None) as claim:
        port = single_window._read(claim.path)[1]
        conns = [socket.create_connection(("127.0.0.1", port), timeout=2) for _ in range(4)]
        try:
            gap = _largest_gap(qapp, 2.5)
        finally:
            for c in conns:
                c.close()
    assert gap < 0.3, f"the UI thread stood still for {gap:.2f} s"


def test_the_token_still_brings_the_window_forward(qapp, tmp_path):
    calls: list[int] = []
    with single_window.WindowClaim(tmp_path / "scc.db", bring_forward=lambda: calls.append(1)) as claim:
        _owner, port, token = single_window._read(claim.path)
        answer: list[bool] = []
        t = threading.Thread(target=lambda: answer.append(single_window._ask(port, token)), daemon=True)
        t.start()
        deadline = time.monotonic() + 5
        while t.is_alive() and time.monotonic() < deadline:
            qapp.processEvents()
            time.sleep(0.01)
        t.join(1)
    assert calls == [1] and answer == [True]


def test_a_lock_the_file_system_cannot_take_does_not_lock_the_user_out(qapp, tmp_path, monkeypatch):
    """A replica on a network drive without locks (NFS without lockd: ENOLCK; some SMB mounts): any
    OSError from the lock was read as 'another window holds it', naming the process of the last run in
    the file, at every start, for ever (exit 1 and a message box)."""
    import fcntl

    replica = tmp_path / "scc.db"
    single_window.lock_path(replica).write_text("4242\n40404\n" + "0" * 32 + "\n")   # the last run's
    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(fcntl, "flock", no_locks)
    claim = single_window.WindowClaim(replica, bring_forward=lambda: None).acquire()   # not AlreadyOpen
    claim.release()


def test_a_folder_where_the_lock_file_cannot_be_made_still_opens(qapp, tmp_path, monkeypatch):
    """A replica whose folder takes no new file (the lock file cannot be created): the start crashed
    with PermissionError before the unlock dialog."""
    replica = tmp_path / "scc.db"
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(single_window.SUFFIX):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, "open", refuse)
    claim = single_window.WindowClaim(replica, bring_forward=lambda: None).acquire()
    claim.release()


def test_a_held_lock_is_still_refused(qapp, tmp_path):
    replica = tmp_path / "scc.db"
    with single_window.WindowClaim(replica, bring_forward=lambda: None):
        fd = os.open(single_window.lock_path(replica), os.O_RDWR)
        try:
            with pytest.raises(OSError) as caught:
                single_window._lock(fd)
            assert single_window._held(caught.value)
        finally:
            os.close(fd)


def test_a_start_racing_the_first_one_waits_for_its_port_and_brings_it_forward(qapp, tmp_path):
    """Two starts at the same instant (a double-click twice): the second found the lock taken before the
    first had written its port, read the last run's process, port and token from the file, and said in a
    message box that a window (named by a process long gone) did not answer: exit 1."""
    import subprocess
    import sys

    replica = tmp_path / "scc.db"
    path = single_window.lock_path(replica)
    path.write_text("4242\n1\n" + "0" * 32 + "\n")   # the last run's, as a kill leaves it
    code = f"""
import fcntl, os, socket, sys, time
fd = os.open({str(path)!r}, os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
print('locked', flush=True)
time.sleep(0.4)                                   # still starting: Qt, the socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)
os.ftruncate(fd, 0); os.lseek(fd, 0, 0)
os.write(fd, f"{{os.getpid()}}\\n{{s.getsockname()[1]}}\\n{'1' * 32}\\n".encode())
c, _ = s.accept(); c.recv(256); c.sendall(b'raised\\n'); c.close()
time.sleep(1)
"""
    first = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "locked"
        with pytest.raises(single_window.AlreadyOpen) as caught:
            single_window.WindowClaim(replica).acquire()
        assert caught.value.raised and caught.value.owner == str(first.pid)
    finally:
        first.kill()
        first.wait(10)


def test_on_windows_the_lock_is_undone_before_the_file_is_closed(qapp, tmp_path, monkeypatch):
    """Windows (LockFileEx, which msvcrt.locking calls): a lock left on a file at its close is undone by the
    OS 'depending upon available system resources'; Microsoft asks for an explicit unlock. A window
    closed and started again at once, or a start just after 'db restore', could be refused meanwhile.
    (A fake msvcrt records the calls: this machine is not Windows.)"""
    import sys
    import types

    calls: list[tuple[int, int, int]] = []
    fake = types.SimpleNamespace(LK_NBLCK=2, LK_UNLCK=0,
                                 locking=lambda fd, mode, n: calls.append((mode, os.lseek(fd, 0, os.SEEK_CUR), n)))
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setattr(sys, "platform", "win32")
    with single_window.WindowClaim(tmp_path / "scc.db", bring_forward=lambda: None):
        pass
    with single_window.window_closed(tmp_path / "scc.db"):
        pass
    assert calls == [(2, 1 << 20, 1), (0, 1 << 20, 1)] * 2


def test_a_restore_on_a_file_system_without_locks_is_not_refused_for_ever(tmp_path, monkeypatch):
    """window_closed (db restore) read any OSError from the lock as a window open, naming the last run's
    process: on NFS without lockd every restore was refused ('close its window first') with none open."""
    import fcntl

    replica = tmp_path / "scc.db"
    single_window.lock_path(replica).write_text("4242\n0\n\n")
    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(fcntl, "flock", no_locks)
    with single_window.window_closed(replica):
        pass


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_one_window_for_a_replica_reached_through_a_link(qapp, tmp_path):
    """The replica kept on a data disk with a link at the default place: 'app' (the default path) and
    'app --path /data/scc.db' each took a lock of their own name: two windows on one replica."""
    real = tmp_path / "data" / "scc.db"
    real.parent.mkdir()
    real.write_bytes(b"")
    link = tmp_path / "home" / "scc.db"
    link.parent.mkdir()
    link.symlink_to(real)
    with single_window.WindowClaim(real, bring_forward=lambda: None):
        with pytest.raises(single_window.AlreadyOpen):
            single_window.WindowClaim(link, bring_forward=lambda: None).acquire()


def test_a_start_during_a_restore_says_a_restore_is_running(qapp, tmp_path, monkeypatch):
    """A double-click while 'db restore' holds the lock: the message box said SCC Desktop was already open
    (naming the restore's process) and its window did not answer; there was no window."""
    from scc_desktop.commands.app import already_open

    monkeypatch.setattr(single_window, "SETTLE_S", 0.2)
    replica = tmp_path / "scc.db"
    with single_window.window_closed(replica):
        with pytest.raises(single_window.AlreadyOpen) as caught:
            single_window.WindowClaim(replica, bring_forward=lambda: None).acquire()
    told: list[str] = []
    assert already_open(caught.value, tell=told.append) == 1
    assert "db restore" in told[0] and f"process {os.getpid()}" in told[0] and "did not answer" not in told[0]


def test_a_replica_open_on_another_computer_says_so(qapp, tmp_path):
    """A replica in a folder two computers share, open on the other one: the second start asked a port on
    this computer (none of the other's), waited, and said the window "did not answer (it may be busy or
    still starting)", naming a process this computer does not have. The lock file names the computer; the
    other computer is played by a real process here, holding the real lock, that writes another name."""
    import subprocess
    import sys

    from scc_desktop.commands.app import already_open

    replica = tmp_path / "share" / "scc.db"
    replica.parent.mkdir()
    path = single_window.lock_path(replica)
    code = f"""
import fcntl, os, time
fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
os.write(fd, f"{{os.getpid()}}\\n40123\\n{'1' * 32}\\nward-pc-7\\n".encode())
print('locked', flush=True)
time.sleep(60)
"""
    other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "locked"
        began = time.monotonic()
        with pytest.raises(single_window.AlreadyOpen) as caught:
            single_window.WindowClaim(replica, bring_forward=lambda: None).acquire()
        assert time.monotonic() - began < single_window.SETTLE_S   # nothing here to ask, nothing to wait for
        told: list[str] = []
        assert already_open(caught.value, tell=told.append) == 1
        assert told == [f"SCC Desktop is open on {replica} on another computer (ward-pc-7, process {other.pid}): a "
                        "replica is used on one computer at a time. Close it there, or give this computer a "
                        "replica of its own (each syncs from the hub)"]
        with pytest.raises(single_window.WindowOpen, match=r"on another computer \(ward-pc-7, process \d+\): "
                                                           "close its window first"):
            with single_window.window_closed(replica):
                pass
    finally:
        other.kill()
        other.wait(10)
    # This computer's own lock (and one written before the computer was named) is asked as before.
    with single_window.WindowClaim(replica, bring_forward=lambda: None):
        assert path.read_text().split("\n")[3] == socket.gethostname()
        assert single_window._elsewhere(path) is None
    path.write_text("4242\n1\n" + "0" * 32 + "\n")
    assert single_window._elsewhere(path) is None
