"""What the system picture says: its page (``models.service.system_picture``) as tile texts and site rows.

Each figure is judged against its own age limit here: a tile older than its limit says "no data since
14:15" and is drawn stale; the limits are the other views' (``ui/stale_limits.py``: the room's settings, by default
OPEL and offload an hour, CRITCON two hours).
A declared level (REAP, CSP) is as at the last sync, so it goes stale when the feed does.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from functools import lru_cache

from models.rules.declared_above import words as declared_words
from models.rules.handover_bands import load_handover
from models.rules.opel_table import period_note
from models.uk_time import UK, day_clock, repeated_zone
from models.service import system_picture as door
from models.rules.catalogue import load_catalogue
from ui import doubt_mark, stale_limits
from ui import format as fmt
from ui import theme
from ui.records.transfers_view import NO_DESTINATION
from ui.system_sites import Cell
from ui.theme import OPEL_WORDS, opel_colours, opel_label
from ui.system_tiles import TileText

# The default limits; the room's own (settings) are ``stale_limits.current()``, read at each draw.
OPEL_STALE = SITE_STALE = OFFLOAD_STALE = stale_limits.DEFAULTS.figures
CRITCON_STALE = RESPONSE_STALE = stale_limits.DEFAULTS.slow
SYNC_STALE = stale_limits.DEFAULTS.sync
EMPTY_SITES = ("No acute site has reported yet. Each site's row appears here after its first data "
               "reaches the hub and this desktop syncs.")
METHOD_WORDS = {"worst": "the worst", "weighted_mean": "a size-weighted mean", "weighted_sum": "a weighted sum"}


def no_data_since(now: datetime, at: datetime | None) -> str:
    """"no data since 14:15 (84 min ago)"; the weekday as well once it is not today ("Fri 21:15"), the date
    too past six days. (With the date, a pillar tile at 1366x768 cut its age short: "(8 h …".)"""
    if at is None:
        return "no data received"
    return f"no data since {day_clock(now, at)} ({fmt.age(now, at)})"


def age_line(now: datetime, at: datetime | None, limit: timedelta, what: str = "updated") -> tuple[str, bool]:
    """(the age words, stale) of a figure as at ``at``."""
    stale = fmt.is_stale(now, at, limit)
    if stale:
        return no_data_since(now, at), True
    return f"{what} {fmt.local_time(at)} ({fmt.age(now, at)})", False


def clock_at(now: datetime, at: datetime | None) -> str:
    """"09:00" today, "Sun 04:00" within the week, else with the date (``models.uk_time.day_clock``)."""
    return "unknown" if at is None else day_clock(now, at)


def coming_clock(now: datetime, at: datetime) -> str:
    """A time still to come as the room reads it: "05:00" today, "Wed 05:00" in the coming week (a gap that runs
    over midnight names the day it ends), else with the date; the autumn change's repeated hour names its zone."""
    local, today = at.astimezone(UK), now.astimezone(UK).date()
    if local.date() == today:
        return f"{local:%H:%M}{repeated_zone(local)}"
    if timedelta(0) < local.date() - today < timedelta(days=7):
        return f"{local:%a %H:%M}{repeated_zone(local)}"
    return fmt.local_time(at, True)


def _names(items, limit: int = 2) -> str:
    """"Alpha and Beta", or "Alpha +3 more" when the names are long or many (a tile has one line)."""
    items = [fmt.short_name(x) for x in items]
    if len(items) > 1 and sum(len(x) for x in items[:limit]) > 26:
        limit = 1
    if len(items) <= limit:
        return " and ".join(items)
    return ", ".join(items[:limit]) + f" +{len(items) - limit} more"


def listed(items) -> str:
    """"a", "a and b", "a, b and c": a list as a sentence says it, never "a and b and c"."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def pillar_words(pillar: str) -> str:
    """A pillar inside a sentence: "mental health", "NHS 111"."""
    name = fmt.pillar_name(pillar)
    return name if name.startswith("NHS") else name.lower()


def _points(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def header(page: door.SystemPicture) -> tuple[tuple[str, bool], ...]:
    now, feed = page.now, page.feed
    clock = f"{fmt.local_time(now)}  {now.astimezone(fmt.UK):%a %d %b}"
    data_stale = fmt.is_stale(now, page.data_as_at, stale_limits.current().opel)   # as old as the tiles may be
    data = ("Data as at " + fmt.local_time(page.data_as_at) + f" ({fmt.age(now, page.data_as_at)})"
            if page.data_as_at else "No data yet")
    sync_stale = fmt.is_stale(now, feed.last_sync_at, stale_limits.current().sync)
    if feed.last_sync_at is None:
        sync = "Feed: never synced"
    elif sync_stale:
        sync = f"Feed: no sync since {fmt.local_time(feed.last_sync_at)} ({fmt.since(now, feed.last_sync_at)})"
    else:
        sync = f"Feed: synced {fmt.local_time(feed.last_sync_at)} ({fmt.age(now, feed.last_sync_at)})"
    if feed.outbox_pending:
        sync += f", {feed.outbox_pending} to send"
    return (clock, False), (data, data_stale), (sync, sync_stale)


def level_tile(tile: door.LevelTile, now: datetime, title: str, setter_words, score_words: str = "score",
               table_period: bool = False) -> TileText:
    age, stale = age_line(now, tile.as_at, stale_limits.current().opel)
    if tile.as_at is None:
        return TileText(title, "OPEL —", ("no roll-up received",), "no data received", None, True,
                        f"{title}: no OPEL roll-up received")
    figure = opel_label(tile.level, tile.at_least_level).replace(" (incomplete)", "")
    words = OPEL_WORDS.get(tile.level or 0, "incomplete")
    # One line; a tile too narrow for it, or where two lines draw larger type, breaks it at its " · "
    # (ui.system_tiles.Tile._laid_out): OPEL 4's words with the unverified note (hazard H-02's) were cut on a
    # 1366 wall tile, and on one line shrank a 1920 pillar tile's detail lines from 13 to 10 px.
    lines = [words + ("" if tile.verified else " · method unverified")]
    if table_period and tile.edition and (ended := period_note(tile.edition, now.astimezone(UK).date(), short=True)):
        lines[0] += f" · tables' {ended}"   # the wall's one word of it (the Overview says it whole)
    if tile.score is not None:
        score = f"{score_words} {_points(tile.score)}{tile.unit}"
        if tile.points_to_next is not None and tile.level:
            score += f", {_points(tile.points_to_next)}{tile.unit} to OPEL {tile.level + 1}"
        lines.append(score)
    alone = ()
    if tile.set_by:
        alone = (len(lines),)   # names run as long as they are: they shrink alone, not the whole tile
        lines.append("set by " + setter_words(tile.set_by))
    if tile.declared_above:   # rolled up from calculated scores: a provider's higher declaration is said
        alone += (len(lines),)
        lines.append(declared_words(tile.declared_above, shown=1))   # one named: the line no longer than the rest
    return TileText(title, figure, tuple(lines), age, opel_colours(tile.level), stale,
                    f"{title}: {figure}, {'; '.join(lines)}; {age}", sized_alone=alone)


def _ambulance(page: door.SystemPicture) -> TileText:
    now = page.now
    if not page.ambulance:
        return TileText("Ambulance REAP / CSP", "REAP —", ("no level reported",), "no data received", None, True)
    a = page.ambulance[0]
    age, stale = age_line(now, a.as_at, stale_limits.current().sync, "as at")
    csp = f" · CSP {a.csp_level}" if a.csp_level else ""

    def held(level: str, since: datetime | None) -> str:
        # A level is known to hold only until the last data: with the feed down, how long it had
        # held then, never a time in level run on to now.
        if stale:
            return f"{level} for {fmt.since(a.as_at, since)} as at {fmt.local_time(a.as_at)}"
        return f"{level} for {fmt.since(now, since)} (since {clock_at(now, since)})"
    # Stale: the line below says "no data since 14:38 (6 h ago)", so this one ends at its own time.
    lines = [held(f"REAP {a.reap_level}", a.reap_since)]
    if a.csp_level is not None:
        lines.append(held(f"CSP {a.csp_level}", a.csp_since))
    lines.append(fmt.short_name(a.name) + (f" +{len(page.ambulance) - 1} more" if len(page.ambulance) > 1 else ""))
    return TileText("Ambulance REAP / CSP", f"REAP {a.reap_level}{csp}", tuple(lines), age,
                    opel_colours(a.reap_level), stale)


def _offload(page: door.SystemPicture) -> TileText:
    o, now = page.offload, page.now
    title = "Ambulance offload"
    if o.as_at is None:
        return TileText(title, "0 waiting", ("no handover data",), "no data received", None, True)
    stale = o.at_least or fmt.is_stale(now, o.as_at, stale_limits.current().offload)
    if o.longest_minutes is None:
        longest = "nobody waiting"
    elif o.at_least:   # the line below says "no data since" this time, with its age: not said twice
        longest = f"longest ≥ {fmt.whole_minutes_up(o.longest_minutes)} at {fmt.local_time(o.as_at)}"
    elif o.longest_as_at is not None:   # its own service has gone quiet: the wait as at its last data
        longest = (f"longest ≥ {fmt.whole_minutes_up(o.longest_minutes)} ({fmt.short_name(o.longest_site or '')}) "
                   f"at {clock_at(now, o.longest_as_at)}, its last data")
    else:
        longest = f"longest {fmt.whole_minutes_up(o.longest_minutes)} ({fmt.short_name(o.longest_site or '')})"
    lines = (longest, f"hours lost today {o.hours_lost:.1f} (beyond {o.hours_lost_beyond:g} min)",
             f"handovers over 60 min today: {o.over_60}")
    if o.unclosed:   # a handover never reported: a record to check, not a crew (the offload view lists them)
        lines += (f"{o.unclosed} record{'s' if o.unclosed != 1 else ''} open over a day: see Data quality",)
    colours = None
    if o.longest_minutes is not None:
        try:
            colours = theme.severity_colours(load_handover().band_for(o.longest_minutes).severity)
        except ValueError:
            colours = None
    age = no_data_since(now, o.as_at) if stale else f"as at {fmt.local_time(o.as_at)}"
    figure = f"{o.waiting} waiting" + (f" at {fmt.local_time(o.as_at)}" if o.at_least else "")
    return TileText(title, figure, lines, age, colours, stale)


def _critcare(page: door.SystemPicture) -> TileText:
    c, now = page.critcare, page.now
    title = "Critical care"
    if c.worst_level is None:
        return TileText(title, "CRITCON —", ("no unit has reported",), "no data received", None, True)
    age, stale = age_line(now, c.as_at, stale_limits.current().critcon, "oldest report")
    if not stale and c.oldest_site:
        age += f", {fmt.short_name(c.oldest_site)}"
    beds = f"{c.free_beds} free in {c.units_with_free} unit{'s' if c.units_with_free != 1 else ''}"
    if c.units_over:
        beds += (f"; {'one unit' if c.units_over == 1 else f'{c.units_over} units'} "
                 f"{c.beds_over} over")
    return TileText(title, f"CRITCON {c.worst_level}", (f"at {_names(c.worst_sites)}", beds,
                                                       f"{c.units} units reporting"),
                    age, theme.critcon_colours(c.worst_level), stale)


def _room(page: door.SystemPicture) -> TileText:
    r = page.room
    busy = r.unacknowledged_alerts or r.overdue_actions
    figure = f"{r.unacknowledged_alerts} alert{'s' if r.unacknowledged_alerts != 1 else ''}"
    # The alerts count the overdue actions' own: said, so "6 alerts" and "3 actions overdue" never read as 9.
    waiting = "not yet acknowledged" + (f", {r.overdue_action_alerts} for overdue actions"
                                        if r.overdue_action_alerts else "")
    overdue = f"{r.overdue_actions} action{'s' if r.overdue_actions != 1 else ''} overdue"
    return TileText("Alerts and actions", figure,
                    (waiting, overdue + (" in all" if r.overdue_action_alerts else "")),
                    f"as at {fmt.local_time(r.as_at)}", theme.NOT_MET_COLOURS if busy else theme.MET_COLOURS)


def _met(actual: float | None, target: float | None) -> str:
    if actual is None or target is None:
        return "no figure"
    return "met" if actual <= target else "not met"


def _category(c: door.CategoryToday, now: datetime) -> TileText:
    title = f"Category {c.category[1:]} today"
    if c.mean_minutes is None:
        return TileText(title, "—", ("no response times since midnight",), "no data received", None,
                        c.as_at is None or fmt.is_stale(now, c.as_at, stale_limits.current().responses))
    lines = [f"mean since 00:00 · standard {c.mean_target:g} min: {_met(c.mean_minutes, c.mean_target)}"]
    if c.ambition is not None:
        lines.append(f"ambition {c.ambition:g} min ({c.ambition_period}): {_met(c.mean_minutes, c.ambition)}")
    elif c.lapsed:
        lines.append("no interim target set for this year")
    if c.latest_p90_minutes is not None:
        lines.append(f"90th centile {fmt.local_time(c.latest_from)}–{fmt.local_time(c.latest_to)}: "
                     f"{fmt.response(c.latest_p90_minutes)}, standard {c.p90_target:g}")
    age, stale = age_line(now, c.as_at, stale_limits.current().responses, "to")
    met = c.mean_minutes <= c.mean_target if c.mean_target else None
    return TileText(title, fmt.response(c.mean_minutes), tuple(lines), age, theme.met_colours(met), stale)


def _director(page: door.SystemPicture) -> TileText:
    d = page.director
    if d.name is None:
        if d.next_at is None:
            lines = ("and no later shift on the rota", "add one in Contacts")
        else:
            lines = (f"until {coming_clock(d.as_at, d.next_at)} · next: {d.next_name}",
                     d.next_phone or "no phone number")
        return TileText(d.rota, "Nobody on call", lines, f"as at {fmt.local_time(d.as_at)}", theme.NOT_MET_COLOURS)
    return TileText(d.rota, d.name, (d.phone or "no phone number", f"until {fmt.local_time(d.until, True)}"),
                    f"as at {fmt.local_time(d.as_at)}")


def _transfers(page: door.SystemPicture) -> TileText:
    t = page.transfers
    lines: tuple[str, ...] = ("none waiting past its threshold",)
    if t.worst:
        x = t.worst[0]
        lines = (f"{x.ref}: {fmt.span(x.minutes_over * 60)} over",
                 f"{fmt.short_name(x.from_name)} → {fmt.short_name(x.to_name) if x.to_name else NO_DESTINATION}")
        if t.count > 1:
            lines += (f"+{t.count - 1} more past threshold",)
    if t.conflicts:   # never left off the wall: a conflict may be a patient on the road
        lines = (f"⚠ CONFLICT to settle: {', '.join(t.conflicts[:2])}"
                 + (f" +{len(t.conflicts) - 2} more" if len(t.conflicts) > 2 else ""), *lines[:2])
    return TileText("Transfers past threshold", str(t.count), lines,
                    f"as at {fmt.local_time(t.as_at)}", theme.NOT_MET_COLOURS if t.count or t.conflicts else None)


def system_tile(page: door.SystemPicture) -> TileText:
    """The System OPEL tile (also drawn again alone when the system's chance of OPEL 3+ comes)."""
    return level_tile(page.system, page.now, "System OPEL",
                      lambda xs: listed(pillar_words(x) for x in xs)
                      + (f" ({METHOD_WORDS.get(page.system.method, page.system.method)} pillar)"
                         if page.system.method == "worst" else ""),
                      "ICS score", table_period=True)


def tiles(page: door.SystemPicture) -> dict[str, TileText]:
    now = page.now
    out = {"system": system_tile(page)}
    pillars = {p.key: p for p in page.pillars}
    for key in door.PILLARS:
        tile = pillars.get(key) or door.LevelTile(key, None, None, None, None, (), None, None)
        out[key] = level_tile(tile, now, fmt.pillar_name(key), _names)
    out |= {"ambulance": _ambulance(page), "offload": _offload(page), "critcare": _critcare(page),
            "room": _room(page), "director": _director(page), "transfers": _transfers(page),
            "forecast": TileText("Forecast", "not yet available", (), "", accessible=page.forecast)}
    for c in page.responses:
        out[c.category] = _category(c, now)
    return out


def phoned_words(mark) -> str:
    """"☎ phoned in 09:45": in words, beside a provider whose shown figures the room heard on the phone."""
    return f"☎ phoned in {fmt.local_time(mark.at)}"


def phoned_tip(mark) -> str:
    """Who phoned and who took the call, for the mark's tooltip and accessible name."""
    return (f"Figures phoned in at {fmt.local_time(mark.at)} by {mark.caller_name} ({mark.caller_role}), "
            f"taken by {mark.taken_by}" + (" (not sent to the hub yet)" if mark.waiting else ""))


@lru_cache(maxsize=256)
def _metric_name(key: str) -> str:
    metric = load_catalogue().metrics.get(key)
    return metric.name if metric is not None else key


# The site board's columns a doubted metric's figure is in (``models.service.figure_doubts``).
DOUBT_COLUMNS = {"ed_four_hour_performance_pct": 3, "ed_over_12h_from_arrival_count": 4,
                 "ed_over_12h_from_arrival_pct": 4, "cc_available_beds": 9, "cc_occupied_beds": 9,
                 "cc_staffed_beds": 9}


def _doubted(row: tuple[Cell, ...], found) -> tuple[Cell, ...]:
    """``row`` with "?" before the site's name and after each figure an open finding doubts."""
    cols = {DOUBT_COLUMNS[d.metric] for d in found if d.metric in DOUBT_COLUMNS}
    return tuple(dataclasses.replace(c, text=f"{doubt_mark.SIGN} {c.text}") if i == 0 else
                 dataclasses.replace(c, text=f"{c.text} {doubt_mark.SIGN}") if i in cols else c
                 for i, c in enumerate(row))


def room_with_doubts(text: TileText, page: door.SystemPicture, doubts: dict | None) -> TileText:
    """The room's tile with a line naming every provider (acute or not) an open finding puts a figure of in
    doubt: "in doubt, marked ? (data quality): acute 3, acute 4"; the site board's "?" marks the same rows (the line
    does not start with the sign: in small type under "7 alerts", "? in doubt" read as "7 in doubt"). Each
    finding in full in the accessible text."""
    if not doubts:
        return text
    names = {s.org_code: fmt.short_name(s.name) for s in page.sites}
    shown = [names.get(code, code) for code in sorted(doubts, key=lambda c: names.get(c, c))]
    line = f"in doubt, marked {doubt_mark.SIGN} (data quality): " + ", ".join(shown[:3]) + (
        f" +{len(shown) - 3} more" if len(shown) > 3 else "")
    said = "; ".join(doubt_mark.full(found) for found in doubts.values())
    return dataclasses.replace(text, lines=(*text.lines, line), accessible=f"{text.accessible}; {said}",
                               sized_alone=(*text.sized_alone, len(text.lines)))


def site_rows(page: door.SystemPicture, doubts: dict | None = None) -> tuple[list[tuple[Cell, ...]], list[str]]:
    """The board's rows and each site's accessible name; ``doubts``: org code -> the open findings that
    put its figures in doubt (``models.service.figure_doubts``), marked "?" and said in the name."""
    now, rows, names = page.now, [], []
    doubts = doubts or {}
    for s in page.sites:
        phoned = page.phoned.get(s.org_code)
        o = s.opel
        opel_stale = fmt.is_stale(now, s.as_at, stale_limits.current().opel)
        level = o.shown_level if o else None
        to_next = (f"{_points(s.points_to_next)} → {s.next_level}" if s.points_to_next is not None
                   else ("at 4" if level == 4 else "—"))

        def fig(f, text):
            if f.value is None:
                return Cell("—")
            return Cell(text(f.value), stale=fmt.is_stale(now, f.as_at, stale_limits.current().site))
        four = fig(s.four_hour_pct, lambda v: f"{v:.0f}%")
        twelve = fig(s.over_12h, lambda v: f"{v:.0f}") if s.over_12h.value is not None else \
            fig(s.over_12h_pct, lambda v: f"{v:.0f}%")
        handover_stale = (s.handover_as_at is not None
                          and fmt.is_stale(now, s.handover_as_at, stale_limits.current().offload))
        longest = Cell("—" if s.longest_minutes is None else
                       ("≥ " if handover_stale else "") + fmt.whole_minutes_up(s.longest_minutes),
                       stale=handover_stale and s.longest_minutes is not None)
        cc_stale = s.critcon is not None and fmt.is_stale(now, s.critcon_as_at, stale_limits.current().critcon)
        beds = "—" if s.free_beds is None else (f"{-s.free_beds} over" if s.free_beds < 0 else str(s.free_beds))
        updated = f"since {fmt.local_time(s.as_at)}" if opel_stale and s.as_at else fmt.age(now, s.as_at)
        rows.append((
            Cell(fmt.short_name(s.name)),
            Cell(str(level) if level else (f"≥{o.at_least_level}" if o and o.at_least_level else "—"),
                 None if opel_stale else opel_colours(level) if level else None, opel_stale),
            Cell(to_next, stale=opel_stale and to_next != "—"),
            # The counts are the handover feed's too: as old as its last update.
            four, twelve, Cell(str(s.en_route), stale=handover_stale), Cell(str(s.waiting), stale=handover_stale),
            longest,
            Cell("—" if s.critcon is None else str(s.critcon),
                 None if cc_stale or s.critcon is None else theme.critcon_colours(s.critcon), cc_stale),
            Cell(beds, theme.NOT_MET_COLOURS if s.free_beds is not None and s.free_beds <= 0 and not cc_stale
                 else None, cc_stale and s.free_beds is not None),
            # Phoned-in figures are as at the call: the mark in words takes the age's place.
            Cell(phoned_words(phoned) if phoned else updated, stale=opel_stale and phoned is None)))
        names.append(f"{s.name} ({phoned_tip(phoned)})" if phoned else s.name)
        found = doubts.get(s.org_code)
        if found:
            rows[-1] = _doubted(rows[-1], found)
            names[-1] += f" ({doubt_mark.spoken(found, _metric_name)}: {doubt_mark.full(found)})"
    return rows, names
