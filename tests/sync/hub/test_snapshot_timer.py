"""``hub serve --snapshots DIR --snapshot-every HOURS --prune-keep-days D``: the hub publishes and
prunes by itself (scc_desktop/commands/hub_timer.py), in a child process under the folder's lock.

Real serve processes on loopback (tests/support/hub.py); the lock is held by this test exactly as a
second hub process's make would hold it (``sync.hub.snapshot.making``)."""

from __future__ import annotations

import re
import time

import pytest

from sync.hub import snapshot
from tests.support.hub import start_hub
from tests.sync.hub.helpers import obs, submit

pytestmark = pytest.mark.timeout(180)
EVERY_H = "0.001"   # 3.6 s


def _wait_for(predicate, what: str, hub, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen in {timeout:g} s; hub log:\n{hub.log()[-4000:]}")


def _snapshot(hub) -> dict | None:
    r = hub.request("GET", "/v1/snapshot", role="viewer")
    return r.json() if r.status_code == 200 else None


def test_the_hub_publishes_prunes_and_logs_on_its_timer_without_holding_up_requests(tmp_path):
    folder = tmp_path / "snapshots"
    hub = start_hub(tmp_path, args=("--snapshots", str(folder), "--snapshot-every", EVERY_H,
                                    "--prune-keep-days", "0"))
    try:
        for n in range(3):
            assert submit(hub, [obs("ga_bed_occupancy_pct", 80.0 + n, n)]).status_code == 200
        head = hub.request("GET", "/health").json()["head"]
        first = _wait_for(lambda: (s := _snapshot(hub)) and s["position"] >= head and s, "a snapshot of the head", hub)
        # Requests are answered while the timer's makes run (a child process: never the serve's own CPU).
        slowest = 0.0
        for n in range(3, 6):
            t = time.perf_counter()
            assert submit(hub, [obs("ga_bed_occupancy_pct", 80.0 + n, n)]).status_code == 200
            assert hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0}).status_code in (200, 410)
            slowest = max(slowest, time.perf_counter() - t)
        head = hub.request("GET", "/health").json()["head"]
        later = _wait_for(lambda: (s := _snapshot(hub)) and s["position"] >= head and s, "the next snapshot", hub)
        assert later["position"] > first["position"]
        # Pruned after publishing (keep 0 days): the observations the snapshot holds are gone, so a new
        # desktop replaying from 0 is told to join from the snapshot; organisations are never pruned.
        refusal = _wait_for(lambda: (r := hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0}))
                            .status_code == 410 and r.json(), "410 feed_pruned after a pruning make", hub)
        assert refusal.get("error", refusal)["code"] == "feed_pruned", refusal
        # The make's line is written once it has pruned too, after the snapshot is served: wait for it
        # (read at once, a loaded machine had run 2 published but its line not yet written).
        pattern = re.compile(r"snapshot timer: published the snapshot at position (\d+) .* in [\d.]+ s; "
                             r"pruned (\d+) positions")
        _wait_for(lambda: len(pattern.findall(hub.log())) >= 2, "two makes' published lines", hub)
        log = hub.log()
        assert "snapshot timer: a snapshot of the feed every 0.001 h" in log
        published = pattern.findall(log)
        assert sum(int(d) for _, d in published) >= 6   # the six observations (each in its own position)
        # A round with the feed unmoved keeps the snapshot (a download under way is not changed).
        _wait_for(lambda: "the feed has not moved: kept the snapshot at position" in hub.log(), "a round that kept", hub)
        runs = hub.log().count("making a snapshot")
        time.sleep(2 * 3.6)   # two intervals: two makes, three at a boundary; a timer gone wild makes dozens
        assert hub.log().count("making a snapshot") - runs <= 3, "the timer runs more often than its interval"
        assert slowest < 2.0, f"a request took {slowest:.2f} s while the timer ran"
    finally:
        hub.stop()
    assert "Traceback" not in hub.log()


def test_a_make_under_another_process_lock_does_nothing_says_so_and_the_next_one_publishes(tmp_path):
    folder = tmp_path / "snapshots"
    with snapshot.making(folder):   # another hub process's make, as far as this hub can tell
        hub = start_hub(tmp_path, args=("--snapshots", str(folder), "--snapshot-every", EVERY_H))
        try:
            _wait_for(lambda: "another 'hub snapshot make' is running" in hub.log(), "the refusal", hub)
            assert _snapshot(hub) is None and not list(folder.glob("snapshot-*.db"))
        except BaseException:
            hub.stop()
            raise
    try:
        # Refused runs wait min(interval, 10 min) before the next: 3.6 s here.
        info = _wait_for(lambda: _snapshot(hub), "a snapshot once the lock was free", hub)
        assert info["position"] == hub.request("GET", "/health").json()["head"]
        assert "no snapshot this time" in hub.log() and "another 'hub snapshot make' is running" in hub.log()
    finally:
        hub.stop()


def test_a_restarted_hub_waits_for_the_interval_from_the_newest_snapshot(tmp_path):
    folder = tmp_path / "snapshots"
    hub = start_hub(tmp_path, args=("--snapshots", str(folder), "--snapshot-every", "1"))   # one hour
    try:
        first = _wait_for(lambda: _snapshot(hub), "the first snapshot (none was published yet)", hub)
        hub.restart()
        time.sleep(3)
        assert _snapshot(hub) == first
        assert hub.log().count("making a snapshot") == 0   # the new process's log: not due for an hour
    finally:
        hub.stop()


@pytest.mark.parametrize("args, says", [
    (("--snapshot-every", "2"), "--snapshot-every: give the folder"),
    (("--prune-keep-days", "3"), "--prune-keep-days: only with --snapshot-every"),
    (("--snapshots", "DIR", "--snapshot-every", "0"), "must be more than 0 hours"),
    (("--snapshots", "DIR", "--snapshot-every", "1", "--prune-keep-days", "-1"), "must be 0 or more"),
])
def test_bad_timer_options_are_refused_naming_the_option(tmp_path, args, says):
    import subprocess
    import sys

    from tests.support.hub import REPO

    args = tuple(str(tmp_path / "s") if a == "DIR" else a for a in args)
    done = subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "serve", "--db",
                           f"sqlite:///{tmp_path / 'hub.db'}", "--port", "0", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and says in done.stderr, done.stderr


def test_two_hub_processes_on_one_folder_publish_each_position_once(tmp_path):
    """Two serve processes behind one address (--reuse-port), both with the timer on one folder: at
    each round one makes (the lock) and the other is refused, or finds the feed unmoved and keeps it."""
    from tests.support.hub import HubProcess

    folder = tmp_path / "snapshots"
    timer = ("--snapshots", str(folder), "--snapshot-every", EVERY_H, "--reuse-port")
    first = start_hub(tmp_path, args=timer)
    second = HubProcess(first.db_url, tmp_path, dict(first.tokens), port=first.port, args=timer).start()
    try:
        for n in range(3):
            assert submit(first, [obs("ga_bed_occupancy_pct", 70.0 + n, n)]).status_code == 200
        head = first.request("GET", "/health").json()["head"]
        _wait_for(lambda: (s := _snapshot(first)) and s["position"] >= head, "a snapshot of the head", first)
        _wait_for(lambda: first.log().count("making a snapshot") + second.log().count("making a snapshot") >= 6,
                  "three rounds between them", first)
    finally:
        first.stop()
        second.stop()
    logs = first.log() + second.log()
    published = re.findall(r"snapshot timer: published the snapshot at position (\d+)", logs)
    assert published and len(published) == len(set(published)), logs   # never the same position twice
    others = logs.count("another 'hub snapshot make' is running") + logs.count("the feed has not moved: kept")
    assert others >= 1, logs
    assert "making a snapshot" in first.log() and "making a snapshot" in second.log()
