"""Week ahead: the system's and each acute site's daily figures for the next seven days, forecast with
80% intervals (issue 20, items 1 and 4).

One chart per measure (ambulance arrivals, handovers over 30 and up to 60 min, handovers over 60 min,
G&A bed occupancy): the last four weeks observed, each day drawn at its UK midday, then after a line
at the end of the data the forecast's band (``ui.charts.Band``: "forecast (80% interval)", the day,
its figure and interval in the hover).  Under the charts a table of the seven days' figures, exact and
copyable.  A measure with too little history says so in words and draws no band.  A line says which
UK day the data runs to, and a warning says how old it is when the feed has been quiet for a day or
more.  When the feed has been heard today (today is the first forecast day), each count's figure so
far today is beside today's forecast: a column of the table, a star on the chart at the time it was
counted to, a line in the band's hover, each labelled "so far today (to HH:MM)", and said plainly
when it is already above the forecast's range.  Reads ``models.service.week_ahead`` off the UI thread
(``ui.tasks.LatestRead``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontMetricsF, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from models.service import week_ahead as door
from models.uk_time import UK
from ui import format as fmt
from ui import tasks, theme
from ui.charts import Band, Series, TimeChart, align_time_axes, chart_font, colour, fixed_range, mark_scale
from ui.flow_bar import FlowBar
from ui.text import esc
from ui.widgets import EmptyOr, cell, fill_table, fit_rows, make_table, muted, scrolling_page

SHOWN_DAYS = 28                        # the history each chart shows: the last four weeks
REREAD_AFTER = timedelta(minutes=5)    # the forecast knows whole days: a redraw within this reuses the read
Y_LABELS = {door.ARRIVALS: "arrivals", door.DELAY_30_60: "handovers", door.DELAY_60: "handovers",
            door.OCCUPANCY: "% of G&A beds"}
COPY_HEADERS = ("Place", "Measure", "Day", "Forecast", "80% low", "80% high", "Day kind")
SO_FAR_WHY = ("Counted as the history is: by the UK day of arrival, a handover still waiting counting over 60 min "
              "once it passes the hour (the system picture counts handovers completed since midnight, so its "
              "figure can differ).")
CELL_ABOVE = "▲"   # in the cell (short: a site's table fits 1366 pixels); the line over the table says it whole
NO_OCCUPANCY_SO_FAR = ("Occupancy has no figure so far: the mean of today's hours so far is not the day's mean "
                       "(mornings run higher than afternoons), so it would read as running high most mornings.")


SO_FAR_KEY = "so far"


def about_words(result: door.WeekAhead, code: str | None = None) -> str:
    """What the forecast is, from the history actually held (``code``: the place shown; None: any place)."""
    band = ("The shaded band is the 80% interval: about 8 days in 10 land inside it." if _any_forecast(result, code)
            else "No measure has history enough for a forecast yet: each chart says how much it has.")
    return (f"Forecast by exponential smoothing with day-of-week and holiday effects, from {door.history_words(result)}. "
            + band)


def _any_forecast(result: door.WeekAhead, code: str | None = None) -> bool:
    """Whether the place ``code`` (None: any place) has a forecast for some measure.  The heading is about the
    place shown: the system with no measure forecast said "FORECAST" because a site's occupancy was."""
    places = [result.places[code]] if code in result.places else result.places.values()
    return any(s.forecast.days for p in places for s in p.series.values())


# The table's row names (the charts' titles and the cells' tooltips give the full ones).
SHORT = {door.ARRIVALS: "Ambulance arrivals", door.DELAY_30_60: "Handovers 30–60 min",
         door.DELAY_60: "Handovers over 60 min", door.OCCUPANCY: "G&A bed occupancy"}


def holiday_words(kind: str) -> str:
    """A forecast day's kind in words: "christmas_day" is "Christmas Day"; "" for an ordinary day."""
    return door.HOLIDAY_WORDS.get(kind or "ordinary", kind.replace("_", " "))


# A kind's short word for the table's header (the full words in its tooltip): "between Christmas and New Year" under
# each day widened the columns until Christmas Day was behind the sideways scroll at 1366x768.
SHORT_KIND = {"christmas_run_up": "run-up", "christmas_week": "Christmas week", "new_years_eve": "New Year's Eve",
              "after_bank_holiday": "after holiday"}
CHRISTMAS = {"christmas_run_up", "christmas_eve", "christmas_day", "boxing_day", "christmas_week", "new_years_eve",
             "new_years_day"}


def short_kind(kind: str) -> str:
    """A day's kind in a word or two for the table's header: "run-up" for "run-up to Christmas"."""
    return SHORT_KIND.get(kind, holiday_words(kind))


def festive_note(days) -> str:
    """One line for a chart's note: which forecast days are not ordinary (a run of days as "Tue 22 to Sun 27 Dec";
    the table's header and the hover name each), and why their ranges are wider (the festive ratio, learned from
    past winters: docs/forecasting.md). "" when none is."""
    special = [d for d in days if holiday_words(d.holiday)]
    if not special:
        return ""
    if len(special) == 1:
        d = special[0]
        return (f"{day_words(d.day)} is {holiday_words(d.holiday)}: a wider range (such days' errors about twice "
                "an ordinary day's).")
    runs: list[list] = []
    for d in special:
        if runs and (d.day - runs[-1][-1].day).days == 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    spans = [day_words(r[0].day) if len(r) == 1 else
             f"{day_words(r[0].day).rsplit(' ', 1)[0] if r[0].day.month == r[-1].day.month else day_words(r[0].day)}"
             f" to {day_words(r[-1].day)}" for r in runs]
    what = "festive days" if all(d.holiday in CHRISTMAS for d in special) else "holidays"
    return (f"{', '.join(spans[:-1]) + ' and ' if len(spans) > 1 else ''}{spans[-1]} are {what}: wider ranges (their "
            "errors about twice an ordinary day's).")


figure, interval = door.figure, door.interval   # as the room writes them (shared)


def day_words(day: date, long: bool = False) -> str:
    """"Mon 12 Jan"; long: "Monday 12 January"."""
    return f"{day:%A} {day.day} {day:%B}" if long else f"{day:%a} {day.day} {day:%b}"


def midday(day: date) -> datetime:
    """A UK day's midday, where the charts draw its figure."""
    return datetime.combine(day, time(12), tzinfo=UK).astimezone(timezone.utc)


def reason_words(reason: str) -> str:
    """The model's reason without its own "too little history: " (the chart and table say that first)."""
    head = "too little history"
    text = reason.strip()
    if text.lower().startswith(head):
        text = text[len(head):].lstrip(" :;,-")
    return text or reason


@dataclass
class DayBand(Band):
    """A daily forecast band: the hover names the UK day (and a holiday), not an hour."""

    measure: door.Measure | None = None
    days: tuple = field(default=())       # the DayForecasts, in the order of ``points``
    today: str = ""                       # the first day's count so far in words ("" when none)

    def text(self, i: int) -> str:
        d = self.days[i]
        kind = holiday_words(d.holiday)
        return (f"forecast {day_words(d.day)}{f' ({kind})' if kind else ''}: {figure(self.measure, d.value)} "
                f"(80%: {interval(self.measure, d.low, d.high)})" + (f"\n{self.today}" if i == 0 and self.today else ""))


def so_far_words(result: door.WeekAhead, series: door.DailySeries) -> str:
    """"so far today (to 16:25): 18", and how it stands ("already above the forecast's range");
    "" when there is no figure so far to show."""
    if series.today is None:
        return ""
    standing = door.standing_words(series)
    return f"{door.so_far_label(result)}: {figure(series.measure, series.so_far)}" + (f"; {standing}" if standing else "")


BAND_HEADROOM = 2.5   # a count's chart reaches at most this many times its largest figure or forecast


def _held_to_the_figures(values: list[float], series: door.DailySeries, days) -> tuple[list[float], str]:
    """The y values a count's chart is scaled to, and the words for a range cut at its top ("" when none is).

    A range learned from few scored forecasts can be many times the counts (three weeks into a series:
    "53 (0 to 774)" for 10-60 a day); scaled to it, the history is a flat line on the axis.  The chart
    then reaches BAND_HEADROOM times the largest observed figure, forecast or count so far, and says
    which days' ranges run above it, with their tops; the table and the hover keep every figure."""
    figures = [v for v in series.values if v is not None] + [d.value for d in days]
    if series.so_far is not None:
        figures.append(series.so_far)
    top = BAND_HEADROOM * max(figures + [1.0])
    cut = [d for d in days if d.high > top]
    if not cut:
        return values, ""
    if len(cut) <= 2:
        where = " and ".join(f"{day_words(d.day)} (to {figure(series.measure, d.high)})" for d in cut)
    else:
        worst = max(cut, key=lambda d: d.high)
        where = (f"{len(cut)} of the {len(days)} days, to {figure(series.measure, worst.high)} at most "
                 f"({day_words(worst.day)}; the table gives each)")
    return [v for v in values if v <= top] + [top], f"The 80% range runs above the chart on {where}."


EMPTY_TEXT = ("No data to forecast yet. The week ahead appears here once acute sites' ambulance handovers and bed "
              "figures have synced from the hub; a site needs three weeks of history for its forecast.")
STALE_NAME = "Warning: the forecast is built on old data"


PLOT_LINES, TIGHT_PLOT_LINES = 8, 5   # a plot's least height in lines of its text; tight on a short page


def _invalidate(layout) -> None:
    """A layout and those nested in it forget their cached sizes (measured now, not at the last layout pass)."""
    layout.invalidate()
    for i in range(layout.count()):
        inner = layout.itemAt(i).layout()
        if inner is not None:
            _invalidate(inner)


class WeekAheadView(QWidget):
    KINDS = frozenset({"handover", "observation", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.result: door.WeekAhead | None = None
        self._asked_at: datetime | None = None
        self._drawn_theme: theme.Theme | None = None   # the theme the page was drawn in (redrawn when it changes)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        top = FlowBar()   # wraps at large text: the window must fit a 1920-pixel screen
        label = QLabel("Site or s&ystem:")   # Alt+letters free of the tabs' and menus'
        self.picker = QComboBox()
        self.picker.setAccessibleName("Place forecast: the system or one acute site")
        self.picker.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        label.setBuddy(self.picker)
        self.picker.currentIndexChanged.connect(lambda _i: self._place_chosen())
        top.addWidget(label)
        top.addWidget(self.picker)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.heading.setWordWrap(True)
        self.heading.setAccessibleName("What the forecast covers")
        top.addWidget(self.heading, 1)
        self.copy_button = QPushButton("Copy fi&gures")
        self.copy_button.setAccessibleName("Copy the seven days' forecast figures as tab-separated text")
        self.copy_button.setToolTip("Copy the chosen place's forecast (day, figure, 80% interval) for a spreadsheet")
        self.copy_button.clicked.connect(lambda _c=False: self.copy_figures())
        top.addWidget(self.copy_button)
        layout.addLayout(top)
        self.stale = QLabel()
        self.stale.setWordWrap(True)
        self.stale.setTextFormat(Qt.TextFormat.RichText)
        self.stale.setAccessibleName(STALE_NAME)
        self.stale.hide()
        layout.addWidget(self.stale)
        self.left_out = QLabel()          # the system: the sites its figures leave out, and why
        self.left_out.setWordWrap(True)
        self.left_out.setAccessibleName("Sites the system's figures leave out")
        self.left_out.hide()
        layout.addWidget(self.left_out)
        self.about = muted("")
        self.about.setAccessibleName("What the forecast is")
        layout.addWidget(self.about)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.charts: dict[str, TimeChart] = {}
        self.now_lines: dict[TimeChart, pg.InfiniteLine] = {}   # drawn while the feed is quiet: where now is
        for i, m in enumerate(door.MEASURES):
            # The key outside the plot: it covers neither the band nor the line at the end of the data.
            chart = TimeChart(m.label, y_label=Y_LABELS[m.key], legend_outside=True,
                              accessible_name=f"Chart of {m.label.lower()}: four weeks observed, seven days forecast")
            # The plots share the height left; their least height (below) is what makes the page scroll.
            chart.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
            self.charts[m.key] = chart
            grid.addWidget(chart, i // 2, i % 2)
        # The system has no occupancy: its slot says why.
        self.no_occupancy = muted("G&A bed occupancy is forecast for each acute site, not for the system: a mean "
                                  "of percentages over sites of different sizes is not the system's occupancy. "
                                  "Choose a site for its occupancy.")
        self.no_occupancy.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_occupancy.hide()
        grid.addWidget(self.no_occupancy, 1, 1)
        grid.setRowStretch(0, 1)
        grid.setRowStretch(1, 1)
        align_time_axes(list(self.charts.values()))
        layout.addLayout(grid, 1)
        self.table = make_table(("Measure",), "Forecast for the next seven days: figure and 80% interval per "
                                "measure and day", stretch=None)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        copy = QAction("Copy", self.table)
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selected)
        self.table.addAction(copy)
        # Today's counts already above the forecast's range, said in words over the table (its cell is short).
        self.above = QLabel()
        self.above.setWordWrap(True)
        self.above.setTextFormat(Qt.TextFormat.RichText)
        self.above.setAccessibleName("Warning: counts so far today already above the forecast's range")
        self.above.hide()
        layout.addWidget(self.above)
        layout.addWidget(self.table)
        # Below the charts' least heights (large text on a small screen) the page scrolls down.
        page = scrolling_page(body)
        self.page, self.body = page, body
        self._plot_lines = PLOT_LINES
        self.stack = EmptyOr(EMPTY_TEXT, page)
        outer.addWidget(self.stack, 1)
        self._failure: str | None = None   # why the last read failed, until one succeeds
        self._read = tasks.LatestRead(self, self._read_done, self._read_failed)
        # Drawn by refresh(), which the window calls when the view is first shown.

    # --- reading ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the week ahead off the UI thread; within a few minutes of the last read on the same UK
        day (the minute timer, a sync batch of today's events: the forecast knows whole days up to
        yesterday) keep what was read, redrawn only in a new theme or text size (a page of charts costs a
        quarter of a second on the UI thread)."""
        now, store = self.clock(), self.store
        asked = self._asked_at
        if (self.result is not None and asked is not None and timedelta(0) <= now - asked < REREAD_AFTER
                and now.astimezone(UK).date() == asked.astimezone(UK).date()):
            if self._drawn_theme != theme.current():   # a new theme or text size: the same figures redrawn
                self._draw(self.result)
            return
        self._asked_at = now
        self._read(lambda: door.week_ahead(store, now))

    def _read_done(self, result: door.WeekAhead) -> None:
        self._failure = None
        self._draw(result)

    def _draw(self, result: door.WeekAhead) -> None:
        self.result = result
        self._drawn_theme = theme.current()
        self.stack.show_empty(result.origin is None or not result.places, EMPTY_TEXT)
        if self.stack.is_empty:
            self.picker.clear()
            return
        self._load_picker(result)
        self._place_chosen()

    def _place_chosen(self) -> None:
        """The heading and the sentence under it say what the place shown has, then its charts and table."""
        result = self.result
        if result is not None and result.origin is not None and result.places:
            self._draw_heading(result)
            self.about.setText(about_words(result, self.picker.currentData()))
        self._draw_place()

    def _load_picker(self, result: door.WeekAhead) -> None:
        wanted = list(result.places)
        if [self.picker.itemData(i) for i in range(self.picker.count())] == wanted:
            return
        current = self.picker.currentData()
        self.picker.blockSignals(True)
        self.picker.clear()
        for code, place in result.places.items():
            self.picker.addItem(place.name if code == door.SYSTEM else f"{place.name} ({code})", code)
        self.picker.setCurrentIndex(max(0, self.picker.findData(current)))
        self.picker.blockSignals(False)

    def select_place(self, code: str) -> None:
        """Show ``code`` (an acute site's ODS code, or ``door.SYSTEM``)."""
        self.picker.setCurrentIndex(self.picker.findData(code))

    # --- drawing ------------------------------------------------------------------------
    def _read_failed(self, exc: BaseException) -> None:
        """The forecast could not be built: said in place of the page when nothing was drawn yet, else in
        the banner over the page as last drawn (kept through a redraw, until a read succeeds)."""
        why = tasks.sentence(exc, write=False).rstrip()
        self._failure = why if why.endswith((".", "!", "?")) else why + "."
        if self.result is None:
            self.stack.show_empty(True, f"The week ahead could not be built: {self._failure}")
            return
        self._show_failure()

    def _show_failure(self) -> None:
        t = theme.current()
        self.stale.setText(f"<b>⚠ The week ahead could not be built:</b> {esc(self._failure)} "
                           "The page shows the last forecast that was.")
        self.stale.setAccessibleName("Warning: the week ahead could not be built")
        self.stale.setStyleSheet(theme.BANNER_STYLE["feed_stale"] + f"border:{t.border_px}px solid {t.badge_border};")
        self.stale.setVisible(True)

    def _draw_heading(self, result: door.WeekAhead) -> None:
        origin = result.origin
        first, last = origin + timedelta(days=1), origin + timedelta(days=7)
        # Short day names: one line at 1366 pixels beside the picker, for the table's height.
        said = "FORECAST" if _any_forecast(result, self.picker.currentData()) else "NO FORECAST YET (too little history)"
        self.heading.setText(f"<b>{said}</b> for {day_words(first)} to {day_words(last)}, "
                             f"from data to {day_words(origin)} (UK days)")
        n = result.stale_days
        t = theme.current()
        if n > 0:
            since = fmt.local_time(result.data_to, with_date=True) if result.data_to else "never"
            days = "1 day" if n == 1 else f"{n} days"
            self.stale.setText(f"<b>⚠ STALE: this forecast is built on data {days} old.</b> Nothing newer than "
                               f"{esc(since)} has come from the feed, so the forecast knows nothing after "
                               f"{esc(day_words(origin, True))}. Check the connection (status bar) before "
                               "relying on it.")
            self.stale.setStyleSheet(theme.BANNER_STYLE["feed_stale"] + f"border:{t.border_px}px solid "
                                     f"{t.badge_border};")
        self.stale.setAccessibleName(STALE_NAME)
        self.stale.setVisible(n > 0)
        if self._failure is not None:
            self._show_failure()

    def _set_least(self, chart: TimeChart, whole: bool = False) -> None:
        """The plot's least in lines of its text; the chart's, the plot's and four lines of title and note, or
        its title's and note's lines as wrapped at its width where more (``whole``: the page scrolls anyway) or half
        a line more (at twice the text a four-line note was counted as two and drawn over the plot's dates)."""
        chart.plot.setMinimumHeight(round(self._plot_lines * QFontMetricsF(chart_font()).height()))
        texts = [w for w in (chart.title, chart.note) if not w.isHidden()]
        width = chart.width()
        wrapped = (sum(w.heightForWidth(width) for w in texts) + chart.layout().spacing() * len(texts)
                   if width > 0 else 0)
        four = round(4 * QFontMetricsF(chart.title.font()).height())
        # Tight too, a note longer than the four lines by half a line or more counts whole: counted as four, a
        # festive week's five and six lines (its days, a range above the chart, the record) were drawn over the
        # plot's dates at 1366x768.  Less is the labels' leading (a wrapped title in high contrast at 1280x720:
        # 76 pixels against 70), which the table's first row there has no pixel to spare for.
        if not whole and wrapped - four < QFontMetricsF(chart.title.font()).height() / 2:
            wrapped = 0
        chart.setMinimumHeight(chart.plot.minimumHeight() + max(four, wrapped))

    def _least(self) -> int:
        """The page's least height at its width: each part's wrapped height or its least."""
        layout = self.body.layout()
        _invalidate(layout)
        width = self.page.viewport().width()
        items = [layout.itemAt(i) for i in range(layout.count())]
        items = [i for i in items if not (i.widget() is not None and i.widget().isHidden())]
        margins = layout.contentsMargins()
        return (sum(i.heightForWidth(width) if i.hasHeightForWidth() else i.minimumSize().height() for i in items)
                + layout.spacing() * (len(items) - 1) + margins.top() + margins.bottom())

    def _fit_plots(self) -> None:
        """Plots of eight lines of text where the page has room; five where that would push the figures' table below
        the fold (high contrast at 1280x720 with the offline banner: the table was wholly out of view, 105 pixels of
        scroll; 12 pixels of its last row in the dark theme). Large text still scrolls. Tight, the rotated axis
        labels ("handovers", "% of G&A beds") are longer than the plots are tall and were cut: they give way to the
        charts' titles, which name the measure ("Handovers over 60 min a day")."""
        # The table never squeezed under its rows (the page scrolls first): it had been left 39 pixels for its 54.
        table = self.table
        wide = sum(table.columnWidth(c) for c in range(table.columnCount())) > table.viewport().width()
        table.setMinimumHeight(table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
                               + sum(table.rowHeight(r) for r in range(table.rowCount()))
                               + (table.horizontalScrollBar().sizeHint().height() if wide else 0))
        charts = [c for c in self.charts.values() if not c.isHidden()]
        room = self.page.viewport().height()
        leasts = []
        for lines in (PLOT_LINES, TIGHT_PLOT_LINES):
            self._plot_lines = lines
            for chart in charts:
                self._set_least(chart)
            leasts.append(self._least())
            if leasts[-1] <= room:
                break
        if len(leasts) == 2 and leasts[1] - room > leasts[0] - leasts[1]:
            # Tight plots buy little when the page scrolls further than they save (1.5 times the text and more at
            # 1366x768: 144 pixels and more of scroll, and a four-week count in a 64-pixel plot): the page scrolls
            # to whole plots of eight lines and whole notes.
            self._plot_lines = PLOT_LINES
            for chart in charts:
                self._set_least(chart, whole=True)
        for chart in self.charts.values():
            chart.plot.getPlotItem().getAxis("left").showLabel(self._plot_lines == PLOT_LINES)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        if self.result is not None and self.result.origin is not None:
            self._fit_plots()

    def _draw_place(self) -> None:
        result = self.result
        if result is None or result.origin is None:
            return
        place = result.places.get(self.picker.currentData())
        if place is None:
            return
        origin = result.origin
        edge = door.uk_midnight(origin + timedelta(days=1))   # the end of the data: the forecast after it
        start = door.uk_midnight(origin - timedelta(days=SHOWN_DAYS - 1))
        self.now_lines = {}
        for m in door.MEASURES:
            chart = self.charts[m.key]
            series = place.series.get(m.key)
            chart.setVisible(series is not None)
            if series is not None:
                self._draw_chart(chart, place, series, start, edge, result.stale_days)
        self.no_occupancy.setVisible(door.OCCUPANCY not in place.series)
        self.left_out.setText(door.left_out_words(place))
        self.left_out.setVisible(bool(place.left_out))
        self._draw_table(place)
        self._draw_above(place)
        self._fit_plots()

    def _draw_above(self, place: door.Place) -> None:
        """A line over the table naming each count so far today already above its forecast's range."""
        above = [s for s in place.series.values() if s.above_range]
        t = theme.current()
        self.above.setText(f"<b>⚠ Already above the forecast's range, {esc(door.so_far_label(self.result))}:</b> " + "; ".join(
            esc(f"{s.measure.label.lower() if n else s.measure.label} {figure(s.measure, s.so_far)} (the whole day "
                f"is forecast {figure(s.measure, s.today.value)}, 80%: {interval(s.measure, s.today.low, s.today.high)})")
            for n, s in enumerate(above)) + ".")
        self.above.setStyleSheet(theme.BANNER_STYLE["feed_stale"] + f"border:{t.border_px}px solid {t.badge_border};")
        self.above.setVisible(bool(above))

    def _draw_chart(self, chart: TimeChart, place: door.Place, series: door.DailySeries, start: datetime,
                    edge: datetime, stale_days: int) -> None:
        m, made = series.measure, series.forecast
        shown = [(d, v) for d, v in zip(series.days, series.values) if v is not None and door.uk_midnight(d) >= start]
        points = [(midday(d), v) for d, v in shown]
        c = colour(0)
        whole = "the day's mean of hourly figures" if m.unit == "%" else "the whole UK day"
        observed = Series("observed", points, c, size=6, cadence=timedelta(days=1),
                          fmt=lambda v, m=m: figure(m, v), notes=[f"{whole}, {day_words(d)}" for d, _v in shown])
        band = None
        today = so_far_words(self.result, series)
        if made.days:
            band = DayBand([(midday(d.day), d.value, d.low, d.high) for d in made.days], edge, c,
                           measure=m, days=tuple(made.days), today=today)
        right = door.uk_midnight(made.days[-1].day + timedelta(days=1)) if band is not None else edge
        values = [v for _t, v in points] + ([p[3] for p in band.points] if band is not None else [])
        drawn = [observed]
        if today:
            # What has happened today, a star at the time it was counted to: beside the band, not part of it.
            drawn.append(Series(door.so_far_label(self.result), [(self.result.so_far_to, series.so_far)], colour(1),
                                line=False, symbol="star", size=15, fmt=lambda v, m=m: figure(m, v),
                                notes=[f"the whole day is forecast {figure(m, series.today.value)} "
                                       f"(80%: {interval(m, series.today.low, series.today.high)})"
                                       + (f"; {door.standing_words(series)}" if door.standing_words(series) else "")]))
            values.append(series.so_far)
        notes = []
        # One sentence however many days are festive (each one's kind was a line of the note: four lines a chart
        # at Christmas, and the plots squeezed to 80 pixels at 1366x768).
        if festive := festive_note(made.days):
            notes.append(esc(festive))
        if band is not None and m.unit != "%":
            values, above = _held_to_the_figures(values, series, made.days)
            if above:
                notes.append(esc(above))
        if made.days:
            # How its own forecasts have done here: a forecast the room cannot judge is a guess with a band.
            notes.append(esc("Its record: " + door.record_words(series.record) + "."))
        chart.set_data(drawn, x_range=(start, right), y_range=self._y_range(m, values), band=band,
                       no_forecast=reason_words(made.reason) if band is None and made.reason else None,
                       notes=notes, empty_text=f"No {m.label.lower()} figures in the last four weeks.")
        # Least heights that follow the text size: the plot's, and the chart's with its title and note lines
        # (explicit, so the page scrolls at large text rather than squeezing a chart under its title).
        self._set_least(chart)
        # The title and its key on one line: the height goes to the plot (1366x768).
        chart.key.hide()
        # The star keyed short ("so far"; its time is in its hover, the table's header and the line above):
        # the title and key stay on one line at 1366x768.
        key = chart.key.text().replace(f"&nbsp;{esc(door.so_far_label(self.result))}", f"&nbsp;{SO_FAR_KEY}") \
            if today else chart.key.text()
        chart.title.setText(f"<b>{esc(m.label)}{'' if m.unit == '%' else ' a day'}</b> &nbsp; {key}")
        chart.title.setAccessibleName(f"{m.label}, {place.name}")
        if chart.now_line is not None:
            chart.now_line.label.setFormat("data ends" if stale_days > 0 else "today →")   # left of the line
        if band is not None and stale_days > 0 and self.result.now.timestamp() < right.timestamp():
            # The feed gone quiet: the days between the end of the data and now are forecast, not seen.
            fg = theme.current().chart_fg
            now = pg.InfiniteLine(pos=self.result.now.timestamp(), angle=90,
                                  pen=pg.mkPen(fg, width=1.2 * mark_scale(), style=Qt.PenStyle.DotLine),
                                  label="now", labelOpts={"position": 0.95, "color": fg, "anchors": [(0, 0), (0, 0)]})
            now.label.setFont(chart_font())
            chart.plot.getPlotItem().addItem(now, ignoreBounds=True)
            self.now_lines[chart] = now

    @staticmethod
    def _y_range(m: door.Measure, values: list[float]) -> tuple[float, float]:
        """Counts from 0; occupancy close around its figures (a few points of it matter), to 100% at least."""
        if m.unit != "%" or not values:
            low, high = fixed_range(None if m.unit != "%" else "%", values)
            return low - 0.03 * high, high   # a day of 0 sits just above the axis, not under it
        low = max(0.0, 10 * ((min(values) - 2) // 10))
        return low, max(100.0, 5 * -(-(max(values) + 1) // 5))

    def _draw_table(self, place: door.Place) -> None:
        result = self.result
        days = [result.origin + timedelta(days=h) for h in range(1, 8)]
        kinds: dict[date, str] = {}
        for s in place.series.values():
            for d in s.forecast.days:
                kinds.setdefault(d.day, d.holiday if holiday_words(d.holiday) else "")
        today = result.now.astimezone(UK).date()
        # Heard today: today's counts so far, a column before today's forecast (the first day's).
        so_far = 1 if result.so_far_to is not None else 0
        headers = ["Measure"] + ([door.so_far_label(result).capitalize().replace(" (", "\n(")] if so_far else [])
        tips = [""] * len(headers)
        for d in days:   # a holiday named short (its full words in the tooltip); a day already past said so
            kind = kinds.get(d, "")
            notes = [w for w in (short_kind(kind) if kind else "", "past: no data yet" if d < today else "") if w]
            headers.append("\n".join([day_words(d), *notes]))
            tips.append(f"{day_words(d, True)}: {holiday_words(kind)}" if kind else "")
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        for c, tip in enumerate(tips):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        rows, spans = [], []
        for r, (key, s) in enumerate(place.series.items()):
            m, made = s.measure, s.forecast
            name = m.label + ("" if m.unit == "%" else " a day")
            row = [cell(SHORT.get(key, m.label), data=key, bold=True, tooltip=f"{name}, {place.name}")]
            if so_far:
                row.append(self._so_far_cell(place, s))
            by_day = {d.day: d for d in made.days}
            if not made.days:
                why = reason_words(made.reason) if made.reason else "no forecast"
                row.append(cell(f"Too little history to forecast ({why})",
                                tooltip=f"{m.label}, {place.name}: {made.reason or 'no forecast'}"))
                row += [cell("") for _ in days[1:]]
                spans.append(r)
            for d in days if made.days else ():
                f = by_day.get(d)
                if f is None:
                    row.append(cell("—"))
                    continue
                kind = holiday_words(f.holiday)
                row.append(cell(f"{figure(m, f.value)} ({interval(m, f.low, f.high)})", align_right=True,
                                tooltip=f"{m.label}, {place.name}, {day_words(d, True)}"
                                        f"{f' ({kind})' if kind else ''}: forecast {figure(m, f.value)}, "
                                        f"80% interval {interval(m, f.low, f.high)}"))
            rows.append(row)
        self.table.clearSpans()
        fill_table(self.table, rows)
        for r in spans:
            self.table.setSpan(r, 1 + so_far, 1, len(days))
        # Each day's column as wide as its widest figure at the least; the days share what is left (the
        # column so far is as wide as its words).  The least is every column's (Qt has one): when the
        # column so far is narrower and the days' figures still fit beside it at full width, the least
        # is its width (a site's occupancy figures leave no room for a ninth column as wide as a day's
        # at 1366 pixels); else the days' (the table scrolls sideways rather than cut a figure).
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(40)   # the last draw's least would widen a column measured here
        self.table.resizeColumnsToContents()
        widths = [self.table.columnWidth(c) for c in range(len(headers))]
        day = max(widths[1 + so_far:] + [40])
        least = day
        if so_far and sum(widths[:2]) + day * len(days) <= self.table.viewport().width():
            least = min(day, widths[1])
        header.setMinimumSectionSize(least)
        for c in range(len(headers)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents if c <= so_far
                                        else QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleDescription(
            f"{place.name}. " + " ".join(f"{s.measure.label}: " + ("; ".join(
                f"{day_words(d.day)} {figure(s.measure, d.value)}, 80% {interval(s.measure, d.low, d.high)}"
                for d in s.forecast.days) or f"too little history to forecast ({s.forecast.reason})")
                + (f"; {so_far_words(result, s)}" if so_far_words(result, s) else "") + "."
                for s in place.series.values()))
        # The header's height as its new labels need (two lines with the column so far) before the rows are
        # fitted to it: it is laid out later, and the first draw would fit the rows under a one-line header.
        header.resize(header.width(), header.sizeHint().height())
        fit_rows(self.table, max_rows=len(rows))

    def _so_far_cell(self, place: door.Place, s: door.DailySeries):
        """Today's count so far, and how it stands against today's forecast; occupancy says why it has none."""
        m, label = s.measure, door.so_far_label(self.result)
        if m.unit == "%":
            return cell("—", tooltip=NO_OCCUPANCY_SO_FAR)
        if s.so_far is None:
            return cell("—", tooltip=f"{m.label}, {place.name}: no count {label} (no whole day of its data yet, "
                                      "or its feed has gone quiet)")
        standing = door.standing_words(s)
        shown = figure(m, s.so_far) + (f" {CELL_ABOVE}" if s.above_range else "")
        tip = f"{m.label}, {place.name}, {label}: {figure(m, s.so_far)}"
        if s.today is not None:
            tip += (f"; the whole day is forecast {figure(m, s.today.value)} (80% interval "
                    f"{interval(m, s.today.low, s.today.high)})" + (f": {standing}" if standing else ""))
        return cell(shown, align_right=True, tooltip=f"{tip}. {SO_FAR_WHY}",
                    colours=theme.NOT_MET_COLOURS if s.above_range else None)

    # --- copying ------------------------------------------------------------------------
    def figures_text(self) -> str:
        """The chosen place's forecast as tab-separated lines with a header: exact figures for a spreadsheet."""
        place = self.result.places.get(self.picker.currentData()) if self.result and self.result.origin else None
        if place is None:
            return ""
        so_far = self.result.so_far_to is not None
        lines = ["\t".join(COPY_HEADERS + ((door.so_far_label(self.result).capitalize(),) if so_far else ()))]
        for s in place.series.values():
            m = s.measure
            for d in s.forecast.days:
                digits = 1 if m.unit == "%" else 0
                lines.append("\t".join([place.name, m.label + (" (%)" if m.unit == "%" else " a day"),
                                        d.day.isoformat()] + [f"{x:.{digits}f}" for x in (d.value, d.low, d.high)]
                                       + [holiday_words(d.holiday)]
                                       + ([f"{s.so_far:.0f}" if s.today is d else ""] if so_far else [])))
            if not s.forecast.days:
                lines.append("\t".join([place.name, m.label, "", "", "", "",
                                        f"too little history to forecast ({reason_words(s.forecast.reason)})"]
                                       + ([""] if so_far else [])))
        return "\n".join(lines) + "\n"

    def copy_figures(self) -> None:
        text = self.figures_text()
        if text:
            QApplication.clipboard().setText(text)

    def copy_selected(self) -> None:
        """Ctrl+C in the table: the selected rows as tab-separated text, as shown."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        lines = ["\t".join(self.table.horizontalHeaderItem(c).text().replace("\n", " ")
                           for c in range(self.table.columnCount()))]
        for r in rows:
            lines.append("\t".join(self.table.item(r, c).text() if self.table.item(r, c) else ""
                                   for c in range(self.table.columnCount())))
        QApplication.clipboard().setText("\n".join(lines) + "\n")
