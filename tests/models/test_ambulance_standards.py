from __future__ import annotations

import datetime as dt
import math
import tomllib

import pytest

import resources
from models.rules.ambulance_standards import assess, financial_year, load_standards
from models.rules.tabledata import TableError

STANDARDS_FILE = resources.path("ambulance", "standards.toml")


@pytest.fixture(scope="module")
def standards():
    return load_standards()


def test_file_header_and_values(standards):
    assert standards.header.verified is False and standards.header.edition
    got = {(s.category, s.statistic, s.kind): s.target_minutes for s in standards.standards}
    assert got == {
        ("C1", "mean", "constitutional"): 7, ("C1", "p90", "constitutional"): 15,
        ("C2", "mean", "constitutional"): 18, ("C2", "p90", "constitutional"): 40,
        ("C2", "mean", "ambition"): 30,
        ("C3", "p90", "constitutional"): 120, ("C4", "p90", "constitutional"): 180,
    }


def each_standard():
    data = tomllib.loads(STANDARDS_FILE.read_text())
    return [pytest.param(s, id=f"{s['category']}-{s['statistic']}-{s['kind']}") for s in data["standards"]]


@pytest.mark.parametrize("std", each_standard())
def test_met_exactly_at_target_not_met_just_above(std, standards):
    target = std["target_minutes"]
    for actual, met in ((target, True), (math.nextafter(target, 0), True), (math.nextafter(target, math.inf), False)):
        args = {"mean_minutes": None, "p90_minutes": None}
        args["mean_minutes" if std["statistic"] == "mean" else "p90_minutes"] = actual
        results = assess(std["category"], standards=standards, **args)
        (r,) = [r for r in results if r.statistic == std["statistic"] and r.kind == std["kind"]]
        assert r.met is met and r.actual_minutes == actual and r.target_minutes == target
        assert r.ratio == pytest.approx(actual / target)


def test_c2_shows_constitutional_standard_and_ambition(standards):
    results = assess("C2", 25, 45, standards=standards)
    summary = [(r.statistic, r.kind, r.target_minutes, r.met) for r in results]
    assert summary == [("mean", "constitutional", 18, False), ("p90", "constitutional", 40, False),
                       ("mean", "ambition", 30, True)]
    ambition = results[-1]
    assert ambition.period == "2023/24 to 2025/26" and "ambition" in ambition.name


def test_ambition_in_force_dates_are_inclusive(standards):
    kinds = lambda on: [r.kind for r in assess("C2", 20, 30, standards=standards, on=on)]  # noqa: E731
    assert "ambition" in kinds(dt.date(2023, 4, 1))   # the 30-minute ambition applied from 2023/24
    assert "ambition" in kinds(dt.date(2026, 3, 31))
    assert "ambition" not in kinds(dt.date(2026, 4, 1))
    assert "ambition" not in kinds(dt.date(2023, 3, 31))
    assert kinds(dt.date(2030, 1, 1)) == ["constitutional", "constitutional"]


def test_missing_figure_gives_unknown_not_met(standards):
    (mean, p90) = assess("C1", 6.5, None, standards=standards)
    assert mean.met is True and p90.met is None and p90.actual_minutes is None and p90.ratio is None


@pytest.mark.parametrize("category", ["C3", "c3", "3", 3, "Category 3"])
def test_category_spellings(category, standards):
    (r,) = assess(category, None, 121, standards=standards)
    assert r.category == "C3" and r.met is False


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "7", True])
def test_invalid_minutes_raise(bad, standards):
    with pytest.raises(ValueError, match="mean_minutes must be a number of minutes"):
        assess("C1", bad, None, standards=standards)


def test_unknown_category(standards):
    with pytest.raises(ValueError, match="unknown ambulance category 'C5'"):
        assess("C5", 1, 1, standards=standards)


def test_reap_level_names(standards):
    assert [standards.reap_name(i) for i in (1, 2, 3, 4)] == [
        "Steady state", "Moderate pressure", "Severe pressure", "Extreme pressure"]
    with pytest.raises(ValueError, match="REAP level must be one of"):
        standards.reap_name(5)


def test_edited_file_changes_targets(tmp_path):
    path = tmp_path / "standards.toml"
    path.write_text(STANDARDS_FILE.read_text().replace("target_minutes = 7\n", "target_minutes = 8\n"))
    (mean, _) = assess("C1", 7.5, 14, standards=load_standards(path))
    assert mean.target_minutes == 8 and mean.met is True


def test_bad_file_lists_every_problem(tmp_path):
    text = STANDARDS_FILE.read_text()
    text = text.replace('statistic = "p90"\nkind = "constitutional"\ntarget_minutes = 15',
                        'statistic = "p95"\nkind = "constitutional"\ntarget_minutes = -15')
    text = text.replace('period = "2023/24 to 2025/26"\n', "")
    text = text.replace('category = "C4"\nstatistic', 'category = "C9"\nstatistic')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(TableError) as info:
        load_standards(path)
    reasons = [p.reason for p in info.value.problems]
    assert "statistic must be one of mean, p90, got 'p95'" in reasons
    assert "target_minutes must be above 0, got -15" in reasons
    assert "missing field 'period'" in reasons
    assert "category 'C9' is not listed in [[categories]]" in reasons
    assert len(reasons) == 4


def test_a_lapsed_ambition_says_the_current_years_figure_is_needed(standards):
    assert standards.lapsed(dt.date(2026, 3, 31)) == ()
    (sentence,) = standards.lapsed(dt.date(2026, 12, 3))
    assert "C2 mean ambition of 30 min" in sentence and "ran to 31/03/2026" in sentence
    assert "no interim target is set for 2026/27" in sentence and "standards file" not in sentence
    assert "2027/28" in standards.lapsed(dt.date(2027, 4, 1))[0]


def test_a_later_years_ambition_in_the_file_is_not_reported_missing(tmp_path):
    text = resources.path("ambulance", "standards.toml").read_text()
    text += ('\n[[standards]]\ncategory = "C2"\nstatistic = "mean"\nkind = "ambition"\ntarget_minutes = 28\n'
             'period = "2026/27"\nvalid_from = 2026-04-01\nvalid_until = 2027-03-31\n')
    path = tmp_path / "standards.toml"
    path.write_text(text)
    assert load_standards(path).lapsed(dt.date(2026, 12, 3)) == ()


@pytest.mark.parametrize("on, year", [(dt.date(2026, 3, 31), "2025/26"), (dt.date(2026, 4, 1), "2026/27"),
                                      (dt.date(2099, 12, 31), "2099/00")])
def test_financial_years_run_from_april(on, year):
    assert financial_year(on) == year
