"""``scc-desktop hub`` commands against a running hub's database.

Token and organisation commands run through ``scc_desktop.cli.main`` in this
process (the serving path is a real subprocess in every hub test, and below).
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest
import requests

from scc_desktop.cli import main
from sync.protocol import PROTOCOL_VERSION
from tests.support.hub import REPO
from tests.sync.hub.helpers import pull_all


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["hub", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_tokens_are_created_listed_and_revoked_from_the_command_line(hub, capsys):
    code, out, err = cli(capsys, "token", "create", "--db", hub.db_url, "--user", "night-lead", "--role", "room_lead")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("scc_") and "shown only now" in err
    assert hub.request("GET", "/v1/feed", token=token).status_code == 200
    listed = [json.loads(line) for line in cli(capsys, "token", "list", "--db", hub.db_url)[1].splitlines()]
    assert "night-lead" in {t["user_name"] for t in listed}
    assert all(token not in json.dumps(t) for t in listed)
    assert cli(capsys, "token", "revoke", "--db", hub.db_url, "--user", "night-lead")[0] == 0
    hub.refused_soon(token)   # the hub process trusts a token it has just checked for a second
    code, _, err = cli(capsys, "token", "create", "--db", hub.db_url, "--user", "x", "--role", "provider_submitter")
    assert code == 2 and "--org" in err


def test_organisations_are_added_and_imported_onto_the_feed(hub, capsys, tmp_path):
    code, _, err = cli(capsys, "org", "add", "RNEW1", "--db", hub.db_url, "--name", "New Community Trust",
                       "--sector", "community")
    assert code == 0, err
    good = tmp_path / "orgs.csv"
    good.write_text("ods_code,name,sector,size\nRNEW2,Second New Trust,acute,350\nRNEW1,New Community Trust,community,\n")
    code, out, _ = cli(capsys, "org", "import", str(good), "--db", hub.db_url)
    assert code == 0 and "1 added" in out and "1 unchanged" in out
    orgs = {i.data["ods_code"]: i.data for i in pull_all(hub) if i.kind == "organisation"}
    assert orgs["RNEW2"]["size"] == 350 and orgs["RNEW1"]["sector"] == "community"
    listed = [json.loads(line) for line in cli(capsys, "org", "list", "--db", hub.db_url)[1].splitlines()]
    assert {"RNEW1", "RNEW2", "RTEST1"} <= {o["ods_code"] for o in listed}
    bad = tmp_path / "bad.csv"
    bad.write_text("ods_code,name,sector\nRNEW3,Third,hospital\n")
    code, _, err = cli(capsys, "org", "import", str(bad), "--db", hub.db_url)
    assert code == 2 and "row 2" in err and "sector" in err


def test_serve_writes_a_bootstrap_admin_token_once(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'fresh.db'}"
    token_file = tmp_path / "admin.token"
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", "hub", "serve", "--db", db_url, "--port", "0",
                                 "--bootstrap-token-file", str(token_file), "--log-level", "warning"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline, url = time.monotonic() + 30, None
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            m = re.search(r"hub listening on (\S+)", log.read_text())
            url = m.group(1) if m else None
            time.sleep(0.05)
        assert url, log.read_text()
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        r = requests.get(url + "/v1/quarantine", timeout=10,
                         headers={"Authorization": f"Bearer {token}", "SCC-Protocol": PROTOCOL_VERSION})
        assert r.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
    from sync.hub import auth
    from sync.hub.db import HubDB
    db = HubDB(db_url)
    try:
        assert [t["role"] for t in auth.list_tokens(db)] == ["admin"]
    finally:
        db.dispose()
