"""A CSV upload read as Excel writes it and as a UK clerk types it (r1's review, session 30): a trailing
empty column, semicolons, day-first UK times and Excel's ISO time without an offset, "1,204" and "96%".

Real bytes as Excel saves them (a byte-order mark, CRLF line ends), through the hub's own
``parse_csv`` and ``ItemValidator`` with the bundled metric catalogue; the JSON API's strictness is
checked beside them. The whole path through a real hub and its web upload is in
tests/web/test_provider_csv.py.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from models.rules.catalogue import load_catalogue
from sync.hub.errors import ApiError
from sync.hub.validate import Checked, ItemValidator, parse_csv

NOW = datetime(2026, 12, 6, 11, 0, tzinfo=timezone.utc)
VALIDATOR = ItemValidator(load_catalogue(), {"acute"}, now=lambda: NOW)
BOM = b"\xef\xbb\xbf"


def _excel(*lines: str) -> bytes:
    """The file as Excel's "CSV UTF-8 (Comma delimited)" saves it: a byte-order mark and CRLF line ends."""
    return BOM + "".join(line + "\r\n" for line in lines).encode()


def _checked(body: bytes, dates: str | None = "day_first") -> list[Checked]:
    """``body`` read and checked; its dates day first as its sender says (a one-row file's 06/12/2026 reads both
    ways, and unsaid is refused: tests/sync/hub/test_csv_unsaid.py)."""
    rows = parse_csv(body, dates=dates)
    for chk in rows:
        VALIDATOR.check(chk, "acute")
    return rows


def _refused(body: bytes) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_csv(body)
    assert caught.value.status == 422
    return caught.value


def test_a_trailing_column_with_no_name_and_no_data_is_ignored_and_said():
    rows = _checked(_excel("type,metric,observed_at,value,",
                           "observation,ga_bed_occupancy_pct,2026-12-06T10:56:00+00:00,94.1,",
                           "observation,mean_handover_minutes,2026-12-06T10:56:00+00:00,21.5,"))
    assert [c.errors for c in rows] == [[], []]
    assert [c.item.value for c in rows] == [94.1, 21.5]
    assert rows.notes == ["The column after 'value' (column E) has no name and no data: ignored."]


def test_two_trailing_empty_columns_are_not_a_repeated_column():
    rows = _checked(_excel("type,metric,observed_at,value,,", "observation,ga_bed_occupancy_pct,"
                                                               "2026-12-06T10:56:00+00:00,94.1,,"))
    assert rows[0].item is not None and rows.notes == ["Columns E, F have no name and no data: ignored."]


def test_data_under_a_column_with_no_name_is_named_by_where_it_is():
    err = _refused(_excel("type,metric,observed_at,value,",
                          "observation,ga_bed_occupancy_pct,2026-12-06T10:56:00+00:00,94.1,",
                          "observation,mean_handover_minutes,2026-12-06T10:56:00+00:00,21.5,checked by JB"))
    assert [(f.field, f.reason) for f in err.body.fields] == [
        ("header.(empty)", "the column after 'value' (column E) has no name, and row 3 has data in it: give the "
                           "column its name in row 1, or delete the column")]


@pytest.mark.parametrize("sep, shown, word", [(";", ";", "semicolons"), ("\t", "tab", "tabs")])
def test_a_file_separated_by_semicolons_or_tabs_says_so(sep, shown, word):
    err = _refused(_excel(sep.join(["type", "metric", "observed_at", "value", ""]),
                          sep.join(["observation", "ga_bed_occupancy_pct", "06/12/2026 10:56", "94.1", ""])))
    assert err.body.message == f"the CSV's columns are separated by {word} ('{shown}'), not commas"
    assert [f.field for f in err.body.fields] == ["header"]
    assert 'save the file as "CSV UTF-8 (Comma delimited)"' in err.body.fields[0].reason
    assert "unknown column" not in str(err.body.fields)


def test_one_unknown_column_is_still_refused_by_its_name():
    err = _refused(_excel("type,metric,observed_at,value,ward", "observation,ga_bed_occupancy_pct,"
                                                                "2026-12-06T10:56:00+00:00,94.1,Ward 5"))
    assert [f.field for f in err.body.fields] == ["header.ward"]


@pytest.mark.parametrize("cell, utc", [
    ("06/12/2026 10:56", "2026-12-06T10:56:00+00:00"),         # winter: UK time is UTC
    ("6/12/2026 9:05", "2026-12-06T09:05:00+00:00"),
    ("06/12/26 10:56", "2026-12-06T10:56:00+00:00"),           # a two-digit year
    ("2026-12-06 10:56", "2026-12-06T10:56:00+00:00"),         # Excel's ISO after one save
    ("2026-12-06T10:56:30", "2026-12-06T10:56:30+00:00"),
    ("06/07/2026 10:56", "2026-07-06T09:56:00+00:00"),         # summer: BST, an hour ahead
    ("25/10/2026 01:30 BST", "2026-10-25T00:30:00+00:00"),    # the repeated hour, its zone named
    ("25/10/2026 01:30 GMT", "2026-10-25T01:30:00+00:00"),
    ("2026-12-06T10:56:00+00:00", "2026-12-06T10:56:00+00:00"),  # with its offset, as before
    ("2026-07-06T10:56:00+01:00", "2026-07-06T09:56:00+00:00"),
])
def test_a_time_without_an_offset_is_uk_wall_time_as_the_form_reads_it(cell, utc):
    rows = _checked(_excel("type,metric,observed_at,value", f"observation,ga_bed_occupancy_pct,{cell},94"))
    assert rows[0].errors == []
    assert rows[0].item.observed_at.astimezone(timezone.utc).isoformat() == utc
    assert rows[0].raw["observed_at"] == cell, "the quarantine and the notice keep the cell as written"


@pytest.mark.parametrize("cell, reason", [
    ("25/10/2026 01:30", "observed_at: '25/10/2026 01:30' happens twice in UK time (the clocks went back an hour "
                         "at 02:00 BST); add BST for the first ('25/10/2026 01:30 BST') or GMT for the second"),
    ("29/03/2026 01:30", "observed_at: '29/03/2026 01:30' does not exist in UK time (the clocks went forward"),
    ("06/12/2026 10:56 BST", "observed_at: UK time at '06/12/2026 10:56' is not BST; write it without BST"),
    ("31/02/2026 10:56", "observed_at: '31/02/2026 10:56' is not a date and time; write the UK time as "
                         "06/12/2026 10:56, or with its offset, e.g. 2026-12-06T10:56:00+00:00"),
    ("12/06/2026 10:56 pm", "is not a date and time; write the UK time as 06/12/2026 10:56"),
])
def test_a_time_that_is_no_one_instant_is_refused_naming_the_column(cell, reason):
    rows = _checked(_excel("type,metric,observed_at,value", f"observation,ga_bed_occupancy_pct,{cell},94"))
    assert rows[0].item is None
    assert any(e.field == "rows.2.observed_at" and reason in e.reason for e in rows[0].errors), rows[0].errors


@pytest.mark.parametrize("metric, cell, value", [
    ("nctr_patients_count", '"1,204"', 1204),
    ("mean_handover_minutes", '"1,204.5"', 1204.5),   # a fraction of a count is refused (test_csv_cells_misread)
    ("ga_bed_occupancy_pct", "96%", 96),
    ("ga_bed_occupancy_pct", "94.0 %", 94),
])
def test_thousands_separators_and_a_percent_sign_read_as_the_form_reads_them(metric, cell, value):
    rows = _checked(_excel("type,metric,observed_at,value", f"observation,{metric},06/12/2026 10:56,{cell}"))
    assert rows[0].errors == [] and rows[0].item.value == value


@pytest.mark.parametrize("metric, cell, reason", [
    ("nctr_patients_count", '"1,5"', "value: '1,5' is not a number: a comma may only separate thousands"),
    ("mean_handover_minutes", "25%", "value: '25%' has a % sign, but this figure is not a percentage"),
    ("ga_bed_occupancy_pct", "%", "value: '%' is not a number"),
])
def test_a_comma_not_between_thousands_or_a_percent_sign_on_a_count_is_refused(metric, cell, reason):
    rows = _checked(_excel("type,metric,observed_at,value", f"observation,{metric},06/12/2026 10:56,{cell}"))
    assert rows[0].item is None and any(reason in e.reason for e in rows[0].errors), rows[0].errors


@pytest.mark.parametrize("field, sent", [("observed_at", "06/12/2026 10:56"), ("observed_at", "2026-12-06 10:56"),
                                         ("value", "1,204"), ("value", "96%")])
def test_the_json_api_stays_strict(field, sent):
    """docs/sync-protocol.md: JSON times carry their offset and numbers are JSON numbers."""
    raw = {"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": "2026-12-06T10:56:00+00:00",
           "value": 94, field: sent}
    chk = VALIDATOR.check(Checked(index=0, raw=raw), "acute")
    assert chk.item is None and [e.field for e in chk.errors] == [f"items.0.{field}"]


def test_a_comma_file_with_a_semicolon_in_one_column_name_is_not_taken_for_a_semicolon_file():
    err = _refused(_excel("type,metric,observed_at,value,notes;ward", "observation,ga_bed_occupancy_pct,"
                                                                      "2026-12-06T10:56:00+00:00,94.1,x"))
    assert [f.field for f in err.body.fields] == ["header.notes;ward"]


def test_a_header_of_many_nameless_columns_and_many_rows_is_read_in_one_pass():
    """Each nameless column was first looked for in every row: 100,000 commas and 5,000 rows is 5 x 10^8."""
    import time
    body = b"type,metric,observed_at,value" + b"," * 100_000 + b"\n" + \
        b"observation,ga_bed_occupancy_pct,2026-12-06T10:56:00+00:00,94\n" * 5_000
    started = time.monotonic()
    rows = parse_csv(body)
    assert len(rows) == 5_000 and rows.notes == ["100,000 columns (E to EQXH) have no name and no data: ignored."]
    assert time.monotonic() - started < 5
