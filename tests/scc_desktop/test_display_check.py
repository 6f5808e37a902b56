"""Before the first window: a missing Qt xcb library or no display is one line, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from scc_desktop import display_check


def _loader(missing=()):
    tried = []

    def load(name: str) -> None:
        tried.append(name)
        if name in missing:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    load.tried = tried
    return load


def test_a_missing_xcb_library_is_named_with_its_debian_package():
    load = _loader(missing={"libxcb-cursor.so.0"})
    problem = display_check.problem({"DISPLAY": ":0"}, load=load, platform="linux")
    assert problem is not None and "\n" not in problem
    assert "libxcb-cursor.so.0" in problem and "libxcb-cursor0" in problem
    assert "libxcb-cursor.so.0" in load.tried and "libxcb-icccm.so.4" in load.tried


def test_every_missing_library_is_named_on_the_one_line():
    load = _loader(missing={"libxcb-icccm.so.4", "libxcb-keysyms.so.1"})
    problem = display_check.problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, load=load, platform="linux")
    assert "libxcb-icccm4" in problem and "libxcb-keysyms1" in problem and "\n" not in problem


def test_nothing_is_checked_where_xcb_is_not_the_platform():
    load = _loader(missing={"libxcb-cursor.so.0"})
    for env in ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"},
                {"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"},
                {"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}):
        assert display_check.problem(env, load=load, platform="linux") is None, env
    assert display_check.problem({}, load=load, platform="win32") is None
    assert display_check.problem({"DISPLAY": ":0"}, load=_loader(), platform="linux") is None


def test_no_display_at_all_says_so():
    problem = display_check.problem({}, load=_loader(), platform="linux")
    assert problem is not None and "no display" in problem and "\n" not in problem
    problem = display_check.problem({"QT_QPA_PLATFORM": "xcb"}, load=_loader(), platform="linux")
    assert "no display" in problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland are Linux's")
def test_the_demo_without_a_display_exits_at_once_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SCC_") and k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "scc_desktop", "demo", "--folder", str(tmp_path / "demo")],
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == display_check.EXIT_NO_DISPLAY, done.stderr[-2000:]
    assert "no display" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "demo" / "hub.db").exists()   # checked before the hub started
    assert time.monotonic() - began < 8


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 and Wayland are Linux's")
def test_started_from_the_menu_the_line_reaches_the_log_and_a_notification(tmp_path, monkeypatch):
    """The desktop entry has no terminal: the one line went nowhere, and the menu's entry seemed to do
    nothing (session 24; this machine lacked libxcb-icccm4 and libxcb-keysyms1). A stand-in for the
    desktop's notify-send (a real process) records what it was asked to show."""
    from scc_desktop import logs, paths
    from scc_desktop.errors import UserError

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shown = tmp_path / "notified.txt"
    notifier = bin_dir / "notify-send"
    notifier.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{shown}"\n')
    notifier.chmod(0o755)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"DISPLAY": ":0", "PATH": f"{bin_dir}:/usr/bin:/bin"}
    with pytest.raises(UserError) as raised:
        display_check.check(env, load=_loader(missing={"libxcb-icccm.so.4"}), terminal=False)
    assert raised.value.exit_code == display_check.EXIT_NO_DISPLAY
    log = paths.log_dir() / logs.LOG_NAME
    assert "libxcb-icccm.so.4" in log.read_text() and "sudo apt install libxcb-icccm4" in log.read_text()
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    asked = shown.read_text().splitlines()
    assert "SCC Desktop cannot open its window" in asked and str(raised.value) in asked


def test_from_a_terminal_only_the_line_is_printed(tmp_path, monkeypatch):
    from scc_desktop import logs, paths
    from scc_desktop.errors import UserError

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(UserError):
        display_check.check({"DISPLAY": ":0", "PATH": "/nonexistent"}, load=_loader(missing={"libxcb-icccm.so.4"}),
                            terminal=True)
    assert not (paths.log_dir() / logs.LOG_NAME).exists()
