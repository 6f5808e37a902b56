from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.rules.intervals import (Interval, IntervalError, check_bands, fmt_number, parse_interval,
                              require_bands)
from models.rules.tabledata import TableError

P = parse_interval


@pytest.mark.parametrize("text, lo, hi, lo_closed, hi_closed", [
    ("[0, 15)", 0, 15, True, False),
    ("(15, 30]", 15, 30, False, True),
    ("[60, inf)", 60, math.inf, True, False),
    ("(-inf, 15]", -math.inf, 15, False, True),
    ("  [ 2.5 ,1e3 ]  ", 2.5, 1000, True, True),
    ("[0, 0]", 0, 0, True, True),
    ("(-inf, inf)", -math.inf, math.inf, False, False),
])
def test_parse(text, lo, hi, lo_closed, hi_closed):
    assert P(text) == Interval(lo, hi, lo_closed, hi_closed)


@pytest.mark.parametrize("text, fragment", [
    ("[60, inf]", "infinite edge must be written open"),
    ("[-inf, 0)", "infinite edge must be written open"),
    ("[5, 3]", "lower edge 5 is above upper edge 3"),
    ("[3, 3)", "empty"),
    ("(3, 3]", "empty"),
    ("0 to 15", "not interval notation"),
    ("[a, 3]", "edge 'a' is not a number"),
    ("[nan, 3]", "not a number"),
    ("[0, 15", "not interval notation"),
    ("", "not interval notation"),
])
def test_parse_errors_say_why(text, fragment):
    with pytest.raises(IntervalError, match=fragment):
        P(text)


def test_parse_rejects_non_text():
    with pytest.raises(IntervalError, match="expected interval text"):
        P(15)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["[0, 15)", "(15, 30]", "[60, inf)", "(-inf, 15]", "[0, 0]", "[0.5, 2.25)"])
def test_str_round_trips(text):
    assert str(P(text)) == text
    assert P(str(P(text))) == P(text)


def test_contains_honours_each_edge():
    half_open = P("[0, 15)")
    assert half_open.contains(0) and not half_open.contains(15)
    assert half_open.contains(math.nextafter(15, -math.inf))
    assert not half_open.contains(math.nextafter(0, -math.inf))
    other = P("(15, 30]")
    assert not other.contains(15) and other.contains(30) and not other.contains(30.0000001)
    assert P("[60, inf)").contains(1e300) and not P("[60, inf)").contains(math.nan)
    assert 5 in P("[0, 5]")


def test_fmt_number():
    assert fmt_number(15.0) == "15" and fmt_number(2.5) == "2.5"
    assert fmt_number(math.inf) == "inf" and fmt_number(-math.inf) == "-inf"


def test_partition_is_accepted():
    bands = [P("[0, 15]"), P("(15, 30]"), P("(30, 45]"), P("(45, 60]"), P("(60, inf)")]
    assert check_bands(bands, P("[0, 1440]")) == []
    # order of listing does not matter
    assert check_bands(list(reversed(bands)), P("[0, 1440]")) == []


def test_gap_between_44_and_45_is_named():
    problems = check_bands([P("[0, 44]"), P("[45, 55]")], P("[0, 55]"))
    assert problems == ["bands '[0, 44]' and '[45, 55]' leave a gap: (44, 45) is covered by no band"]


def test_edge_included_by_neither_band_is_a_gap():
    problems = check_bands([P("[0, 15)"), P("(15, 30]")], P("[0, 30]"))
    assert len(problems) == 1
    assert "'[0, 15)'" in problems[0] and "'(15, 30]'" in problems[0]
    assert "the value 15 is covered by no band" in problems[0]


def test_edge_included_by_both_bands_is_an_overlap():
    problems = check_bands([P("[0, 45]"), P("[45, 55]")], P("[0, 55]"))
    assert problems == ["bands '[0, 45]' and '[45, 55]' overlap: the value 45 is in both"]


def test_wide_overlap_and_nested_band():
    problems = check_bands([P("[0, 50]"), P("(40, 60]"), P("[10, 20]")], P("[0, 60]"))
    assert "bands '[0, 50]' and '(40, 60]' overlap: (40, 50] is in both" in problems
    assert "bands '[0, 50]' and '[10, 20]' overlap: [10, 20] is in both" in problems
    assert len(problems) == 2


def test_valid_range_not_covered_at_either_end():
    problems = check_bands([P("(0, 10]"), P("(10, 90)")], P("[0, 100]"))
    assert any("the value 0" in p and "below the first band '(0, 10]'" in p for p in problems)
    assert any("[90, 100]" in p and "above the last band '(10, 90)'" in p for p in problems)
    assert len(problems) == 2


def test_band_outside_valid_range_is_reported():
    problems = check_bands([P("[0, 100]"), P("(100, 200]")], P("[0, 100]"))
    assert problems == ["band '(100, 200]' lies outside the valid range [0, 100] and can never apply"]


def test_gap_outside_valid_range_is_ignored_but_bands_may_extend_beyond():
    assert check_bands([P("(-inf, 0)"), P("[0, inf)")], P("[0, 10]")) == [
        "band '(-inf, 0)' lies outside the valid range [0, 10] and can never apply"]
    assert check_bands([P("[0, 5)"), P("[5, inf)")], P("[0, 10]")) == []


def test_no_bands():
    assert check_bands([], P("[0, 1]")) == ["no bands: the valid range [0, 1] is not covered"]


def test_custom_labels_are_used():
    problems = check_bands([P("[0, 1)"), P("[2, 3]")], P("[0, 3]"), labels=["OPEL 1", "OPEL 2"])
    assert problems == ["bands OPEL 1 and OPEL 2 leave a gap: [1, 2) is covered by no band"]


def test_require_bands_raises_table_error_naming_file_and_key():
    with pytest.raises(TableError) as info:
        require_bands([P("[0, 44]"), P("[45, 55]")], P("[0, 55]"), "acute.toml", "mean_handover_minutes")
    (problem,) = info.value.problems
    assert problem.file == "acute.toml" and problem.key == "mean_handover_minutes"
    assert "(44, 45)" in problem.reason
    assert "acute.toml: mean_handover_minutes:" in str(info.value)


edges = st.lists(st.integers(min_value=-1000, max_value=1000), min_size=2, max_size=8, unique=True).map(sorted)


@given(edges, st.data())
def test_random_partitions_are_valid_and_every_value_in_exactly_one_band(points, data):
    """Bands built by splitting a range at chosen points, each point owned by one side."""
    owners = [data.draw(st.booleans()) for _ in points[1:-1]]  # True: lower band includes the edge
    bands = []
    for i in range(len(points) - 1):
        lo_closed = True if i == 0 else not owners[i - 1]
        hi_closed = True if i == len(points) - 2 else owners[i]
        bands.append(Interval(points[i], points[i + 1], lo_closed, hi_closed))
    valid = Interval(points[0], points[-1], True, True)
    assert check_bands(bands, valid) == []
    probes = set(points) | {(a + b) / 2 for a, b in zip(points, points[1:])}
    for x in probes:
        assert sum(b.contains(x) for b in bands) == 1, x
    if len(bands) >= 3:
        without_middle = bands[:1] + bands[2:]
        assert check_bands(without_middle, valid) != []


# --- bands in plain words, for people ------------------------------------------------------
from models.rules.intervals import band_words, band_words_exact  # noqa: E402


@pytest.mark.parametrize("text, unit, short, long", [
    ("(5, 10]", "percent", "5–10%", "over 5% and up to 10%"),
    ("[0, 15]", "minutes", "0–15 min", "from 0 min up to 15 min"),
    ("[78, 95)", "percent", "78–95%", "from 78% and under 95%"),
    ("(60, inf)", "minutes", "over 60 min", "over 60 min"),
    ("[60, inf)", "minutes", "60 min or more", "60 min or more"),
    ("(-inf, 15]", "seconds", "up to 15 s", "up to 15 s"),
    ("(-inf, 15)", None, "under 15", "under 15"),
    ("[0, 0]", "count", "0", "exactly 0"),
    ("(2.5, 7.5]", "percent", "2.5–7.5%", "over 2.5% and up to 7.5%"),
])
def test_a_band_reads_in_plain_words(text, unit, short, long):
    band = parse_interval(text)
    assert band_words(band, unit) == short
    assert band_words_exact(band, unit) == long
    assert "(" not in short and "]" not in short
