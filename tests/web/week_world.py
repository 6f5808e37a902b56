"""A system with weeks of daily history for the week ahead on /m/: handovers and occupancy sent to a
real hub through its intake, as an ambulance service and the trusts send them.

Five acute sites with ``days`` of history (arrivals by weekday, waits that run past 30 and 60
minutes, a few exactly on the hour, some cancelled, some still waiting, one beyond the handover
table's valid range); one site whose data starts two days before now (``NEW``); one whose handovers
stopped three days before now while its occupancy goes on (``QUIET``).  Occupancy is hourly, some
days with too few hours to count.  Each handover is sent as its "arrived" item and, once handed
over, its "handed_over" item, in time order; a few handovers correct their arrival time, and a few
"arrived" items come again after the handover or the cancellation (the state must not move back), and
a few "correct" the arrival to after the handover (the replica's check refuses those items).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np

from models.service.week_ahead import OCCUPANCY

AMBULANCE = {"ods_code": "RWAMB", "name": "Week Ambulance Service", "sector": "ambulance"}
LONG = [("RWK01", "Ashby General Hospital"), ("RWK02", "Barrow Royal Infirmary"), ("RWK03", "Corby District Hospital"),
        ("RWK04", "Dover Road Hospital"), ("RWK05", "Ely Park Hospital")]
NEW = ("RWK06", "Fenwick New Hospital")
QUIET = ("RWK07", "Grange Vale Hospital")
SITES = LONG + [NEW, QUIET]
ORGS = [AMBULANCE] + [{"ods_code": c, "name": n, "sector": "acute", "size": 500.0} for c, n in SITES]
CHUNK = 5000
WEEKDAY = (1.12, 1.02, 0.98, 0.97, 1.03, 0.92, 0.88)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.isoformat()


def handover_items(now: datetime, days: int, seed: int = 5) -> list[tuple[datetime, dict]]:
    """(when the state was reached, the item) for every site's handovers over ``days`` to ``now``."""
    rng = np.random.default_rng(seed)
    out = []
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    for k, (code, _name) in enumerate(SITES):
        first = now - timedelta(days=2) if (code, _name) == NEW else start
        last = now - timedelta(days=3, hours=5) if (code, _name) == QUIET else now
        base = 30 + 9 * k
        t = first
        while t < last:
            hours = min(24.0, (last - t).total_seconds() / 3600)
            n = rng.poisson(base * WEEKDAY[t.weekday()] * hours / 24)
            for s in np.sort(rng.uniform(0, hours * 3600, n)):
                arrived = t + timedelta(seconds=float(s))
                wait = float(rng.lognormal(np.log(26), 0.75))
                pick = rng.random()
                if pick < 0.01:
                    wait = 60.0          # exactly the hour: the lower band
                elif pick < 0.02:
                    wait = 30.0
                elif pick < 0.022:
                    wait = 30 * 60.0     # thirty hours: beyond the table's valid range
                event = str(uuid.UUID(int=int(rng.integers(2**63)) << 64 | k))
                item = {"type": "handover", "event_uuid": event, "hospital_code": code, "state": "arrived",
                        "arrived_at": _iso(arrived), "vehicle_ref": f"V{k}"}
                out.append((arrived, item))
                if rng.random() < 0.015:
                    out.append((arrived + timedelta(minutes=5), {**item, "state": "cancelled"}))
                    if rng.random() < 0.5:   # its "arrived" item again, late: it stays cancelled
                        out.append((arrived + timedelta(minutes=6), item))
                    continue
                handed = arrived + timedelta(minutes=wait)
                if handed <= now:
                    later = {**item, "state": "handed_over", "handed_over_at": _iso(handed)}
                    fix = rng.random()
                    if fix < 0.02:    # the handover's item corrects the arrival time: the newer one stands
                        later["arrived_at"] = _iso(arrived + timedelta(minutes=4))
                    out.append((handed, later))
                    if 0.02 <= fix < 0.04:   # an earlier state sent late: the state does not move back
                        out.append((handed + timedelta(minutes=1), item))
                    elif 0.04 <= fix < 0.045:   # an arrival "corrected" to after the handover: the replica's
                        # check refuses the merge, so a desktop leaves this item out (and so must the hub)
                        out.append((handed + timedelta(minutes=2),
                                    {**item, "arrived_at": _iso(handed + timedelta(minutes=1))}))
            t += timedelta(days=1)
    out.sort(key=lambda x: x[0])
    return out


def occupancy_items(now: datetime, days: int, seed: int = 6) -> dict[str, list[dict]]:
    """Each site's hourly G&A occupancy over ``days`` to ``now`` (a day in nine with ten hours only)."""
    rng = np.random.default_rng(seed)
    out = {}
    start = (now - timedelta(days=days)).replace(minute=20, second=0, microsecond=0)
    for k, (code, _name) in enumerate(SITES):
        first = now - timedelta(days=2) if (code, _name) == NEW else start
        items, t = [], first
        while t <= now:
            short = (t.toordinal() + k) % 9 == 0 and t.hour >= 10
            if not short:
                value = 88 + k + 4 * np.sin(2 * np.pi * (t.hour - 9) / 24) + rng.normal(0, 1.2)
                items.append({"type": "observation", "metric": OCCUPANCY, "observed_at": _iso(t),
                              "value": round(float(value), 1)})
            t += timedelta(hours=1)
        out[code] = items
    return out


def send(hub, now: datetime, days: int) -> int:
    """Send the whole history to ``hub`` (a ``tests.support.hub.HubProcess``); returns the items sent."""
    from tests.web.world import submit

    sent = 0
    handovers = [item for _at, item in handover_items(now, days)]
    for i in range(0, len(handovers), CHUNK):
        submit(hub, AMBULANCE["ods_code"], handovers[i:i + CHUNK])
        sent += len(handovers[i:i + CHUNK])
    for code, items in occupancy_items(now, days).items():
        for i in range(0, len(items), CHUNK):
            submit(hub, code, items[i:i + CHUNK])
            sent += len(items[i:i + CHUNK])
    return sent


def surge_today(hub, now: datetime, per_site: int = 300) -> int:
    """``per_site`` more arrivals at each long-running site since the start of today (UK day) to ``now``,
    each handed over ten minutes later (if that is past): today's arrivals so far then stand above the
    top of their 80% range in the system's row and each site's, at any time of day."""
    from zoneinfo import ZoneInfo

    from tests.web.world import submit

    uk = now.astimezone(ZoneInfo("Europe/London"))
    midnight = uk.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)
    span = (now - midnight).total_seconds()
    items = []
    for k, (code, _name) in enumerate(LONG):
        for n in range(per_site):
            arrived = midnight + timedelta(seconds=span * (n + 0.5) / per_site)
            item = {"type": "handover", "event_uuid": str(uuid.UUID(int=(0x5E << 120) | (k << 32) | n)),
                    "hospital_code": code, "state": "arrived", "arrived_at": _iso(arrived), "vehicle_ref": f"S{k}"}
            items.append(item)
            if arrived + timedelta(minutes=10) <= now:
                items.append({**item, "state": "handed_over", "handed_over_at": _iso(arrived + timedelta(minutes=10))})
    submit(hub, AMBULANCE["ods_code"], items)
    return len(items)
