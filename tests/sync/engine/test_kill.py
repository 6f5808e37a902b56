"""A desktop's sync process (``scc-desktop sync --once``) killed with SIGKILL at random points,
again and again.

Each run talks to the hub through a pass-through ``FaultProxy`` (no faults): the test waits for the
run's first request to reach the hub, so the kill falls inside the run's work (pushing the outbox,
fetching, applying), not in its start-up imports; a run counts as *cut off mid-work* when it was
killed after its first request and the replica was then still short of the feed or of the outbox.
After every run the replica equals the hub's feed up to its cursor (nothing lost, nothing doubled,
nothing beyond); after a final clean run it equals the whole feed and every outbox record reached
the hub exactly once.  CI runs 8 kills; ``pytest -m slow`` runs 60 (at least 25 cut off mid-work).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from sync import authoring, outbox
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support import forkserver
from tests.support.fault_proxy import FaultProxy
from tests.support.hub import REPO
from tests.support.replica import fresh_replica
from tests.sync.engine.conftest import submit
from tests.sync.engine.exactly_once import check_exact, check_prefix, hub_feed

RUN_LIMIT_S = 30
FIRST_REQUEST_S = 20


def _sync_process(hub, path, url=None):
    """``scc-desktop sync --once`` in a process of its own: forked from the tests' fork server (its
    imports already done, as for the hubs), or a cold interpreter when that is turned off."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCC_PASSPHRASE": PASSPHRASE,
           "SCC_HUB_TOKEN": hub.tokens["room_lead"]}
    args = ["sync", "--once", "--path", str(path), "--hub", url or hub.url, "--batch-limit", "97"]
    server = forkserver.server(REPO)
    if server is not None:
        return server.spawn(args, env, REPO, path.parent / "sync.log")
    return subprocess.Popen([sys.executable, "-m", "scc_desktop", *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=open(path.parent / "sync.log", "wb"), stdin=subprocess.DEVNULL)


def _log(path) -> str:
    return (path.parent / "sync.log").read_text(errors="replace")[-2000:]


_minute = iter(range(10**6))


def _load_hub(hub, n_obs, rng):
    # Distinct past minutes, so the hub keeps every one (no duplicates, nothing in the future).
    base = datetime.now(timezone.utc) - timedelta(days=30)
    items = [{"type": "observation", "metric": "ga_bed_occupancy_pct",
              "observed_at": (base + timedelta(minutes=next(_minute))).isoformat(),
              "value": round(rng.uniform(80, 99), 1)} for _ in range(n_obs)]
    for start in range(0, n_obs, 2000):
        submit(hub, items[start:start + 2000])


def _run_kills(hub, tmp_path, kills, seed, per_run=500, enough=None):
    """``kills`` runs each killed at a random point of its work (or fewer: stop once ``enough`` were
    cut off mid-work); returns the store, the runs made, how many were killed while running, how
    many of those were cut off mid-work, and the positions checked."""
    print(f"kill seed: {seed}")
    rng = random.Random(seed)
    path = tmp_path / "desk" / "scc.db"
    store = fresh_replica(path, PASSPHRASE, kdf=FAST_KDF)
    proxy = FaultProxy(hub.url, seed=seed, fault_rate=0)   # passes everything; counts the requests
    _load_hub(hub, 2000, rng)
    killed, cut_off, checked, work_s, runs = 0, 0, 0, 0.3, 0
    try:
        for run in range(kills):
            if enough is not None and cut_off >= enough:
                break
            runs += 1
            for _ in range(rng.randint(0, 3)):  # the room keeps writing between crashes
                authoring.record_decision(store, decision_maker="Lead", decision_maker_role="Room lead",
                                          decision=f"decision {run}", rationale="test", recorded_by="Lead")
            _load_hub(hub, per_run, rng)
            requests_before = sum(proxy.counts.values())
            proc = _sync_process(hub, path, proxy.url)
            waited = time.monotonic() + FIRST_REQUEST_S
            while proc.poll() is None and sum(proxy.counts.values()) == requests_before and time.monotonic() < waited:
                time.sleep(0.002)
            working = time.monotonic()
            # Somewhere within what a run's work takes here: from its first request to its last answer
            # in the last run that ended by itself (not its exit: closing the replica and the
            # interpreter take longer than the work on a quiet machine, and a kill there cuts nothing).
            deadline = working + rng.uniform(0, 0.9) * work_s
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            if proc.poll() is None:
                proc.kill()
                killed += 1
            elif proc.returncode == 0:   # its work: from its first request to the last answer it got
                work_s = max(0.05, proxy.last_answered - working)
            else:   # a run that ended by itself must have synced, not failed
                raise AssertionError(f"sync run {run} exited {proc.returncode}: {_log(path)}")
            proc.wait(RUN_LIMIT_S)
            feed = hub_feed(hub)
            cursor = check_prefix(feed, store)   # after every crash: nothing lost, doubled or beyond
            checked += cursor
            if proc.returncode != 0 and (cursor < feed[-1]["seq"] or outbox.pending_count(store)):
                cut_off += 1
        # Recovery: a clean run to completion.
        final = _sync_process(hub, path)
        assert final.wait(120) == 0, _log(path)
        return store, runs, killed, cut_off, checked
    except BaseException:
        store.close()
        raise
    finally:
        proxy.stop()


def _kills(hub, tmp_path, kills, seed, at_least, enough=None):
    store, runs, killed, cut_off, checked = _run_kills(hub, tmp_path, kills=kills, seed=seed, enough=enough)
    try:
        n_obs, n_records = check_exact(hub, store)
        print(f"{runs} runs: {killed} killed while running, {cut_off} cut off mid-work; "
              f"{checked} feed positions compared after the kills (sum over runs), then {n_obs} observations and "
              f"{n_records} outbox records: 0 lost, 0 duplicated")
        assert n_obs == 2000 + runs * 500 and n_records > 0
        assert cut_off >= at_least, f"only {cut_off} of {runs} runs were cut off mid-work"
    finally:
        store.close()


def test_sync_survives_sigkill_at_random_points(sqlite_hub, tmp_path):
    # Until 3 runs were cut off mid-work, at most 20 runs: how many a kill cuts off depends on how
    # fast the machine is at that moment (8 fixed runs cut off 2 in one CI check under pytest-xdist).
    _kills(sqlite_hub, tmp_path, kills=20, seed=20261125, at_least=3, enough=3)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sync_survives_60_sigkills(sqlite_hub, tmp_path):
    seed = int(os.environ.get("SCC_KILL_SEED", str(random.SystemRandom().randrange(10**6))))
    _kills(sqlite_hub, tmp_path, kills=60, seed=seed, at_least=25)


def test_hub_restarted_mid_sync(sqlite_hub, make_desktop):
    """The hub stops while the desktop has synced part of the feed, stays down until a sync cycle has
    failed on it (the outage seen; waiting a fixed 0.5 s raced a desktop that had caught up and a
    restart quick enough to fall between two of its cycles), comes back with more submitted, and the
    desktop catches up with nothing lost or doubled."""
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
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and desk.position() == 0:
            time.sleep(0.005)
        sqlite_hub.stop()
        assert 0 < desk.position()
        while time.monotonic() < deadline and not any(c.error for c in cycles):
            time.sleep(0.05)
        sqlite_hub.start()
        _load_hub(sqlite_hub, 500, rng)
        while time.monotonic() < deadline and desk.position() < hub_feed(sqlite_hub)[-1]["seq"]:
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    assert any(c.error for c in cycles), "the restart was not seen as an outage"
    n_obs, _ = check_exact(sqlite_hub, desk.store)
    assert n_obs == 3500
