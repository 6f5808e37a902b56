"""The validity window (period, valid_from, valid_until) reads the same in every table that has one:
the ambulance standards and the chart target lines share one parser in models.rules.tabledata."""

from __future__ import annotations

import datetime as dt

import pytest

import resources
from models.rules.ambulance_standards import load_standards
from models.rules.metric_targets import load_targets
from models.rules.tabledata import TableError

AMBITION_78 = ('period = "2025/26"\nvalid_from = 2025-04-01\nvalid_until = 2026-03-31\n')
AMBITION_C2 = ('period = "2023/24 to 2025/26"\nvalid_from = 2023-04-01\nvalid_until = 2026-03-31\n')
LOADERS = {"targets": (load_targets, ("metrics", "targets.toml"), AMBITION_78),
           "standards": (load_standards, ("ambulance", "standards.toml"), AMBITION_C2)}


def _problems(tmp_path, which, window):
    load, where, original = LOADERS[which]
    text = resources.path(*where).read_text()
    assert original in text
    path = tmp_path / f"{which}.toml"
    path.write_text(text.replace(original, window))
    with pytest.raises(TableError) as info:
        load(path)
    return [p.reason for p in info.value.problems]


@pytest.mark.parametrize("which", sorted(LOADERS))
def test_a_window_that_ends_before_it_starts_is_refused(tmp_path, which):
    reasons = _problems(tmp_path, which, 'period = "x"\nvalid_from = 2026-04-01\nvalid_until = 2025-03-31\n')
    assert reasons == ["valid_from 2026-04-01 is after valid_until 2025-03-31"]


@pytest.mark.parametrize("which", sorted(LOADERS))
def test_an_ambition_without_its_period_and_a_date_as_text_are_each_named(tmp_path, which):
    reasons = _problems(tmp_path, which, 'valid_from = "2025-04-01"\nvalid_until = 2026-03-31\n')
    assert reasons == ["missing field 'period'", "field 'valid_from' must be date, got '2025-04-01'"]


def test_both_tables_count_the_first_and_last_day_in_force():
    (c2,) = [s for s in load_standards().standards if s.kind == "ambition"]
    (t78,) = [t for t in load_targets().targets if t.kind == "ambition" and t.label == "78% ambition"]
    for entry in (c2, t78):
        assert entry.in_force(dt.date(2026, 3, 31)) and not entry.in_force(dt.date(2026, 4, 1))
    assert t78.in_force(dt.date(2025, 4, 1)) and not t78.in_force(dt.date(2025, 3, 31))
    assert [t.label for t in load_targets().lines("ed_four_hour_performance_pct", dt.date(2026, 12, 3))] == [
        "95% standard"]


@pytest.mark.parametrize("which", sorted(LOADERS))
def test_a_date_and_time_where_a_day_belongs_is_refused_not_compared_later(tmp_path, which):
    # A TOML date-time is a Python datetime, itself a date: it passed the check and then broke
    # in_force() (datetime <= date is a TypeError) when a chart or the standards were drawn.
    reasons = _problems(tmp_path, which, 'period = "x"\nvalid_from = 2025-04-01T00:00:00\nvalid_until = 2026-03-31\n')
    assert reasons == ["field 'valid_from' must be a day (YYYY-MM-DD) without a time, got 2025-04-01 00:00:00"]


def test_the_four_hour_ambition_is_named_as_lapsed_once_it_has_run_out_not_drawn():
    targets = load_targets()
    on = dt.date(2026, 12, 3)
    assert "78% ambition" not in [t.label for t in targets.lines("ed_four_hour_performance_pct", on)]
    (sentence,) = targets.lapsed("ed_four_hour_performance_pct", on)
    assert sentence.startswith("The 78% ambition (2025/26) ran to 31/03/2026") and "2026/27" in sentence
    assert targets.lapsed("ed_four_hour_performance_pct", dt.date(2026, 3, 31)) == ()


def test_the_response_charts_lines_are_the_ambulance_standards_figures():
    """The chart's lines are data in targets.toml (seconds, the catalogue's unit); the table judges on
    standards.toml (minutes). The two files name the same figures and windows."""
    lines = sorted((t.metric, t.kind, t.value / 60, t.valid_from, t.valid_until)
                   for t in load_targets().targets if t.metric.startswith(("c1_", "c2_")))
    kinds = {"constitutional": "standard", "ambition": "ambition"}
    judged = sorted((f"{s.category.lower()}_{s.statistic}_seconds", kinds[s.kind], s.target_minutes, s.valid_from,
                     s.valid_until) for s in load_standards().standards if s.category in ("C1", "C2"))
    assert lines and lines == judged
