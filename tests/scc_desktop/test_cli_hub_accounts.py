"""``scc-desktop hub account create --org`` and ``hub token create --org``: the organisation must be one the hub has.

Found in a walkthrough (session 24, an operator on PostgreSQL): ``--org ZZZ`` (a typo) made the
account, and the provider's login landed on "Organisation not known" with nothing to submit; a
lower-case ``--org rk5`` was stored as typed, which the form does not find either.  Real hub
database (SQLite file), the command line in this process.
"""

from __future__ import annotations

import io
import json

import pytest

from scc_desktop.cli import main

PASSWORD = "a long enough password 2026"


@pytest.fixture
def hub_db(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    assert main(["hub", "org", "add", "RK5", "--db", url, "--create", "--name", "Sherwood Forest Hospitals",
                 "--sector", "acute"]) == 0
    assert main(["hub", "org", "add", "RXOLD", "--db", url, "--name", "A Closed Trust", "--sector", "acute",
                 "--inactive"]) == 0
    capsys.readouterr()
    return url


def create(monkeypatch, capsys, url, *args):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    code = main(["hub", "account", "create", "--db", url, *args])
    return code, capsys.readouterr().err


def accounts(url, capsys):
    assert main(["hub", "account", "list", "--db", url]) == 0
    return {a["user_name"]: a for a in map(json.loads, capsys.readouterr().out.splitlines())}


def test_an_organisation_the_hub_does_not_have_is_refused(hub_db, monkeypatch, capsys):
    code, err = create(monkeypatch, capsys, hub_db, "--user", "typo.bm", "--role", "provider_submitter",
                       "--org", "ZZZ")
    assert code == 2
    assert "--org ZZZ: the organisation is not known to this hub" in err and "hub org list" in err
    code, err = create(monkeypatch, capsys, hub_db, "--user", "old.bm", "--role", "provider_submitter",
                       "--org", "RXOLD")
    assert code == 2 and "--org RXOLD: the organisation is inactive" in err
    assert accounts(hub_db, capsys) == {}


def test_a_known_organisation_is_kept_as_the_hub_spells_it(hub_db, monkeypatch, capsys):
    code, err = create(monkeypatch, capsys, hub_db, "--user", "sherwood.bm", "--role", "provider_submitter",
                       "--org", " rk5 ")
    assert code == 0, err
    assert accounts(hub_db, capsys)["sherwood.bm"]["org_code"] == "RK5"


def test_an_account_without_an_organisation_is_unchanged(hub_db, monkeypatch, capsys):
    code, err = create(monkeypatch, capsys, hub_db, "--user", "asha.patel", "--role", "director_on_call")
    assert code == 0, err
    assert accounts(hub_db, capsys)["asha.patel"]["org_code"] is None


def test_a_provider_token_takes_the_same_check(hub_db, capsys, tmp_path):
    code = main(["hub", "token", "create", "--db", hub_db, "--user", "feed", "--role", "provider_submitter",
                 "--org", "ZZZ", "--out", str(tmp_path / "zzz.token")])
    assert code == 2 and "--org ZZZ: the organisation is not known to this hub" in capsys.readouterr().err
    assert not (tmp_path / "zzz.token").exists()
    code = main(["hub", "token", "create", "--db", hub_db, "--user", "feed", "--role", "provider_submitter",
                 "--org", "rk5", "--out", str(tmp_path / "rk5.token")])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    assert main(["hub", "token", "list", "--db", hub_db]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["org_code"] for t in listed if t["user_name"] == "feed"] == ["RK5"]
