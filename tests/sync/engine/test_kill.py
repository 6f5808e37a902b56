"""A desktop's sync process killed (SIGKILL) at random points, again and again.

Afterwards the replica must equal the hub's feed exactly and every outbox
record must have reached the hub exactly once.  CI runs 20 kills; the slow
variant (``pytest -m slow``) runs 100.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from models.replica.orm import DecisionEntry, Observation, OutboxItem
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync.engine.conftest import submit

RUN_LIMIT_S = 30


def _hub_feed(hub):
    items, after = [], 0
    while True:
        body = hub.request("GET", "/v1/feed", role="room_lead",
                           params={"after": after, "limit": 5000}).json()
        items += body["items"]
        if not body["items"] or body["next_after"] >= body["head"]:
            return items
        after = body["next_after"]


def _sync_process(hub, path):
    env = {**os.environ, "SCC_PASSPHRASE": PASSPHRASE, "SCC_HUB_TOKEN": hub.tokens["room_lead"]}
    return subprocess.Popen([sys.executable, "-m", "scc_desktop", "sync", "--once", "--path", str(path),
                             "--hub", hub.url, "--batch-limit", "97"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


_minute = iter(range(10**6))


def _load_hub(hub, n_obs, rng):
    # Distinct past minutes, so the hub keeps every one (no duplicates, nothing in the future).
    base = datetime.now(timezone.utc) - timedelta(days=10)
    items = [{"type": "observation", "metric": "ga_bed_occupancy_pct",
              "observed_at": (base + timedelta(minutes=next(_minute))).isoformat(),
              "value": round(rng.uniform(80, 99), 1)} for _ in range(n_obs)]
    for start in range(0, n_obs, 2000):
        submit(hub, items[start:start + 2000])


def _run_kills(hub, tmp_path, kills, seed):
    rng = random.Random(seed)
    path = tmp_path / "desk" / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    _load_hub(hub, 4000, rng)
    killed_mid_run, run_length = 0, 2.0
    try:
        for run in range(kills):
            for _ in range(rng.randint(0, 3)):  # the room keeps writing between crashes
                authoring.record_decision(store, decision_maker="Lead", decision_maker_role="Room lead",
                                          decision=f"decision {run}", rationale="test",
                                          recorded_by="Lead")
            if run % 5 == 0:
                _load_hub(hub, 300, rng)
            proc = _sync_process(hub, path)
            started = time.monotonic()
            # Somewhere within what a whole run takes here (a faster machine finishes sooner: the
            # window follows the last run that ended by itself, so most runs are still cut off).
            deadline = started + rng.uniform(0.2, 1.0) * run_length
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if proc.poll() is None:
                proc.kill()
                killed_mid_run += 1
            elif proc.returncode == 0:
                run_length = time.monotonic() - started
            else:   # a run that ended by itself must have synced, not failed
                raise AssertionError(f"sync run {run} exited {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            proc.wait(RUN_LIMIT_S)
        # Recovery: a clean run to completion.
        final = _sync_process(hub, path)
        _, err = final.communicate(timeout=120)
        assert final.returncode == 0, err.decode()
        return store, killed_mid_run
    except BaseException:
        store.close()
        raise


def _check_exact(hub, store):
    feed = _hub_feed(hub)
    hub_obs = {i["seq"]: i["data"]["value"] for i in feed if i["kind"] == "observation"}
    with store.session() as s:
        local = dict(s.execute(select(Observation.feed_seq, Observation.value)).all())
        outbox = s.scalars(select(OutboxItem)).all()
        decisions = s.scalar(select(DecisionEntry).limit(1))
    assert local == hub_obs  # nothing skipped, nothing doubled, values identical
    records = Counter(i["data"]["uuid"] for i in feed if i["kind"] == "record")
    assert all(item.sent_at is not None for item in outbox)
    assert {item.uuid for item in outbox} == set(records)
    assert set(records.values()) <= {1}  # each reached the hub exactly once
    return len(hub_obs), len(outbox), decisions


def test_sync_survives_sigkill_at_random_points(sqlite_hub, tmp_path):
    store, killed = _run_kills(sqlite_hub, tmp_path, kills=20, seed=20261125)
    try:
        n_obs, n_records, _ = _check_exact(sqlite_hub, store)
        assert n_obs == 4000 + 4 * 300 and n_records > 0
        print(f"killed mid-run: {killed} of 20")
        assert killed >= 10  # most runs really were cut off mid-sync
    finally:
        store.close()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sync_survives_100_sigkills(sqlite_hub, tmp_path):
    store, killed = _run_kills(sqlite_hub, tmp_path, kills=100, seed=7)
    try:
        _check_exact(sqlite_hub, store)
    finally:
        store.close()


def test_hub_restarted_mid_sync(sqlite_hub, make_desktop):
    import threading
    rng = random.Random(3)
    _load_hub(sqlite_hub, 3000, rng)
    desk = make_desktop(sqlite_hub, batch_limit=50)
    stop = threading.Event()
    cycles = []
    worker = threading.Thread(target=desk.run, args=(stop,),
                              kwargs={"poll_interval": 0.2, "long_poll": 0, "on_cycle": cycles.append})
    worker.start()
    try:
        time.sleep(0.5)
        sqlite_hub.restart()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and desk.position() < _hub_feed(sqlite_hub)[-1]["seq"]:
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    assert any(c.error for c in cycles), "the restart was not seen as an outage"
    n_obs, _, _ = _check_exact(sqlite_hub, desk.store)
    assert n_obs == 3000
