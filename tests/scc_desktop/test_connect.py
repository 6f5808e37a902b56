"""Setting up from the command line remembers the hub: ``connect`` saves it, later starts sync with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from models.replica.store import Store
from scc_desktop import hub_access
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    hub = start_hub(tmp_path_factory.mktemp("hub"))
    yield hub
    hub.stop()


@pytest.fixture
def replica(tmp_path):
    path = tmp_path / "scc.db"
    fresh_replica(path, PASS, kdf=FAST_KDF).close()
    return path


def _settings(home):
    return json.loads((home / "config" / "scc-desktop" / "settings.json").read_text())


def test_connect_saves_the_hub_and_a_plain_sync_then_uses_it(hub, replica, tmp_path):
    token_file = tmp_path / "room.token"
    token_file.write_text(hub.tokens["room_lead"] + "\n")
    done = run("connect", "--hub", hub.url, "--token-file", str(token_file), "--path", str(replica),
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert hub.url in done.stdout
    saved = _settings(tmp_path)
    assert saved["hub_url"] == hub.url and saved["replica"] == str(replica)
    assert hub.tokens["room_lead"] not in json.dumps(saved)
    with Store.unlock(replica, PASS) as store:
        assert hub_access.load_token(store) == hub.tokens["room_lead"]
    # Later: no --hub, no token in the environment, no --path: the saved ones.
    synced = run("sync", "--once", env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert json.loads(synced.stdout)["position"] == 6   # the hub's organisations
    said = json.loads(synced.stdout)["hub_escalation"]   # a hub started without --escalation says so
    assert (said["told"], said["email"]) == (True, "off") and "--escalation" in said["reason"]


def test_connect_tests_the_hub_first_and_names_the_address_and_reason(hub, replica, tmp_path):
    token_file = tmp_path / "room.token"
    token_file.write_text(hub.tokens["room_lead"])
    typo = "http://127.0.0.1:9"
    done = run("connect", "--hub", typo, "--token-file", str(token_file), "--path", str(replica),
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 1 and typo in done.stderr and "refused" in done.stderr, done.stderr
    assert not (tmp_path / "config" / "scc-desktop" / "settings.json").exists()
    bad = run("connect", "--hub", hub.url, "--path", str(replica),
              env_extra={"SCC_PASSPHRASE": PASS, "SCC_HUB_TOKEN": "scc_not_a_token"}, home=tmp_path)
    assert bad.returncode == 1 and "refused the access token" in bad.stderr and hub.url in bad.stderr
    # Set up before the hub is up: --no-check saves it anyway.
    offline = run("connect", "--hub", typo, "--token-file", str(token_file), "--path", str(replica),
                  "--no-check", env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert offline.returncode == 0, offline.stderr
    assert _settings(tmp_path)["hub_url"] == typo


def test_sync_without_once_runs_until_ctrl_c(hub, replica, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"), SCC_PASSPHRASE=PASS,
               SCC_HUB_TOKEN=hub.tokens["room_lead"], PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", "sync", "--hub", hub.url, "--path", str(replica)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        first = proc.stdout.readline()
        assert "applied 6" in first and "position 6" in first, first
        proc.send_signal(signal.SIGINT)
        code = proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, proc.stderr.read()
    assert "Traceback" not in proc.stderr.read()
