"""The feed's columnar format (protocol 1.1): the same positions as items, observations as columns."""

from __future__ import annotations

import json
import threading
import time

import pytest

from sync.hub.feed import observation_columns
from sync.protocol import MAX_COLUMNAR_BATCH, MAX_FEED_BATCH, OBSERVATION_COLUMNS, FeedBatch
from tests.sync.hub.helpers import feed, obs, submit


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def columnar(hub, after: int = 0, limit: int = MAX_COLUMNAR_BATCH, wait: float = 0) -> FeedBatch:
    r = hub.request("GET", "/v1/feed", role="room_lead",
                    params={"after": after, "limit": limit, "wait": wait, "format": "columnar"})
    assert r.status_code == 200, r.text
    return FeedBatch.model_validate(r.json())


def fixed(t: str) -> str:
    return t[:19] + ".000000+00:00" if len(t) == 25 else t


def test_columnar_carries_exactly_the_positions_of_the_item_batch(hub):
    # RTEST2: the shared hub's other tests count RTEST1's critcon items.
    r = submit(hub, [obs("ga_bed_occupancy_pct", 90.5, minutes=1), obs("ed_four_hour_performance_pct", 71.0),
                     {"type": "critcon", "reported_at": obs("x", 0)["observed_at"], "level": 2}], org="RTEST2")
    assert r.status_code == 200, r.text
    head = hub.request("GET", "/health").json()["head"]
    after = max(0, head - 40)  # a window with observations and other kinds
    items, cols = feed(hub, after, limit=MAX_FEED_BATCH), columnar(hub, after)
    assert (cols.next_after, cols.head, cols.hub_id) == (items.next_after, items.head, items.hub_id)
    block = cols.observations
    assert block is not None and block.seq == sorted(block.seq)
    expected = [i for i in items.items if i.kind == "observation"]
    assert block.seq == [i.seq for i in expected]
    for n, item in enumerate(expected):
        d = item.data
        assert [getattr(block, c)[n] for c in OBSERVATION_COLUMNS] == [
            d["org_code"], d["metric"], fixed(d["observed_at"]), d["value"], d["source"], fixed(d["received_at"])]
        assert len(block.observed_at[n]) == 32 and block.observed_at[n].endswith("+00:00")
    assert cols.items == [i for i in items.items if i.kind != "observation"]
    assert sorted([i.seq for i in cols.items] + block.seq) == [i.seq for i in items.items]


def test_a_plain_request_gets_items_only_as_in_1_0(hub):
    submit(hub, [obs("ga_bed_occupancy_pct", 85.0)])
    body = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": MAX_FEED_BATCH}).json()
    assert body.get("observations") is None
    assert any(i["kind"] == "observation" for i in body["items"])


def test_columnar_batches_may_be_larger_item_batches_may_not(hub):
    for n in range(3):
        submit(hub, [obs("ga_bed_occupancy_pct", 80.0 + n, minutes=n)])
    head = hub.request("GET", "/health").json()["head"]
    huge = columnar(hub, 0, limit=10**9)
    assert huge.next_after == min(head, MAX_COLUMNAR_BATCH)
    small = columnar(hub, 0, limit=3)
    assert len(small.items) + len(small.observations.seq) == 3 and small.next_after == 3
    r = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "format": "xml"})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "query.format"


def test_a_waiting_columnar_reader_wakes_on_a_submission(hub):
    start = hub.request("GET", "/health").json()["head"]
    out = {}

    def run():
        out["batch"] = columnar(hub, start, wait=20)
        out["at"] = time.monotonic()

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    time.sleep(0.5)
    assert submit(hub, [obs("ga_bed_occupancy_pct", 77.0)]).status_code == 200
    submitted = time.monotonic()
    reader.join(5)
    assert out["at"] - submitted < 1.0
    assert out["batch"].observations.seq[0] == start + 1


def test_columns_keep_what_they_cannot_carry_as_items():
    good = {"metric": "m", "observed_at": "2026-01-12T09:00:00+00:00", "value": 1.5, "org_code": "RXX",
            "received_at": "2026-01-12T09:01:00.250000+00:00", "submission_id": "s"}
    cols, odd = observation_columns([1, 2], [json.dumps(good), json.dumps(good)])
    assert odd == [] and cols["source"] == ["provider", "provider"]  # FeedObservation's default
    assert cols["observed_at"] == ["2026-01-12T09:00:00.000000+00:00"] * 2
    assert cols["received_at"] == ["2026-01-12T09:01:00.250000+00:00"] * 2
    broken = {k: v for k, v in good.items() if k != "metric"}
    cols, odd = observation_columns([1, 2, 3], [json.dumps(good), json.dumps(broken), "[1, 2]"])
    assert cols["seq"] == [1] and cols["metric"] == ["m"]
    assert [(seq, kind) for seq, kind, _ in odd] == [(2, "observation"), (3, "observation")]
