"""``scc-desktop db`` as a user runs it: a real process, a real encrypted file."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PASS = "room lead passphrase"


def run(*args, env_extra=None, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCC_")}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                "XDG_CONFIG_HOME": str(home / "config"), "PYTHON_KEYRING_BACKEND":
                "keyring.backends.fail.Keyring"})
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "scc_desktop", *args], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def _init(folder):
    path = folder / "r" / "scc.db"
    done = run("db", "--path", str(path), "init", env_extra={"SCC_PASSPHRASE": PASS}, home=folder)
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def replica(tmp_path):
    return _init(tmp_path)


@pytest.fixture(scope="module")
def read_only_replica(tmp_path_factory):
    """One ``db init`` (a real process, full-strength KDF) for the tests that only open it."""
    return _init(tmp_path_factory.mktemp("cli-db"))


def test_init_then_info_reports_cipher_kdf_and_schema(read_only_replica, tmp_path):
    done = run("db", "--path", str(read_only_replica), "info", env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["kdf"]["name"] == "scrypt" and info["kdf"]["n"] >= 2**17
    assert "salt" not in info["kdf"]
    assert info["schema"] and info["rows"]["observation"] == 0


def test_wrong_passphrase_exits_3_with_one_clear_line(read_only_replica, tmp_path):
    done = run("db", "--path", str(read_only_replica), "info", env_extra={"SCC_PASSPHRASE": "nope nope"},
               home=tmp_path)
    assert done.returncode == 3
    assert "passphrase is not correct" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_no_passphrase_when_not_interactive_is_a_usage_error(read_only_replica, tmp_path):
    done = run("db", "--path", str(read_only_replica), "info", home=tmp_path)
    assert done.returncode == 2 and "SCC_PASSPHRASE" in done.stderr


def test_passwd_changes_which_passphrase_opens(replica, tmp_path):
    new = "a different passphrase"
    done = run("db", "--path", str(replica), "passwd",
               env_extra={"SCC_PASSPHRASE": PASS, "SCC_NEW_PASSPHRASE": new}, home=tmp_path)
    assert done.returncode == 0, done.stderr
    old = run("db", "--path", str(replica), "check", env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert old.returncode == 3
    ok = run("db", "--path", str(replica), "check", env_extra={"SCC_PASSPHRASE": new}, home=tmp_path)
    assert ok.returncode == 0 and "Integrity check passed" in ok.stdout


def test_short_new_passphrase_is_refused(tmp_path):
    done = run("db", "--path", str(tmp_path / "x.db"), "init", env_extra={"SCC_PASSPHRASE": "short"},
               home=tmp_path)
    assert done.returncode == 2 and "at least 8 characters" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_missing_replica_is_named(tmp_path):
    done = run("db", "--path", str(tmp_path / "none.db"), "info",
               env_extra={"SCC_PASSPHRASE": PASS}, home=tmp_path)
    assert done.returncode == 1 and "none.db" in done.stderr and "db init" in done.stderr


def test_remember_without_a_keyring_says_so(read_only_replica, tmp_path):
    done = run("db", "--path", str(read_only_replica), "remember", env_extra={"SCC_PASSPHRASE": PASS},
               home=tmp_path)
    assert done.returncode == 1
    assert "keyring" in done.stderr and "passphrase is still needed" in done.stderr
