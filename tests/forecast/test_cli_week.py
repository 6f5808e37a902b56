"""``scc-desktop forecast week`` as a user runs it: a real process on a real encrypted replica with eight
weeks of the simulator's history for one site (and one that joined two days before the data ends): enough
for a forecast as at 5 January too, after the holidays, whose week runs from one-digit days to two."""

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
        codes = intraday_world.build(store, sites=1, days=56)
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


def test_as_at_a_live_morning_json_gives_todays_counts_so_far_beside_todays_forecast(replica):
    """--at the world's Monday 09:40 (its feed live): each count's figure so far today is the door's, labelled
    with the time counted to; occupancy has none."""
    from datetime import datetime, timezone

    from models.replica.store import Store
    from models.service import week_ahead as door
    from tests.forecast.intraday_world import NOW

    folder, codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--at", "2026-01-12T09:40", "--json",
               env_extra=ENV, home=folder)
    assert done.returncode == 0, done.stderr
    page = json.loads(done.stdout)
    assert page["stale_days"] == 0 and page["so_far_to"] == "2026-01-12T09:40:00+00:00"
    with Store.unlock(folder / "scc.db", PASS) as store:
        expected = door.week_ahead(store, NOW)
    assert expected.now == datetime(2026, 1, 12, 9, 40, tzinfo=timezone.utc)
    for p in page["places"]:
        for s in p["series"]:
            want = expected.places[p["code"]].series[s["key"]]
            if want.so_far is None:
                assert s["so_far_today"] is None
                continue
            assert s["so_far_today"] == {"day": "2026-01-12", "to": "2026-01-12T09:40:00+00:00",
                                         "value": round(want.so_far), "standing": door.standing(want) or None,
                                         "above_range": want.above_range}
    site = next(p for p in page["places"] if p["code"] == codes[0])
    series = {s["key"]: s for s in site["series"]}
    assert series["ga_bed_occupancy_pct"]["so_far_today"] is None
    assert series["ambulance_arrivals"]["so_far_today"]["value"] > 5


def test_text_lines_up_one_and_two_digit_days_and_puts_the_count_so_far_on_todays_line(replica):
    """As at Monday 5 January 12:00 the week runs Mon 5 to Sun 11 Jan: the figures stand in one column
    whatever the day's digits (the walkthrough saw 'Thu 10 Dec 2026      595' out of line)."""
    folder, codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--site", codes[0], "--at", "05/01/2026 12:00",
               env_extra=ENV, home=folder)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith("    ") and " Jan 2026 " in line]
    assert len(lines) == 4 * 7
    assert {line.index("(80%: ") for line in lines} == {line.index("(80%: ") for line in lines[:1]}
    assert {len(line.split("(80%: ")[0]) for line in lines} == {len(lines[0].split("(80%: ")[0])}
    days = [line.split()[1] for line in lines[:7]]
    assert days == ["5", "6", "7", "8", "9", "10", "11"]
    today = [line for line in lines if line.lstrip().startswith("Mon 5 Jan 2026")]
    counts, occupancy = today[:3], today[3]
    assert all("so far today (to 12:00): " in line for line in counts)
    assert "so far today" not in occupancy and "%" in occupancy
    assert "learned from the last 7 weeks the replica holds (up to 12 weeks are used)" in done.stdout


def test_a_bad_at_is_refused_naming_the_option(replica):
    folder, _codes = replica
    done = run("forecast", "week", "--path", str(folder / "scc.db"), "--at", "yesterday", env_extra=ENV, home=folder)
    assert done.returncode == 2 and "--at: 'yesterday' is not a time" in done.stderr
    assert "Traceback" not in done.stderr
