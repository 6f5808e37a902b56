"""Hub management commands and the hub's own file: no silent new database, nothing world-readable."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from scc_desktop.cli import main


def _hub(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["hub", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("argv", [
    ("token", "create", "--user", "Room lead", "--role", "room_lead"),
    ("token", "list",),
    ("org", "list",),
])
def test_a_mistyped_db_is_refused_naming_the_path_and_nothing_is_made(tmp_path, capsys, argv):
    typo = tmp_path / "hbu.db"
    code, out, err = _hub(capsys, *argv, "--db", f"sqlite:///{typo}")
    assert code == 1 and not out
    assert str(typo) in err and "--create" in err and "Traceback" not in err
    assert not typo.exists()


def test_the_default_db_is_refused_when_missing_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SCC_HUB_DB", raising=False)
    code, _, err = _hub(capsys, "token", "create", "--user", "x", "--role", "room_lead")
    assert code == 1 and "hub.db" in err and "does not exist" in err
    assert not list((tmp_path).rglob("hub.db"))


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX mode bits")
def test_create_makes_the_hub_database_readable_by_its_owner_only(tmp_path, capsys):
    db = tmp_path / "hub.db"
    old = os.umask(0o022)   # a usual desktop umask: new files world-readable
    try:
        code, out, err = _hub(capsys, "token", "create", "--create", "--db", f"sqlite:///{db}",
                              "--user", "Room lead", "--role", "room_lead")
    finally:
        os.umask(old)
    assert code == 0, err
    assert out.strip().startswith("scc_")
    for path in [db, *tmp_path.glob("hub.db-*")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # Now that it exists, later commands take it without --create.
    code, out, _ = _hub(capsys, "token", "list", "--db", f"sqlite:///{db}")
    assert code == 0 and "Room lead" in out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX mode bits")
def test_token_create_out_writes_the_token_to_an_owner_only_file(tmp_path, capsys):
    db, out = tmp_path / "hub.db", tmp_path / "room.token"
    old = os.umask(0o022)
    try:
        code, printed, err = _hub(capsys, "token", "create", "--create", "--db", f"sqlite:///{db}",
                                  "--user", "Room lead", "--role", "room_lead", "--out", str(out))
    finally:
        os.umask(old)
    assert code == 0, err
    token = out.read_text().strip()
    assert token.startswith("scc_") and token not in printed and token not in err
    assert str(out) in err and stat.S_IMODE(out.stat().st_mode) == 0o600
    code, _, err = _hub(capsys, "token", "create", "--db", f"sqlite:///{db}", "--user", "x",
                        "--role", "room_lead", "--out", str(out))
    assert code == 1 and "already exists" in err and out.read_text().strip() == token
