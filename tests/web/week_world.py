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


# --- One world built once, a copy per module ------------------------------------------------------------
# Four modules (test_week_ahead_board, test_week_ahead_browser, test_week_site_page, test_week_shared) each
# sent the same six weeks through a hub of their own: about 10 s of CPU each, twice over on two workers.
# Now the first to ask sends them (through the hub's intake, as before) and stops that hub; each module
# then starts a hub of its own on a copy of that database, so no module sees another's writes.


def _template(base, days: int):
    """The folder holding the built world (``hub.db``, ``tokens.json``, ``now.txt``), built under a lock
    (pytest-xdist's workers share ``base``) by the first caller."""
    import fcntl
    import json
    import sqlite3

    from sync.hub.schema import utcnow
    from tests.support.hub import start_hub

    folder = base / f"week-world-{days}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not (folder / "now.txt").exists():
            build = folder / "build"
            build.mkdir(exist_ok=True)
            hub = start_hub(build, orgs=ORGS)
            try:
                now = utcnow()
                send(hub, now, days)
            finally:
                hub.stop()
            src, dst = sqlite3.connect(build / "hub.db"), sqlite3.connect(folder / "hub.db")
            try:
                src.backup(dst)
                # The week the builder's hub worked out as it started (from nothing) is not the copies':
                # each works its own out, as a hub started on a full feed does.
                _forget_worked_week(dst)
            finally:
                src.close()
                dst.close()
            (folder / "tokens.json").write_text(json.dumps(hub.tokens))
            (folder / "now.txt").write_text(now.isoformat())   # last: the mark of a whole build
    return folder


def _forget_worked_week(conn) -> None:
    conn.execute("DELETE FROM week_ahead_shared")
    conn.commit()


def forget_worked_week(hub) -> None:
    """``hub`` (stopped) started again as a hub that has worked out no week: it works one out from what
    its feed holds now (a week worked out within five minutes is otherwise taken as it is)."""
    import sqlite3

    conn = sqlite3.connect(hub.db_url.removeprefix("sqlite:///"))
    try:
        _forget_worked_week(conn)
    finally:
        conn.close()


def start_fed_hub(tmp_path_factory, folder, days: int = 42, env: dict[str, str] | None = None):
    """A hub process on ``folder``'s own copy of the world of ``days`` (built once per test run), and the
    time the world was sent up to: ``(hub, now)``."""
    import json
    import os
    import sqlite3
    from pathlib import Path

    from tests.support.hub import HubProcess

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent   # shared by this run's workers (not by other runs: each run has its own)
    template = _template(Path(base), days)
    folder = Path(folder)
    src, dst = sqlite3.connect(template / "hub.db"), sqlite3.connect(folder / "hub.db")
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    tokens = json.loads((template / "tokens.json").read_text())
    now = datetime.fromisoformat((template / "now.txt").read_text())
    hub = HubProcess(f"sqlite:///{folder / 'hub.db'}", folder, tokens, dict(env or {})).start()
    return hub, now
