"""A desktop whose clock is two hours off the hub's (ahead and behind), on a real shifted clock.

The desktop runs as a real process under libfaketime (``LD_PRELOAD``, ``FAKETIME=+2h`` or ``-2h``;
its monotonic clock left alone): it records decisions (authored at its own wrong time) and runs
``scc-desktop sync --once``, which prints what the desktop shows.  The hub and the provider's
system keep the right time.  Asserted:

- sync is unaffected: the replica equals the hub's feed, every decision reached the hub once and
  sits on the feed in the order it was recorded (the hub orders by arrival, not by anyone's clock);
- staleness is judged on the hub's clock (its ``server_time`` against the ``last_provider_data_at``
  it reports, both the hub's times), so fresh data is not shown stale because this computer runs
  ahead, and data 45 minutes old is not shown fresh because it runs behind.

The other way round, the hub's process runs two hours ahead of a right-timed desktop and provider.

Skipped, with the reason, where libfaketime is not installed (Debian: ``apt-get install faketime``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import update

from sync import authoring

from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import REPO
from tests.support.replica import fresh_replica
from tests.sync.engine.conftest import submit
from tests.sync.engine.exactly_once import check_exact, hub_feed

LIBFAKETIME = next((p for p in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                                "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                                "/usr/lib/faketime/libfaketime.so.1") if Path(p).exists()), None)
DECISIONS = 5

pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed "
                                "(Debian: apt-get install faketime); a shifted clock needs it")

# Run in the shifted process: record decisions through the door's authoring, then sync once.
_DESKTOP = """
import sys
from pathlib import Path
from models.replica.store import Store
from sync import authoring
store = Store.unlock(Path(sys.argv[1]), sys.argv[2])
for i in range(int(sys.argv[3])):
    authoring.record_decision(store, decision_maker="Lead", decision_maker_role="Room lead",
                              decision=f"skewed decision {i}", rationale="clock test", recorded_by="Lead")
store.close()
from scc_desktop.cli import main
sys.exit(main(["sync", "--once", "--path", sys.argv[1], "--hub", sys.argv[4]]))
"""


def _shifted_desktop(hub, path: Path, shift: str, decisions: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCC_HUB_TOKEN": hub.tokens["room_lead"],
           "SCC_PASSPHRASE": PASSPHRASE, "LD_PRELOAD": LIBFAKETIME, "FAKETIME": shift,
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_RESET": "1"}
    return subprocess.run([sys.executable, "-c", _DESKTOP, str(path), PASSPHRASE, str(decisions), hub.url],
                          env=env, capture_output=True, text=True, timeout=120)


def _age_provider_data(hub, minutes: int) -> None:
    """The hub received its newest submission ``minutes`` ago (by the hub's clock)."""
    from sync.hub import schema as s
    from sync.hub.db import HubDB

    db = HubDB(hub.db_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(update(s.submission).values(
                received_at=datetime.now(timezone.utc) - timedelta(minutes=minutes)))
    finally:
        db.dispose()


@pytest.mark.parametrize("shift,data_age_min,expect", [
    ("+2h", 2, "online"),        # ahead: fresh data would have looked 2 h old
    ("-2h", 45, "feed_stale"),   # behind: old data would have looked fresh
    pytest.param("+2h", 45, "feed_stale", marks=pytest.mark.slow),
    pytest.param("-2h", 2, "online", marks=pytest.mark.slow),
])
def test_a_desktop_two_hours_off_syncs_exactly_and_judges_staleness_on_the_hubs_clock(
        sqlite_hub, tmp_path, shift, data_age_min, expect):
    base = datetime.now(timezone.utc) - timedelta(hours=6)
    submit(sqlite_hub, [{"type": "observation", "metric": "ga_bed_occupancy_pct",
                         "observed_at": (base + timedelta(minutes=i)).isoformat(), "value": 80 + i % 19}
                        for i in range(300)])
    _age_provider_data(sqlite_hub, data_age_min)
    path = tmp_path / "desk" / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()

    run = _shifted_desktop(sqlite_hub, path, shift, DECISIONS)
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    print(f"desktop {shift} with provider data {data_age_min} min old shows: state={shown['state']!r} "
          f"detail={shown['detail']!r} last_sync={shown['last_good_sync']} "
          f"provider_data_at={shown['last_provider_data_at']}")
    assert shown["state"] == expect, shown
    if expect == "feed_stale":
        assert shown["detail"] in (f"newest provider data is {data_age_min} min old",
                                   f"newest provider data is {data_age_min + 1} min old"), shown
    # The desktop's own clock shows in what it wrote: its sync time is two hours off.
    synced = datetime.fromisoformat(shown["last_good_sync"])
    sign = 1 if shift.startswith("+") else -1
    assert abs(synced - datetime.now(timezone.utc) - sign * timedelta(hours=2)) < timedelta(minutes=5)

    from models.replica.store import Store   # the cycle pushed its records, then pulled them back
    store = Store.unlock(path, PASSPHRASE)
    try:
        n_obs, n_records = check_exact(sqlite_hub, store)
    finally:
        store.close()
    assert n_obs == 300 and n_records == DECISIONS
    decided = [i["data"]["data"] for i in hub_feed(sqlite_hub) if i["kind"] == "record"]
    assert [d["decision"] for d in decided] == [f"skewed decision {i}" for i in range(DECISIONS)]
    assert [d["device_seq"] for d in decided] == sorted(d["device_seq"] for d in decided)


@pytest.mark.parametrize("data_age_min,expect", [(45, "feed_stale"), pytest.param(2, "online", marks=pytest.mark.slow)])
def test_a_hub_two_hours_ahead_of_the_desktop(tmp_path, data_age_min, expect):
    """The other way round: the hub's process runs two hours ahead (libfaketime), the desktop and
    the provider keep the right time. Provider data received 45 minutes ago by the hub's clock
    would look 1 h 15 min in the future to the desktop, and so fresh; it is shown stale."""
    from sync.client import HubClient
    from sync.connectivity import State
    from sync.engine import SyncEngine
    from tests.support.hub import HubProcess, seed

    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+2h", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
           "FAKETIME_DONT_RESET": "1"}
    # A preamble makes the helper start a cold interpreter, so LD_PRELOAD applies (not a fork).
    hub = HubProcess(db_url, tmp_path, seed(db_url), env, preamble="import os").start()
    store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        server_time = datetime.fromisoformat(hub.request("GET", "/v1/feed", role="room_lead").json()["server_time"])
        assert abs(server_time - datetime.now(timezone.utc) - timedelta(hours=2)) < timedelta(minutes=5)
        base = datetime.now(timezone.utc) - timedelta(hours=6)
        submit(hub, [{"type": "observation", "metric": "ga_bed_occupancy_pct",
                      "observed_at": (base + timedelta(minutes=i)).isoformat(), "value": 80 + i % 19}
                     for i in range(300)])
        from sync.hub import schema as s
        from sync.hub.db import HubDB

        db = HubDB(db_url)
        try:
            with db.engine.begin() as conn:   # received ``data_age_min`` ago on the hub's clock
                conn.execute(update(s.submission).values(
                    received_at=server_time - timedelta(minutes=data_age_min)))
        finally:
            db.dispose()
        engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
        for i in range(DECISIONS):
            authoring.record_decision(store, decision_maker="Lead", decision_maker_role="Room lead",
                                      decision=f"decision {i}", rationale="clock test", recorded_by="Lead")
        result = engine.run_once()
        shown = result.connectivity
        print(f"hub +2h with provider data {data_age_min} min old: desktop shows {shown.state.value!r} "
              f"{shown.detail!r}; hub offset {engine.hub_offset}")
        assert result.error is None and shown.state == State(expect)
        if expect == "feed_stale":
            assert shown.detail in (f"newest provider data is {data_age_min} min old",
                                    f"newest provider data is {data_age_min + 1} min old")
        n_obs, n_records = check_exact(hub, store)
        assert n_obs == 300 and n_records == DECISIONS
    finally:
        store.close()
        hub.stop()
