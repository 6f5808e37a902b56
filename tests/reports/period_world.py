"""The reports' world with a week behind it, for the sitrep and the board report: the seeded 40-provider
replica (``tests.reports.world``) plus seven UK days (Mon 7 to Sun 13 July 2025) of what a room's
papers count: every provider assessed every four hours with levels moving through OPEL 1-4, the pillar
and system roll-ups, handovers at every acute site (some long), hourly C1-C4 response periods, CRITCON
reports with beds, 12-hour waits and G&A occupancy, decisions and actions, and one call phoned in on
Sunday afternoon.  Everything goes in through ``sync.apply`` or the door, as in the app.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from datetime import date, datetime, time, timedelta, timezone
from unittest import mock
from pathlib import Path

from models.replica.store import Store
from models.rules.opel_table import load_shipped
from models.service import phoned_in
from models.uk_time import UK
from sync import authoring
from tests.records.ics_seed import _value, codes as ics_codes
from tests.reports.world import NOW, PASSPHRASE, build_world
from tests.ui import feeds
from tests.ui.feeds import AMBULANCE, Feed
from tests.ui.records.seed import rollup

__all__ = ["AMBULANCE", "DAYS", "NOW", "PASSPHRASE", "PHONED_AT", "PHONED_ORG", "SUNDAY", "build_period_world",
           "copy_of_period_world"]

DAYS = tuple(date(2025, 7, d) for d in range(7, 14))   # Mon 7 - Sun 13 July, UK days
SUNDAY = DAYS[-1]                                        # the default sitrep's day on Monday 14th
PHONED_ORG = "RA04"
PHONED_AT = datetime.combine(SUNDAY, time(15, 0), tzinfo=UK).astimezone(timezone.utc)
SLOTS = 6                                                # assessments a provider a day, every four hours
CATEGORIES = (("C1", 420, 860), ("C2", 1500, 3000), ("C3", 4000, 9000), ("C4", 6000, 12000))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)


def _history(f: Feed, by_pillar: dict[str, list[str]]) -> None:
    tables = {p: load_shipped(p) for p in by_pillar}
    for d, day in enumerate(DAYS):
        start = _midnight(day)
        for slot in range(SLOTS):
            at = start + timedelta(hours=4 * slot, minutes=5)
            n = 0
            for pillar, org_codes in by_pillar.items():
                for code in org_codes:
                    n += 1
                    band = (n + d + slot // 2) % 4   # each provider's level moves every eight hours
                    f.assessment(code, pillar, at + timedelta(seconds=n),
                                 {p.key: _value(p, band) for p in tables[pillar].parameters})
                rollup(f, "pillar", pillar, 1 + (d + slot // 3) % 4, at + timedelta(minutes=2))
            rollup(f, "system", "system", 2 + (d + slot // 3) % 3, at + timedelta(minutes=3))


def _activity(f: Feed, acute: list[str]) -> None:
    for d, day in enumerate(DAYS):
        start = _midnight(day)
        for i, code in enumerate(acute):
            for k in range(4):   # four handovers a site a day; the longer sites lose hours
                arrived = start + timedelta(hours=2 + 5 * k, minutes=i)
                f.handed_over(f"00000000-0000-4000-a{d:03d}-{i:06d}{k:06d}", code, arrived,
                              10 + (i % 6) * 12 + k * 7 + d, cleared=True)
            for k, hour in enumerate((3, 15)):
                staffed = 8 + i % 5
                occupied = staffed + 1 if (i + d) % 11 == 0 else staffed - (i + k) % 4
                f.critcon(code, start + timedelta(hours=hour, minutes=i), (i + d + k) % 4, staffed, occupied)
            for hour in (6, 12, 18, 23):
                at = start + timedelta(hours=hour, minutes=i)
                f.observation(code, "ed_over_12h_from_arrival_count", at, float((i + d + hour) % 9))
                f.observation(code, "ga_bed_occupancy_pct", at, 88.0 + (i + d + hour) % 12)
        for h in range(24):
            end = start + timedelta(hours=h + 1)
            for c, (cat, mean, p90) in enumerate(CATEGORIES):
                wave = (h % 12) * 4 + d * 3
                f.response(cat, end, mean_s=mean + wave * (1 + c), p90_s=p90 + wave * (2 + c), incidents=10 + h + c)


def build_period_world(folder: Path, now: datetime = NOW) -> tuple[Path, Store]:
    path, store = build_world(folder, now)
    by_pillar = ics_codes()
    f = Feed(first_seq=200_000)
    # Feed.assessment parses the shipped table for every assessment: 1,700 parses cost ~10 s here.
    with mock.patch.object(feeds, "load_shipped", functools.cache(load_shipped)):
        _history(f, by_pillar)
    _activity(f, by_pillar["acute"])
    f.apply(store)
    for d, day in enumerate(DAYS[1:], start=1):
        noon = _midnight(day) + timedelta(hours=11 + d % 3)
        authoring.record_decision(store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                                  decision=f"Mutual aid for critical care, day {d}", rationale="CRITCON 3 at two units",
                                  recorded_by="Room lead", decided_at=noon)
        authoring.add_action(store, description=f"Chase the mutual aid offer, day {d}", owner="Room lead",
                             author="seed", due_at=noon + timedelta(hours=3))
    phoned_in.record_figures(store, org_code=PHONED_ORG, phoned_at=PHONED_AT, caller_name="Sam Patel",
                             caller_role="Site manager", taken_by="Room lead", now=now,
                             figures={"critcon_level": 3, "cc_staffed_beds": 9, "cc_occupied_beds": 9,
                                      "ambulances_waiting_count": 5, "ga_bed_occupancy_pct": 99.0},
                             note="Feed down since 13:00")
    return path, store


_BUILT: dict[str, Path] = {}


def copy_of_period_world(folder: Path) -> tuple[Path, Store]:
    """A copy of the world built once per test run (seeding costs seconds; copying the files, milliseconds):
    each test module gets its own replica file, so none sees another's writes."""
    if "path" not in _BUILT:
        home = Path(tempfile.mkdtemp(prefix="scc-period-world-"))
        atexit.register(shutil.rmtree, home, True)
        path, store = build_period_world(home)
        store.close()
        _BUILT["path"] = path
    source = _BUILT["path"]
    for f in source.parent.iterdir():
        if f.name.startswith(source.name):   # the replica and its key header
            shutil.copy2(f, folder / f.name)
    return folder / source.name, Store.unlock(folder / source.name, PASSPHRASE)
