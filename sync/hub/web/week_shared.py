"""The week ahead as one hub process worked it out, kept in the hub's database for the others.

Several hub processes behind one address (``--reuse-port``, docs/deployment.md) each kept a week ahead of
their own: each followed twelve weeks of the feed into a mirror of its own (65.7 MB, 4.4 s of CPU for the
first read at 22 sites; docs/forecasting.md) and worked the forecasts out every five minutes (0.6 s), and
each at its own moment from the data it had then.  A phone whose refreshes landed on different processes
was shown one week, then another (today's counts so far, the data's end, when it was worked out), back and
forth.  Now the result is written to ``week_ahead_shared`` (one row) with when it was worked out and the
feed position it was worked out to; a process due to work it out first reads that row and takes a result
that is not due by the same rule (``WeekBoard._due``), so every process shows the same week and it is worked
out once, by whichever process first finds it due and claims it (a conditional update of ``claimed_until``,
one winner; a claimant that dies is replaced when its claim runs out).

The result is kept as JSON of the door's own dataclasses (``models.service.week_ahead``,
``models.forecast.model``), each named and only those read back: nothing in the database is run as code.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import insert, or_, select, update

from models.forecast import model as forecast_model
from models.service import week_ahead as door
from sync.hub import schema as s

log = logging.getLogger("sync.hub")
KEY = "week"
CLAIM = timedelta(minutes=2)   # a claimant that has not written its result by then is replaced
_TYPES = {t.__name__: t for t in (door.WeekAhead, door.Place, door.DailySeries, door.Measure, door.Record,
                                  forecast_model.SeriesForecast, forecast_model.DayForecast)}


def _plain(value):
    if dataclasses.is_dataclass(value) and type(value).__name__ in _TYPES:
        return {"$": type(value).__name__, **{f.name: _plain(getattr(value, f.name))
                                             for f in dataclasses.fields(value)}}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [_plain(v) for v in value]}
    if isinstance(value, dict):
        return {"$m": [[k, _plain(v)] for k, v in value.items()]}   # keys and their order kept
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"the week ahead holds a {type(value).__name__}, which is not kept")


def _back(value):
    if isinstance(value, dict):
        if "$" in value:
            kind = _TYPES[value["$"]]   # a name not listed: KeyError, the row is not taken
            return kind(**{k: _back(v) for k, v in value.items() if k != "$"})
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$t" in value:
            return tuple(_back(v) for v in value["$t"])
        if "$m" in value:
            return {k: _back(v) for k, v in value["$m"]}
        raise ValueError("not a kept week ahead")
    if isinstance(value, list):
        raise ValueError("not a kept week ahead")
    return value


def dumps(week: door.WeekAhead) -> str:
    return json.dumps(_plain(week), separators=(",", ":"), allow_nan=False)


def loads(text: str) -> door.WeekAhead:
    week = _back(json.loads(text))
    if not isinstance(week, door.WeekAhead):
        raise ValueError("not a kept week ahead")
    return week


def stored(db) -> tuple[datetime, int, door.WeekAhead] | None:
    """(worked out at, feed position, the week) as some process last wrote it; None when none or unreadable."""
    t = s.week_ahead_shared.c
    with db.read() as conn:
        row = conn.execute(select(t.worked_at, t.cursor, t.data).where(t.key == KEY)).first()
    if row is None or row.data is None:
        return None
    try:
        return row.worked_at, int(row.cursor), loads(row.data)
    except (ValueError, TypeError, KeyError) as exc:   # another version's, or damaged: worked out again here
        log.warning("web: the week ahead kept in the database is not understood (%s); worked out here", exc)
        return None


def claim(db, holder: str, now: datetime) -> bool:
    """This process is to work the week out now (no other claim running); one claimant wins."""
    t = s.week_ahead_shared.c
    with db.plain(proves_space=False) as conn:
        if conn.execute(update(s.week_ahead_shared).where(t.key == KEY, t.claimed_until < now)
                        .values(claimed_until=now + CLAIM, claimed_by=holder)).rowcount == 1:
            return True
        if conn.execute(select(t.key).where(t.key == KEY)).first() is not None:
            return False
    try:   # the first ever: the row made (two makers: the key refuses the second)
        with db.plain(proves_space=False) as conn:
            conn.execute(insert(s.week_ahead_shared).values(key=KEY, claimed_until=now + CLAIM, claimed_by=holder,
                                                            works=0))
        return True
    except Exception:  # noqa: BLE001 - another process made it first: its claim
        return False


def keep(db, holder: str, worked_at: datetime, cursor: int, week: door.WeekAhead) -> bool:
    """The result written for the other processes, and this holder's claim let go.  A result worked out
    from an earlier moment than the one kept is not written (False): a claimant slower than ``CLAIM`` (a
    loaded machine) finishing after the process that replaced it would put an older week back, and every
    process would show it again; nor does it end the claim of the process that replaced it."""
    t = s.week_ahead_shared.c
    with db.plain(proves_space=False) as conn:
        kept = conn.execute(update(s.week_ahead_shared).where(
            t.key == KEY, or_(t.worked_at.is_(None), t.worked_at < worked_at)).values(
            worked_at=worked_at, cursor=cursor, data=dumps(week), worked_by=holder,
            works=t.works + 1)).rowcount == 1
        conn.execute(update(s.week_ahead_shared).where(t.key == KEY, t.claimed_by == holder)
                     .values(claimed_until=worked_at))
    if not kept:
        log.info("web: a week ahead worked out from %s was not kept: a newer one is", worked_at.isoformat())
    return kept


def let_go(db, holder: str, now: datetime) -> None:
    """A claim given up (the work failed): another process may work it out at once."""
    t = s.week_ahead_shared.c
    with db.plain(proves_space=False) as conn:
        conn.execute(update(s.week_ahead_shared).where(t.key == KEY, t.claimed_by == holder)
                     .values(claimed_until=now))
