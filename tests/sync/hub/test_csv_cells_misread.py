"""CSV cells that read as something else were taken silently (r2's review, session 30): a US-locale
spreadsheet's month-first dates ("12/6/2026 10:56", 6 December, read as 12 June; only a day over 12 was
refused, row by row) and a European thousands point ("1.204" read as 1.204 of a count).

Now a file in which any time reads only month first is refused whole, naming the column and its rows, and a
fraction of a metric counted in whole numbers (unit ``count`` or ``beds`` in resources/metrics/catalogue.toml)
is refused with its reason. Real bytes as Excel saves them through the hub's own ``parse_csv`` and
``ItemValidator`` (a week of quarter-hours: 2,016 rows), and the same week through a real hub's
``POST /v1/submissions/csv``, which stores nothing of it.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from models.rules.catalogue import load_catalogue
from sync.hub.errors import ApiError
from sync.hub.validate import ItemValidator, parse_csv
from sync.protocol import ErrorBody
from tests.sync.hub.helpers import of_kind, pull_all

NOW = datetime(2026, 12, 6, 11, 0, tzinfo=timezone.utc)
VALIDATOR = ItemValidator(load_catalogue(), {"acute"}, now=lambda: NOW)
BOM = b"\xef\xbb\xbf"
METRICS = ("ed_over_12h_from_arrival_count", "ga_bed_occupancy_pct", "mean_handover_minutes")


def _excel(*lines: str) -> bytes:
    return BOM + "".join(line + "\r\n" for line in lines).encode()


def _week(fmt: str) -> bytes:
    """A week of quarter-hours to yesterday (29 Nov to 5 Dec 2026), three metrics: 2,016 rows, its times
    written with ``fmt`` (GMT all week, so UK wall time is UTC)."""
    start = datetime(2026, 11, 29)
    lines = ["type,metric,observed_at,value"]
    for q in range(7 * 96):
        at = start + timedelta(minutes=15 * q)
        cell = at.strftime(fmt).replace("/0", "/").lstrip("0")   # as Excel's m/d/yyyy writes it: 12/1/2026
        lines += [f"observation,{m},{cell},{v}" for m, v in zip(METRICS, ("3", "94.1", "21.5"))]
    return _excel(*lines)


def test_a_us_locale_week_is_refused_whole_naming_the_column_and_its_month_first_rows():
    began = time.perf_counter()
    with pytest.raises(ApiError) as caught:
        parse_csv(_week("%m/%d/%Y %H:%M"))
    took = time.perf_counter() - began
    err = caught.value
    assert err.status == 422 and err.body.message == "the CSV's dates are written month first"
    [field] = err.body.fields
    assert field.field == "observed_at"
    # 29 and 30 November (rows 2 to 577) read only month first; 1 to 5 December read both ways, wrongly.
    assert field.reason.startswith("observed_at: rows 2 ('11/29/2026 00:00'), 3 ('11/29/2026 00:00'), ")
    assert " and 571 more can only be read month first (month/day/year" in field.reason
    assert "12/6/2026 would be 12 June, not 6 December" in field.reason
    assert "nothing in the file was stored" in field.reason and "06/12/2026 10:56" in field.reason
    assert took < 2.0, took   # 2,016 rows: measured 0.1 s


def test_the_same_week_day_first_is_taken_whole():
    rows = parse_csv(_week("%d/%m/%Y %H:%M"))
    assert len(rows) == 2016
    for chk in rows:
        VALIDATOR.check(chk, "acute")
    assert [c.errors for c in rows if c.errors] == []
    assert rows[0].item.observed_at == datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert rows[-1].item.observed_at == datetime(2026, 12, 5, 23, 45, tzinfo=timezone.utc)


def test_one_month_first_time_refuses_the_file_though_its_other_rows_read_day_first():
    """The reviewer's case: '12/6/2026 10:56' alone is 12 June; beside '12/13/2026 09:00' it is a US file."""
    with pytest.raises(ApiError) as caught:
        parse_csv(_excel("type,metric,observed_at,value",
                         "observation,ga_bed_occupancy_pct,12/6/2026 10:56,94.1",
                         "observation,ga_bed_occupancy_pct,12/13/2026 09:00 GMT,93.0"))
    [field] = caught.value.body.fields
    assert field.field == "observed_at" and field.reason.startswith(
        "observed_at: row 3 ('12/13/2026 09:00 GMT') can only be read month first")


@pytest.mark.parametrize("metric, cell, reason", [
    ("ed_over_12h_from_arrival_count", "1.204", "value: '1.204' is not a whole number, and this metric is counted "
                                                "in whole numbers. If the point separates thousands, write 1204 or "
                                                "1,204."),
    ("nctr_patients_count", "12.5", "value: '12.5' is not a whole number, and this metric is counted in whole "
                                    "numbers."),
    ("cc_staffed_beds", "1.204", "value: '1.204' is not a whole number, and this metric is counted in whole "
                                 "numbers. If the point separates thousands, write 1204 or 1,204."),
])
def test_a_fraction_of_a_count_is_refused_with_its_reason(metric, cell, reason):
    [chk] = parse_csv(_excel("type,metric,observed_at,value", f"observation,{metric},06/12/2026 10:56,{cell}"),
                      dates="day_first")
    VALIDATOR.check(chk, "acute")
    assert chk.item is None and [(e.field, e.reason) for e in chk.errors] == [("rows.2.value", reason)]


@pytest.mark.parametrize("metric, cell, value", [
    ("ed_over_12h_from_arrival_count", '"1,204"', 1204.0), ("ed_over_12h_from_arrival_count", "12.0", 12.0),
    ("mean_handover_minutes", "1.204", 1.204), ("ga_bed_occupancy_pct", "94.5%", 94.5),
])
def test_a_whole_count_or_a_fraction_of_another_unit_is_taken(metric, cell, value):
    [chk] = parse_csv(_excel("type,metric,observed_at,value", f"observation,{metric},06/12/2026 10:56,{cell}"),
                      dates="day_first")
    VALIDATOR.check(chk, "acute")
    assert chk.errors == [] and chk.item.value == value


def test_a_real_hub_refuses_the_us_week_and_stores_nothing_of_it(shared_hub):
    sid = "csv-us-week-0001"
    r = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": sid},
                           data=_week("%m/%d/%Y %H:%M"), headers={"Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    body = ErrorBody.model_validate(r.json())
    assert body.message == "the CSV's dates are written month first"
    assert [f.field for f in body.fields] == ["observed_at"]
    assert of_kind(pull_all(shared_hub), "observation", submission_id=sid) == []
