"""/m/ after a restart of a hub whose feed was pruned (docs/retention.md, sync/hub/web/snapshot_seed.py).

The week ahead:
A real hub (a process on loopback) took six weeks of handovers and occupancy (``tests.web.week_world``);
``hub snapshot make --prune-keep-days 0`` published a snapshot and deleted every bulk position it holds;
then a tail of new handovers came.  A desktop that synced all along holds the six weeks.  The hub,
restarted, must give the desktop's week ahead, learning the weeks the feed no longer holds from the
snapshot, and follow the tail from the snapshot's position.  Before, it learnt from the tail alone
("too little history") until the feed held twelve weeks again.

The chance of OPEL 3+: the 40-provider simulated system's levels (``tests.sync.snapshot_world``), the feed
pruned up to a new snapshot; a reader started afterwards must hold the levels a reader that followed the
whole feed holds.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from models.service import week_ahead as door
from sync.hub import retention, snapshot_check, snapshot_files
from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web import snapshot_seed
from sync.hub.web.board import BoardReader
from sync.hub.web.week_board import WeekBoard
from tests.models.conftest import FAST_KDF
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica
from tests.sync.snapshot_world import copied_world, hub_command
from tests.web import week_world
from tests.web.support import add_account, login
from tests.web.test_week_ahead_board import UK, sync
from tests.web.world import submit

pytestmark = pytest.mark.timeout(420)
DAYS = 42


def _tail(hub, now) -> None:
    """Twelve arrivals at the first site today (UK day), after the snapshot: within the last two hours, and
    since midnight when that is nearer (a run at 00:30 counted 2 of 12 today, the rest yesterday's)."""
    code = week_world.LONG[0][0]
    since = min(timedelta(hours=2), now - datetime.combine(now.astimezone(UK).date(), datetime.min.time(), UK))
    items = []
    for n in range(12):
        arrived = now - since * (n + 0.5) / 12
        item = {"type": "handover", "event_uuid": str(uuid.uuid4()), "hospital_code": code, "state": "arrived",
                "arrived_at": arrived.isoformat(), "vehicle_ref": "V0"}
        if arrived + timedelta(minutes=4) <= now:
            item.update(state="handed_over", handed_over_at=(arrived + timedelta(minutes=4)).isoformat())
        items.append(item)
    submit(hub, week_world.AMBULANCE["ods_code"], items)


@pytest.fixture
def pruned(tmp_path):
    folder = tmp_path / "snapshots"
    hub = start_hub(tmp_path, orgs=week_world.ORGS, args=("--snapshots", str(folder)))
    db = HubDB(hub.db_url)
    store = None
    try:
        db.init_schema()   # reads the hub's id (the snapshot must be this hub's)
        now = utcnow()
        week_world.send(hub, now, DAYS)
        store = fresh_replica(tmp_path / "desk.db", "week-pass", kdf=FAST_KDF)
        sync(hub, store)   # the room's desktop, synced before the prune: it keeps its six weeks
        time.sleep(1)      # and again: positions the hub wrote after the first read of its head (a clean-clone
        sync(hub, store)   # run's desktop was 2 behind the prune's horizon, and the tail could not be joined)
        hub_command(hub, "snapshot", "make", "--snapshots", str(folder), "--prune-keep-days", "0")
        _tail(hub, now)
        yield hub, db, store, folder, now
    finally:
        if store is not None:
            store.close()
        db.dispose()
        hub.stop()


def test_a_restarted_hub_learns_the_pruned_weeks_from_its_snapshot_and_its_process_reads_the_folder(pruned):
    hub, db, store, folder, now = pruned
    with db.read() as conn:
        horizon = retention.pruned_through(conn)
    assert horizon > 0, "the prune deleted nothing: the test would prove nothing"

    sync(hub, store)   # the tail
    room = door.week_ahead(store, now + timedelta(minutes=1))
    assert all(len(s.forecast.days) == 7 for s in room.places[door.SYSTEM].series.values())

    phone = WeekBoard(db, folder).read(now + timedelta(minutes=1))
    assert phone == room
    tail_site = phone.places[week_world.LONG[0][0]].series[door.ARRIVALS]
    assert tail_site.so_far >= 12   # the tail after the snapshot, followed from its position

    # Without the snapshot, the feed's tail alone: what a restarted hub gave before.
    bare = WeekBoard(db).read(now + timedelta(minutes=1))
    assert not any(s.forecast.days for s in bare.places[door.SYSTEM].series.values())

    # A snapshot the hub's database disagrees with (sync.hub.snapshot_check: one made after the backup the
    # database was put back from) is passed over, as the desktops' /v1/snapshot passes it over.
    with db.read() as conn:
        agrees = snapshot_check.checker(db, conn)
        assert agrees(snapshot_files.current(folder)[0]) is None
        with snapshot_seed.covering(folder, db.hub_id, horizon=horizon, first=0, head=db.head(conn), what="a test",
                                    check=lambda info: "put back") as found:
            assert found is None

    # ``hub serve --snapshots`` gives the folder to /m/'s week ahead: after a restart the page says six weeks.
    # (One test with the above: the six weeks' set-up took 140-150 s a test in a clean-clone CI run.)
    add_account(hub.db_url, "director", "director_on_call")
    hub.restart()
    web, answer = login(hub.url, "director")
    assert answer.status_code == 303
    deadline = time.monotonic() + 120
    while True:
        page = web.get(hub.url + "/m/", timeout=60).text
        if "Being worked out" not in page or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "the last 6 weeks the hub holds" in text, text[text.find("Week ahead"):][:600]


def _reader(db, snapshots=None) -> BoardReader:
    return BoardReader(SimpleNamespace(db=db, config=SimpleNamespace(snapshots=snapshots)))


def test_the_chance_of_opel_3_learns_the_pruned_levels_from_the_snapshot(tmp_path_factory):
    with copied_world(tmp_path_factory.mktemp("levels"), lambda: tmp_path_factory.mktemp("world")) as world:
        db = HubDB(world.hub.db_url)
        try:
            db.init_schema()
            followed = _reader(db)
            followed._follow(db)   # the whole feed, before the prune
            assert sum(len(hours) for hours in followed._f.levels.values()) >= 100, "too few levels to prove anything"
            hub_command(world.hub, "snapshot", "make", "--snapshots", str(world.snapshots), "--prune-keep-days", "0")
            with db.read() as conn:
                assert retention.pruned_through(conn) >= world.head
            restarted = _reader(db, world.snapshots)
            restarted._follow(db)
            assert restarted._f.levels == followed._f.levels
            bare = _reader(db)   # what a restarted hub held before: the feed's levels, none
            bare._follow(db)
            assert not any(bare._f.levels.values())
        finally:
            db.dispose()
