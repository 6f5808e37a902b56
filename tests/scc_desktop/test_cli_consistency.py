"""The command line as the README shows it: options where a user puts them, ids as a user copies them,
times as a UK rota writes them, examples that run as printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from models.replica.orm import AlertEvent, OnCallShift
from models.replica.orm.types import utcnow
from models.replica.store import Store
from models.uk_time import parse_uk_time
from scc_desktop import cli
from sync import authoring
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS
from tests.support.replica import fresh_replica

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def replica(tmp_path, monkeypatch):
    monkeypatch.setenv("SCC_PASSPHRASE", PASS)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        authoring.upsert_contact(store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
        for n in range(20):   # 20 alerts: two share a first character, whatever the uuids
            authoring.add_action(store, description=f"Ring site {n}", owner="Room support", author="Lead",
                                 due_at=utcnow() - timedelta(minutes=30))
    return path


@pytest.mark.parametrize("before, after", [
    (["db", "--path", "X", "info"], ["db", "info", "--path", "X"]),
    (["records", "--path", "X", "alerts"], ["records", "alerts", "--path", "X"]),
    (["contacts", "--path", "X", "search", "ada"], ["contacts", "search", "ada", "--path", "X"]),
    (["export", "--path", "X", "records", "--from", "2026-01-01", "--to", "2026-01-02", "--out", "o"],
     ["export", "records", "--from", "2026-01-01", "--to", "2026-01-02", "--out", "o", "--path", "X"]),
])
def test_path_goes_before_or_after_the_action(before, after):
    parser = cli.build_parser()
    assert str(parser.parse_args(before).path) == "X" and str(parser.parse_args(after).path) == "X"
    assert parser.parse_args([a for a in before if a not in ("--path", "X")]).path is None


def test_path_before_the_action_reaches_the_replica(replica, capsys):
    assert cli.main(["contacts", "--path", str(replica), "search", "ada"]) == 0
    assert "Dr Ada Director" in capsys.readouterr().out
    assert cli.main(["records", "--path", str(replica), "alerts"]) == 0
    assert "Ring site 0" in capsys.readouterr().out


def test_ack_takes_a_unique_prefix_and_lists_the_candidates_of_an_ambiguous_one(replica, capsys):
    assert cli.main(["records", "alerts", "--path", str(replica)]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert len(ids) == 20
    firsts = [i[0] for i in ids]
    shared = next(c for c in firsts if firsts.count(c) > 1)
    candidates = sorted(i for i in ids if i.startswith(shared))
    assert cli.main(["records", "ack", shared, "--by", "Sam", "--path", str(replica)]) == 2
    err = capsys.readouterr().err
    assert f"{shared!r} matches {len(candidates)} alerts" in err and all(c in err for c in candidates)
    unique = next(i for i in ids if firsts.count(i[0]) == 1) if any(firsts.count(c) == 1 for c in firsts) \
        else candidates[0]
    prefix = next(unique[:n] for n in range(1, 37) if sum(i.startswith(unique[:n]) for i in ids) == 1)
    assert cli.main(["records", "ack", prefix, "--by", "Sam", "--path", str(replica)]) == 0
    assert f"Acknowledged {unique} as Sam." in capsys.readouterr().out
    with Store.unlock(replica, PASS) as store, store.session() as s:
        assert s.get(AlertEvent, unique).acknowledged_by == "Sam"


def test_uk_day_first_times_are_uk_local_time():
    assert parse_uk_time("12/01/2026 08:00") == datetime(2026, 1, 12, 8, tzinfo=timezone.utc)
    assert parse_uk_time("01/07/2026 08:30").astimezone(timezone.utc) == datetime(2026, 7, 1, 7, 30,
                                                                                   tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="13/13/2026 08:00"):
        parse_uk_time("13/13/2026 08:00")
    with pytest.raises(ValueError, match="happens twice"):
        parse_uk_time("25/10/2026 01:30")


def test_rota_import_reads_uk_dates(replica, tmp_path, capsys):
    rota = tmp_path / "rota.csv"
    rota.write_text("rota,starts_at,ends_at,name\n"
                    "Director on-call,12/01/2026 08:00,12/01/2026 20:00,Dr Ada Director\n"
                    "Director on-call,01/07/2026 08:00,01/07/2026 20:00,Dr Ada Director\n")
    assert cli.main(["contacts", "rota-import", str(rota), "--author", "Lead", "--path", str(replica)]) == 0
    assert "2 rota slot(s) added" in capsys.readouterr().out
    with Store.unlock(replica, PASS) as store, store.session() as s:
        starts = sorted(x.starts_at.replace(tzinfo=timezone.utc) for x in s.scalars(select(OnCallShift)))
    assert starts == [datetime(2026, 1, 12, 8, tzinfo=timezone.utc), datetime(2026, 7, 1, 7, tzinfo=timezone.utc)]


def test_the_readme_opel_example_runs_as_printed(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```sh\n(.*?)```", readme, re.S) if "opel score" in b)
    assert "..." not in block
    script = f'scc-desktop() {{ "{sys.executable}" -m scc_desktop "$@"; }}\n' + block.replace(
        "scc-desktop opel check-table my-acute-table.toml", "")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["complete"] and result["level"] in (1, 2, 3, 4)
