"""A hub restart (clean or a crash) keeps everything: feed, receipts, records, tokens, chain."""

from __future__ import annotations

import threading
import time

from tests.sync.hub.helpers import decision, feed, obs, pull_all, push, submission


def test_restart_and_crash_keep_the_feed_idempotency_tokens_and_the_chain(hub):
    sub = submission([obs("ga_bed_occupancy_pct", 93.0), obs("ga_bed_occupancy_pct", 999.0)], sid="sub-restart-01")
    first = hub.request("POST", "/v1/submissions", json=sub).json()
    rec = decision("before the restart")
    stored = push(hub, [rec]).json()["results"][0]
    before = pull_all(hub)
    hub_id = hub.request("GET", "/health").json()["hub_id"]
    quarantine = hub.request("GET", "/v1/quarantine").json()["items"]

    for bounce in (hub.restart, lambda: (hub.kill(), hub.start())):
        bounce()
        assert hub.request("GET", "/health").json()["hub_id"] == hub_id
        assert pull_all(hub) == before
        assert hub.request("GET", "/v1/quarantine").json()["items"] == quarantine
        again = hub.request("POST", "/v1/submissions", json=sub).json()
        assert again == {**first, "duplicate": True}
        assert push(hub, [rec]).json()["results"][0] == {**stored, "status": "duplicate"}
        assert hub.request("GET", "/v1/feed", role="viewer").status_code == 200

    after = push(hub, [decision("after the restarts")]).json()["results"][0]
    items = pull_all(hub, after=before[-1].seq)
    assert [i.seq for i in items] == [after["seq"]]
    chained = items[0].data
    assert chained["hub_prev_hash"] == next(i for i in before if i.seq == stored["seq"]).data["hub_hash"]


def test_stopping_releases_a_waiting_long_poll_at_once(hub):
    head = hub.request("GET", "/health").json()["head"]
    out = {}

    def wait():
        try:
            out["batch"] = feed(hub, head, wait=25)
        except Exception as exc:  # a refused connection would also do; a hang would not
            out["error"] = exc
        out["at"] = time.monotonic()

    t = threading.Thread(target=wait, daemon=True)
    t.start()
    time.sleep(0.5)
    started = time.monotonic()
    hub.stop()
    t.join(10)
    assert time.monotonic() - started < 4
    assert out["at"] - started < 4
    assert out.get("batch") is not None and out["batch"].items == []
