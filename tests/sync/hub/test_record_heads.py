"""``GET /v1/records/heads`` (session 27, optional): each decision chain's head as the hub holds it, for the
desktops' comparison (models/records/hub_heads.py). Authenticated as the feed is; index reads only."""

from __future__ import annotations

import pytest

from benchmarks import bench_record_heads as bench
from sync import authoring, record_heads
from tests.sync.engine.conftest import make_desktop  # noqa: F401

pytestmark = pytest.mark.timeout(300)


def test_the_heads_are_each_devices_newest_decision_and_the_hub_chains_read_by_whoever_reads_the_feed(
        hub, make_desktop):  # noqa: F811
    """SQLite and PostgreSQL (the recursive query runs on both)."""
    assert hub.request("GET", "/v1/records/heads", role=None).status_code == 401
    assert hub.request("GET", "/v1/records/heads", token="not-a-token").status_code == 401
    empty = hub.request("GET", "/v1/records/heads", role="viewer")
    assert empty.status_code == 200 and empty.json()["devices"] == [] and empty.json()["hub"] is None
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    written = {}
    for n, desk in enumerate((a, b, a)):
        written[n] = authoring.record_decision(desk.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                               decision=f"Decision {n}", rationale="r", recorded_by="Room support")
        assert desk.run_once().error is None
    heads = record_heads.ask(b.client)
    by_seq = {h.device_seq: h for h in heads.devices}
    assert sorted(by_seq) == [1, 2]
    assert (by_seq[2].uuid, by_seq[2].content_hash) == (written[2].uuid, written[2].content_hash)
    assert (by_seq[1].uuid, by_seq[1].position <= heads.head) == (written[1].uuid, True)
    assert heads.hub.uuid == written[2].uuid and heads.hub.position == by_seq[2].position
    assert heads.hub.device_seq == 2 and len(heads.hub.hub_hash) == 64
    submitter = hub.request("GET", "/v1/records/heads", role="provider_submitter")
    assert submitter.status_code == 403, submitter.text


def test_the_read_is_index_seeks_and_the_benchmark_runs(tmp_path, capsys):
    """No SCAN of a table in the heads read's plan (the recursive query's own rows excepted); the benchmark's
    short run reports (no timing asserted: the machine is shared)."""
    found = bench.run(400, 4, 3, tmp_path)
    scans = [step for step in found["plan"] if step.startswith("SCAN") and step != "SCAN devices"]
    assert scans == [], found["plan"]
    assert len(found["heads"].devices) == 4 and found["heads"].hub.position == found["heads"].head
    assert "GET /v1/records/heads from a desktop's client (3 runs)" in capsys.readouterr().out
