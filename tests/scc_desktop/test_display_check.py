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
