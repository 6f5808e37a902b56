"""Offload: the live queue of ambulances waiting to hand over at each hospital.

A board of every hospital with a totals row (``ui.offload_board``: shares within 15/30/60 minutes
against the contract standard, means naming their windows, hours lost naming their basis); each
ambulance with its own wait, longest first, flagged at the bands of ``resources/ambulance/handover.toml``
in colour and text, a wait from a feed gone quiet given as it was at its last data; a chart of waits over
the day. Reads the replica through the door (``models.service.offload``), off the UI thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.queries import offload as qo
from models.rules.handover_bands import HandoverBand, load_handover
from models.rules.intervals import fmt_number
from models.service import forecast as forecast_door
from models.service import offload as door
from ui import format as fmt
from ui import stale_limits
from ui import stale as st
from ui import tasks, theme
from ui.charts import PHONED_GLYPH, Band, Series, TimeChart, mark_scale
from ui.flow_bar import FlowBar
from ui.offload_board import NOW_COLUMNS, fill_board, known_wait, make_board, wait_text
from ui.text import esc
from ui.widgets import (EmptyOr, cap_column, cell, content_width, fill_table, fit_rows, make_table, muted,
                        scrolling_page)

QUEUE_HEADERS = ("Vehicle", "Wait", "Flag")
QUEUE_ROWS = 5   # a card shows this many of its queue; the rest scroll within it
SHOWN_ROWS = 2   # the least of a queue the cards area keeps in view on a small screen (board and chart need the rest)
CHART_LINES = 7  # the chart's plot is never shorter than this many lines of text
MIN_CHART_SPAN = timedelta(hours=6)




def _learned_from(days: int) -> str:
    """The history a 24-hour forecast learned from, as held: "the last four weeks", or "the 8 days
    held (up to four weeks are used)"."""
    return "the last four weeks" if days >= 28 else f"the {days} days held (up to four weeks are used)"


def band_words(band: HandoverBand) -> str:
    """A band as a room lead says it: "within 15 min", "15–30 min", "over 60 min"."""
    lo, hi = fmt_number(band.range.lo), fmt_number(band.range.hi)
    if band.range.lo <= 0:
        return f"within {hi} min"
    if math.isinf(band.range.hi):
        return f"over {lo} min"
    return f"{lo}–{hi} min"


def band_span(band: HandoverBand) -> str:
    """A band's minutes for a column heading: "0–15", "15–30", "60+"."""
    lo, hi = fmt_number(band.range.lo), fmt_number(band.range.hi)
    return f"{lo}+" if math.isinf(band.range.hi) else f"{lo}–{hi}"


UNCLOSED_TIP = ("An ambulance recorded as arrived more than a day ago with no handover since: the handover was "
                "never sent, or was refused at the hub as malformed. It is not a crew waiting, so it is left out of "
                "the queue, the longest wait and the counts. The ambulance service should send the handover (or "
                "a cancellation); Data quality lists it too.")


def unclosed_words(unclosed) -> str:
    """A card's line for its records open beyond the valid range: how many, the oldest, what to do."""
    if not unclosed:
        return ""
    oldest = min(unclosed, key=lambda w: w.arrived_at)
    many = len(unclosed) != 1
    return (f"{len(unclosed)} arrival{'s' if many else ''} open over a day, not counted as waiting: "
            f"{'oldest ' if many else ''}{oldest.vehicle_ref or 'unknown vehicle'}, arrived "
            f"{fmt.local_time(oldest.arrived_at, with_date=True)}, no handover reported.")


def left_out_words(left_out, hospitals: int) -> str:
    """The hospitals left out of the all-hospitals forecast, one reason once: "every hospital (no arrivals in
    the last 6 hours)" when the feed has gone quiet, not five long names each with the same reason (three
    lines under the chart at 1366x768). Short names: the board's."""
    reasons: dict[str, list[str]] = {}
    for name, why in left_out:
        reasons.setdefault(why, []).append(fmt.short_name(name))
    parts = [(f"every hospital ({why})" if len(names) == hospitals == len(left_out) else
              f"{', '.join(names)} ({why})") for why, names in reasons.items()]
    return "Left out of the forecast for all hospitals: " + "; ".join(parts) + "."


class HospitalCard(QFrame):
    """One hospital: its queue (longest wait first) and today's handover figures."""

    def __init__(self, h: qo.HospitalOffload, now: datetime, table, parent=None,
                 updated: datetime | None = None) -> None:
        super().__init__(parent)
        self.hospital = h
        self.setObjectName("card")
        self.setMinimumWidth(255)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(3)
        # The short name: one line, so the queue keeps its rows (the board and the tooltip have the full one).
        title = QLabel(f"<b>{esc(fmt.short_name(h.name))}</b> ({esc(h.hospital_code)})")
        title.setToolTip(h.name)
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        layout.addWidget(title)
        text, self.stale = fmt.data_age(now, updated, stale_limits.current().offload)
        self.age_label = QLabel(text if updated else "No handover updates received yet")
        self.age_label.setAccessibleName(f"Age of {h.name}'s handover data")
        self.age_label.setToolTip("When this desktop last received an update for this hospital (an "
                                  f"arrival, a handover): STALE after "
                                  f"{fmt.span(stale_limits.current().offload.total_seconds())} "
                                  "without one. A quiet hour is possible at night; a stale card with "
                                  "ambulances waiting needs a call.")
        if self.stale:
            self.age_label.setStyleSheet(f"color:{theme.current().stale};font-weight:bold;")
        else:
            self.age_label.setObjectName("muted")
        layout.addWidget(self.age_label)
        longest = h.longest_wait
        # A quiet feed is said by the age line above (STALE) and over the board: "at 08:08" is enough here.
        waiting = (f"<b>{len(h.waiting)} waiting</b> · longest {esc(known_wait(longest, now))}"
                   if longest else "<b>No ambulances waiting</b>")
        self.waiting_label = QLabel(waiting)
        self.waiting_label.setWordWrap(True)
        layout.addWidget(self.waiting_label)
        self.unclosed_label = QLabel(unclosed_words(h.unclosed))
        self.unclosed_label.setWordWrap(True)
        self.unclosed_label.setVisible(bool(h.unclosed))
        self.unclosed_label.setAccessibleName(f"Records at {h.name} to check")
        self.unclosed_label.setToolTip(UNCLOSED_TIP)
        self.unclosed_label.setStyleSheet(f"color:{theme.current().stale};")
        layout.addWidget(self.unclosed_label)
        self.queue = make_table(QUEUE_HEADERS, f"Ambulances waiting at {h.name}, longest first")
        self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.queue.setVisible(bool(h.waiting))   # the line above says "No ambulances waiting"
        layout.addWidget(self.queue)   # placed before filling, so rows are sized in the window's font
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        rows = []
        for w in h.waiting:
            colours = theme.severity_colours(w.band.severity if w.band else None)
            label = w.band.label if w.band else "Outside the valid range: check the record"
            wait_tip = (f"Arrived {fmt.local_time(w.arrived_at, with_date=True)}; no handover data from the "
                        f"ambulance service since {fmt.local_time(w.as_at, with_date=True)}, when it had "
                        f"waited {fmt.span(w.wait_minutes * 60)}: how long it has waited since is not known"
                        if w.stale else
                        f"Arrived {fmt.local_time(w.arrived_at, with_date=True)}; waiting "
                        f"{fmt.response(w.wait_minutes)} (shown rounded up to the minute)")
            rows.append([
                cell(w.vehicle_ref or "unknown", data=w.event_uuid,
                     tooltip=f"Last update received {fmt.local_time(w.updated_at, with_date=True)} "
                             f"({fmt.age(now, w.updated_at)})"),
                cell(known_wait(w, now), align_right=True,
                     colours=theme.NO_FIGURE_COLOURS if w.stale else colours, tooltip=wait_tip),
                cell(w.flag, colours=colours, tooltip=label + (" (at least: the wait at the last data)"
                                                               if w.stale else ""))])
        fill_table(self.queue, rows)
        self.queue.setAccessibleDescription(
            "; ".join(f"{w.vehicle_ref}: {known_wait(w, now, ', its last data')}, {w.flag}" for w in h.waiting)
            or "No ambulances waiting")

    def least_height(self, rows: int = SHOWN_ROWS) -> int:
        """The card's height showing its first ``rows`` waits (its queue's header and frame with them)."""
        queue = self.queue
        if not queue.isVisibleTo(self):
            return self.sizeHint().height()
        rows = min(queue.rowCount(), rows)
        shown = (queue.horizontalHeader().sizeHint().height() + 2 * queue.frameWidth() + 2
                 + sum(queue.rowHeight(r) for r in range(rows)))
        return self.sizeHint().height() - max(0, queue.height() - shown)

    def fit_width(self) -> None:
        """Widen the card to its queue's columns (large text) and give the queue the height of its rows, up
        to QUEUE_ROWS; a longer queue scrolls within the card. The cards wrap onto rows (``OffloadView``)."""
        self.ensurePolished()
        self.queue.ensurePolished()
        self.queue.resizeColumnsToContents()
        self.queue.resizeRowsToContents()
        self.setMinimumWidth(max(255, content_width(self.queue) + 16))
        fit_rows(self.queue, max_rows=QUEUE_ROWS)


def _needed_width(table) -> int:
    """Width ``table`` needs to show its shown columns whole (``ui.widgets.content_width`` counts every column)."""
    header = table.horizontalHeader()
    shown = [c for c in range(table.columnCount()) if not table.isColumnHidden(c)]
    return (sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in shown)
            + 2 * table.frameWidth() + 4)


def _wrapped_width(table) -> int:
    """Width ``table`` needs with its hospital names wrapped onto two lines (no narrower than the longest
    word or the heading): the board splits in two only when even this does not fit."""
    header, fm = table.horizontalHeader(), table.fontMetrics()
    names = [table.item(r, 0).text() for r in range(table.rowCount()) if table.item(r, 0) is not None]
    word = max((fm.horizontalAdvance(w) for n in names for w in n.split()), default=0)
    half = max((fm.horizontalAdvance(n) for n in names), default=0) // 2
    name = max(header.sectionSizeHint(0), word + fm.averageCharWidth() * 2, half + fm.averageCharWidth() * 4)
    return _needed_width(table) - max(table.sizeHintForColumn(0), header.sectionSizeHint(0)) + name


def _fit_names(table, width: int) -> None:
    """The hospital column takes what the figures leave of ``width``: stretched while the names fit on one
    line, else capped at what is left (``ui.widgets.cap_column``, never narrower than its heading) with the names
    wrapping (rows grow), never eliding to "Che…"."""
    header = table.horizontalHeader()
    figures = _needed_width(table) - max(table.sizeHintForColumn(0), header.sectionSizeHint(0))
    fits = _needed_width(table) <= width
    table.setWordWrap(not fits)
    if fits:
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    else:
        cap_column(table, 0, max(header.sectionSizeHint(0), width - figures))
    table.resizeRowsToContents()


class _Page(QWidget):
    """The view's page in its scroll area: as tall as the window allows, taller only when the parts' minimum
    heights need it. (Word-wrapped lines give a page a height-for-width, which the scroll area honours by
    making it as tall as every part would like: the page then scrolled at 1366x768 for no reason.)"""

    def heightForWidth(self, width: int) -> int:
        # The least height at this width: wrapped lines (large text) are taller than their one-line minimum.
        return max(self.minimumSizeHint().height(), self.layout().totalMinimumHeightForWidth(width))


class _ChartPanel(QWidget):
    """The picker and the chart's title on one line, the chart under them: never shorter than the title as
    wrapped at this width and the chart's own minimum (a splitter counts a wrapped label as one line)."""

    parts: tuple = ()

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        if not self.parts or self.width() <= 0:
            return hint
        bar, title, chart = self.parts
        top = max(bar.minimumSize().height(), title.heightForWidth(title.width()) if title.width() > 0 else 0)
        hint.setHeight(max(hint.height(), top + self.layout().spacing() + chart.minimumSizeHint().height()))
        return hint

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class OffloadView(QWidget):
    KINDS = frozenset({"handover", "organisation", "record"})   # "record": a phoned-in call, its mark

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.table = load_handover()
        self.cards: list[HospitalCard] = []
        self.page: door.OffloadPage | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = _Page()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)   # the lines over the board close together: at 1366x768 every pixel is the board's
        layout.addLayout(self._legend())
        layout.addWidget(self._rule_line())
        self.quiet = QLabel()   # the feed gone quiet: said once over the board, its cells then short
        self.quiet.setWordWrap(True)
        self.quiet.setAccessibleName("Age of the handover data")
        layout.addWidget(self.quiet)
        self.unclosed = QLabel()   # records "arrived" beyond the valid range: set apart, said once here
        self.unclosed.setWordWrap(True)
        self.unclosed.setAccessibleName("Ambulance records to check")
        self.unclosed.setToolTip(UNCLOSED_TIP)
        self.unclosed.hide()
        layout.addWidget(self.unclosed)
        self.board = make_board(self.table)
        # The same rows judged against the standard, shown only when the board is wider than the page.
        self.board_more = make_board(self.table)
        self.board_more.setAccessibleName("Offload by hospital against the standard: shares within the "
                                          "standard's times, over the maximum, hours lost")
        self.board_more.hide()
        self.boards = QWidget()
        boards = QVBoxLayout(self.boards)
        boards.setContentsMargins(0, 0, 0, 0)
        boards.setSpacing(4)
        boards.addWidget(self.board)
        boards.addWidget(self.board_more)
        self._fitted_width = -1
        # The board, the cards and the chart share the height in a splitter the room can drag: at the
        # smallest screen, or with large text, no one of them squeezes the others out of sight.
        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.split = split
        self._boards_full = self._boards_least = 0
        split.installEventFilter(self)   # taller: the boards whole again (``_share_height``)
        split.addWidget(self.boards)
        self.cards_host = QWidget()
        # The cards wrap onto rows as wide as the page (``_flow_cards``); more rows scroll down, never sideways.
        self.cards_grid = QGridLayout(self.cards_host)
        self.cards_grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.cards_host)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        scroll.viewport().installEventFilter(self)   # a new width re-flows the cards
        self.cards_scroll = scroll
        self._columns = 0
        self._cards_wanted = 0   # the cards' whole first row, or 18 lines (``_flow_cards``)
        self._sized_rows: tuple | None = None
        split.addWidget(scroll)
        chart_panel = _ChartPanel()
        chart_box = QVBoxLayout(chart_panel)
        chart_box.setContentsMargins(0, 0, 0, 0)
        chart_bar = FlowBar()   # wraps at large text: the window must fit a 1920-pixel screen
        label = QLabel("C&hart:")
        self.chart_picker = QComboBox()
        self.chart_picker.setAccessibleName("Hospital shown in the chart of waits")
        # Sized to a short name, not the longest (the title beside it says which hospital in full).
        self.chart_picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chart_picker.setMinimumContentsLength(24)
        label.setBuddy(self.chart_picker)
        self.chart_picker.currentIndexChanged.connect(lambda _i: self._chart_picked())
        chart_bar.addWidget(label)
        chart_bar.addWidget(self.chart_picker)
        self.chart = TimeChart("Handover waits", y_label="minutes",
                               accessible_name="Chart of handover waits over the day")
        self.chart.title.setWordWrap(True)   # a long title at large text wraps rather than widening the page
        # The title beside the picker, not under it: a line more for the plot at 1366x768 and 1280x720.
        self.chart.layout().removeWidget(self.chart.title)
        top = QHBoxLayout()
        top.addLayout(chart_bar)
        top.addWidget(self.chart.title, 1)
        chart_box.addLayout(top)
        # The queues come first on a small screen: the chart may be shorter than a chart's usual minimum.
        # 8 lines: the bands' four lines and their labels apart (at 6 lines, 84 pixels at 1366x768, the plot
        # was ~45 pixels high inside its axis and the labels ran into each other).
        self._chart_least = CHART_LINES * QFontMetrics(QApplication.font()).height()   # at normal text
        self.chart.plot.setMinimumHeight(self._chart_least)
        chart_box.addWidget(self.chart, 1)
        chart_panel.parts = (chart_bar, self.chart.title, self.chart)
        self.chart_panel = chart_panel
        split.addWidget(chart_panel)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 3)
        split.setStretchFactor(2, 2)
        layout.addWidget(split, 1)
        # Below the three parts' minimum heights (large text on a small screen) the page scrolls down.
        page = scrolling_page(body)
        self.page_scroll = page
        # Too short a page even at the parts' least (offline in high contrast at 1280x720: 64 pixels): each card
        # keeps its longest wait only and the chart's note folds into its tooltip (``_fit_tight``).
        self._tight = False
        self.stack = EmptyOr("No hospitals or ambulance handovers yet. The queue at each hospital "
                             "appears here once organisations and the ambulance service's handover "
                             "updates have synced from the hub.", page)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # The chosen hospital's next 24 hours, or all hospitals' (models.service.forecast), read when chosen.
        self.forecast: forecast_door.SiteForecast | None = None
        self.system_left_out: tuple[tuple[str, str], ...] = ()
        self._forecast_asked: tuple | None = None
        self._forecast_read = tasks.LatestRead(self, self._draw_forecast)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def _draw_forecast(self, found) -> None:
        system = isinstance(found, forecast_door.SystemForecast)
        site = found.forecast if system else found
        if (self.chart_picker.currentData() or forecast_door.SYSTEM) != site.org_code:
            return
        self.forecast = site
        self.system_left_out = found.left_out if system else ()
        self._draw_chart()

    def _ask_forecast(self, code: str | None) -> None:
        if self.page is None:
            return
        store, now = self.store, self.page.now
        # A forecast knows only whole hours before its origin: ask again when the hour or the site changes.
        asked = (code, now.replace(minute=0, second=0, microsecond=0))
        if asked != self._forecast_asked:
            self._forecast_asked = asked
            if code is None:   # "All hospitals": their forecast together
                self._forecast_read(lambda: forecast_door.system_forecast(store, now))
            else:
                self._forecast_read(lambda: forecast_door.site_forecast(store, now, code))

    def _legend(self) -> FlowBar:
        """The band key: each flag in its colour with its meaning, and the table's edition."""
        row = FlowBar()   # wraps at large text: the window must fit a 1920-pixel screen
        row.addWidget(QLabel("Flags:"))
        self.chips: list[tuple[QLabel, int]] = []
        for b in self.table.bands:
            chip = QLabel(qo.band_flag(b))
            self.chips.append((chip, b.severity))
            chip.setToolTip(b.label)
            chip.setAccessibleName(f"Flag {qo.band_flag(b)}: {b.label}")
            row.addWidget(chip)
        words = QLabel("Each hospital's queue, longest wait first.")
        words.setWordWrap(True)   # large text: the words wrap, the page does not widen past the window
        row.addWidget(words, 1)
        return row

    def _rule_line(self) -> QLabel:
        """The standard the shares are judged on and the maximum, with the table's edition."""
        verified = "" if self.table.header.verified else " — UNVERIFIED TABLE"
        std, top = self.table.standard, self.table.maximum
        # One line at 1366 pixels: the standard's full name and the maximum's are in the tooltip.
        rule = (f"Contract standard since {std.since}: "
                + ", ".join(f"{fmt_number(s.target_pct)}% within {fmt_number(s.within_minutes)} min"
                            for s in std.shares) if std else "")
        rule += f"; maximum {fmt_number(top.minutes)} min ({top.since})." if top else ""
        line = muted(f"{rule}{verified}")
        line.setWordWrap(True)
        line.setToolTip(f"{std.name if std else ''}. {top.name if top else ''}: {top.source if top else ''}. "
                        f"{self.table.header.edition}. Source: {self.table.header.source}")
        return line

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        # Grown with the text: set once, the plot kept its 98 pixels at twice the text (a 45-pixel data area).
        self.chart.plot.setMinimumHeight(round(self._chart_least * mark_scale()))
        now, store, table, basis = self.clock(), self.store, self.table, self.lost_basis()
        since = min(qo.uk_midnight(now), now - MIN_CHART_SPAN)
        self._read(lambda: door.offload_page(store, now, since, table, basis))

    def lost_basis(self) -> int | None:
        """The room's basis for hours lost (File > Settings), None for the handover table's default."""
        settings = getattr(self.window(), "settings", None)
        return getattr(settings, "handover_hours_lost_beyond", None)

    def _draw(self, page: door.OffloadPage) -> None:
        self.page = page
        now, board, updated = page.now, list(page.board), page.updated
        self.stack.show_empty(not board)
        quiet = [w for w in page.waiting if w.stale]
        self.quiet.setVisible(bool(quiet))
        if quiet:
            at = max(w.as_at for w in quiet)
            self.quiet.setText(f"<b>No handover data from the ambulance service since "
                               f"{fmt.local_time(at)} ({fmt.since(page.now, at)}).</b> Waits are as they were "
                               f"then (≥: at least); the last hour's figures have nothing to count.")
            self.quiet.setStyleSheet(f"color:{theme.current().stale};")
        apart = [h for h in board if h.unclosed]
        self.unclosed.setVisible(bool(apart))
        if apart:
            count = sum(len(h.unclosed) for h in apart)
            self.unclosed.setText(
                f"<b>{count} ambulance record{'s' if count != 1 else ''} open over a day</b> at "
                f"{esc(', '.join(fmt.short_name(h.name) for h in apart))}: arrived, with no handover reported "
                "since. Not counted as waiting; each card names its own, and Data quality lists them for the "
                "ambulance service to close.")
            self.unclosed.setStyleSheet(f"color:{theme.current().stale};")
        fill_board(self.board, page, self.table)
        fill_board(self.board_more, page, self.table)
        for chip, severity in self.chips:  # the theme may have changed the badge border
            chip.setStyleSheet(theme.badge_css(theme.severity_colours(severity), padding="1px 6px"))
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = [HospitalCard(h, now, self.table, self.cards_host, updated.get(h.hospital_code))
                      for h in board]
        for card in self.cards:
            card.fit_width()
            # Shown now, not when the event loop next runs (a child added to a shown widget is shown by a queued
            # call): a picture taken between a redraw and that call had an empty cards area.
            card.show()
        self._columns = 0
        self._flow_cards()
        self.cards_grid.activate()   # placed now too, not at the next layout pass (else all drawn at 0,0 till then)
        self._fit_board()
        self._load_picker(board)
        self._draw_chart()
        self._fit_tight()
        self._ask_forecast(self.chart_picker.currentData())

    def _fit_board(self) -> None:
        """The board as wide as the page, never wider: every column whole. When its columns do not fit
        (large text on a small screen) the columns judged against the standard move to a second board
        below; hospital names take what width is left and wrap onto a second line rather than widen the
        page. Each board as tall as its rows up to eight (forty hospitals scroll inside it), and no
        shorter than its header and two rows, so the splitter can give the rest to the cards."""
        self._fitted_width = self.cards_scroll.viewport().width()
        board, more = self.board, self.board_more
        # Past eight rows the board scrolls down: its scroll bar takes from the columns' width.
        width = self._fitted_width - (board.verticalScrollBar().sizeHint().width() if board.rowCount() > 8 else 0)
        columns = board.columnCount()
        for c in range(1, columns):
            board.setColumnHidden(c, False)
        # Names wrapping onto a second line cost a row's height; a second board costs a header and two rows.
        split = _wrapped_width(board) > width
        for c in range(1, columns):
            board.setColumnHidden(c, split and c >= NOW_COLUMNS)
            more.setColumnHidden(c, c < NOW_COLUMNS)
        more.setVisible(split)
        full = least = 0
        for b in (board, more) if split else (board,):
            _fit_names(b, width)
            # The header's own hint, not its height: a board just shown has not been laid out yet.
            top = b.horizontalHeader().sizeHint().height() + 2 * b.frameWidth() + 2
            height = top + sum(b.rowHeight(r) for r in range(min(8, b.rowCount())))
            b.setFixedHeight(height)
            b.setMinimumHeight(min(height, top + sum(b.rowHeight(r) for r in range(min(2, b.rowCount())))))
            gap = self.boards.layout().spacing() if full else 0
            full, least = full + gap + height, least + gap + b.minimumHeight()
        # Said outright: the splitter keeps what it gave before the second board came otherwise.
        self.boards.setMinimumHeight(least)
        self.boards.setMaximumHeight(full)
        self.split.refresh()   # the splitter takes the new bounds now, not at its next resize
        self._boards_full, self._boards_least = full, least
        if self._sized_rows != (board.rowCount(), split):   # the first draw, hospitals came or went, or the
            self._sized_rows = (board.rowCount(), split)    # board split
            self._share_height()

    def _share_height(self) -> None:
        """The boards whole if the least of the cards and the chart leave room, then the cards half of the rest
        (their whole row if less), the chart the rest. Asked again when the page grows with the boards cut
        short (a window made bigger after its first draw kept the boards at what the small one gave them)."""
        total = sum(self.split.sizes())
        least_cards = self.cards_scroll.minimumHeight()
        least_chart = self.chart_panel.minimumSizeHint().height()
        boards = max(self._boards_least, min(self._boards_full, total - least_cards - least_chart))
        half = (total - boards) // 2
        cards = max(least_cards, min(self._cards_wanted or half, half))
        self.split.setSizes([boards, cards, max(0, total - boards - cards)])

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self.page is not None and event.size().height() != event.oldSize().height():
            QTimer.singleShot(0, self, self._fit_tight)   # a banner came or went, the window changed: after layout

    def eventFilter(self, watched, event) -> bool:
        scroll = getattr(self, "cards_scroll", None)   # filters run while the view is being built or torn down
        if (event.type() == QEvent.Type.Resize and watched is getattr(self, "split", None) and self.page is not None
                and event.size().height() > event.oldSize().height() and self.split.sizes()[0] < self._boards_full):
            QTimer.singleShot(0, self, self._share_height)   # after the splitter has shared out the new height
        if event.type() == QEvent.Type.Resize and scroll is not None and watched is scroll.viewport():
            self._flow_cards()
            if self.page is not None and scroll.viewport().width() != self._fitted_width:
                self._fit_board()   # a new width: the boards split or join, the names take what is left
        return super().eventFilter(watched, event)

    def _fold_note(self) -> None:
        """The chart's note under its plot, or (``_tight``) in the plot's tooltip; a redraw keeps the choice."""
        self.chart.fold_note(self._tight)
        self.chart_panel.updateGeometry()

    def _fit_tight(self) -> None:
        """Tight when the page at its parts' usual least (each card two waits, the chart's note under it) is taller
        than the view: the page scrolled 64 pixels offline in high contrast at 1280x720, the chart's time axis
        below the window. Judged on the usual least whether tight or not, so the choice holds once made. Tight, the
        chart's title leaves out ": hover for the wait" (its tooltip says it)."""
        if not self.cards or self.page is None:
            return
        page, note = self.page_scroll, self.chart.note
        need = page.widget().heightForWidth(page.viewport().width())
        # What tight saves: a wait's row in the cards' least, the note's lines.
        saves = (max(c.least_height(SHOWN_ROWS) for c in self.cards) - max(c.least_height(1) for c in self.cards)
                 + (note.heightForWidth(max(note.width(), self.chart.width())) + self.chart.layout().spacing()
                    if note.text() else 0))
        if self._tight:   # the usual least
            need += saves
        # Only when that wins at least half the scroll (all of it in the test room, 55 of 64 pixels on the demo with
        # the chart's title a line shorter too): with large text the page scrolls by design and the cards keep two waits.
        over = need - page.height()
        tight = over > 0 and 2 * saves >= over
        if tight != self._tight:
            self._tight = tight
            self._draw_chart()   # the title's words and the note (``_fold_note``)
            self._flow_cards()
            self.split.refresh()
            self._share_height()

    def _flow_cards(self) -> None:
        """Place the cards in as many columns as the page's width holds, each column as wide as the widest
        card needs; the cards area is at least one row of cards tall."""
        if not self.cards:
            return
        grid, spacing = self.cards_grid, max(0, self.cards_grid.horizontalSpacing())
        need = max(c.minimumWidth() for c in self.cards)
        width = self.cards_scroll.viewport().width()
        columns = max(1, min(len(self.cards), (width + spacing) // (need + spacing)))
        if columns != self._columns:
            self._columns = columns
            for card in self.cards:
                grid.removeWidget(card)
            for i, card in enumerate(self.cards):
                grid.addWidget(card, i // columns, i % columns, Qt.AlignmentFlag.AlignTop)
            for c in range(max(grid.columnCount(), columns)):
                grid.setColumnStretch(c, 1 if c < columns else 0)
            for r in range(grid.rowCount()):
                grid.setRowStretch(r, 0)
            grid.setRowStretch((len(self.cards) - 1) // columns + 1, 1)
        tallest = max(c.sizeHint().height() for c in self.cards)
        # At least each card's lines and its three longest waits (the rest scroll within the cards), not a
        # whole row of cards: with the board, a whole row left the chart 84 pixels at 1366x768, none at 1280x720.
        least = max(c.least_height(1 if self._tight else SHOWN_ROWS) for c in self.cards)
        self.cards_scroll.setMinimumHeight(min(tallest, least, 18 * self.fontMetrics().height()))
        self._cards_wanted = min(tallest, 18 * self.fontMetrics().height())

    def _load_picker(self, board: list[qo.HospitalOffload]) -> None:
        wanted = [None] + [h.hospital_code for h in board]
        if [self.chart_picker.itemData(i) for i in range(self.chart_picker.count())] == wanted:
            return
        current = self.chart_picker.currentData()
        self.chart_picker.blockSignals(True)
        self.chart_picker.clear()
        self.chart_picker.addItem("All hospitals", None)
        for h in board:
            self.chart_picker.addItem(h.name, h.hospital_code)
        self.chart_picker.setCurrentIndex(max(0, self.chart_picker.findData(current)))
        self.chart_picker.blockSignals(False)

    def _chart_picked(self) -> None:
        self._draw_chart()
        self._ask_forecast(self.chart_picker.currentData())

    def _draw_chart(self) -> None:
        if self.page is None:
            return
        now, since, code = self.page.now, self.page.since, self.chart_picker.currentData()
        site = (self.forecast if self.forecast is not None
                and self.forecast.org_code == (code or forecast_door.SYSTEM) else None)
        done = [c for c in self.page.done if code is None or c.hospital_code == code]
        names = {c.hospital.hospital_code: c.hospital.name for c in self.cards}
        waiting = [w for w in self.page.waiting if w.arrived_at >= since and (code is None or w.hospital_code == code)]
        # One very long wait would squash every other point to the floor: the scale stops at
        # twice the top band's edge and longer waits sit on that line as ↑, their wait in the hover.
        top_band = self.table.bands[-1].range.lo
        cap = 2 * top_band
        points = ([(c.arrived_at, c.minutes, c.band, c.vehicle_ref, c.hospital_code,
                    f"handed over {fmt.local_time(c.handed_over_at)}", False) for c in done]
                  + [(w.arrived_at, w.wait_minutes, w.band, w.vehicle_ref, w.hospital_code,
                      "still waiting", True) for w in waiting])
        y_max = cap * 1.06   # fixed: the scale does not jump as the longest wait comes and goes
        groups = {"Handed over": ("o", 7), "Still waiting": ("t1", 11), "Above the scale": ("arrow_up", 14)}
        series = []
        for name, (symbol, size) in groups.items():
            chosen = [p for p in points if (p[1] > cap) == (name == "Above the scale")
                      and (name == "Above the scale" or p[6] == (name == "Still waiting"))]
            series.append(Series(
                name, [(p[0], min(p[1], cap)) for p in chosen], theme.current().chart_fg, line=False,
                symbol=symbol, size=size,
                fmt=(lambda v: f"over {wait_text(cap)}") if name == "Above the scale" else wait_text,
                brushes=[theme.severity_colours(p[2].severity if p[2] else None)[0] for p in chosen],
                notes=[f"{names.get(p[4], p[4])}, {p[3] or ''}: {wait_text(p[1])}, {qo.band_flag(p[2])}; "
                       f"{p[5]}" for p in chosen]))
        above = len(series[2].points)
        # A hospital's longest wait as phoned in (its feed down): a hollow diamond at the time it was given.
        phoned = [w for w in self.page.phoned_waits if code is None or w.hospital_code == code]
        if phoned:
            series.append(Series(
                "Longest wait, phoned in", [(w.at, min(w.minutes, cap)) for w in phoned], theme.current().chart_fg,
                line=False, fmt=wait_text, phoned=[w.who for w in phoned],
                notes=[f"{names.get(w.hospital_code, w.hospital_code)}: longest wait {wait_text(w.minutes)}"
                       for w in phoned]))
        where = names.get(code, "all hospitals")
        hover = ": hover for the wait"
        self.chart.title.setText(
            f"<b>Handover waits by arrival time since {st.since_time(now, since)}, "
            f"{where}</b> (● handed over, ▲ still waiting"
            + (f", ↑ {above} over {wait_text(cap)}{'' if self._tight else hover}" if above else "")
            + (f", {PHONED_GLYPH} longest wait phoned in" if phoned else "") + ")")
        self.chart.title.setToolTip(f"↑: {above} over {wait_text(cap)}{hover}" if above and self._tight else "")
        self.chart_panel.updateGeometry()   # the title may wrap onto more lines than before
        lines = [(b.range.lo, qo.band_flag(b), theme.line_colour(theme.severity_colours(b.severity)[0]))
                 for b in self.table.bands[1:]]
        waits = site.waits if site is not None else None
        band = (Band.hours(waits.hours, now, theme.current().series[0], fmt=lambda v: fmt_number(round(v)),
                           unit=" min") if waits is not None and waits.hours else None)
        notes = []
        learned = _learned_from(waits.days) if band is not None else ""
        if band is not None and code is None:
            notes.append("Forecast: all hospitals' mean handover time per hour (each hospital's weighted by "
                         f"its arrivals), from {learned}.")
        elif band is not None:
            notes.append(f"Forecast: the hospital's mean handover time per hour, from {learned}.")
        arrivals = site.arrivals if site is not None else None
        if arrivals is not None and arrivals.hours:
            notes.append(("Ambulance arrivals forecast, all hospitals: " if code is None else
                          "Ambulance arrivals forecast: ") + " · ".join(
                f"{fmt.local_time(h.start)} {h.value:.0f} (80%: {h.low:.0f}–{h.high:.0f})"
                for h in arrivals.hours[:3]))
        if code is None and site is not None and self.system_left_out:
            notes.append(left_out_words(self.system_left_out, len(self.cards)))
        self.chart.set_data(series, x_range=(since, now + timedelta(hours=24) if band is not None else now),
                            y_range=(0, y_max), lines=lines, empty_text="No handovers in this period.",
                            band=band, notes=notes,
                            no_forecast=waits.reason if waits is not None and not waits.hours else None)
        self._fold_note()
