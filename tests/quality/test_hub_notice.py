"""What the hub quarantines at intake reaches the room's feed with its reasons (protocol 1.4),
on SQLite and PostgreSQL: a JSON submission partly refused, one wholly refused (422), a CSV upload
of bad rows (bounded: the first hundred listed, all counted)."""

from __future__ import annotations

from sync.limits import MAX_NOTICE_REJECTIONS
from sync.protocol import FeedIntakeNotice
from tests.sync.hub.helpers import at, obs, of_kind, pull_all, submission


def test_every_quarantined_item_reaches_the_room_with_its_reasons(hub):
    body = submission([obs("ga_bed_occupancy_pct", 94.5), obs("ga_bed_occupancy_pct", 180.0),
                       {"type": "ambulance_status", "declared_at": at(), "reap_level": 7}], sid="sub-notice-0001")
    body["submitted_at"] = at(-50)   # the sending clock says 50 minutes before the hub's
    assert hub.request("POST", "/v1/submissions", json=body).status_code == 200
    wholly = submission([obs("no_such_metric", 1.0)], sid="sub-notice-0002")
    assert hub.request("POST", "/v1/submissions", json=wholly).status_code == 422
    rows = "type,metric,observed_at,value\n" + "".join(
        f"observation,ga_bed_occupancy_pct,{at()},{200 + n}\n" for n in range(MAX_NOTICE_REJECTIONS + 20))
    csv = hub.request("POST", "/v1/submissions/csv", params={"org_code": "RTEST1", "submission_id": "sub-notice-0003"},
                      data=rows.encode(), headers={"Content-Type": "text/csv"})
    assert csv.status_code == 422

    items = pull_all(hub, role="viewer")   # any reading role, not only an admin
    notices = {i.data["submission_id"]: FeedIntakeNotice.model_validate(i.data)
               for i in of_kind(items, "intake_notice")}
    first = notices["sub-notice-0001"]
    assert (first.org_code, first.accepted, first.rejected_count) == ("RTEST1", 1, 2)
    assert first.accepted_keys == ["observation:ga_bed_occupancy_pct"]
    reasons = {e.field: e.reason for r in first.rejected for e in r.errors}
    assert "outside the valid range" in reasons["items.1.value"] and "items.2.reap_level" in reasons
    assert [r.metric for r in first.rejected] == ["ga_bed_occupancy_pct", None]
    assert (first.received_at - first.submitted_at).total_seconds() > 45 * 60
    # Its items precede it on the feed: the notice and what it describes commit together.
    (ob,) = of_kind(items, "observation", submission_id="sub-notice-0001")
    assert ob.seq < next(i.seq for i in items if i.data.get("submission_id") == "sub-notice-0001"
                         and i.kind == "intake_notice")

    refused = notices["sub-notice-0002"]
    assert refused.accepted == 0 and "unknown metric" in refused.rejected[0].errors[0].reason
    bulk = notices["sub-notice-0003"]
    assert (bulk.source, bulk.rejected_count, len(bulk.rejected)) == ("csv", MAX_NOTICE_REJECTIONS + 20,
                                                                      MAX_NOTICE_REJECTIONS)
    assert bulk.rejected[0].row == 2 and bulk.rejected[0].errors[0].field == "rows.2.value"
