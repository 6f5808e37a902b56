"""Ctrl+C (SIGINT) and SIGTERM end ``scc-desktop demo`` and ``scc-desktop app`` as closing the window does:
a real process, offscreen, its own config folder; the settings are saved, nothing is left running."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from models.replica.store import Store
from tests.models.conftest import FAST_KDF
from tests.support.hub import TEST_ORGS, start_hub
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

REPO = Path(__file__).resolve().parents[2]
UP_TIMEOUT_S = 90        # the demo simulates its history first
STOP_LIMIT_S = 5.0       # a stop signal to the process gone, the sync's long-poll open
READY = "window open"
PASS = "room lead passphrase"


class Desktop:
    """``python -m scc_desktop ARGS`` with its output in a file; killed in teardown if still running."""

    def __init__(self, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = tmp_path / "home"
        self.log_path = tmp_path / "desktop.log"
        base = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
        base.update(HOME=str(self.home), XDG_CONFIG_HOME=str(self.home / "config"),
                    XDG_DATA_HOME=str(self.home / "data"), QT_QPA_PLATFORM="offscreen",
                    PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1",
                    PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **(env or {}))
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", *args], cwd=REPO, env=base,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def settings_path(self) -> Path:
        return self.home / "config" / "scc-desktop" / "settings.json"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = UP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} (exit {self.proc.poll()}):\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def stop_with(self, signum: int) -> tuple[int | None, float]:
        """Send ``signum``; the exit code (None if still running at the limit) and the time it took."""
        started = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(STOP_LIMIT_S)
        except subprocess.TimeoutExpired:
            code = None
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def desktops():
    started: list[Desktop] = []
    yield started
    for d in started:
        d.kill()


def _refused(url: str) -> bool:
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _processes_naming(text: str) -> list[str]:
    """Command lines of running processes that mention ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline}")
    return found


def _position(replica: Path) -> int:
    with Store.unlock(replica, PASS) as store, store.session() as s:
        return s.execute(text("SELECT max(position) FROM feed_cursor")).scalar() or 0


def _wait_synced(replica: Path, app: Desktop, timeout: float = 30) -> None:
    """Until the app has applied the hub's feed (read through a second connection to the replica)."""
    deadline = time.monotonic() + timeout
    while _position(replica) < len(TEST_ORGS):
        if app.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the app did not sync (exit {app.proc.poll()}):\n{app.log()[-3000:]}")
        time.sleep(0.2)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_closes_the_demo_saves_its_settings_and_stops_its_hub(tmp_path, desktops, signum):
    folder = tmp_path / "demo"
    demo = Desktop(tmp_path, "demo", "--folder", str(folder), "--history-hours", "1", "--view", "ambulance")
    desktops.append(demo)
    demo.wait_for(READY)
    time.sleep(1.5)   # the sync worker has started: its long-poll is open
    code, took = demo.stop_with(signum)
    print(f"demo stopped by {signal.Signals(signum).name} in {took:.2f} s")
    assert code == 128 + signum, demo.log()[-3000:]
    assert took < STOP_LIMIT_S
    saved = json.loads(demo.settings_path.read_text())
    assert (saved["last_view"], saved["window_size"]) == ("ambulance", [1366, 768])
    hub_url = re.search(r"Demo hub on (http://\S+);", demo.log()).group(1)
    assert _refused(hub_url)                      # the embedded hub no longer listens
    assert _processes_naming(str(folder)) == []    # and nothing of the demo is left running
    assert "Traceback" not in demo.log()


def test_sigterm_while_the_demo_simulates_its_history_ends_it_cleanly(tmp_path, desktops):
    folder = tmp_path / "demo"
    demo = Desktop(tmp_path, "demo", "--folder", str(folder), "--history-hours", "48")
    desktops.append(demo)
    demo.wait_for("simulating history")
    time.sleep(0.5)
    code, took = demo.stop_with(signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, demo.log()[-3000:]
    assert took < STOP_LIMIT_S
    assert READY not in demo.log() and "Traceback" not in demo.log()
    assert _processes_naming(str(folder)) == []


def test_the_window_opens_after_the_history_fills_behind_its_progress_window(tmp_path, desktops):
    """A fill past PROGRESS_FILL runs behind a progress window (its event loop watching for stop
    signals); once it has filled, the main window opens on it and still closes on Ctrl+C."""
    from scc_desktop.commands.demo import PROGRESS_FILL
    from scc_desktop.demo import DemoSystem

    hours = PROGRESS_FILL / timedelta(hours=1) + 6
    folder = tmp_path / "demo"
    demo = Desktop(tmp_path, "demo", "--folder", str(folder), "--history-hours", f"{hours:g}")
    desktops.append(demo)
    demo.wait_for(READY)
    code, took = demo.stop_with(signal.SIGINT)
    assert code == 130 and took < STOP_LIMIT_S, demo.log()[-3000:]
    assert "Traceback" not in demo.log()
    assert DemoSystem(folder, history=timedelta(hours=hours)).history_to_fill() < timedelta(minutes=30)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_closes_the_app_on_a_real_replica_and_saves_its_settings(tmp_path, desktops, signum):
    replica = tmp_path / "replica" / "scc.db"
    fresh_replica(replica, PASS, kdf=FAST_KDF).close()
    hub = start_hub(tmp_path / "hub")
    try:
        app = Desktop(tmp_path, "app", "--path", str(replica), "--hub", hub.url, "--view", "offload",
                      env={"SCC_PASSPHRASE": PASS, "SCC_HUB_TOKEN": hub.tokens["room_lead"]})
        desktops.append(app)
        app.wait_for(READY)
        _wait_synced(replica, app)   # the hub's organisations are in: its long-poll is open now
        time.sleep(0.5)
        code, took = app.stop_with(signum)
    finally:
        hub.stop()
    print(f"app stopped by {signal.Signals(signum).name} in {took:.2f} s")
    assert code == 128 + signum, app.log()[-3000:]
    assert took < STOP_LIMIT_S
    saved = json.loads(app.settings_path.read_text())
    assert (saved["last_view"], saved["window_size"]) == ("offload", [1366, 768])
    assert "Traceback" not in app.log()
    assert _position(replica) == len(TEST_ORGS)   # the replica closed cleanly with what it synced
