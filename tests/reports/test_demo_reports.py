"""After ``scc-desktop demo`` a new user can make the room's reports from its replica: the demo prints the
exact command (with the demo's published passphrase), and that command, pasted, writes the report."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import pytest


@pytest.mark.timeout(240)
def test_the_demo_prints_a_report_command_that_works(tmp_path):
    folder = tmp_path / "demo with space"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update(HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    demo = subprocess.run([sys.executable, "-m", "scc_desktop", "demo", "--folder", str(folder), "--history-hours",
                           "2", "--screenshot", str(tmp_path / "shot.png")], env=env, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)
    assert demo.returncode == 0, demo.stderr[-2000:]
    line = next((x for x in demo.stdout.splitlines() if x.startswith("Reports from it: ")), None)
    assert line is not None, demo.stdout
    words = shlex.split(line.removeprefix("Reports from it: "))
    assert words[0] == "SCC_PASSPHRASE=scc-desktop-demo" and words[1:4] == ["scc-desktop", "report", "brief"]
    assert words[words.index("--path") + 1] == str(folder / "replica.db")
    out = tmp_path / "out"
    words[words.index("--out") + 1] = str(out)
    run_env = {**env, "SCC_PASSPHRASE": words[0].split("=", 1)[1]}
    made = subprocess.run([sys.executable, "-m", "scc_desktop", *words[2:]], env=run_env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert made.returncode == 0, made.stderr[-2000:]
    assert "Wrote the brief" in made.stdout and (out / "brief-latest.pdf").stat().st_size > 0


def test_a_passphrase_of_ones_own_is_named_not_printed():
    from pathlib import Path

    from scc_desktop.commands.demo import report_command

    said = report_command(Path("/tmp/demo/replica.db"), own_passphrase=True)
    assert said.startswith('SCC_PASSPHRASE="$SCC_PASSPHRASE" scc-desktop report brief')
