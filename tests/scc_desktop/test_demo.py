"""The README's first command, as a user runs it: ``scc-desktop demo`` (rendered offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QImage
from sqlalchemy import func, select

from models.replica.orm import OpelAssessment, Organisation
from models.replica.store import Store
from scc_desktop.demo import DEMO_PASSPHRASE


def _demo(folder, shot, home, *extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(home / "data"))
    return subprocess.run([sys.executable, "-m", "scc_desktop", "demo", "--folder", str(folder),
                           "--history-hours", "2", "--screenshot", str(shot), *extra],
                          env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_demo_starts_hub_and_simulator_and_shows_the_system(tmp_path, qapp):
    folder = tmp_path / "demo"
    first = _demo(folder, tmp_path / "first.png", tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    image = QImage(str(tmp_path / "first.png"))
    assert (image.width(), image.height()) == (1366, 768)
    with Store.unlock(folder / "replica.db", DEMO_PASSPHRASE) as store, store.session() as s:
        orgs = s.scalar(select(func.count()).select_from(Organisation))
        providers = s.scalar(select(func.count(func.distinct(OpelAssessment.org_code)))
                             .where(OpelAssessment.scope == "provider"))
        system = s.scalar(select(func.count()).select_from(OpelAssessment)
                          .where(OpelAssessment.scope == "system"))
    assert orgs >= 8 and providers >= 5 and system >= 1
    # Quiet by default: what runs and where, in a few lines (it was about 45 INFO lines, 100 live).
    said = (first.stdout + first.stderr).splitlines()
    assert len(said) <= 5, said
    assert not [line for line in said if "propagateSizeHints" in line]   # Qt's offscreen plugin's own noise
    assert any("http://127.0.0.1:" in line for line in said) and any(str(folder) in line for line in said)
    # A second start reuses the same hub, replica and tokens; -v tells everything.
    again = _demo(folder, tmp_path / "second.png", tmp_path, "-v")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Running upgrade" not in again.stderr
    assert "sync.hub: OPEL table for acute" in again.stderr


def test_a_second_demo_on_the_same_folder_says_one_is_running(tmp_path):
    folder = tmp_path / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update(HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    first = subprocess.Popen([sys.executable, "-m", "scc_desktop", "demo", "--folder", str(folder),
                              "--history-hours", "0"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, stdin=subprocess.DEVNULL)
    try:
        assert "Demo hub on" in first.stdout.readline()
        second = _demo(folder, tmp_path / "second.png", tmp_path)
        assert second.returncode == 1, second.stderr[-2000:]
        assert f"already running (process {first.pid})" in second.stderr and "Traceback" not in second.stderr
        assert not (tmp_path / "second.png").exists()
    finally:
        first.terminate()
        first.wait(30)
    # Once the first has gone, the folder is free again.
    assert _demo(folder, tmp_path / "third.png", tmp_path).returncode == 0
