"""The system picture: how the whole system stands now, on one wall screen, nothing to scroll.

Top: the time, how old the data is and the feed's state. Big tiles: the system's OPEL and what sets it,
each pillar, REAP and CSP with their time in level, ambulance offload, critical care, and the room's
unacknowledged alerts and overdue actions. Middle: a row per acute site. Bottom: Category 1 and 2 today
against the standards, the Director on-call, transfers past their threshold and the forecast's slot.

Every figure carries its own time (``models.service.system_picture``); one older than its limit is drawn
hatched and desaturated with "no data since 14:15" (``ui.system_tiles``). Read through the door off the
UI thread (``ui.tasks.LatestRead``), redrawn after every sync batch that brings something it shows and
once a minute for the clock and the ages.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

QWIDGETSIZE_MAX = (1 << 24) - 1   # Qt's "no maximum"

from models.forecast import opel_chance
from models.forecast.opel_chance import percent
from models.service import figure_doubts as doubts_door
from models.service import forecast as forecast_door
from models.service import system_picture as door
from models.uk_time import day_clock
from ui import format as fmt
from ui import system_texts as texts
from ui import tasks, theme
from ui.system_sites import SiteBoard
from ui.system_tiles import PaintedText, Tile, TileText, draw_hatch
from ui.widgets import EmptyOr

# (part, share of the view's height)
SHARES = (("header", 5), ("levels", 18), ("services", 17), ("sites", 44), ("bottom", 16))
SPACING = 6
EMPTY_TEXT = ("No data yet. The system picture fills in as soon as the first sync with the hub brings "
              "OPEL levels, site figures or ambulance data.")


class HeaderStrip(QWidget):
    """The clock, "data as at" and the feed's state, in one line across the top."""

    SEGMENTS = (0.22, 0.39, 0.39)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("systemHeader")
        self.parts: tuple[tuple[str, bool], ...] = ()
        self.painted = PaintedText()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(100, 16)

    def show_parts(self, parts: tuple[tuple[str, bool], ...]) -> None:
        if parts != self.parts:
            self.parts = parts
            self.setAccessibleName("; ".join(text for text, _stale in parts))
            self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        t = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.painted = PaintedText()
        x = 0
        for (text, stale), share in zip(self.parts, self.SEGMENTS):
            w = int(self.width() * share)
            rect = QRect(x, 0, w - max(8, self.width() // 50), self.height())   # a clear gap between parts
            if stale:
                p.fillRect(rect, QColor(t.base))
                draw_hatch(p, rect, t.border)
            self.painted.line(p, rect.adjusted(6, 0, -6, 0), text, int(self.height() * 0.8),
                              t.stale if stale else t.text, bold=True)
            x += w
        p.end()

    def fits(self) -> bool:
        return self.painted.elided == 0 and all(self.rect().contains(r) for r, _px in self.painted.rects)


def _row(parent_layout: QVBoxLayout, share: int, names: tuple[tuple[str, int], ...]) -> dict[str, Tile]:
    row = QHBoxLayout()
    row.setSpacing(SPACING)
    tiles = {}
    for name, stretch in names:
        tile = Tile(name)
        tiles[name] = tile
        row.addWidget(tile, stretch)
    parent_layout.addLayout(row, share)
    return tiles


class SystemView(QWidget):
    """The whole system at a glance, for a wall screen."""

    KINDS = frozenset({"opel_assessment", "organisation", "observation", "handover", "critcon",
                       "ambulance_status", "response_times", "alert", "record"})
    drawn = Signal()   # a page has been drawn

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.page: door.SystemPicture | None = None
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        outer.setSpacing(SPACING)
        shares = dict(SHARES)
        self.header = HeaderStrip()
        outer.addWidget(self.header, shares["header"])
        self.tiles: dict[str, Tile] = {}
        self.tiles |= _row(outer, shares["levels"], (("system", 2), ("acute", 1), ("community", 1),
                                                     ("mental_health", 1), ("nhs111", 1)))
        self.tiles |= _row(outer, shares["services"], (("ambulance", 1), ("offload", 1), ("critcare", 1),
                                                       ("room", 1)))
        self.sites = SiteBoard()
        outer.addWidget(self.sites, shares["sites"])
        self.tiles |= _row(outer, shares["bottom"], (("C1", 1), ("C2", 1), ("director", 1), ("transfers", 1),
                                                     ("forecast", 1)))
        self.stack = EmptyOr(EMPTY_TEXT, body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self._read = tasks.LatestRead(self, self._draw)
        self._room: TileText | None = None
        self.doubts: dict[str, tuple] = {}   # org code -> the open findings that doubt its figures shown now
        self._doubts_read = tasks.LatestRead(self, self._draw_doubts)
        # The forecast's slot: each acute site's chance of OPEL 3+ (models.service.forecast), read after the page.
        self.forecast: forecast_door.ForecastPage | None = None
        self._forecast_hour: datetime | None = None
        self._forecast_read = tasks.LatestRead(self, self._draw_forecast)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def _draw_forecast(self, page: forecast_door.ForecastPage) -> None:
        self.forecast = page
        text = forecast_tile(page, self._data_as_at(), self._levels_now(), self._now())
        if text is not None:
            self.tiles["forecast"].show_text(text)
        if self.page is not None:
            self.tiles["system"].show_text(with_ics_chance(texts.system_tile(self.page), page.ics,
                                                           self.page.system))

    def _levels_now(self) -> dict[str, tuple[int | None, int | None]]:
        """Each acute site's (shown, at-least) level on the page drawn now: the chances, worked out
        once an hour, are told them (a site reaching OPEL 3 since is said to be)."""
        if self.page is None:
            return {}
        return {r.org_code: (r.opel.shown_level, r.opel.at_least_level) for r in self.page.sites if r.opel}

    def _now(self) -> datetime | None:
        return None if self.page is None else self.page.now

    def _data_as_at(self) -> datetime | None:
        """The page's newest data when it is as old as the tiles mark stale (the forecast learned
        nothing after it), else None."""
        page = self.page
        if (page is None or page.data_as_at is None
                or not fmt.is_stale(page.now, page.data_as_at, texts.stale_limits.current().opel)):
            return None
        return page.data_as_at

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_board()

    def _fit_board(self) -> None:
        """Few sites: the board as tall as its rows, the spare height to the tiles (no empty band)."""
        parts = sum(share for _name, share in SHARES)
        inner = self.height() - 2 * SPACING - (len(SHARES) - 1) * SPACING
        need = self.sites.height_for(max(0, inner * dict(SHARES)["sites"] // parts))
        self.sites.setMaximumHeight(need if need is not None else QWIDGETSIZE_MAX)

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        now, store = self.clock(), self.store
        self._read(lambda: door.system_picture(store, now))
        self._doubts_read(lambda: doubts_door.read(store))

    def _draw_doubts(self, found: dict) -> None:
        if found != self.doubts:
            self.doubts = found
            if self.page is not None:
                self._draw_sites(self.page)

    def _draw_sites(self, page: door.SystemPicture) -> None:
        rows, names = texts.site_rows(page, self.doubts)
        self.sites.show_rows(rows, names, texts.EMPTY_SITES)
        self.tiles["room"].show_text(texts.room_with_doubts(self._room, page, self.doubts))

    def _draw(self, page: door.SystemPicture) -> None:
        self.page = page
        self.stack.show_empty(page.empty)
        self.header.show_parts(texts.header(page))
        for key, text in texts.tiles(page).items():
            if key == "system" and self.forecast is not None:
                text = with_ics_chance(text, self.forecast.ics, page.system)
            if key == "room":
                self._room = text   # shown with the providers in doubt (``_draw_sites``)
            self.tiles[key].show_text(text)
        self._draw_sites(page)
        self._fit_board()
        if self.forecast is not None and (text := forecast_tile(self.forecast, self._data_as_at(),
                                                                 self._levels_now(), self._now())) is not None:
            self.tiles["forecast"].show_text(text)
        store, now = self.store, page.now
        hour = now.replace(minute=0, second=0, microsecond=0)   # a forecast knows only whole hours before it
        if hour != self._forecast_hour:
            self._forecast_hour = hour
            self._forecast_read(lambda: forecast_door.site_forecasts(store, now))
        self.drawn.emit()

    def painted_parts(self) -> list[QWidget]:
        """Every painted part (header, tiles, site board), for the fit checks."""
        return [self.header, *self.tiles.values(), self.sites]

    def fits(self) -> bool:
        return all(part.fits() for part in self.painted_parts())

    def on_cycle(self, result) -> None:
        if self.KINDS & set(result.kinds):
            self.refresh()


def forecast_tile(page: forecast_door.ForecastPage, data_to: datetime | None = None,
                  levels_now: dict[str, tuple[int | None, int | None]] | None = None,
                  now: datetime | None = None) -> TileText | None:
    """The forecast's slot: the acute sites most likely to reach OPEL 3+ in the next 24 hours (None: no
    acute sites, the slot keeps its "not yet available").  ``data_to``: the feed's newest data when it
    is stale; the slot is marked stale with the others and says what the chances learned from.
    ``levels_now``: each site's (shown, at-least) level on the page drawn now, which the chances are
    told (``opel_chance.as_now``).  With the feed quiet, the sites at OPEL 3+ are those at its newest data,
    said so ("at 20:49", "at Mon 20:49" from another day; not "now"), and a slot with no chance to show is marked stale like the others."""
    if not page.sites:
        return None
    if levels_now:
        told = {c: dataclasses.replace(s, opel=opel_chance.as_now(s.opel, *levels_now[c])) if c in levels_now else s
                for c, s in page.sites.items()}
        page = dataclasses.replace(page, sites=told)
    # A site already at 3+ is said to be, not ranked by a chance worked out at the hour's start.
    at = [s for s in page.sites.values() if s.opel.already]
    known = sorted((s for s in page.sites.values() if s.opel.chance is not None and not s.opel.already),
                   key=lambda s: -s.opel.chance)
    partial = sum(1 for s in page.sites.values() if s.opel.reason == opel_chance.INCOMPLETE_NOW)
    short = len(page.sites) - len(known) - len(at) - partial
    few = (f"{short} site{'s' if short != 1 else ''}: too little history",) if short else ()
    if partial:
        few += (f"{partial} site{'s' if partial != 1 else ''}: level incomplete",)
    if at:   # named on the board; with the feed quiet, as at its newest data, not "now"
        when = "now" if data_to is None else f"at {day_clock(now or data_to, data_to)}"
        few = (f"{len(at)} site{'s' if len(at) != 1 else ''} at OPEL 3+ {when}",) + few
    title = "Chance of OPEL 3+ in 24 h"
    if not known:
        lines = few if at else ("too little history to forecast", *few)
        age = "" if data_to is None else texts.no_data_since(now or data_to, data_to)
        return TileText(title, "—", lines, age, stale=data_to is not None,
                        accessible="Forecast: " + "; ".join((*lines, age) if age else lines))
    top = known[0]
    lines = (fmt.short_name(top.name),) + tuple(
        f"next: {fmt.short_name(s.name)} {percent(s.opel.chance)}" for s in known[1:2]) + few
    said = "; ".join(f"{s.name} {percent(s.opel.chance)}" for s in known)
    age = f"worked out {fmt.local_time(page.origin)}"
    if data_to is not None:
        age += f", from data to {fmt.local_time(data_to)}"
    return TileText(title, percent(top.opel.chance), lines, age, stale=data_to is not None,
                    accessible=f"Forecast: chance of OPEL 3+ within 24 hours: {said}")


def with_ics_chance(text: TileText, chance: opel_chance.OpelChance | None, now: door.LevelTile) -> TileText:
    """The System OPEL tile with the system's own chance of OPEL 3+ in the next 24 hours (from its
    roll-up's level history, worked out at the hour's start) as its last line, told the level the
    tile shows ``now`` (the page is read at every sync, the chance once an hour); unchanged when the
    hub sent no roll-up, or the system is at 3+ already (its figure says so)."""
    if chance is None or now.as_at is None:
        return text
    chance = opel_chance.as_now(chance, now.level, now.at_least_level)
    if chance.already:
        return text
    if chance.chance is None:
        line = f"chance of OPEL 3+ in 24 h: not estimated ({chance.reason})"
    else:
        line = f"chance of OPEL 3+ in 24 h: {percent(chance.chance)}"   # from what: in the accessible text
    said = chance.text() + ("" if chance.chance is None else
                            f", from the system's own level history over {chance.days} days")
    return dataclasses.replace(text, lines=(*text.lines, line), accessible=f"{text.accessible}; {said}")


def stale_tiles(view: SystemView) -> list[str]:
    """Names of the tiles drawn as stale (for tests and the accessible summary)."""
    return [name for name, tile in view.tiles.items() if tile.text.stale]

