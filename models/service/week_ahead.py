"""The week ahead: each acute site's and the system's daily figures for the next seven days, with 80%
intervals, from the replica's own history (issue 20, item 1 in the app).

Per UK day, from the last twelve weeks the replica holds (or as many days as it holds):

- ambulance arrivals: handover events by the UK day of arrival (cancelled ones left out);
- handovers over 30 and up to 60 minutes, and over 60 minutes, by the day of arrival (one still
  waiting counts as over 60 once its wait passes the hour);
- G&A bed occupancy: the day's mean of the hourly means the site reported (a day with fewer than
  twelve hours of figures is unknown, not low).

A site's days before the day after its first arrival this desktop holds are unknown (its first day
is a part-day).  The system's counts are the sum over the sites whose data starts with the
system's (within ``JOIN_DAYS``), from the day they all have data: a series of its own, forecast
directly, so its interval comes from its own errors (a sum of the sites' intervals would not be
one).  A site whose data starts later would lift the system's series by its whole size on the day
it joins, which the model would read as a surge; it is left out of the system, and named, until
its data covers the window.  The system has no occupancy forecast: a mean of percentages over
sites of different sizes is not the system's occupancy.

The forecasts are ``models.forecast.model.forecast_all`` (the shipped daily model: exponential
smoothing with weekly seasonality, holiday effects learned from the shipped winters, weights ranked
across every site of the series and the system together, conformal intervals).  The last day it
knows (the origin) is the last whole UK day the replica had data after: yesterday when the feed is
live; earlier when the desktop has not heard from it since, so a half-received day never reads as
a quiet one.  Run it off the UI thread (``ui.tasks``).

Today so far: when the feed has been heard today, the first forecast day is today, and its counts so
far (from UK midnight to now, or to the handover feed's newest arrival or handover when none has come
for over an hour: the trusts' occupancy can go on after it stops) are read in the same
snapshot and by the same definitions as the history, for each count measure of each place
(``DailySeries.so_far``, to ``WeekAhead.so_far_to``).  They are what has happened, shown beside the
forecast, never fed to it: the model and its origin are unchanged.  A count so far only grows through
the day, so one above the interval's top means the day will end above it (``standing_words``).
Occupancy has none: the mean of the hours so far is not an estimate of the day's mean (the morning
runs higher than the afternoon), so beside the day's forecast it would read as "running high" most
mornings.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np

from models.forecast.backtest import rows_of, score
from models.forecast.calendar import WORDS as HOLIDAY_WORDS   # a forecast day's kind in words, for the views
from models.forecast.model import HORIZON, DayForecast, SeriesForecast, forecasts_from, panel_from_arrays, run_panels
from models.replica.sql_rows import placeholders, rows
from models.replica.utc import from_utc_text, to_utc_text
from models.service.forecast import acute_sites
from models.uk_time import UK, uk_date

HISTORY_DAYS = 84          # twelve weeks: the model's ranking and intervals learn from its own errors
MIN_DAY_HOURS = 12         # hours with an occupancy figure that make a day known
MIN_JUDGED = 14            # days the forecast was scored on before its record is told
JOIN_DAYS = 2              # sites whose data starts within this many days of the cut count in the system
LIVE = timedelta(hours=1)  # data this recent means the feed is live, whatever the day it fell on
SYSTEM_MIN_DAYS = 28       # the system's history wanted before counting more sites is preferred to it
ARRIVALS = "ambulance_arrivals"
DELAY_30_60 = "handover_delays_30_60_min"
DELAY_60 = "handover_delays_over_60_min"
OCCUPANCY = "ga_bed_occupancy_pct"
SYSTEM = "system"
SYSTEM_NAME = "System (all acute sites)"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str            # after a number: "" for counts, "%" for occupancy
    per_day: bool        # a count a day (summed for the system), not a level


MEASURES = (
    Measure(ARRIVALS, "Ambulance arrivals", "", True),
    Measure(DELAY_30_60, "Handovers over 30 and up to 60 min", "", True),
    Measure(DELAY_60, "Handovers over 60 min", "", True),
    Measure(OCCUPANCY, "G&A bed occupancy", "%", False),
)
BY_KEY = {m.key: m for m in MEASURES}


def figure(measure: Measure, value: float) -> str:
    """As the room writes a figure: a count whole ("287"), occupancy to one decimal with % ("93.9%")."""
    return f"{value:.1f}%" if measure.unit == "%" else f"{round(value):,}"


def interval(measure: Measure, low: float, high: float) -> str:
    """An 80% interval as the room writes it: "222–371", "91.1–96.9%"."""
    if measure.unit == "%":
        return f"{low:.1f}–{high:.1f}%"
    return f"{round(low):,}–{round(high):,}"


@dataclass(frozen=True)
class Record:
    """How this series' own forecasts did over the history shown (the rolling-origin backtest on it):
    ``mase`` is their mean absolute error over that of "the same day last week" (below 1: better),
    mean over 1-7 days ahead; ``coverage`` the share of outcomes inside the 80% interval."""
    mase: float
    coverage: float
    days: int                              # origins scored


@dataclass(frozen=True)
class DailySeries:
    measure: Measure
    days: tuple[date, ...]                 # the history, oldest first, ending at the origin
    values: tuple[float | None, ...]       # each day's figure (None: not known)
    forecast: SeriesForecast               # days ahead with value/low/high, or a reason and no days
    record: Record | None = None           # None until scored on MIN_JUDGED days
    so_far: float | None = None            # today's count so far (to WeekAhead.so_far_to); None: none to show

    @property
    def today(self) -> DayForecast | None:
        """Today's forecast, when today has a count so far (it is then the forecast's first day)."""
        first = self.forecast.days[0] if self.forecast.days else None
        return first if self.so_far is not None and first is not None and first.horizon == 1 else None

    @property
    def above_range(self) -> bool:
        """The count so far is already above the top of today's 80% interval as shown (whole)."""
        return self.today is not None and self.so_far > round(self.today.high)


@dataclass(frozen=True)
class Place:
    code: str                              # an acute site's ODS code, or SYSTEM
    name: str
    series: dict[str, DailySeries]         # measure key -> its history and forecast
    left_out: tuple[tuple[str, str, date, str], ...] = ()   # the system: sites not in its counts (code,
    #                 name, a day, why: "later" = its data starts that day; "silent" = no arrival since that day)


@dataclass(frozen=True)
class WeekAhead:
    now: datetime
    origin: date | None                    # the last whole UK day the forecasts know (None: no data)
    data_to: datetime | None               # the newest arrival or figure the replica holds
    places: dict[str, Place] = field(default_factory=dict)   # SYSTEM first, then the sites by name
    so_far_to: datetime | None = None      # today's counts so far run to this time (None: nothing heard today)

    @property
    def history_days(self) -> int:
        """Days of the history (at most HISTORY_DAYS) from the first on which any place has a figure."""
        known = [n for p in self.places.values() for s in p.series.values()
                 for n, v in enumerate(s.values) if v is not None]
        return HISTORY_DAYS - min(known) if known else 0

    @property
    def stale_days(self) -> int:
        """Whole days between the origin and yesterday (0 when the feed is live)."""
        if self.origin is None:
            return 0
        return (self.now.astimezone(UK).date() - timedelta(days=1) - self.origin).days


def week_ahead(store, now: datetime) -> WeekAhead:
    """The week ahead for the system and every acute site, from what the replica holds at ``now``."""
    sites = acute_sites(store)
    codes = [c for c, _ in sites]
    if not codes:
        return WeekAhead(now, None, None)
    data_to = _newest(store, codes, now)
    if data_to is None:
        return WeekAhead(now, None, None)
    yesterday = now.astimezone(UK).date() - timedelta(days=1)
    # Data within the last hour counts as live: just after midnight the newest figure is from yesterday.
    heard = now if now - data_to <= LIVE else data_to
    origin = min(yesterday, heard.astimezone(UK).date() - timedelta(days=1))
    days = [origin - timedelta(days=HISTORY_DAYS - 1 - i) for i in range(HISTORY_DAYS)]
    # Heard today: today (the origin's next day) is read too, up to now, in the same snapshot, then set aside.
    # The counts come from the ambulance service's handover feed, which can stop while the trusts'
    # occupancy goes on: they run to now while an arrival or handover came within the hour, else only to
    # the newest one, said as such; none at all today, no count so far (nothing heard is not a quiet day).
    counts_to = _handovers_to(store, codes, now, uk_midnight(yesterday))
    so_far_to = None if counts_to is None else now if now - counts_to <= LIVE else counts_to
    if so_far_to and (so_far_to < uk_midnight(yesterday + timedelta(days=1)) or origin != yesterday):
        so_far_to = None
    # Waits are judged to the time the counts run to: a crew still "waiting" when the feed stopped has
    # not passed the hour since, as far as anyone knows.
    counts, occupancy, starts = _read(store, codes, days + ([origin + timedelta(days=1)] if so_far_to else []),
                              so_far_to or now)
    today = {k: {c: v[-1] for c, v in per.items()} if so_far_to else {} for k, per in counts.items()}
    if so_far_to:
        counts = {k: {c: v[:-1] for c, v in per.items()} for k, per in counts.items()}
        occupancy = {c: v[:-1] for c, v in occupancy.items()}
    orgs = [SYSTEM, *codes]
    by_series: dict[str, np.ndarray] = {}
    n = len(days)
    # Counts are known from a site's first whole day on: the same day for every count measure.
    known = np.isfinite(np.stack([counts[ARRIVALS][c] for c in codes]))
    first = np.where(known.any(axis=1), known.argmax(axis=1), n)
    # A site with no arrival on the origin day or since has gone quiet (its feed, not its patients): its
    # days after its last arrival are unknown, not zero, and it is left out of the system, named.
    arrived = np.stack([np.nan_to_num(counts[ARRIVALS][c]) > 0 for c in codes])
    last = np.where(arrived.any(axis=1), n - 1 - arrived[:, ::-1].argmax(axis=1), -1)
    silent = (first < n) & (last < n - 1)
    # A site whose first arrival came on the origin day or today has no whole day yet: not counted, and named
    # (it was left out of the system's figures in silence when a new site's first arrival fell after midnight).
    pending = np.array([first[i] >= n and c in starts for i, c in enumerate(codes)], dtype=bool)
    for m in MEASURES:
        if m.per_day:
            for i, c in enumerate(codes):
                if silent[i]:
                    counts[m.key][c][max(last[i] + 1, 0):] = np.nan
    counted, system_from = _system_sites(first, silent, n)
    if not counted.any():   # no site has a whole day yet: none starts "later than the others'" (the history says it)
        pending[:] = False
    for m in MEASURES:
        grid = np.stack([counts[m.key][c] if m.per_day else occupancy[c] for c in codes])
        system = np.full(len(days), np.nan)
        if m.per_day and counted.any():
            system[system_from:] = grid[counted][:, system_from:].sum(axis=0)
        by_series[m.key] = np.vstack([system, grid])
    # One engine pass over every series from every origin: the forecasts at the last, and each
    # series' record over the history (its own forecasts scored as the backtest scores them).
    # One run of days: the shipped files start a new run at each winter (July), but the replica's days are
    # continuous, and a new run would leave every series with too little history for three weeks.
    panels = [dataclasses.replace(p, segment=np.zeros_like(p.segment))
              for p in (panel_from_arrays(key, orgs, days, values) for key, values in by_series.items())]
    result = run_panels(panels, HORIZON)
    made = forecasts_from(panels, result)
    records = {p.series: _records(p, rows_of(result, n * len(orgs), (n + 1) * len(orgs)))
               for n, p in enumerate(panels)}
    names = {SYSTEM: SYSTEM_NAME, **dict(sites)}
    places = {}
    for row, code in enumerate(orgs):
        series = {}
        for m in MEASURES:
            if code == SYSTEM and not m.per_day:
                continue
            values = tuple(None if not np.isfinite(v) else float(v) for v in by_series[m.key][row])
            series[m.key] = DailySeries(m, tuple(days), values, made[m.key][row], records[m.key][row],
                                        _so_far(today.get(m.key, {}), codes, code, counted, silent))
        left = ()
        if code == SYSTEM:
            begins = [days[f] if f < n else starts.get(c) for f, c in zip(first, codes)]   # each site's first whole day
            left = tuple((c, names[c], days[last[i] + 1] if silent[i] and last[i] + 1 < n else begins[i],
                          "silent" if silent[i] else "later")
                         for i, c in enumerate(codes) if not counted[i] and (first[i] < n or pending[i]))
        name = names[code] if code != SYSTEM or not left else \
            f"System ({int(counted.sum())} of {int(((first < n) | pending).sum())} acute sites)"
        places[code] = Place(code, name, series, left)
    return WeekAhead(now, origin, data_to, places, so_far_to)


def _so_far(today: dict[str, float], codes: list[str], code: str, counted: np.ndarray,
            silent: np.ndarray) -> float | None:
    """A place's count today so far: a site's own (None before its first whole day, or gone quiet);
    the system's, the sum over the sites its history counts."""
    if not today:
        return None
    if code == SYSTEM:
        parts = [today[c] for i, c in enumerate(codes) if counted[i]]
        return float(sum(parts)) if parts and np.isfinite(parts).all() else None
    value = today[code]
    return None if silent[codes.index(code)] or not np.isfinite(value) else float(value)


def so_far_label(page: WeekAhead) -> str:
    """"so far today (to 16:25)", UK time ("" when nothing has been heard today)."""
    return f"so far today (to {page.so_far_to.astimezone(UK):%H:%M})" if page.so_far_to else ""


STANDING_WORDS = {"above": "already above the forecast's range",
                  "past": "already past the forecast's figure, inside its range"}


def standing(series: DailySeries) -> str:
    """How today's count so far stands against today's forecast, when that says something: "above" the
    interval's top as shown (the day will end above it: a count only grows), "past" its central
    figure; "" otherwise or with nothing to compare."""
    d = series.today
    if d is None:
        return ""
    if series.above_range:
        return "above"
    return "past" if series.so_far > round(d.value) else ""


def standing_words(series: DailySeries) -> str:
    """``standing`` in words for the room ("already above the forecast's range"; "" when nothing to say)."""
    return STANDING_WORDS.get(standing(series), "")


def history_words(page: WeekAhead) -> str:
    """The history the forecasts learned from, as held: "the last twelve weeks", or "the last 5 weeks
    the replica holds (up to 12 weeks are used)"."""
    n = page.history_days
    if n >= HISTORY_DAYS:
        return "the last twelve weeks"
    if n == 0:   # not "the last 0 days": a replica whose history starts today
        return "whole days of data, of which the replica holds none yet"
    held = f"{n} day{'s' if n != 1 else ''}" if n < 14 else f"{round(n / 7)} weeks"
    return f"the last {held} the replica holds (up to {HISTORY_DAYS // 7} weeks are used)"


def _system_sites(first: np.ndarray, silent: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """Which sites the system counts, and from which day: the cut that counts the most sites whose
    data starts by it (within JOIN_DAYS) and still leaves the system SYSTEM_MIN_DAYS of history (else
    the most sites), the earliest such cut; never a site gone quiet."""
    live = (first < n) & ~silent
    if not live.any():
        return live, n
    def value(f: int):
        return (f <= n - SYSTEM_MIN_DAYS, int((live & (first <= f + JOIN_DAYS)).sum()), -f)
    cut = max(sorted(set(first[live].tolist())), key=value)
    counted = live & (first <= cut + JOIN_DAYS)
    return counted, int(first[counted].max())


def left_out_words(place: Place) -> str:
    """Which sites the system's figures leave out and why, in sentences ("" when none)."""
    said = []
    later = [(c, name, d) for c, name, d, why in place.left_out if why == "later"]
    quiet = [(c, name, d) for c, name, d, why in place.left_out if why == "silent"]
    if later:
        named = "; ".join(f"{name} ({code}) from {uk_date(day)}" for code, name, day in later)
        said.append(f"The system's figures leave out {len(later)} site{'s' if len(later) != 1 else ''} whose "
                    f"data on this desktop starts later than the others' ({named}): counted in, a new site would "
                    "read as a surge. Each is counted once its data covers the history shown.")
    if quiet:
        named = "; ".join(f"{name} ({code}) since {uk_date(day)}" for code, name, day in quiet)
        said.append(f"{'They' if later else 'The system' + chr(39) + 's figures'} leave out {len(quiet)} site{'s' if len(quiet) != 1 else ''} with no arrival on this "
                    f"desktop ({named}): a feed gone quiet is not a quiet day. Check the data-quality view.")
    return " ".join(said)


def record_words(record: Record | None) -> str:
    """The record in a sentence for the room: against "the same day last week", and the interval."""
    if record is None:
        return f"not yet judged (needs {MIN_JUDGED} days of its own forecasts to score)"
    gain = round(100 * (1 - record.mase))
    if gain > 0:
        against = f"{gain}% closer than the same day last week"
    elif gain < 0:
        against = f"{-gain}% further off than the same day last week: read it with care"
    else:
        against = "as close as the same day last week"
    return (f"over the last {record.days} days its forecasts were {against}; "
            f"{round(100 * record.coverage)}% of days fell inside the 80% interval")


def _records(panel, result) -> list[Record | None]:
    """Each org's record over the history, from the engine's forecasts at every origin."""
    out = []
    for b in score(panel, result):
        ok = b.origins >= MIN_JUDGED and np.isfinite(b.mean_mase) and np.isfinite(b.mean_coverage)
        out.append(Record(b.mean_mase, b.mean_coverage, b.origins) if ok else None)
    return out


def _valid_max_minutes() -> float:
    """The longest handover the handover table takes as real (its valid range's upper edge)."""
    from models.rules.handover_bands import load_handover
    hi = load_handover().valid_range.hi
    return hi if np.isfinite(hi) else 1e9


def uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)


def _handovers_to(store, codes: list[str], now: datetime, since: datetime) -> datetime | None:
    """The newest arrival or handover time up to ``now`` among the sites' crews arrived since ``since``
    (how far the handover feed runs today; the (hospital, arrival) index keeps it to today's rows)."""
    q = placeholders(len(codes))
    at = to_utc_text(now)
    with store.session() as s:
        found = rows(s, "SELECT max(CASE WHEN handed_over_at <= ? THEN handed_over_at ELSE arrived_at END) "
                        f"FROM handover_event WHERE hospital_code IN ({q}) AND arrived_at >= ? AND arrived_at <= ?",
                     [at, *codes, to_utc_text(since), at])
    ((newest,),) = found
    return from_utc_text(newest) if newest else None


def _newest(store, codes: list[str], now: datetime) -> datetime | None:
    """The newest arrival or figure the replica holds for the sites up to ``now`` (how far its data
    runs; a report as at an earlier time sees only what was there by then)."""
    q = placeholders(len(codes))
    at = to_utc_text(now)
    with store.session() as s:
        found = rows(s, f"SELECT max(arrived_at) FROM handover_event WHERE hospital_code IN ({q}) AND arrived_at <= ? "
                        f"UNION ALL SELECT max(observed_at) FROM observation WHERE org_code IN ({q}) "
                        "AND metric_code = ? AND observed_at <= ?", [*codes, at, *codes, OCCUPANCY, at])
    times = [from_utc_text(t) for (t,) in found if t]
    return max(times) if times else None


def _uk_day(column: str, start: datetime, end: datetime) -> tuple[str, list[str]]:
    """SQL for the UK date ('YYYY-MM-DD') of ``column`` over ``[start, end)``, and its parameters: the
    stored UTC time moved by the UK offset of its stretch (a CASE over the window's clock changes), so
    the rows come back a day each, not an hour."""
    stretches, hour = [], start
    while hour < end:
        offset = int(hour.astimezone(UK).utcoffset().total_seconds() // 3600)
        if not stretches or stretches[-1][1] != offset:
            stretches.append((hour, offset))
        hour += timedelta(hours=1)
    case, params = "", []
    for (_at, offset), (nxt, _) in zip(stretches, stretches[1:]):
        case += f"WHEN {column} < ? THEN '{offset:+d} hours' "
        params.append(to_utc_text(nxt))
    case = f"CASE {case}ELSE '{stretches[-1][1]:+d} hours' END" if case else f"'{stretches[-1][1]:+d} hours'"
    return f"date({column}, {case})", params


def _read(store, codes: list[str], days: list[date], now: datetime):
    """Per measure and site, each day's figure (NaN unknown), from one snapshot, a row a site and day;
    nothing after ``now`` (today, as the last day, is its part so far)."""
    start = uk_midnight(days[0])
    end = min(uk_midnight(days[-1] + timedelta(days=1)), now + timedelta(microseconds=1))
    index = {d.isoformat(): n for n, d in enumerate(days)}
    q = placeholders(len(codes))
    since, until = to_utc_text(start), to_utc_text(end)
    arrived_day, arrived_params = _uk_day("arrived_at", start, end)
    observed_day, observed_params = _uk_day("observed_at", start, end)
    with store.session() as s:
        # A wait beyond the handover table's valid range (a day) is a bad time, counted as an arrival only,
        # as the offload view and the period reports leave it out; only a row still 'arrived' is waiting.
        events = rows(s, "SELECT hospital_code, day, count(*), "
                         "sum(done AND waited > 1800000 AND waited <= 3600000), "
                         "sum((done OR waiting) AND waited > 3600000 AND waited <= ?) "
                         f"FROM (SELECT hospital_code, {arrived_day} AS day, "
                         # As at ``now``: a handover after it (a report as at 08:00, --at) was still waiting then.
                         "coalesce(handed_over_at <= ?, 0) AS done, "
                         "(state = 'arrived' OR coalesce(handed_over_at > ?, 0)) AS waiting, "
                         # Milliseconds, whole: a wait of exactly 30 or 60 minutes falls in the lower band.
                         "CAST(round((julianday(CASE WHEN handed_over_at <= ? THEN handed_over_at ELSE ? END) "
                         "- julianday(arrived_at)) * 86400000) AS INTEGER) AS waited "
                         f"FROM handover_event WHERE hospital_code IN ({q}) AND arrived_at >= ? AND arrived_at < ? "
                         "AND state <> 'cancelled') GROUP BY hospital_code, day",
                      [int(_valid_max_minutes() * 60000), *arrived_params, *[to_utc_text(now)] * 4, *codes,
                       since, until])
        first = rows(s, "SELECT column1, (SELECT min(arrived_at) FROM handover_event WHERE hospital_code = column1) "
                        f"FROM (VALUES {', '.join(['(?)'] * len(codes))})", codes)
        # Hourly means first (a site reporting every 15 minutes and one reporting hourly weigh the same
        # in their day), then the day's mean of its hours and how many hours it had.
        occupied = rows(s, "SELECT org_code, day, avg(mean), count(*) FROM ("
                           f"SELECT org_code, {observed_day} AS day, substr(observed_at, 1, 13) AS hour, "
                           "avg(value) AS mean FROM observation "
                           f"WHERE org_code IN ({q}) AND metric_code = ? AND observed_at >= ? AND observed_at < ? "
                           "AND value IS NOT NULL GROUP BY org_code, hour) GROUP BY org_code, day",
                        [*observed_params, *codes, OCCUPANCY, since, until])
    n = len(days)
    counts = {k: {c: np.zeros(n) for c in codes} for k in (ARRIVALS, DELAY_30_60, DELAY_60)}
    for code, day, arrived, mid, long in events:
        d = index.get(day)
        if d is not None:
            counts[ARRIVALS][code][d] = arrived
            counts[DELAY_30_60][code][d] = mid or 0
            counts[DELAY_60][code][d] = long or 0
    starts = {}
    for code, at in first:
        # Known from the first whole day after the site's first arrival this desktop holds.
        arrived = from_utc_text(at) if at else None
        start = arrived.astimezone(UK).date() + timedelta(days=1) if arrived else None
        known = n if start is None else (start - days[0]).days
        for k in counts:
            counts[k][code][:max(0, min(n, known))] = np.nan
        if arrived is not None and arrived <= now:
            starts[code] = start
    occupancy = {c: np.full(n, np.nan) for c in codes}
    for code, day, mean, hours in occupied:
        d = index.get(day)
        if d is not None and hours >= MIN_DAY_HOURS:
            occupancy[code][d] = mean
    return counts, occupancy, starts
