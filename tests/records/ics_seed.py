"""A whole ICS on a real replica, at the size a room meets: 40 providers with OPEL assessments, the pillar and
system roll-ups, an ambulance service's REAP/CSP and a queue of ambulances at every acute hospital.

Everything arrives as feed items through ``sync.apply`` (``tests.ui.feeds.Feed``), scored with the bundled
tables as the hub does, so the situation snapshot a decision takes of it is the one the app would take.
The mix matches the desktop benchmark (22 acute, 8 community, 6 mental health, 3 NHS 111, 1 ambulance).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

from models.rules.opel_table import load_shipped
from tests.ui.feeds import AMBULANCE, Feed
from tests.ui.records.seed import rollup

# 10:00 BST on a summer Monday: UK local time is an hour ahead of UTC, so a UTC time shown as UK time
# (or the other way round) is caught.
SUMMER = datetime(2025, 7, 14, 9, 0, tzinfo=timezone.utc)
MIX = (("acute", 22), ("community", 8), ("mental_health", 6), ("nhs111", 3))
PREFIX = {"acute": "RA", "community": "RC", "mental_health": "RM", "nhs111": "R1"}
NAMES = {"acute": "Hospitals", "community": "Community Health Services", "mental_health": "Mental Health Care",
         "nhs111": "NHS 111 Service"}
OVERRIDE_EVERY = 5  # every fifth provider declares a level above its calculated one, with a reason


def codes() -> dict[str, list[str]]:
    """ODS-like codes per pillar: RA01..RA22, RC01.., RM01.., R101.. (39 OPEL providers + the ambulance)."""
    return {p: [f"{PREFIX[p]}{n:02d}" for n in range(1, count + 1)] for p, count in MIX}


def _value(param, band: int) -> float:
    """A value inside band ``band`` (0 best) of a table parameter, whichever way its bands run."""
    bands = sorted(param.bands, key=lambda b: b.points)
    rng = bands[min(band, len(bands) - 1)].range
    hi = rng.hi if math.isfinite(rng.hi) else rng.lo + 10
    return rng.lo if rng.lo == hi else (rng.lo + hi) / 2


def seed_ics(store, now: datetime = SUMMER) -> dict[str, list[str]]:
    """Seed the replica; returns the provider codes per pillar."""
    by_pillar = codes()
    f = Feed(first_seq=70_000)
    f.org(AMBULANCE, "Test Ambulance Service NHS Trust", "ambulance")
    number = 0
    for pillar, org_codes in by_pillar.items():
        table = load_shipped(pillar)
        for code in org_codes:
            number += 1
            f.org(code, f"{NAMES[pillar]} {code} NHS Trust", pillar)
            band = number % 4
            values = {p.key: _value(p, band) for p in table.parameters}
            reason = None
            declared = None
            if number % OVERRIDE_EVERY == 0:
                declared = 4
                reason = (f"Declared OPEL 4 at {code}: two wards closed with norovirus and the discharge lounge "
                          "shut, so the calculated level understates the pressure this afternoon")
            f.assessment(code, pillar, now - timedelta(minutes=10 + number), values, declared=declared,
                         reason=reason)
    for pillar, (level, ago) in {"acute": (3, 8), "community": (2, 8), "mental_health": (3, 8),
                                 "nhs111": (2, 8)}.items():
        rollup(f, "pillar", pillar, level, now - timedelta(minutes=ago))
    rollup(f, "system", "system", 3, now - timedelta(minutes=7))
    f.ambulance_status(now - timedelta(hours=5), 2, "1").ambulance_status(now - timedelta(hours=1), 3, "2")
    for i, code in enumerate(by_pillar["acute"]):
        for k in range(1 + i % 3):
            f.waiting(f"00000000-0000-4000-8000-{i:06d}{k:06d}", code, 12 + 17 * k + i, now)
        start = now.replace(hour=0, minute=30) + timedelta(minutes=7 * i)
        f.handed_over(f"00000000-0000-4000-9000-{i:06d}{0:06d}", code, start, 25 + i * 3, cleared=True)
    f.apply(store)
    return by_pillar
