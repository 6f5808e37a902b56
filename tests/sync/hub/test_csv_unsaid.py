"""Two things a CSV upload did without a word (session 31):

- a file whose every date reads both ways (03/04/2026: 3 April day first, 4 March month first; no day over
  12 anywhere to tell) was read day first, so a US-locale spreadsheet's week of early-month dates went in as
  the wrong months. Now such a file is refused whole, naming the column and both readings, unless the sender
  says how the file writes dates (``dates=day_first`` or ``month_first``; the web page's "Dates in the file");
- a named column empty in every row was dropped (an empty cell is an absent field) and the API's receipt
  said nothing of it, nor of a nameless empty column (only the web page said that one). Now the receipt's
  ``ignored`` names each such column (``header.<name>``) with the reason.

Real bytes as Excel saves them through the hub's ``parse_csv`` and ``ItemValidator``, and through a real
hub's ``POST /v1/submissions/csv`` (its feed read for what was stored).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from models.rules.catalogue import load_catalogue
from sync.hub import schema as s
from sync.hub.errors import ApiError
from sync.hub.validate import ItemValidator, parse_csv
from sync.protocol import ErrorBody, SubmissionReceipt
from tests.support.hub import connection
from tests.sync.hub.helpers import of_kind, pull_all

NOW = datetime(2026, 12, 6, 11, 0, tzinfo=timezone.utc)
VALIDATOR = ItemValidator(load_catalogue(), {"acute"}, now=lambda: NOW)
BOM = b"\xef\xbb\xbf"


def _excel(*lines: str) -> bytes:
    return BOM + "".join(line + "\r\n" for line in lines).encode()


def _early_month(fmt: str, days: int = 12) -> bytes:
    """Noon on the 1st to the 12th of November 2026 (GMT, so UK time is UTC), one figure a day: every date
    reads both ways but the 11th (11/11)."""
    lines = ["type,metric,observed_at,value"]
    for d in range(1, days + 1):
        at = datetime(2026, 11, d, 12, 0)
        lines.append(f"observation,ga_bed_occupancy_pct,{at.strftime(fmt)},{90 + d / 10:.1f}")
    return _excel(*lines)


def _refused(body: bytes, dates: str | None = None) -> ErrorBody:
    with pytest.raises(ApiError) as caught:
        parse_csv(body, dates=dates)
    assert caught.value.status == 422
    return caught.value.body


def test_a_file_whose_every_date_reads_both_ways_is_refused_naming_the_column_and_both_readings():
    body = _refused(_early_month("%m/%d/%Y %H:%M"))
    assert body.message == "the CSV's dates can be read day first or month first"
    [field] = body.fields
    assert field.field == "observed_at"
    assert field.reason.startswith("observed_at: every date in the file reads both ways, and none has a day "
                                   "over 12 to tell which: row 2 ('11/01/2026 12:00') is 11 January 2026 read day "
                                   "first (as a UK spreadsheet writes dates) or 1 November 2026 read month first "
                                   "(as a US one does); nothing in the file was stored."), field.reason
    assert "dates=day_first or dates=month_first" in field.reason


def test_the_senders_choice_reads_the_file_its_way():
    month_first = parse_csv(_early_month("%m/%d/%Y %H:%M"), dates="month_first")
    day_first = parse_csv(_early_month("%d/%m/%Y %H:%M"), dates="day_first")
    for rows in (month_first, day_first):
        for chk in rows:
            VALIDATOR.check(chk, "acute")
        assert [c.errors for c in rows if c.errors] == []
        assert [c.item.observed_at for c in rows] == [datetime(2026, 11, d, 12, tzinfo=timezone.utc)
                                                      for d in range(1, 13)]
    assert month_first[0].raw["observed_at"] == "11/01/2026 12:00", "the cell is kept as written"


def test_a_choice_the_file_contradicts_is_refused_whole():
    body = _refused(_early_month("%d/%m/%Y %H:%M", days=13), dates="month_first")
    [field] = body.fields
    assert field.field == "observed_at" and field.reason.startswith(
        "observed_at: row 14 ('13/11/2026 12:00') can only be read day first, but the file's dates were said to "
        "be month first; nothing in the file was stored"), field.reason
    assert [f.field for f in _refused(_early_month("%m/%d/%Y %H:%M", days=13), dates="day_first").fields] == \
        ["observed_at"]


@pytest.mark.parametrize("cells", [
    ("13/11/2026 12:00", "01/11/2026 12:00"),        # a day over 12: the file is day first
    ("05/05/2026 12:00", "2026-11-03 12:00"),        # 5 May either way, and an ISO time
    ("2026-11-03T12:00:00+00:00", "11/11/2026 12:00"),
])
def test_a_file_that_shows_its_order_or_reads_one_way_is_taken_without_a_choice(cells):
    rows = parse_csv(_excel("type,metric,observed_at,value", *(f"observation,ga_bed_occupancy_pct,{c},94"
                                                              for c in cells)))
    for chk in rows:
        VALIDATOR.check(chk, "acute")
    assert [c.errors for c in rows] == [[], []]


def test_a_named_column_empty_in_every_row_and_a_nameless_one_are_reported():
    rows = parse_csv(_excel("type,metric,observed_at,value,staffed_beds,", "observation,ga_bed_occupancy_pct,"
                            "2026-11-03T12:00:00+00:00,94,,", "observation,mean_handover_minutes,"
                            "2026-11-03T12:00:00+00:00,21,,"))
    assert [(f.field, f.reason) for f in rows.ignored] == [
        ("header.staffed_beds", "the column 'staffed_beds' (column E) is empty in every row: ignored; no row sent "
                                "a staffed_beds"),
        ("header.(empty)", "the column after 'staffed_beds' (column F) has no name and no data: ignored")]
    assert rows.notes == ["The column 'staffed_beds' (column E) is empty in every row: ignored; no row sent a "
                          "staffed_beds.", "The column after 'staffed_beds' (column F) has no name and no data: "
                          "ignored."]


def test_an_empty_type_column_is_no_column_ignored():
    """An empty type means observation: the column is read, not ignored."""
    rows = parse_csv(_excel("type,metric,observed_at,value", ",ga_bed_occupancy_pct,2026-11-03T12:00:00+00:00,94"))
    assert rows.ignored == [] and rows.notes == []


def test_a_real_hub_reports_the_columns_it_ignored_and_refuses_an_ambiguous_file(shared_hub):
    at = (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    sent = _excel("type,metric,observed_at,value,reason,", f"observation,ga_bed_occupancy_pct,{at},94,,")
    r = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1",
                                                                  "submission_id": "csv-ignored-0001"},
                           data=sent, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 1
    assert [(f.field, f.reason) for f in receipt.ignored] == [
        ("header.reason", "the column 'reason' (column E) is empty in every row: ignored; no row sent a reason"),
        ("header.(empty)", "the column after 'reason' (column F) has no name and no data: ignored")]
    again = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1",
                                                                      "submission_id": "csv-ignored-0001"},
                               data=sent, headers={"Content-Type": "text/csv"})
    assert again.json()["duplicate"] is True and again.json()["ignored"] == r.json()["ignored"]
    sid = "csv-both-ways-0001"
    ambiguous = _excel("type,metric,observed_at,value", "observation,ga_bed_occupancy_pct,03/04/2026 09:00,94")
    refused = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": sid},
                                 data=ambiguous, headers={"Content-Type": "text/csv"})
    assert refused.status_code == 422, refused.text
    [field] = ErrorBody.model_validate(refused.json()).fields
    assert field.field == "observed_at" and "3 April 2026 read day first" in field.reason \
        and "4 March 2026 read month first" in field.reason
    assert of_kind(pull_all(shared_hub), "observation", submission_id=sid) == []
    chosen = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": sid,
                                                                       "dates": "month_first"},
                                data=ambiguous, headers={"Content-Type": "text/csv"})
    assert chosen.status_code == 200, chosen.text
    [stored] = of_kind(pull_all(shared_hub), "observation", submission_id=sid)
    assert stored.data["observed_at"].startswith("2026-03-04T09:00"), stored
    other = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": sid,
                                                                      "dates": "day_first"},
                               data=ambiguous, headers={"Content-Type": "text/csv"})
    assert other.status_code == 409, "the same bytes read day first are other figures, not a duplicate"
    wrong = shared_hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": sid,
                                                                      "dates": "sideways"},
                               data=ambiguous, headers={"Content-Type": "text/csv"})
    assert wrong.status_code == 422 and "query.dates" in wrong.text, wrong.text


def _this_week(fmt: str, now: datetime, days: int = 5) -> bytes:
    """Noon on each of the ``days`` days before ``now``, one figure a day, written as ``fmt``."""
    lines = ["type,metric,observed_at,value"]
    for back in range(days, 0, -1):
        at = (now - timedelta(days=back)).replace(hour=12, minute=0)
        lines.append(f"observation,ga_bed_occupancy_pct,{at.strftime(fmt)},{90 + back / 10:.1f}")
    return _excel(*lines)


def test_a_uk_clerks_file_of_this_week_early_in_a_month_is_taken_day_first_by_the_hubs_clock():
    """On 6 December the week's dates (01/12 to 05/12) read both ways, but only day first puts them in the last
    fortnight (month first: 12 January to 12 May). A clerk is not asked which; the same file a year-old hub
    clock would still refuse, and a US file of the same days (12/01 ...) is refused, as month first is the
    reading that puts it in the fortnight."""
    rows = parse_csv(_this_week("%d/%m/%Y %H:%M", NOW), now=NOW)
    for chk in rows:
        VALIDATOR.check(chk, "acute")
    assert [c.errors for c in rows if c.errors] == []
    assert [c.item.observed_at.date() for c in rows] == [(NOW - timedelta(days=b)).date() for b in range(5, 0, -1)]
    with pytest.raises(ApiError):
        parse_csv(_this_week("%d/%m/%Y %H:%M", NOW))                          # no clock: the sender says
    with pytest.raises(ApiError):
        parse_csv(_this_week("%m/%d/%Y %H:%M", NOW), now=NOW)                 # a US file of this week
    with pytest.raises(ApiError):
        parse_csv(_this_week("%d/%m/%Y %H:%M", NOW), now=NOW + timedelta(days=40))   # not recent either way


def test_a_real_hub_takes_a_uk_file_of_the_last_fortnight_unsaid(shared_hub):
    """A one-row file of a day in the last fortnight whose date reads both ways ("03/12/2026 12:00" style),
    through a real hub's CSV door with no dates said: taken, on the day first reading."""
    from models.uk_time import UK
    today = datetime.now(UK)
    days = [today - timedelta(days=back) for back in range(1, 13)]
    both = [d for d in days if d.day <= 12 and d.day != d.month]
    if not both:
        pytest.skip("no day of the last fortnight reads both ways")   # the 25th to the 31st of a month
    at = both[0].replace(hour=12, minute=0, second=0, microsecond=0)
    body = _excel("type,metric,observed_at,value", f"observation,ga_bed_occupancy_pct,{at:%d/%m/%Y %H:%M},93.5")
    sid = f"uk-fortnight-{today:%H%M%S%f}"
    reply = shared_hub.request("POST", "/v1/submissions/csv", data=body, headers={"Content-Type": "text/csv"},
                               params={"org_code": "RTEST1", "submission_id": sid})
    assert reply.status_code == 200, reply.text
    assert reply.json()["accepted"] == 1
    [stored] = of_kind(pull_all(shared_hub), "observation", submission_id=sid)
    assert stored.data["observed_at"].startswith(at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")), stored


def test_an_eta_or_a_period_end_ahead_of_the_clock_counts_as_recent_day_first():
    """r2's review: the fortnight rule counted an en-route ambulance's ETA half an hour ahead, and a response
    times period ending at the coming midnight (times the protocol lets lie ahead), as not recent, so a UK file
    of this morning was refused on the 1st to the 12th. Up to two days ahead they count; a third is not."""
    arrived, eta = NOW - timedelta(minutes=40), NOW + timedelta(minutes=30)
    handovers = _excel("type,event_uuid,hospital_code,state,eta_at,arrived_at",
                       f"handover,eta-a,RTEST1,arrived,,{arrived:%d/%m/%Y %H:%M}",
                       f"handover,eta-b,RTEST1,en_route,{eta:%d/%m/%Y %H:%M},")
    assert len(parse_csv(handovers, now=NOW)) == 2
    midnight = (NOW + timedelta(days=1)).replace(hour=0, minute=0)
    for end, taken in ((midnight, True), (NOW + timedelta(days=3), False)):
        periods = _excel("type,period_start,period_end,category,incidents,mean_seconds,p90_seconds",
                         f"response_times,{NOW - timedelta(hours=11):%d/%m/%Y %H:%M},{end:%d/%m/%Y %H:%M},"
                         "C1,12,420,900")
        if taken:
            assert len(parse_csv(periods, now=NOW)) == 1
        else:
            with pytest.raises(ApiError):
                parse_csv(periods, now=NOW)


def test_an_order_said_of_a_file_it_changes_nothing_in_is_the_same_submission(shared_hub):
    """r2's review (session 31): a file of ISO times, re-sent under its id with dates=month_first, was a 409
    "already used ... for other items", though no cell reads otherwise: the order was hashed whenever said. Now
    only when the file has a slashed date that reads both ways (a 409 then, test above); a hash stored by the
    earlier rule (the order whenever said) still matches."""
    at = (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(microsecond=0).isoformat()
    sent = _excel("type,metric,observed_at,value", f"observation,ga_bed_occupancy_pct,{at},94")
    sid = "csv-iso-said-0001"

    def send(dates=None):
        params = {"org_code": "RTEST1", "submission_id": sid} | ({"dates": dates} if dates else {})
        reply = shared_hub.request("POST", "/v1/submissions/csv", params=params, data=sent,
                                   headers={"Content-Type": "text/csv"})
        assert reply.status_code == 200, reply.text
        return reply.json()["duplicate"]

    assert send() is False
    assert [send("month_first"), send("day_first")] == [True, True]
    said = json.dumps(["csv", [c.raw for c in parse_csv(sent, dates="month_first")], "month_first"],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True)   # the earlier rule's hash
    with connection(shared_hub.db_url, write=True) as conn:
        conn.execute(update(s.submission).where(s.submission.c.org_code == "RTEST1",
                                                s.submission.c.submission_id == sid)
                     .values(content_hash=hashlib.sha256(said.encode("ascii")).hexdigest()))
    assert [send("month_first"), send()] == [True, True]
