"""One window per replica (scc_desktop/single_window.py): a second start brings the first window to
the front and ends; a killed window leaves no lock behind. Real processes, offscreen, a real
encrypted replica; in-process with real widgets for what a process cannot show (a minimised window,
a first start that does not answer)."""

from __future__ import annotations

import os
import sys
import time

import pytest

from scc_desktop import single_window
from scc_desktop.commands.app import already_open
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_stop_signals import PASS, READY, Desktop, desktops  # noqa: F401 (fixture)
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(180)


def _in(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    return folder


def _start(tmp_path, name, replica, desktops) -> Desktop:
    d = Desktop(_in(tmp_path, name), "app", "--path", str(replica), env={"SCC_PASSPHRASE": PASS})
    desktops.append(d)
    return d


def test_a_second_start_brings_the_first_window_forward_and_a_killed_one_leaves_no_lock(tmp_path, desktops):
    replica = tmp_path / "replica" / "scc.db"
    fresh_replica(replica, PASS, kdf=FAST_KDF).close()
    first = _start(tmp_path, "first", replica, desktops)
    first.wait_for(READY)
    second = _start(tmp_path, "second", replica, desktops)
    assert second.proc.wait(60) == 0, second.log()[-3000:]
    assert f"already open on {replica} (process {first.proc.pid})" in second.log()
    assert "brought to the front" in second.log() and READY not in second.log()
    first.wait_for("this window was brought to the front", timeout=10)
    assert first.proc.poll() is None          # the first window is untouched
    assert "Traceback" not in first.log() + second.log()
    first.kill()                               # as a crash would: no clean release
    third = _start(tmp_path, "third", replica, desktops)
    third.wait_for(READY)                      # the lock went with the killed process
    assert "already open" not in third.log()


def test_other_replicas_open_side_by_side(tmp_path, desktops):
    one, two = tmp_path / "one" / "scc.db", tmp_path / "two" / "scc.db"
    for replica in (one, two):
        fresh_replica(replica, PASS, kdf=FAST_KDF).close()
    a, b = _start(tmp_path, "a", one, desktops), _start(tmp_path, "b", two, desktops)
    a.wait_for(READY)
    b.wait_for(READY)
    assert "already open" not in a.log() + b.log()


def test_a_first_start_that_does_not_answer_is_named_in_a_message(qapp, tmp_path, monkeypatch):
    """The lock held by a process that does not answer (here: this test, holding it without listening)."""
    replica = tmp_path / "scc.db"
    path = single_window.lock_path(replica)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        single_window._lock(fd)
        os.write(fd, b"4242\n0\n\n")
        monkeypatch.setattr(single_window, "ANSWER_S", 0.5)
        with pytest.raises(single_window.AlreadyOpen) as caught:
            single_window.WindowClaim(replica).acquire()
        told: list[str] = []
        assert already_open(caught.value, tell=told.append) == 1
        assert told == [f"SCC Desktop is already open on {replica} (process 4242), but that window did not answer "
                        "(it may be busy or still starting): use it, or close it and start SCC Desktop again"]
    finally:
        os.close(fd)
    with single_window.WindowClaim(replica) as claim:   # released: the next start takes it
        assert claim._fd is not None


def test_a_request_without_the_token_is_ignored(qapp, tmp_path):
    import socket

    calls: list[int] = []
    with single_window.WindowClaim(tmp_path / "scc.db", bring_forward=lambda: calls.append(1)) as claim:
        owner, port, token = single_window._read(claim.path)
        assert owner == str(os.getpid()) and port and len(token) == 32
        with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
            conn.sendall(b"0" * 32 + b" raise\n")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                qapp.processEvents()
                time.sleep(0.01)
        assert calls == []


def test_a_minimised_window_and_its_dialog_come_forward(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow

    window = QMainWindow()
    window.show()
    window.setWindowState(Qt.WindowState.WindowMinimized)
    assert window.windowState() & Qt.WindowState.WindowMinimized
    try:
        single_window.raise_windows()
        assert not window.windowState() & Qt.WindowState.WindowMinimized
    finally:
        window.close()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_lock_file_is_the_users_alone(qapp, tmp_path):
    with single_window.WindowClaim(tmp_path / "scc.db") as claim:
        assert claim.path.stat().st_mode & 0o077 == 0


def test_a_second_demo_brings_the_first_demos_window_forward(tmp_path, desktops):
    folder = tmp_path / "demo"
    first, second = (_in(tmp_path, name) for name in ("first", "second"))
    first = Desktop(first, "demo", "--folder", str(folder), "--history-hours", "1")
    desktops.append(first)
    first.wait_for(READY, timeout=120)
    second = Desktop(second, "demo", "--folder", str(folder), "--history-hours", "1")
    desktops.append(second)
    assert second.proc.wait(60) == 0, second.log()[-3000:]
    assert f"a demo is already running (process {first.proc.pid}) on {folder}: its window has been brought to " \
           "the front" in second.log()
    first.wait_for("this window was brought to the front", timeout=10)
    assert "Demo hub on" not in second.log() and "Traceback" not in first.log() + second.log()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_a_lock_file_made_earlier_with_wider_modes_is_made_the_users_alone(qapp, tmp_path):
    """The token is in the file: one left readable by others (a copied folder, an old umask) was kept so."""
    replica = tmp_path / "scc.db"
    path = single_window.lock_path(replica)
    path.write_text("1\n0\n\n")
    os.chmod(path, 0o644)
    with single_window.WindowClaim(replica) as claim:
        assert claim.path.stat().st_mode & 0o077 == 0
