"""A large ICS for the weight of /m/: 40 acute sites, weeks of their handovers and occupancy, and the
other providers an ICS has, sent to a real hub through its intake, with a room's records.

The providers: 40 acute trusts (names as long as real trusts' are), 4 community, 3 mental health,
2 NHS 111, one ambulance service (``benchmarks.bench_web``'s other sectors). Every provider sends its
whole OPEL table every 15 minutes for ``hours`` (``bench_web._history``: levels, the chance of OPEL 3+,
offload and REAP/CSP are full); the room pushes rotas, decisions and transfers (``bench_web._room``,
``tests.web.world.push_room_records``).
The week ahead: each acute site's ambulance arrivals and handovers (waits past 30 and 60 minutes) and
hourly G&A occupancy over ``days``, so each of the 40 has a forecast for every measure.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

import numpy as np

from models.service.week_ahead import OCCUPANCY

TOWNS = ("Ashford", "Barnsley", "Chesterfield", "Doncaster", "Eastbourne", "Frimley", "Gloucester", "Harrogate",
         "Ipswich", "Kettering", "Lancaster", "Macclesfield", "Northampton", "Oldham", "Peterborough", "Rotherham",
         "Salisbury", "Taunton", "Uxbridge", "Wakefield", "Worcester", "Yeovil", "Bedford", "Carlisle", "Darlington",
         "Epsom", "Grimsby", "Hereford", "Kingston", "Lincoln", "Mansfield", "Norwich", "Oxford", "Plymouth",
         "Redditch", "Scunthorpe", "Telford", "Warrington", "Wigan", "York")
KINDS = ("and District General Hospital NHS Foundation Trust", "University Hospitals NHS Trust",
         "Royal Infirmary NHS Foundation Trust", "Hospitals NHS Foundation Trust")
AMBULANCE = "BAM00"
ACUTE = [{"ods_code": f"RI{k:03d}", "name": f"{town} {KINDS[k % len(KINDS)]}", "sector": "acute",
          "size": 300.0 + 20 * k} for k, town in enumerate(TOWNS)]
OTHERS = [{"ods_code": f"B{sector[:2].upper()}{i:02d}", "name": f"{place} {kind}", "sector": sector, "size": None}
          for sector, kind, places in (
              ("community", "Community Health Services NHS Trust", ("North", "South", "East", "West")),
              ("mental_health", "Partnership NHS Foundation Trust", ("Riverside", "Hillside", "Coastal")),
              ("nhs111", "NHS 111 Integrated Urgent Care", ("Central", "Northern")),
              ("ambulance", "Ambulance Service NHS Trust", ("Regional",)))
          for i, place in enumerate(places)]
ORGS = ACUTE + OTHERS


def orgs(acute: int = len(ACUTE)) -> list[dict]:
    """The ICS with its first ``acute`` acute trusts (up to 40)."""
    return ACUTE[:acute] + OTHERS
CHUNK = 5000


def _iso(t: datetime) -> str:
    return t.isoformat()


def week_items(now: datetime, days: int, seed: int = 40, acute: int = len(ACUTE)) -> tuple[list[dict], dict[str, list[dict]]]:
    """(the ambulance service's handover items in time order, each acute site's hourly occupancy)."""
    rng = np.random.default_rng(seed)
    handovers: list[tuple[datetime, dict]] = []
    occupancy: dict[str, list[dict]] = {}
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    for k, org in enumerate(ACUTE[:acute]):
        code, rate = org["ods_code"], 14 + (k % 7) * 3
        for day in range(days + 1):
            t = start + timedelta(days=day)
            hours = min(24.0, (now - t).total_seconds() / 3600)
            if hours <= 0:
                break
            for s in np.sort(rng.uniform(0, hours * 3600, rng.poisson(rate * hours / 24))):
                arrived = t + timedelta(seconds=float(s))
                item = {"type": "handover", "event_uuid": str(uuid.UUID(int=int(rng.integers(2**63)) << 16 | k)),
                        "hospital_code": code, "state": "arrived", "arrived_at": _iso(arrived)}
                handovers.append((arrived, item))
                handed = arrived + timedelta(minutes=float(rng.lognormal(np.log(28), 0.7)))
                if handed <= now:
                    handovers.append((handed, {**item, "state": "handed_over", "handed_over_at": _iso(handed)}))
        items, t = [], start + timedelta(minutes=20)
        while t <= now:
            value = 86 + k % 9 + 4 * np.sin(2 * np.pi * (t.hour - 9) / 24) + rng.normal(0, 1.2)
            items.append({"type": "observation", "metric": OCCUPANCY, "observed_at": _iso(t),
                          "value": round(float(value), 1)})
            t += timedelta(hours=1)
        occupancy[code] = items
    handovers.sort(key=lambda x: x[0])
    return [item for _at, item in handovers], occupancy


def send(hub, now: datetime, days: int = 28, hours: float = 2, acute: int = len(ACUTE)) -> int:
    """Send the whole ICS (``orgs(acute)``) to ``hub`` (a ``tests.support.hub.HubProcess``); returns the
    week ahead's items sent."""
    from benchmarks.bench_web import _history, _room
    from tests.web.world import push_room_records, submit

    handovers, occupancy = week_items(now, days, acute=acute)
    sent = 0
    for code, items in [(AMBULANCE, handovers)] + list(occupancy.items()):
        for i in range(0, len(items), CHUNK):
            submit(hub, code, items[i:i + CHUNK])
        sent += len(items)
    _history(hub, orgs(acute), hours, now, random.Random(40))
    _room(hub, orgs(acute), now)
    push_room_records(hub, now)   # a directory with numbers, the rota, a decision, a transfer past its threshold
    return sent
