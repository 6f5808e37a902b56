"""A report from a replica whose hub has stopped: built from the replica alone, with the figures
the desktop last synced and the time of that sync."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.replica.store import Store
from scc_desktop.cli import main
from tests.models.conftest import PASSPHRASE
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop, observation, submit  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES


def test_a_brief_from_a_replica_with_the_hub_stopped(sqlite_hub, make_desktop, tmp_path, cli_env, capsys):  # noqa: F811
    submit(sqlite_hub, [observation(key, value, minutes_ago=5) for key, value in ACUTE_VALUES.items()])
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    path = desk.store.path
    desk.store.close()
    sqlite_hub.stop()   # the hub is gone: nothing a report does may need it

    at = (datetime.now(timezone.utc) + timedelta(seconds=1)).replace(microsecond=0)
    code = main(["report", "brief", "--path", str(path), "--out", str(tmp_path / "out"), "--at", at.isoformat()])
    out, err = capsys.readouterr()
    assert code == 0, err
    [json_file] = (tmp_path / "out").glob("brief-2*.json")   # beside brief-latest.json
    text = json_file.read_text()
    assert "Test Acute Trust One" in text   # the provider the hub scored, as last synced
    with Store.unlock(path, PASSPHRASE) as store:
        from models.service import reports
        report = reports.build(store, "brief", at)
    assert report.last_sync_at is not None and report.last_sync_at <= at
    assert report.table("worst_sites").rows[0][0] == "Test Acute Trust One"
