"""A replica with weeks of realistic intraday history for the forecast tests (door and views).

The simulator's pure world (``sync.simulator.world``: real trusts' days replayed, with its intraday
curves) gives each acute site's OPEL parameters hour by hour and its ambulances' arrivals and
handovers; they go onto the replica as the hub's feed items (``tests.ui.feeds``), applied by the
real ``sync.apply``.  Three sites have ``DAYS`` days of history; one joined two days ago.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from models.rules.catalogue import load_catalogue
from sync.simulator.config import load_config
from sync.simulator.world import World
from tests.support.replica import fresh_replica
from tests.ui.feeds import Feed

NOW = datetime(2026, 1, 12, 9, 40, tzinfo=timezone.utc)   # ten minutes after the newest values
DAYS = 9
CHARTED = ("mean_handover_minutes", "ga_bed_occupancy_pct")   # observations kept hourly: the charts' series
PASSPHRASE = "forecast world"
_built: dict[int, tuple[Path, list[str]]] = {}
_lock = threading.Lock()
NEW_DAYS = 2
NEW_SITE = "RNW"
NEW_NAME = "New Acute Site"


def simulator() -> World:
    return World(load_config(), 7, load_catalogue())


def build(store, sites: int = 2, days: int = DAYS) -> list[str]:
    """Fill ``store``; returns the long-history sites' codes (then ``NEW_SITE``)."""
    world = simulator()
    codes = [o.code for o in world.acute[:sites]]
    feed = Feed()
    for code in codes:
        feed.org(code, world.name(world.acute[[o.code for o in world.acute].index(code)]))
    feed.org(NEW_SITE, NEW_NAME)
    feed.org("RX9", "Ambulance Service", sector="ambulance")
    end = NOW.replace(minute=0)
    n = 0
    for code, span, shape in [*((c, days, c) for c in codes), (NEW_SITE, NEW_DAYS, codes[0])]:
        for h in range(span * 24, 0, -1):
            at = end - timedelta(hours=h - 1) + timedelta(minutes=30)   # the newest at 09:30
            t = int(at.timestamp())
            values = world.acute_values(shape, t)
            for key in (values if h <= 2 else CHARTED):   # every parameter in the last hours: the table's ages
                feed.observation(code, key, at, values[key])
            if h % 2 == 0 or h <= 3:   # every two hours: a level holds between assessments
                feed.assessment(code, "acute", at, values)
            n = handovers(feed, world, code, shape, t, n)
        feed.apply(store)
    return [*codes, NEW_SITE]


def handovers(feed: Feed, world: World, code: str, shape: str, t: int, n: int, now: datetime = NOW) -> int:
    """Add to ``feed`` the handovers ``shape``'s simulated site had in the hour of ``t`` that were over
    by ``now``, as ``code``'s; returns the running count ``n`` (each event's id is the code and it)."""
    for e in world.events_in_hour(shape, t // 3600):
        if e.arrived_at is None or e.handed_over_at is None or e.handed_over_at > now.timestamp():
            continue
        n += 1
        arrived = datetime.fromtimestamp(e.arrived_at, timezone.utc)
        feed.handed_over(f"{code}-{n:07d}", code, arrived, (e.handed_over_at - e.arrived_at) / 60)
    return n


def replica(path: Path | str, days: int = DAYS):
    """A copy of the world's replica at ``path`` (the long-history sites with ``days`` days), open
    (each size built once per test run); and the site codes."""
    with _lock:
        if days not in _built:
            folder = Path(tempfile.mkdtemp(prefix="scc-forecast-world-"))
            atexit.register(shutil.rmtree, folder, True)
            store = fresh_replica(folder / "scc.db", PASSPHRASE)
            codes = build(store, days=days)
            store.close()
            _built[days] = (folder / "scc.db", codes)
    source, codes = _built[days]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for f in source.parent.iterdir():
        if f.name.startswith(source.name):
            shutil.copy2(f, path.parent / (path.name + f.name[len(source.name):]))
    from models.replica.store import Store
    return Store.unlock(path, PASSPHRASE), list(codes)
