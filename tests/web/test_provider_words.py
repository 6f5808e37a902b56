"""The provider form's words, without a server: ranges in one format, and the hub's reasons said
beside a field under its label (not the metric's code), in plain words."""

from __future__ import annotations

import pytest

from sync import protocol as p
from sync.hub.core import Hub, HubConfig
from sync.hub.web import provider
from sync.hub.web.provider import Field, fmt_figure, fmt_range, say

OCCUPANCY = Field("m.ga_bed_occupancy_pct", "General and acute bed occupancy", "percent", "0 to 150 percent",
                  lo=0, hi=150)
BEDS = Field("staffed_beds", "Staffed beds", "beds", "0 to 5,000 beds", lo=0, hi=5000, whole=True)
REASON = Field("reason", "Reason", kind="reason")


@pytest.mark.parametrize("x, text", [(0, "0"), (150, "150"), (10000, "10,000"), (172800.0, "172,800"),
                                     (1234.5, "1,234.5"), (0.25, "0.25"), (1e6, "1,000,000"),
                                     (float("inf"), "inf")])
def test_a_figure_has_thousands_separators_and_no_trailing_zero(x, text):
    assert fmt_figure(x) == text


@pytest.mark.parametrize("lo, hi, unit, text", [(0, 10000, "count", "0 to 10,000"),
                                                (0, 150, "percent", "0 to 150 percent"),
                                                (0, 172800, "seconds", "0 to 172,800 seconds"),
                                                (1, 4, "level", "1 to 4"),
                                                (0, 5000, "beds", "0 to 5,000 beds")])
def test_a_range_is_one_format_with_a_readable_unit(lo, hi, unit, text):
    assert fmt_range(lo, hi, unit) == text


def test_every_field_of_every_sector_shows_its_range_in_that_one_format(tmp_path):
    hub = Hub(HubConfig(db_url=f"sqlite:///{tmp_path / 'hub.db'}", alerts=False))
    try:
        for sector in ("acute", "community", "mental_health", "nhs111", "ambulance"):
            numbers = [f for g in provider.groups(hub, sector) for f in g.fields if f.kind == "number"]
            assert numbers, sector
            for f in numbers:
                assert f.lo is not None and f.hint == fmt_range(f.lo, f.hi, f.unit), (sector, f)
                assert " count" not in f.hint and "10000" not in f.hint and "5000" not in f.hint, f.hint
                assert f.unit not in ("count", "level"), f
    finally:
        hub.db.dispose()


def test_text_that_is_not_a_number_is_said_under_the_fields_label():
    hub = "value: 'ninety' is not a number; write it in digits, e.g. 92.5"
    assert say(OCCUPANCY, "ninety", "value", hub) == \
        "General and acute bed occupancy: 'ninety' is not a number; enter digits, e.g. 92.5"
    assert say(BEDS, "ten", "staffed_beds", "staffed_beds: 'ten' is not a whole number") == \
        "Staffed beds: 'ten' is not a number; enter digits, e.g. 12"


def test_a_figure_out_of_range_names_the_label_and_the_range_the_form_shows():
    hub = "ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent"
    said = say(OCCUPANCY, " 180 ", "value", hub)
    assert said == "General and acute bed occupancy: 180 is outside the valid range 0 to 150 percent"
    assert "ga_bed_occupancy_pct" not in said
    count = Field("m.nctr_patients_count", "Acute patients with no criteria to reside", "", "0 to 10,000",
                  lo=0, hi=10000)
    assert say(count, "12,000", "value", "nctr_patients_count: 12000 is outside the valid range 0 to 10000 count") \
        == "Acute patients with no criteria to reside: 12,000 is outside the valid range 0 to 10,000"


def test_any_other_reason_is_the_hubs_with_its_field_name_or_code_replaced_by_the_label():
    assert say(BEDS, "12.5", "staffed_beds", "staffed_beds: 12.5 is not a whole number") == \
        "Staffed beds: 12.5 is not a whole number"
    assert say(OCCUPANCY, "92", "value", "ga_bed_occupancy_pct: not a number (NaN)") == \
        "General and acute bed occupancy: not a number (NaN)"
    assert say(REASON, "", "reason", "declared OPEL 4 differs from the calculated level; give a reason") == \
        "Reason: declared OPEL 4 differs from the calculated level; give a reason"
    assert say(None, "x", "value", "the hub's own words") == "the hub's own words"


def test_field_errors_put_each_reason_beside_its_field_in_the_forms_words():
    form = {"m.ga_bed_occupancy_pct": "ninety", "critcon_level": "2", "staffed_beds": "-1", "occupied_beds": ""}
    sources = [["m.ga_bed_occupancy_pct"], ["critcon_level", "staffed_beds", "occupied_beds"]]
    errors = [p.FieldError(field="items.0.value", reason="value: 'ninety' is not a number; write it in digits"),
              p.FieldError(field="items.1.staffed_beds", reason="staffed_beds: -1 is out of range; it must be "
                                                                "at least 0"),
              p.FieldError(field="items.7.value", reason="no such item")]
    fields = {f.name: f for f in (OCCUPANCY, BEDS)}
    by_field, general = provider.field_errors(errors, sources, form, fields)
    assert by_field == {
        "m.ga_bed_occupancy_pct": ["General and acute bed occupancy: 'ninety' is not a number; enter digits, "
                                   "e.g. 92.5"],
        "staffed_beds": ["Staffed beds: -1 is outside the valid range 0 to 5,000 beds"]}
    assert general == ["no such item"]


def test_a_rows_problem_names_its_column_once():
    """The first-morning walkthrough: "Row 4: value: value: 'ninety' is not a number", the page prefixing the
    column to the hub's reason, which already starts with it."""
    from sync.hub.web.upload import by_row

    rows, general = by_row([
        p.FieldError(field="rows.4.value", reason="value: 'ninety' is not a number; write it in digits, e.g. 92.5"),
        p.FieldError(field="rows.5.value", reason="ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150"),
        p.FieldError(field="rows.6", reason="no such organisation")])
    assert rows == [("Row 4", ["value: 'ninety' is not a number; write it in digits, e.g. 92.5"]),
                    ("Row 5", ["value: ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150"]),
                    ("Row 6", ["no such organisation"])] and general == []


def test_each_kind_of_text_that_is_not_a_figure_is_said_with_what_a_figure_looks_like():
    """The form reads only digits 0-9, a point and thousands commas: an exponent, an infinity, an
    underscore, hexadecimal and another script's digits are each refused with what to write instead."""
    from sync.hub.web.provider import _number

    said = {typed: say(OCCUPANCY, typed, "value", "value: whatever the hub said") for typed in
            ("1e3", "2.5E-1", "inf", "-Infinity", "nan", "1_000", "0x10", "\uff11\uff12", "\u0661\u0662")}
    assert said == {
        "1e3": "General and acute bed occupancy: '1e3' is not a number: write the figure out in full with the "
               "digits 0 to 9 (1000, not 1e3)",
        "2.5E-1": "General and acute bed occupancy: '2.5E-1' is not a number: write the figure out in full with "
                  "the digits 0 to 9 (1000, not 1e3)",
        "inf": "General and acute bed occupancy: 'inf' is not a number: a figure is an amount in digits, e.g. 92.5",
        "-Infinity": "General and acute bed occupancy: '-Infinity' is not a number: a figure is an amount in "
                     "digits, e.g. 92.5",
        "nan": "General and acute bed occupancy: 'nan' is not a number: a figure is an amount in digits, e.g. 92.5",
        "1_000": "General and acute bed occupancy: '1_000' is not a number: write it without underscores "
                 "(1000 or 1,000)",
        "0x10": "General and acute bed occupancy: '0x10' is not a number: write it in ordinary decimal digits, "
                "e.g. 92.5",
        "\uff11\uff12": "General and acute bed occupancy: '\uff11\uff12' is not a number: type it with the digits 0 "
                        "to 9 (these digits are another script's or full-width, as some keyboards type them), "
                        "e.g. 92.5",
        "\u0661\u0662": "General and acute bed occupancy: '\u0661\u0662' is not a number: type it with the digits 0 "
                        "to 9 (these digits are another script's or full-width, as some keyboards type them), "
                        "e.g. 92.5",
    }
    for typed in said:
        assert _number(typed) == typed, "left as text: never sent as a number"
    assert _number("1,250") == 1250 and _number("92.5") == 92.5 and _number("9" * 400) == "9" * 400


def test_the_forms_own_problems_are_its_typed_figures_that_are_no_number_or_out_of_range():
    """Said with a problem that stops the whole send (the As at time): only changed, filled number fields."""
    fields = {f.name: f for f in (OCCUPANCY, BEDS)}
    form = {"m.ga_bed_occupancy_pct": "1e2", "staffed_beds": "9000"}
    assert provider.own_problems(form, fields, {}) == {
        "m.ga_bed_occupancy_pct": ["General and acute bed occupancy: '1e2' is not a number: write the figure out in "
                                   "full with the digits 0 to 9 (1000, not 1e3)"],
        "staffed_beds": ["Staffed beds: 9000 is outside the valid range 0 to 5,000 beds"]}
    assert provider.own_problems(form, fields, dict(form)) == {}, "as the form showed them: not typed"
    assert provider.own_problems({"m.ga_bed_occupancy_pct": "92.5", "staffed_beds": ""}, fields, None) == {}
