"""``scc-desktop simulate`` as a user runs it, in a subprocess."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from scc_desktop.cli import main
from sync.protocol import Submission
from tests.sync.simulator.conftest import item_problem

REPO = Path(__file__).resolve().parents[3]


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "scc_desktop", "simulate", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_dry_run_prints_one_valid_submission_per_line():
    done = _cli("--dry-run", "--ticks", "3", "--start", "2025-01-06T08:00Z", "--seed", "3", "--annotate")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) > 5
    orgs = set()
    for line in lines:
        data = json.loads(line)
        sub = Submission.model_validate(data)  # the extra sim_faults key is ignored by readers
        orgs.add(sub.org_code)
        marked = {f["index"] for f in data["sim_faults"]["malformed"]}
        for i, item in enumerate(sub.items):
            assert (item_problem(item) is not None) == (i in marked)
    assert {"RX1", "RX9", "NNJ"} <= orgs
    assert "3 ticks" in done.stderr

    again = _cli("--dry-run", "--ticks", "3", "--start", "2025-01-06T08:00Z", "--seed", "3")
    assert [json.loads(x)["submission_id"] for x in again.stdout.splitlines()] == \
        [json.loads(x)["submission_id"] for x in lines]


def test_write_orgs_gives_the_hub_its_organisation_file(tmp_path, capsys):
    target = tmp_path / "ics.csv"
    assert main(["simulate", "--write-orgs", str(target)]) == 0
    rows = list(csv.DictReader(target.open()))
    assert {r["sector"] for r in rows} == {"acute", "ambulance", "community", "mental_health", "nhs111"}
    assert next(r for r in rows if r["ods_code"] == "RX1")["name"] == "Nottingham University Hospitals NHS Trust"


def test_bad_input_is_named_with_exit_code_2(capsys):
    assert main(["simulate", "--dry-run", "--ticks", "1", "--start", "2025-01-06T08:00"]) == 2
    assert "no UTC offset" in capsys.readouterr().err
    assert main(["simulate", "--ticks", "1"]) == 2
    assert "--hub" in capsys.readouterr().err
    assert main(["simulate", "--hub", "http://127.0.0.1:9", "--token", "t", "--start", "2999-01-01T00:00Z",
                 "--ticks", "1"]) == 2
    assert "future" in capsys.readouterr().err
    assert main(["simulate", "--dry-run", "--ticks", "1", "--config", "/nonexistent/ics.toml"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_ctrl_c_stops_cleanly_with_a_summary():
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", "simulate", "--dry-run", "--paced",
                             "--speed", "60", "--start", "2025-01-06T08:00Z"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()  # the first tick is sent at once; the next is 5 s away
        assert json.loads(first)["org_code"]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "(stopped)" in err and "Traceback" not in err


def test_backfill_only_ends_and_the_token_comes_from_a_file_or_the_environment(tmp_path):
    """The README walkthrough in one terminal: simulate fills the hub and returns; no token in ``ps``."""
    from sync.simulator import Simulator, load_config
    from tests.support.hub import start_hub

    hub = start_hub(tmp_path, orgs=Simulator(load_config(), 1).organisations())
    try:
        token_file = tmp_path / "admin.token"
        token_file.write_text(hub.tokens["admin"] + "\n")
        done = _cli("--hub", hub.url, "--token-file", str(token_file), "--backfill-days", "0.1",
                    "--backfill-only", timeout=60)
        assert done.returncode == 0, done.stderr
        assert "backfill:" in done.stderr and "live:" not in done.stderr and "ps" not in done.stderr
        env_run = subprocess.run(
            [sys.executable, "-m", "scc_desktop", "simulate", "--hub", hub.url, "--backfill-days", "0.05",
             "--backfill-only"], cwd=REPO, capture_output=True, text=True, timeout=60,
            env={**os.environ, "PYTHONPATH": str(REPO), "SCC_HUB_TOKEN": hub.tokens["admin"]})
        assert env_run.returncode == 0, env_run.stderr
        # The old form still works, with a word about ps.
        old = _cli("--hub", hub.url, "--token", hub.tokens["admin"], "--backfill-days", "0.05", "--backfill-only")
        assert old.returncode == 0, old.stderr
        assert "--token shows in the process list" in old.stderr and "--token-file" in old.stderr
    finally:
        hub.stop()
    missing = _cli("--hub", "http://127.0.0.1:9", "--token-file", str(tmp_path / "nope.token"), "--backfill-only",
                   "--backfill-days", "1")
    assert missing.returncode == 2 and "nope.token" in missing.stderr and "Traceback" not in missing.stderr
    nothing = _cli("--dry-run", "--backfill-only")
    assert nothing.returncode == 2 and "--backfill-days" in nothing.stderr
