"""Provider submissions against a real hub: feed, quarantine, idempotency, CSV."""

from __future__ import annotations

import math

import pytest

from sync.protocol import ErrorBody, SubmissionReceipt
from tests.sync.hub.helpers import at, obs, of_kind, pull_all, quarantined, raw_json, submission, submit


@pytest.fixture
def hub(shared_hub):
    """The run's shared hub: each test tells its data apart by its own ids."""
    return shared_hub


def fields(resp) -> dict[str, str]:
    return {f.field: f.reason for f in ErrorBody.model_validate(resp.json()).fields}


def test_good_items_reach_the_feed_and_bad_ones_are_quarantined_with_their_fields(hub):
    items = [obs("ga_bed_occupancy_pct", 94.5),
             obs("ga_bed_occupancy_pct", 180.0),                    # outside the valid range
             obs("no_such_metric", 1.0),                            # unknown metric
             {"type": "observation", "metric": "ga_bed_occupancy_pct", "value": 90},  # no time
             {"type": "ambulance_status", "declared_at": at(), "reap_level": 7},
             {"type": "teleport"},
             obs("ga_bed_occupancy_pct", math.nan),                 # non-finite
             {"type": "critcon", "reported_at": at(), "level": 2, "staffed_beds": 20, "occupied_beds": 18}]
    body = raw_json(submission(items, sid="sub-mixed-0001"))
    r = hub.request("POST", "/v1/submissions", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 2 and not receipt.duplicate
    reasons = {e.field: e.reason for rej in receipt.rejected for e in rej.errors}
    assert [rej.index for rej in receipt.rejected] == [1, 2, 3, 4, 5, 6]
    assert "outside the valid range" in reasons["items.1.value"]
    assert "unknown metric" in reasons["items.2.metric"]
    assert "items.3.observed_at" in reasons
    assert "items.4.reap_level" in reasons
    assert "type" in reasons["items.5.type"]
    assert "finite" in reasons["items.6.value"]

    feed = pull_all(hub)
    assert [i.seq for i in feed] == list(range(1, len(feed) + 1))
    (ob,) = of_kind(feed, "observation", submission_id="sub-mixed-0001")
    assert (ob.data["org_code"], ob.data["metric"], ob.data["value"]) == ("RTEST1", "ga_bed_occupancy_pct", 94.5)
    assert ob.data["observed_at"].endswith("+00:00")
    assert len(of_kind(feed, "critcon", submission_id="sub-mixed-0001")) == 1
    assert feed and feed[-1].seq <= hub.request("GET", "/health").json()["head"]

    ours = [item for item in quarantined(hub, org_code="RTEST1") if item["submission_id"] == "sub-mixed-0001"]
    assert {e["field"]: e["reason"] for item in ours for e in item["errors"]} == reasons
    assert any(item["raw"].get("value") == "nan" for item in ours)


def test_a_retried_submission_id_returns_the_original_receipt_and_stores_nothing_twice(hub):
    body = submission([obs("ga_bed_occupancy_pct", 91.0), obs("ga_bed_occupancy_pct", -5.0)], sid="sub-retry-0001")
    first = hub.request("POST", "/v1/submissions", json=body)
    head = hub.request("GET", "/health").json()["head"]
    again = hub.request("POST", "/v1/submissions", json=body)
    assert (first.status_code, again.status_code) == (200, 200)
    a, b = SubmissionReceipt.model_validate(first.json()), SubmissionReceipt.model_validate(again.json())
    assert (a.duplicate, b.duplicate) == (False, True)
    assert b.model_copy(update={"duplicate": False}) == a
    assert hub.request("GET", "/health").json()["head"] == head
    assert [q["index"] for q in quarantined(hub) if q["submission_id"] == "sub-retry-0001"] == [1]
    # Ids are each organisation's own: another organisation's same id is its own submission
    # (tests/sync/hub/test_submission_scope.py).
    other = hub.request("POST", "/v1/submissions", json={**body, "org_code": "RTEST2"})
    assert other.status_code == 200 and other.json()["duplicate"] is False


def test_a_submission_with_no_good_item_is_refused_naming_each_field(hub):
    r = submit(hub, [obs("ga_bed_occupancy_pct", 101.0 * 2), obs("unknown_metric_pct", 3)], sid="sub-allbad-01")
    assert r.status_code == 422
    assert ErrorBody.model_validate(r.json()).code == "validation"
    assert set(fields(r)) == {"items.0.value", "items.1.metric"}
    # Nothing was recorded under the id: the fixed submission may reuse it.
    fixed = submit(hub, [obs("ga_bed_occupancy_pct", 90.0)], sid="sub-allbad-01")
    assert fixed.status_code == 200 and fixed.json()["duplicate"] is False


def test_malformed_bodies_are_422_naming_the_field(hub):
    r = hub.request("POST", "/v1/submissions", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "body" in fields(r)
    body = submission([obs("ga_bed_occupancy_pct", 90.0)])
    del body["submission_id"]
    r = hub.request("POST", "/v1/submissions", json={**body, "submitted_at": "yesterday"})
    assert r.status_code == 422 and {"submission_id", "submitted_at"} <= set(fields(r))
    r = hub.request("POST", "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 90.0)], org="RNOPE"))
    assert r.status_code == 422 and ErrorBody.model_validate(r.json()).code == "unknown_organisation"
    r = hub.request("GET", "/v1/feed", params={"after": "x"})
    assert r.status_code == 422 and "query.after" in fields(r)


def test_csv_upload_stores_good_rows_and_names_the_row_and_column_of_bad_ones(hub):
    csv_text = ("type,metric,observed_at,value\n"
                f"observation,ga_bed_occupancy_pct,{at(1)},92.5\n"
                f",mean_handover_minutes,{at(1)},38\n"             # empty type: an observation
                f"observation,ga_bed_occupancy_pct,{at(2)},ninety\n"
                "\n"                                               # blank rows are skipped
                f"observation,escalation_beds_open_pct,not-a-time,4\n")
    r = hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": "csv-0000001"},
                    data=csv_text.encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    receipt = SubmissionReceipt.model_validate(r.json())
    assert receipt.accepted == 2
    assert [(rej.index, rej.row) for rej in receipt.rejected] == [(2, 4), (3, 6)]
    assert {e.field for rej in receipt.rejected for e in rej.errors} == {"rows.4.value", "rows.6.observed_at"}
    values = {i.data["metric"]: i.data["value"] for i in of_kind(pull_all(hub), "observation", submission_id="csv-0000001")}
    assert values == {"ga_bed_occupancy_pct": 92.5, "mean_handover_minutes": 38.0}
    assert {q["row"] for q in quarantined(hub) if q["submission_id"] == "csv-0000001"} == {4, 6}
    bad_header = hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": "csv-0000002"},
                             data=b"type,metric,when,value\nobservation,x,y,1\n")
    assert bad_header.status_code == 422 and "header.when" in fields(bad_header)
    no_id = hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1"}, data=csv_text.encode())
    assert no_id.status_code == 422 and "query.submission_id" in fields(no_id)


def test_a_stray_quote_in_a_csv_is_named_at_its_row_and_swallows_nothing(hub):
    """One cell opening a quote it never closes took every row after it into that cell: the upload was
    answered 200 with only the rows before it stored, the rest never checked nor reported (found by an
    adversarial review). Now the file is refused, naming the row the quote opened in."""
    rows = ["type,metric,observed_at,value", f"observation,ga_bed_occupancy_pct,{at(0)},91",
            f'observation,"ga_bed_occupancy_pct,{at(1)},92',
            f"observation,ga_bed_occupancy_pct,{at(2)},93", f"observation,mean_handover_minutes,{at(2)},40"]
    r = hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": "csv-quote-01"},
                    data=("\n".join(rows) + "\n").encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    (problem,) = r.json()["fields"]
    assert problem["field"] == "rows.3" and "quote opened in this row and never closed" in problem["reason"]
    assert of_kind(pull_all(hub), "observation", submission_id="csv-quote-01") == []


def test_a_csv_query_whose_escapes_are_not_utf8_is_refused_by_name(hub):
    """``submission_id=abcdefgh%FF`` was taken as "abcdefgh\ufffd", and "...%FE" then answered 409 about an
    id never sent (found by an adversarial review)."""
    csv_text = f"type,metric,observed_at,value\nobservation,ga_bed_occupancy_pct,{at(0)},91\n"
    for tail in ("%FF", "%FE"):
        r = hub.request("POST", f"/v1/submissions/csv?org_code=RTEST1&submission_id=abcdefgh{tail}",
                        data=csv_text.encode(), headers={"Content-Type": "text/csv"})
        assert r.status_code == 422, r.text
        assert fields(r) == {"query.submission_id": "submission_id: its percent-escapes are not UTF-8 text"}
