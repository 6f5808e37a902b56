"""Forecasts for the next 24 hours from the replica's own history: each acute site's handover waits
and ambulance arrivals hour by hour with 80% intervals, and each provider's chance of OPEL 3+.

One read of the history (the last four weeks of hours, eight weeks of levels), then the pure models
(``models.forecast.intraday``, ``models.forecast.opel_chance``) for every site in one pass.  Run it
off the UI thread (``ui.tasks``): a year's replica with 22 acute sites takes well under a second.

- Handover waits: the hourly mean of the ``mean_handover_minutes`` the site reports (the figure its
  OPEL table scores, and the provider view charts).
- Ambulance arrivals: handover events counted by their arrival hour, from the site's first event
  this desktop holds (a quiet hour after it is a real zero; before it, unknown).
- Any other of a provider's parameters can be asked for by key (the provider view's chosen one).
- All hospitals together (``system_forecast``, the offload chart's "All hospitals"): a series of its
  own, forecast directly so its interval comes from its own errors (a sum of the sites' intervals
  would not be one).  Arrivals: the sites' counts added; waits: the sites' hourly means weighted by
  each one's arrivals in that hour.  Only sites whose data starts within ``JOIN_HOURS`` of the
  earliest count, from the hour they all have data (a site joining later would lift the total by
  its whole size, read as a surge), and none gone quiet (its zeros would read as a lull): each
  left out is named.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from models.forecast import intraday, opel_chance
from models.replica.sql_rows import placeholders, rows
from models.replica.utc import from_utc_text, to_utc_text
from models.rules.shown_level import SQL as SHOWN_SQL

WAITS = "mean_handover_minutes"
ARRIVALS = "arrivals"
SYSTEM = "system"
SYSTEM_NAME = "All hospitals"
ICS = "ics"   # the integrated care system's OPEL roll-up (ForecastPage.ics), not all hospitals together
JOIN_HOURS = 24   # sites whose first arrival is within this of the earliest one's count in the system


@dataclass(frozen=True)
class SiteForecast:
    org_code: str
    name: str
    series: dict[str, intraday.IntradayForecast]   # WAITS, ARRIVALS, and any parameter asked for
    opel: opel_chance.OpelChance

    @property
    def waits(self) -> intraday.IntradayForecast | None:
        return self.series.get(WAITS)

    @property
    def arrivals(self) -> intraday.IntradayForecast | None:
        return self.series.get(ARRIVALS)


@dataclass(frozen=True)
class ForecastPage:
    now: datetime
    origin: datetime                        # the forecasts cover the 24 hours from here
    sites: dict[str, SiteForecast] = field(default_factory=dict)   # org code -> its forecasts
    system: SystemForecast | None = None    # all hospitals together, when asked for (the same read)
    # The integrated care system's own chance of OPEL 3+ (its roll-up's level history), with every
    # acute site; None when this desktop holds no system level at all.
    ics: opel_chance.OpelChance | None = None


def acute_sites(store) -> list[tuple[str, str]]:
    """(code, name) of every active acute organisation, by name."""
    with store.session() as s:
        found = rows(s, "SELECT ods_code, name FROM organisation WHERE sector = 'acute' AND active")
    return sorted(found, key=lambda r: (r[1].lower(), r[0]))


def site_forecasts(store, now: datetime, codes: Sequence[str] | None = None,
                   metrics: Iterable[str] = (), system: bool = False) -> ForecastPage:
    """Forecasts for ``codes`` (default: every acute site): waits, arrivals, ``metrics`` and OPEL;
    with ``system`` (and every acute site), all hospitals' together too, from the same read."""
    origin = intraday.origin_of(now)
    every = codes is None
    system = system and every
    if codes is None:
        named = acute_sites(store)
    else:
        with store.session() as s:
            known = dict(rows(s, f"SELECT ods_code, name FROM organisation WHERE ods_code IN "
                                 f"({placeholders(len(codes))})", list(codes))) if codes else {}
        named = [(c, known.get(c, c)) for c in codes]
    if not named:
        return ForecastPage(now, origin, ics=ics_chance(store, now) if every else None)
    keys = list(dict.fromkeys([WAITS, *metrics]))
    codes = [c for c, _ in named]
    n = intraday.WINDOW_DAYS * intraday.HOURS
    series, arrivals, known_from, levels = _read(store, codes, keys, origin)
    together = _system(named, series, arrivals, known_from, origin) if system else None
    grid_rows, labels = [], []
    for code in codes:
        for key in keys:
            idx, vals = series.get((code, key), ((), ()))
            grid_rows.append(intraday.bin_mean(idx, vals, n))
            labels.append((key, code))
        first = known_from.get(code)
        grid_rows.append(np.full(n, np.nan) if first is None else intraday.bin_count(arrivals.get(code, ()), n, first))
        labels.append((ARRIVALS, code))
    made = intraday.forecast(labels, np.array(grid_rows), origin)
    by_site: dict[str, dict[str, intraday.IntradayForecast]] = defaultdict(dict)
    for f in made:
        by_site[f.site][f.key] = f
    m = opel_chance.HISTORY_DAYS * opel_chance.HOURS
    shown = _shown_now(store, codes, now)
    sites = {}
    for code, name in named:
        idx, lv = levels.get(code, ((), ()))
        chance = opel_chance.chance(code, opel_chance.bin_levels(idx, lv, m))
        sites[code] = SiteForecast(code, name, by_site[code], opel_chance.as_now(chance, *shown.get(code, (None, None))))
    return ForecastPage(now, origin, sites, together, ics_chance(store, now) if every else None)


def ics_chance(store, now: datetime) -> opel_chance.OpelChance | None:
    """The system's chance of OPEL 3+ in the next 24 hours from its own level history (the hub's
    roll-up of the pillars, ``scope`` "system"), by the providers' method: the system is escalated
    when its roll-up says so, so its own history answers how often it got there from a moment like
    this.  None when no system level has come."""
    origin = intraday.origin_of(now)
    level_start = origin - timedelta(days=opel_chance.HISTORY_DAYS)
    with store.session() as s:
        assessed = rows(s, f"SELECT {_hour('assessed_at')} AS h, max({SHOWN_SQL}) FROM opel_assessment "
                           f"WHERE scope = 'system' AND org_code IS NULL AND assessed_at >= ? AND assessed_at < ? "
                           f"AND {SHOWN_SQL} IS NOT NULL GROUP BY h",
                        [int(level_start.timestamp()), to_utc_text(level_start - opel_chance.HOLD),
                         to_utc_text(origin)])
        # org_code IS NULL: the (scope, org_code, assessed_at) index's range, not every system row;
        # the newest found on the index, then its one row read for the at-least level.
        newest = rows(s, f"SELECT {SHOWN_SQL}, at_least_level FROM opel_assessment WHERE id = (SELECT b.id "
                         "FROM opel_assessment AS b WHERE b.scope = 'system' AND b.org_code IS NULL "
                         "AND b.assessed_at <= ? ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)", [to_utc_text(now)])
    if not newest:
        return None
    m = opel_chance.HISTORY_DAYS * opel_chance.HOURS
    chance = opel_chance.chance(ICS, opel_chance.bin_levels([h for h, _ in assessed], [lv for _, lv in assessed], m))
    return opel_chance.as_now(chance, _int(newest[0][0]), _int(newest[0][1]))


@dataclass(frozen=True)
class SystemForecast:
    """All hospitals' next 24 hours: ``forecast`` (``org_code`` SYSTEM) and the sites left out of it
    ((name, why) pairs: "joined later", "no arrivals in the last 6 hours")."""

    forecast: SiteForecast
    left_out: tuple[tuple[str, str], ...] = ()
    counted: int = 0


def system_forecast(store, now: datetime) -> SystemForecast:
    """The next 24 hours of every acute site together (see the module docstring)."""
    origin = intraday.origin_of(now)
    named = acute_sites(store)
    codes = [c for c, _ in named]
    series, arrivals, known_from, _none = (_read(store, codes, [WAITS], origin, levels=False) if codes
                                           else ({}, {}, {}, {}))
    return _system(named, series, arrivals, known_from, origin)


def _system(named: list[tuple[str, str]], series: dict, arrivals: dict, known_from: dict,
            origin: datetime) -> SystemForecast:
    codes = [c for c, _ in named]
    names = dict(named)
    n = intraday.WINDOW_DAYS * intraday.HOURS
    quiet_hours = int(intraday.MAX_SILENCE.total_seconds() // 3600)
    started = {c: known_from[c] for c in codes if c in known_from}
    left: list[tuple[str, str]] = []
    counted = []
    earliest = min(started.values(), default=None)
    for code in codes:
        if code not in started:
            continue
        counts = intraday.bin_count(arrivals.get(code, ()), n, started[code])
        if started[code] > earliest + JOIN_HOURS:
            left.append((names[code], "its data starts later than the others'"))
        elif not np.nansum(counts[n - quiet_hours:]) > 0:
            left.append((names[code], f"no arrivals in the last {quiet_hours} hours"))
        else:
            idx, vals = series.get((code, WAITS), ((), ()))
            counted.append((counts, intraday.bin_mean(idx, vals, n)))
    if counted:
        counts = np.array([c for c, _ in counted])
        waits = np.array([w for _, w in counted])
        total = counts.sum(axis=0)                      # NaN until every counted site has data
        weight = np.where(np.isfinite(waits) & (counts > 0), counts, 0.0)
        weighted = np.nansum(np.where(weight > 0, waits * weight, 0.0), axis=0)
        mean = np.full(n, np.nan)
        np.divide(weighted, weight.sum(axis=0), out=mean, where=weight.sum(axis=0) > 0)
        mean[~np.isfinite(total)] = np.nan
        made = {f.key: f for f in intraday.forecast([(WAITS, SYSTEM), (ARRIVALS, SYSTEM)],
                                                     np.array([mean, total]), origin)}
    else:
        made = {key: intraday.IntradayForecast(key, SYSTEM, origin, (), 0, "no acute site with arrivals yet")
                for key in (WAITS, ARRIVALS)}
    opel = opel_chance.OpelChance(SYSTEM, None, None, 0, 0, "worked out for each provider, not the system")
    return SystemForecast(SiteForecast(SYSTEM, SYSTEM_NAME, made, opel), tuple(left), len(counted))


def site_forecast(store, now: datetime, code: str, metrics: Iterable[str] = ()) -> SiteForecast:
    """One site's forecasts (the provider view, the offload chart's chosen hospital)."""
    return site_forecasts(store, now, [code], metrics).sites[code]


def _shown_now(store, codes: list[str], now: datetime) -> dict[str, tuple[int | None, int | None]]:
    """Each provider's (shown level, at-least level) from its newest assessment up to ``now`` (one
    index seek each)."""
    with store.session() as s:
        found = rows(s, f"SELECT v.column1, {SHOWN_SQL}, at_least_level "
                        f"FROM (VALUES {', '.join(['(?)'] * len(codes))}) AS v JOIN opel_assessment ON opel_assessment.id = "
                        "(SELECT b.id FROM opel_assessment AS b WHERE b.scope = 'provider' AND b.org_code = v.column1 "
                        "AND b.assessed_at <= ? ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)", [*codes, to_utc_text(now)])
    return {code: (_int(level), _int(least)) for code, level, least in found}


def _int(value) -> int | None:
    return None if value is None else int(value)


def _hour(column: str) -> str:
    """SQL for the hour of ``column`` on a grid starting at a parameter (epoch seconds): SQLite works
    it out from the stored UTC text, so no row becomes a Python datetime.  Floored, also for the
    hours just before the grid (SQLite's integer division truncates toward zero)."""
    return f"((CAST(strftime('%s', {column}) AS INTEGER) - ? + 360000) / 3600 - 100)"


def _read(store, codes: list[str], keys: list[str], origin: datetime, levels: bool = True):
    """The history the models need, in one snapshot, as hours on each model's grid (the providers'
    levels, eight weeks of them, only if ``levels``)."""
    start = intraday.grid_start(origin)
    level_start = origin - timedelta(days=opel_chance.HISTORY_DAYS)
    since, until = to_utc_text(start), to_utc_text(origin)
    level_since = to_utc_text(level_start - opel_chance.HOLD)
    s0, l0 = int(start.timestamp()), int(level_start.timestamp())
    q = placeholders(len(codes))
    series: dict[tuple[str, str], tuple] = {}
    with store.session() as s:
        # Hourly means in SQL: the model wants nothing finer, and 96 rows a day become 24.
        found = rows(s, f"SELECT org_code, metric_code, {_hour('observed_at')} AS h, avg(value) FROM observation "
                        f"WHERE org_code IN ({q}) AND metric_code IN ({placeholders(len(keys))}) "
                        "AND observed_at >= ? AND observed_at < ? AND value IS NOT NULL "
                        "GROUP BY org_code, metric_code, h", [s0, *codes, *keys, since, until])
        arrived = rows(s, f"SELECT hospital_code, {_hour('arrived_at')} AS h, count(*) FROM handover_event "
                          f"WHERE hospital_code IN ({q}) AND arrived_at >= ? AND arrived_at < ? "
                          "GROUP BY hospital_code, h", [s0, *codes, since, until])
        # One index seek per site (min() over an equality prefix): GROUP BY walked every event a site had.
        first = rows(s, "SELECT column1, (SELECT min(arrived_at) FROM handover_event WHERE hospital_code = column1) "
                        f"FROM (VALUES {', '.join(['(?)'] * len(codes))})", codes)
        # Levels before the window (by up to HOLD) come in with a negative hour: the level held into it.
        assessed = rows(s, f"SELECT org_code, {_hour('assessed_at')} AS h, max({SHOWN_SQL}) FROM opel_assessment "
                           f"WHERE scope = 'provider' AND org_code IN ({q}) AND assessed_at >= ? AND assessed_at < ? "
                           f"AND {SHOWN_SQL} IS NOT NULL GROUP BY org_code, h",
                        [l0, *codes, level_since, until]) if levels else []
    grouped: dict = defaultdict(lambda: ([], []))
    for org, metric, h, value in found:
        pair = grouped[(org, metric)]
        pair[0].append(h)
        pair[1].append(value)
    series = dict(grouped)
    arrivals: dict = defaultdict(list)
    for code, h, count in arrived:
        arrivals[code] += [h] * count
    known_from = {code: int((from_utc_text(at) - start).total_seconds() // 3600) for code, at in first if at}
    by_org: dict = defaultdict(lambda: ([], []))
    for code, h, level in assessed:
        by_org[code][0].append(h)
        by_org[code][1].append(level)
    return series, dict(arrivals), known_from, dict(by_org)
