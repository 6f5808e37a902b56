"""``scc-desktop forecast week`` as a user runs it: a real process on a real encrypted replica with six
weeks of the simulator's history for one site (and one that joined two days before the data ends)."""

from __future__ import annotations

import json

import pytest

from tests.forecast import intraday_world
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica

ENV = {"SCC_PASSPHRASE": PASS}


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    folder = tmp_path_factory.mktemp("week-cli")
    with fresh_replica(folder / "scc.db", PASS, kdf=FAST_KDF) as store:
        codes = intraday_world.build(store, sites=1, days=35)
    return folder, codes


def test_json_gives_the_system_first_with_seven_days_and_says_how_old_the_data_is(replica):
    folder, codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--json", env_extra=ENV, home=folder)
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert page["origin"] == "2026-01-11" and page["data_to"].startswith("2026-01-12T09:30")
    assert page["stale_days"] > 0        # the world's data ends in January; the clock is today's
    assert [p["code"] for p in page["places"]][0] == "system"
    system = {s["key"]: s for s in page["places"][0]["series"]}
    arrivals = system["ambulance_arrivals"]
    assert arrivals["reason"] is None and len(arrivals["days"]) == 7
    assert arrivals["record"] is None or 0 < arrivals["record"]["mase"] < 3
    assert arrivals["days"][0]["day"] == "2026-01-12"
    assert all(d["low"] <= d["value"] <= d["high"] for d in arrivals["days"])
    assert [x["code"] for x in page["places"][0]["left_out"]] == [intraday_world.NEW_SITE]
    new = next(p for p in page["places"] if p["code"] == intraday_world.NEW_SITE)
    assert all(s["days"] == [] and s["reason"].startswith("too little history") for s in new["series"])


def test_text_names_the_measures_and_warns_that_the_data_is_old(replica):
    folder, codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--site", codes[0], env_extra=ENV, home=folder)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "from data to Sun 11 Jan 2026" in out
    assert "WARNING: built on data" in out and "days old" in out
    assert "Ambulance arrivals:" in out and "G&A bed occupancy:" in out and "(80%: " in out
    assert "than the same day last week" in out or "not yet judged" in out
    assert "Mon 12 Jan 2026" in out
    assert "System (" not in out      # --site: that site only


def test_an_unknown_site_is_refused_naming_the_field(replica):
    folder, _codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--site", "NOPE", env_extra=ENV, home=folder)
    assert done.returncode == 2
    assert "site: 'NOPE' is not an acute site" in done.stderr and "Traceback" not in done.stderr


def test_an_empty_replica_says_there_is_nothing_to_forecast_from(tmp_path):
    with fresh_replica(tmp_path / "scc.db", PASS, kdf=FAST_KDF):
        pass
    done = run("forecast", "week", "--path", str(tmp_path / "scc.db"), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No data to forecast from" in done.stdout
