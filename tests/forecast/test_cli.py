"""``scc-desktop forecast backtest``: the JSON the issue defines, and bad input refused in one line
naming the field and the reason (exit 2), never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import resources
from scc_desktop import cli

ROOT = Path(__file__).resolve().parents[2]
ENGLAND = resources.path("data", "sitrep_daily_england_winter.csv")
TRUSTS = resources.path("data", "sitrep_daily_trust_forecast.csv")


def _run(capsys, *argv):
    code = cli.main(["forecast", "backtest", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_json_is_exactly_the_issues_shape(capsys):
    code, out, err = _run(capsys, "--csv", TRUSTS, "--series", "ambulance_arrivals", "--org", "RX1",
                          "--horizon", "3", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc) == ["series", "org", "origins", "horizons"]
    assert doc["series"] == "ambulance_arrivals" and doc["org"] == "RX1" and doc["origins"] > 60
    assert [h["h"] for h in doc["horizons"]] == [1, 2, 3]
    for h in doc["horizons"]:
        assert list(h) == ["h", "mae", "mae_seasonal_naive", "mase", "coverage_80"]
        assert h["mase"] == pytest.approx(h["mae"] / h["mae_seasonal_naive"], rel=1e-3)
        assert 0 <= h["coverage_80"] <= 1


def test_the_installed_command_runs_on_a_copy_of_the_england_file(tmp_path):
    """A real process on a file outside the project, as a user would run it (README example)."""
    copy = tmp_path / "england.csv"
    copy.write_bytes(ENGLAND.read_bytes())
    done = subprocess.run([sys.executable, "-m", "scc_desktop.cli", "forecast", "backtest", "--csv", str(copy),
                           "--series", "ga_beds_occupied", "--json"], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["org"] is None and len(doc["horizons"]) == 7 and doc["origins"] > 150


def test_england_with_the_trusts_as_its_pool(capsys):
    """--pool: the trusts help choose England's weights (the shipped tables' England figures)."""
    from models.forecast.backtest import backtest
    from models.forecast.series import read_csv

    code, out, err = _run(capsys, "--csv", ENGLAND, "--series", "handover_delays_30_60_min", "--pool", TRUSTS, "--json")
    assert code == 0, err
    doc = json.loads(out)
    want = backtest(read_csv(ENGLAND, "handover_delays_30_60_min"),
                    pool=read_csv(TRUSTS, "handover_delays_30_60_min", all_orgs=True))[0].as_json()
    assert doc == want and doc["org"] is None
    code, _, err = _run(capsys, "--csv", ENGLAND, "--series", "ambulance_arrivals", "--pool", ENGLAND.parent / "none.csv")
    assert code == 2 and err.startswith("scc-desktop: csv: cannot read"), err


def _csv(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = "date,winter,org_code,ambulance_arrivals\n" + "".join(
    f"2017-12-{d:02d},2017-18,RX1,{100 + d}\n" for d in range(1, 31))


@pytest.mark.parametrize("text, args, expected", [
    (None, ["--series", "ambulance_arrivals"], "csv: cannot read"),
    ("", ["--series", "ambulance_arrivals"], "csv: "),
    ("day,ambulance_arrivals\n2017-12-01,3\n", ["--series", "ambulance_arrivals"], "date: "),
    (GOOD, ["--series", "arrivals"], "series: "),
    (GOOD, ["--series", "org_code"], "series: "),
    (GOOD.replace("2017-12-05", "05/12/2017"), ["--series", "ambulance_arrivals"], "date: row 6: '05/12/2017'"),
    (GOOD.replace(",105\n", ",lots\n"), ["--series", "ambulance_arrivals"], "ambulance_arrivals: row 6: 'lots'"),
    (GOOD.replace(",105\n", ",-5\n"), ["--series", "ambulance_arrivals"],
     "ambulance_arrivals: row 6: '-5' is negative"),
    (GOOD + "2017-12-03,2017-18,RX1,9\n", ["--series", "ambulance_arrivals"], "date: row 32: 2017-12-03 appears twice"),
    (GOOD.replace("2017-12-07,2017-18,RX1,107", "2017-12-07,2017-18,RX1"), ["--series", "ambulance_arrivals"],
     "csv: row 8 has 3 fields"),
    (GOOD + "2017-12-01,2017-18,RK5,9\n", ["--series", "ambulance_arrivals"], "org: "),
    (GOOD, ["--series", "ambulance_arrivals", "--org", "RK5"], "org: "),
    (GOOD, ["--series", "ambulance_arrivals", "--horizon", "0"], "horizon: '0'"),
    (GOOD, ["--series", "ambulance_arrivals", "--horizon", "week"], "horizon: 'week'"),
    (GOOD.replace("org_code,", "").replace("RX1,", ""), ["--series", "ambulance_arrivals", "--org", "RX1"], "org: "),
    (GOOD.splitlines()[0] + "\n" + "".join(line + "\n" for line in GOOD.splitlines()[1:15]),
     ["--series", "ambulance_arrivals"], "series: ambulance_arrivals has too little history"),
    ("date,winter,org_code,ambulance_arrivals\n", ["--series", "ambulance_arrivals"], "csv: "),
    ("\udcff", ["--series", "ambulance_arrivals"], "csv: "),
])
def test_bad_input_is_one_line_naming_the_field(tmp_path, capsys, text, args, expected):
    if text is None:
        path = tmp_path / "missing.csv"
    elif text == "\udcff":
        path = tmp_path / "in.csv"
        path.write_bytes(b"date,ambulance_arrivals\n\xff\xfe,1\n")
    else:
        path = _csv(tmp_path, text)
    code, out, err = _run(capsys, "--csv", path, *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert err.startswith("scc-desktop: " + expected), err
