"""Ambulance: REAP and CSP with time in level, response times over the last hour, today and the
month to date against the standards (judged on the month to date: the national standards are monthly),
and crews en route to and on site at each hospital. Every figure says the time it is as at and looks
stale once its feed has gone quiet. Reads the replica through the door (``models.service.ambulance``),
off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractScrollArea, QBoxLayout, QComboBox, QFrame, QHBoxLayout, QHeaderView, QLabel, QScrollArea,
                               QSizePolicy, QTabWidget, QVBoxLayout, QWidget)

from models.queries import ambulance as qa
from models.queries import ambulance_responses as qr
from models.rules import series_gaps
from models.rules.ambulance_standards import STATISTICS, load_standards
from models.rules.metric_targets import load_targets
from models.service import ambulance as door
from models.uk_time import day_clock
from ui import format as fmt
from ui import stale_limits
from ui import stale as st
from ui import tasks, theme
from ui.charts import Series, TimeChart, align_time_axes, colour, fixed_range, least_plot_width
from ui.text import esc
from ui.widgets import EmptyOr, cell, content_width, fill_table, make_table, muted

CHART_SPAN = timedelta(hours=24)
# Levels are resent every 15 minutes and handovers move all day: an hour without either is a quiet feed.
WINDOW_WORDS = {"hour": "Last hour", "today": "Today", "month": "Month to date"}
RESPONSE_HEADERS = ("Category", "Measure\n(h:mm:ss)", "Last hour", "Today", "Month to date", "Standard",
                    "Standard met?\nmonth to date", "Ambition", "Ambition met?\nmonth to date")
# A narrow page (large text, high contrast) breaks the headings onto more lines before anything scrolls sideways.
COMPACT_HEADERS = ("Category", "Measure\n(h:mm:ss)", "Last hour", "Today", "Month to date", "Standard",
                   "Standard\nmet?\nmonth\nto date", "Ambition", "Ambition\nmet?\nmonth\nto date")
# The response chart's series and the targets.toml metrics of their lines, each category in its colour.
CHART_CATEGORIES = ("C1", "C2")
CREWS_UNDER_ROWS = 10   # under the response table the crews show this many hospitals; more scroll within
CREW_HEADERS = ("Hospital", "En\nroute", "Wait-\ning", "Handed\nover", "On\nsite")
CREW_TIPS = ("", "Reported en route to the hospital", "Arrived, waiting to hand over",
             "Handed over, crew not yet clear", "Waiting + handed over")
APPROX_TIP = ("≈: over more than one hour the 90th centile is the hours' 90th centiles averaged, weighted by "
              "their incidents. It is approximate: the true centile needs every incident's time, which "
              "the hourly reports do not carry. Means are weighted by incidents, so they are exact.")


def hms(minutes: float | None) -> str:
    """Every response time and target on this view in one style, as AmbSYS publishes them: "0:07:32"."""
    if minutes is None:
        return "—"
    h, rest = divmod(int(round(minutes * 60)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


def result_text(check: qa.StandardCheck | None, approximate: bool = False) -> tuple[str, tuple[str, str] | None]:
    """("Met" / "Not met" / "No figure", colours); an ambition out of its years says so; a verdict
    on an approximate figure carries its "≈"."""
    if check is None:
        return "", None
    if check.met is None:
        return "No figure", theme.NO_FIGURE_COLOURS
    if not check.in_force:   # not judged against a target that is not set for the day (see the note)
        return "Not in force", theme.NO_FIGURE_COLOURS
    return ("≈ " if approximate else "") + ("Met" if check.met else "Not met"), theme.met_colours(check.met)


def target_text(check: qa.StandardCheck | None) -> str:
    return "none" if check is None else f"≤ {hms(check.target_minutes)}"


def short_category(code: str, name: str) -> str:
    """"C1 life-threatening" from "Category 1 (life-threatening)"."""
    inner = name[name.find("(") + 1:name.rfind(")")] if "(" in name else ""
    return f"{code} {inner}".strip()


def window_header(window: str, figures: list[qr.WindowFigures], now: datetime, compact: bool = False) -> str:
    """ "Last hour\n09:00–10:00", "Today\n00:00–10:00", "Month to date\n1 Jan–12 Jan 10:00": the span the
    figures cover, to the newest period counted; "Last report" once that is not the last hour. ``compact``:
    each line no longer than the figures under it ("Month\nto date\n1 Jan–\n12 Jan\n10:00")."""
    ends = [f.end for f in figures if f.end is not None]
    end = max(ends, default=None)
    cut = "\n" if compact else ""
    if window == "hour":
        if end is None:
            return "Last hour"
        start = max(f.start for f in figures if f.end == end)
        word = "Last report" if fmt.is_stale(now, end, stale_limits.current().responses) else "Last hour"
        return f"{word.replace(' ', cut or ' ')}\n{st.since_time(now, start)}–{cut}{fmt.local_time(end)}"
    start = figures[0].start if figures else None
    to = fmt.local_time(end) if end else "—"
    if window == "today":
        if end is None:                     # nothing reported since UK midnight
            return f"Today\nno report{cut or ' '}yet"
        return f"Today\n{fmt.local_time(start) if start else '00:00'}–{cut}{to}"
    first = start.astimezone(fmt.UK) if start else None
    day = end.astimezone(fmt.UK).strftime("%-d %b") + (cut or " ") if end else ""
    return (f"Month{cut or ' '}to date\n{first.strftime('%-d %b') if first else '1st'}–{cut}{day}{to}")


class LevelBox(QLabel):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped levels (``show_level``)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)   # large text: the box grows down, leaving the service's lines their width
        self.setAccessibleName(name)

    def show_level(self, title: str, word: str, since: str, colours: tuple[str, str], age: str = "",
                   stale: bool = False) -> None:
        """``age``: "no data since 07:00 (3 h 00 min)" under the level; ``stale`` washes it out."""
        # Sized in the text's own font (set by the theme after the box was made): wide enough that "since"
        # and its time take two lines, not six, at 2.5x.
        self.ensurePolished()
        char = self.fontMetrics().averageCharWidth()
        self.setMinimumWidth(max(230, 20 * char))
        self.setMaximumWidth(44 * char)
        tail = f"<br><b>{esc(age)}</b>" if stale and age else ""
        self.setText(f"<span style='font-size:x-large'><b>{esc(title)}</b></span><br>{esc(word)}<br>"
                     f"{esc(since)}{tail}")
        self.setStyleSheet(st.badge_css(colours, stale, padding="6px 12px", bold=False))
        self.setAccessibleDescription(f"{title}, {word}, {since}" + (f", {age}" if stale else ""))


def _invalidate(layout) -> None:
    """A layout and every layout nested in it forget their cached sizes."""
    layout.invalidate()
    for i in range(layout.count()):
        inner = layout.itemAt(i).layout()
        if inner is not None:
            _invalidate(inner)


class _Page(QWidget):
    """The view's page in its scroll area: as tall as the window allows, taller only when the parts' minimum
    heights need it. (Word-wrapped lines give the page a height-for-width, which the scroll area honours by
    making it as tall as every part would like: the page scrolled 390 px at 1366x768.)"""

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        # What the page's layout holds each part to: a wrapping part its height at this width, the rest
        # their minimum.
        layout = self.layout()
        items = [layout.itemAt(i) for i in range(layout.count())]
        margins = layout.contentsMargins()
        return (sum(i.heightForWidth(width) if i.hasHeightForWidth() else i.minimumSize().height() for i in items)
                + layout.spacing() * (len(items) - 1) + margins.top() + margins.bottom())


class _ChartsRow(QWidget):
    """The two charts side by side (shares 3:2), asking the page for their wrapped lines and their plots'
    minimum height; they take whatever height is left. Laid out by hand: a layout's height-for-width counts
    each chart's plot at its preferred height, and the page held every part to that (at 1366x768 the charts
    were drawn over the response table)."""

    SHARES = (3, 2)
    GAP = 6

    def __init__(self, *charts: TimeChart) -> None:
        super().__init__()
        self.charts = charts
        self.stacked = False   # one over the other, each the whole width (in the side tabs: ``AmbulanceView``)
        for chart in charts:   # an axis' new width (labels drawn) resizes the plot's box: line the times up again
            chart.plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._resized())
        for chart in charts:
            chart.setParent(self)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def _widths(self, width: int) -> list[int]:
        """3:2, unless that leaves the response chart's plot too narrow for its time labels (twice the text at
        1366x768: its labels' axis took 250 pixels of its 529 and its plot had 140, no time drawn): it takes what
        it needs (``least_plot_width``) from the level chart's plot, which keeps as much itself."""
        usable = max(width - self.GAP * (len(self.charts) - 1), 0)
        first = usable * self.SHARES[0] // sum(self.SHARES)
        widths = [first, usable - first]
        axes = [c.width() - c.plot.getPlotItem().getViewBox().width() if c.width() > 0 else 0 for c in self.charts]
        need = least_plot_width()
        plots = [w - a for w, a in zip(widths, axes)]
        give = max(0, min(need - plots[1], plots[0] - need))
        return [widths[0] - int(give), widths[1] + int(give)]

    def _resized(self) -> None:
        """An axis' new width (labels drawn) resizes the plot's box: the charts shared out again if that moves
        them, and their times lined up."""
        if not self.stacked and [c.width() for c in self.charts] != self._widths(self.width()):
            self._place()
        else:
            self.line_up()

    def line_up(self) -> None:
        """One over the other, the charts' times lined up: a chart without the right-hand axis of labels the other
        has (the response chart's targets) keeps that axis' width free on its right. Side by side, none."""
        items = [c.plot.getPlotItem() for c in self.charts]
        widths = [i.getAxis("right").width() if i.getAxis("right").isVisible() else 0 for i in items]
        for item, width in zip(items, widths):
            spare = max(widths) - width if self.stacked else 0
            left, top, _right, bottom = item.getContentsMargins()
            if _right != spare:
                item.setContentsMargins(left, top, spare, bottom)

    def set_stacked(self, stacked: bool) -> None:
        self.stacked = stacked
        self.updateGeometry()
        self._place()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._place()

    def _place(self) -> None:
        self.line_up()
        if self.stacked:   # the height shared evenly, each chart at least its own least
            y, each = 0, (self.height() - self.GAP * (len(self.charts) - 1)) // len(self.charts)
            for chart in self.charts:
                chart.setGeometry(0, y, self.width(), each)
                y += each + self.GAP
            return
        x = 0
        for chart, width in zip(self.charts, self._widths(self.width())):
            chart.setGeometry(x, 0, width, self.height())
            x += width + self.GAP

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        if self.stacked:
            return (len(self.charts) * max(self._least(c, width) for c in self.charts)
                    + self.GAP * (len(self.charts) - 1))
        return max(self._least(c, w) for c, w in zip(self.charts, self._widths(width)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        hints = [c.minimumSizeHint() for c in self.charts]
        if self.stacked:
            return QSize(max(h.width() for h in hints), sum(h.height() for h in hints) + self.GAP)
        return QSize(sum(h.width() for h in hints) + self.GAP, max(h.height() for h in hints))

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt API)
        hints = [c.sizeHint() for c in self.charts]
        return QSize(sum(h.width() for h in hints) + self.GAP, max(h.height() for h in hints))

    @staticmethod
    def _least(chart: TimeChart, width: int) -> int:
        layout = chart.layout()
        shown = [w for w in (chart.title, chart.key, chart.note) if w is not None and not w.isHidden()]
        margins = layout.contentsMargins()
        return (sum(w.heightForWidth(width) for w in shown) + chart.plot.minimumHeight()
                + layout.spacing() * len(shown) + margins.top() + margins.bottom())


class _SideTabs(QTabWidget):
    """The crews and the charts as tabs: as tall as the page leaves them. (A tab widget's height-for-width is its
    page's preferred height: the page was held to the crews' every row and scrolled 64 pixels at 1280x720.)"""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return False


class AmbulanceView(QWidget):
    KINDS = frozenset({"ambulance_status", "response_times", "handover", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.standards = load_standards()
        self._windows: list[qr.CategoryWindows] = []
        self._spans: list[int] = []
        self._compact = False
        self._now: datetime | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = _Page()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.reap_box = LevelBox("REAP level")
        self.csp_box = LevelBox("Clinical Safety Plan level")
        top.addWidget(self.reap_box)
        top.addWidget(self.csp_box)
        info = QVBoxLayout()
        self.picker = QComboBox()
        self.picker.setAccessibleName("Ambulance service")
        self.picker.currentIndexChanged.connect(lambda _i: self.refresh())
        info.addWidget(self.picker)
        self.service = QLabel()
        self.service.setTextFormat(Qt.TextFormat.RichText)  # markup around the escaped name
        self.service.setWordWrap(True)
        info.addWidget(self.service)
        self.period = muted("")
        self.period.setTextFormat(Qt.TextFormat.RichText)   # bold around a quiet feed's time
        self.period.setWordWrap(True)
        info.addWidget(self.period)
        info.addStretch(1)
        top.addLayout(info, 1)
        column.addLayout(top)
        self.responses = make_table(RESPONSE_HEADERS, "Response times against the standards")
        self.responses.setWordWrap(False)
        self.responses.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Its size hint every row: held to the top of its place beside the tabs, it is as tall as its rows or the
        # page allows (``_pin_table_height``), not the default hint's 192 pixels.
        self.responses.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.crews = make_table(CREW_HEADERS, "Ambulances en route and on site per hospital", stretch=0)
        for i, tip in enumerate(CREW_TIPS):
            if tip:
                self.crews.horizontalHeaderItem(i).setToolTip(tip)
        for i, tip in ((2, "The newest hour the service has reported. " + APPROX_TIP),
                       (3, "Every hour reported since UK midnight, each counted once. " + APPROX_TIP),
                       (4, "Every hour reported since the 1st of the month (UK time), each counted once: the "
                           "national standards are judged on a month's figures. " + APPROX_TIP)):
            self.responses.horizontalHeaderItem(i).setToolTip(tip)
        # The response table keeps every column in view (its width is pinned to them when drawn); the
        # crews take what is left beside it, their hospital names wrapping, or go under it when the page
        # is too narrow for both (large text, high contrast): ``_arrange``.
        tables = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.tables = tables
        tables.addWidget(self.responses, 0, Qt.AlignmentFlag.AlignTop)
        self.crews_panel = QWidget()
        crews_box = QVBoxLayout(self.crews_panel)
        crews_box.setContentsMargins(0, 0, 0, 0)
        self.crews_age = muted("")
        self.crews_age.setWordWrap(True)
        self.crews_age.setAccessibleName("Age of the handover data the crews are counted from")
        crews_box.addWidget(self.crews_age)
        # As tall as the response table beside it: forty hospitals scroll within it, the charts stay.
        self.crews.setMinimumHeight(6 * self.crews.fontMetrics().height())
        self.crews.setTextElideMode(Qt.TextElideMode.ElideNone)   # a narrow column wraps names, never cuts them
        policy = self.crews.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Ignored)
        self.crews.setSizePolicy(policy)
        crews_box.addWidget(self.crews, 1)
        tables.addWidget(self.crews_panel, 1)
        column.addLayout(tables)
        self.column = column
        self.level_chart = TimeChart("REAP and CSP level, last 24 hours", y_label="level",
                                     accessible_name="Chart of REAP and CSP levels", legend=True,
                                     legend_outside=True)
        self.response_chart = TimeChart("Category 1 and 2 response, mean and 90th centile, last 24 hours",
                                        y_label="minutes", legend=True, legend_outside=True,
                                        accessible_name="Chart of Category 1 and 2 mean and 90th centile "
                                                        "response")
        self.charts_row = _ChartsRow(self.level_chart, self.response_chart)
        column.addWidget(self.charts_row, 1)
        # A page too short for the charts under the tables (1280x720, 1366x768 offline): the crews and the charts
        # share the crews' place beside the response table as two tabs, the crews first (``_fit_height``).
        self.side = _SideTabs()
        self.side.setAccessibleName("Crews at each hospital, and the charts of the last 24 hours")
        self.side.setDocumentMode(True)
        self.side.hide()
        self.tabbed: str | None = None   # "side" or "all": ``_set_tabbed``
        self._stacked_need = (0, 0)   # (page width, height) the page needed with the charts under the tables
        self._table_scrolls = False   # the response table wider than the page: it scrolls sideways (``_arrange``)
        self._crews_words: tuple[str, ...] = ("Crews",)   # longest first: the tab takes the first that fits
        # Keys sit above the plots (inside, one covered the C2 line's peak); the two charts
        # mark the same times so they read across.
        align_time_axes([self.level_chart, self.response_chart])
        # Too short a window (large text) scrolls the page rather than drawing the charts over the table.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.page_scroll = scroll
        self.stack = EmptyOr("No ambulance service data yet. REAP and Clinical Safety Plan levels, "
                             "response times against the national standards and the crews at each "
                             "hospital appear here after the ambulance service's first submission "
                             "reaches the hub and this desktop syncs.", scroll)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._arrange()

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        now, store, standards, code = self.clock(), self.store, self.standards, self.picker.currentData()
        self._read(lambda: door.ambulance_page(store, now, now - CHART_SPAN, standards, code))

    def _draw(self, page: door.AmbulancePage) -> None:
        now = page.now
        self._load_picker(page)
        self.stack.show_empty(page.levels is None and not page.windows)
        if self.stack.is_empty:
            return
        self._draw_levels(page.levels, now)
        self._draw_responses(list(page.windows), now)
        self._draw_crews(page, now)
        self._draw_charts(page, now)
        self._arrange()

    def _draw_crews(self, page: door.AmbulancePage, now: datetime) -> None:
        text, stale = fmt.data_age(now, page.crews_as_at, stale_limits.current().figures, what="handover data updated")
        if stale and page.crews_as_at is not None:
            text = (f"STALE · no handover data since {st.since_time(now, page.crews_as_at)} "
                    f"({fmt.since(now, page.crews_as_at)}): the counts as they were then")
        apart = sum(h.unclosed for h in page.crews)
        uncleared = sum(h.uncleared for h in page.crews)
        if apart or uncleared:   # records open beyond the valid range: set apart as the offload view does, said
            said = [f"{apart} open over a day not counted as waiting" if apart else "",
                    f"{uncleared} handed over more than a day ago and never cleared, not counted on site" if uncleared else ""]
            text += f" · records to check (see Data quality): {'; '.join(w for w in said if w)}"
        self.crews_age.setText(text)
        waiting = sum(h.waiting for h in page.crews)
        on_site = sum(h.on_site for h in page.crews)
        # The tab's words carry the totals: the room sees them with the charts' tab chosen.
        head = f"{'STALE · ' if stale else ''}Crews"
        self._crews_words = ((f"{head}: {waiting} waiting, {on_site} on site", f"{head}: {waiting} waiting", head)
                             if page.crews else (head,))
        self._fit_tab_words()
        self.crews_age.setStyleSheet(f"color:{theme.current().stale};font-weight:bold;" if stale else "")
        def number(n: int, bold: bool = False):
            item = cell(str(n), align_right=True, bold=bold)
            if stale:   # the counts as they were: greyed, the line above says since when
                item.setForeground(QColor(theme.current().disabled))
            return item

        def counted(n: int, apart: int, what: str):
            """A count, with the records it leaves out (open beyond a day: data to check) in its tooltip."""
            item = number(n)
            if apart:
                item.setToolTip(f"Not counted: {apart} more {what} (a record to check, not a crew)")
            return item

        rows = [[cell(fmt.short_name(h.name), data=h.hospital_code, tooltip=h.name), number(h.en_route),
                 counted(h.waiting, h.unclosed, "recorded as arrived more than a day ago with no handover since"),
                 counted(h.handed_over, h.uncleared, "handed over more than a day ago and never cleared"),
                 number(h.on_site, True)]
                for h in page.crews]
        if page.crews:
            total = [sum(getattr(h, a) for h in page.crews) for a in ("en_route", "waiting", "handed_over")]
            rows.append([cell(f"All hospitals ({len(page.crews)})", data="__all__", bold=True,
                              tooltip="Every hospital together")]
                        + [number(n, True) for n in (*total, total[1] + total[2])])
        fill_table(self.crews, rows)
        # The counts never squeezed out of sight by a wide response table (high contrast, large text): the
        # crews keep their number columns and ten characters of name; the page scrolls sideways before that.
        numbers = sum(max(self.crews.sizeHintForColumn(c), self.crews.horizontalHeader().sectionSizeHint(c))
                      for c in range(1, self.crews.columnCount()))
        self.crews.setMinimumWidth(numbers + 10 * self.crews.fontMetrics().averageCharWidth() + 24)

    def _load_picker(self, page: door.AmbulancePage) -> None:
        self.picker.blockSignals(True)
        if [self.picker.itemData(i) for i in range(self.picker.count())] != [c for c, _ in page.services]:
            self.picker.clear()
            for code, name in page.services:
                self.picker.addItem(f"{name} ({code})", code)
        if self.picker.findData(self.picker.currentData()) < 0:   # a choice made since stays: its read follows
            self.picker.setCurrentIndex(self.picker.findData(page.service))
        self.picker.blockSignals(False)
        self.picker.setVisible(len(page.services) > 1)

    def _draw_levels(self, lv: qa.AmbulanceLevels | None, now: datetime) -> None:
        if lv is None:
            self.reap_box.show_level("REAP —", "no level reported", "", theme.UNKNOWN_COLOURS)
            self.csp_box.show_level("CSP —", "no level reported", "", theme.UNKNOWN_COLOURS)
            self.service.setText("No REAP report yet.")
            return
        # A report's declared time is when the level was declared (resends keep it): the levels are as at
        # the newest report this desktop received.
        as_at = lv.received_at or lv.declared_at
        age, stale = st.age_text(now, as_at, stale_limits.current().figures)
        held = as_at if stale else None
        self.reap_box.show_level(f"REAP {lv.reap_level}", lv.reap_name or "",
                                 self._since(lv.reap_since, now, held), theme.opel_colours(lv.reap_level), age,
                                 stale)
        if lv.csp_level is None:
            self.csp_box.show_level("CSP —", "not reported", "", theme.UNKNOWN_COLOURS, age, stale)
        else:
            self.csp_box.show_level(f"CSP {lv.csp_level}", "Clinical Safety Plan level",
                                    self._since(lv.csp_since, now, held), theme.CSP_COLOURS, age, stale)
        verified = "" if self.standards.header.verified else " — <b>UNVERIFIED TABLE</b>"
        when = (f"<b style='color:{theme.current().stale}'>STALE · no REAP report since "
                f"{esc(st.since_time(now, as_at))} ({fmt.since(now, as_at)})</b>" if stale else
                f"last REAP report received {fmt.local_time(as_at)} ({fmt.age(now, as_at)})")
        self.service.setText(f"<b>{esc(lv.name)}</b> ({esc(lv.org_code)}): {when}<br>Standards: "
                             f"{self.standards.header.edition}{verified}")

    @staticmethod
    def _since(start: datetime | None, now: datetime, as_at: datetime | None = None) -> str:
        """"since Mon 12 Jan 20:00 (3 h 05 min)"; with the feed quiet (``as_at``: its newest report) held only as
        far as that report, as the system picture says it: "(1 h 00 min as at Mon 21:00)", not seven hours to 03:00."""
        if as_at is not None and start is not None:
            return (f"since {fmt.local_time(start, with_date=True)} "
                    f"({fmt.since(max(as_at, start), start)} as at {day_clock(now, as_at)})")
        return f"since {fmt.local_time(start, with_date=True)} ({fmt.since(now, start)})"

    def _draw_responses(self, windows: list[qr.CategoryWindows], now: datetime) -> None:
        self._windows, self._now = windows, now
        newest = max((w.hour.end for w in windows if w.hour.end), default=None)
        quiet = newest is not None and fmt.is_stale(now, newest, stale_limits.current().responses)
        rows, spans = [], []
        for w in windows:
            spans.append(len(rows))
            rows.append([cell(short_category(w.category, w.name), data=w.category, tooltip=w.name),
                         cell("Incidents")] + [self._count(w.window(n), quiet) for n in qr.WINDOWS]
                        + [cell("") for _ in range(4)])
            for stat in STATISTICS:
                checks = [c for c in w.checks if c.statistic == stat]
                std = next((c for c in checks if c.kind == "constitutional"), None)
                amb = next((c for c in checks if c.kind == "ambition"), None)
                approx = stat == "p90" and w.month.p90_approximate
                rows.append([cell("", data=w.category), cell(STATISTICS[stat].capitalize())]
                            + [self._time(w, w.window(n), stat, quiet, now) for n in qr.WINDOWS]
                            + [cell(target_text(std), tooltip=std.name if std else "No national standard"),
                               self._judged(w, std, approx, "standard", quiet),
                               cell(target_text(amb) if amb else "",
                                    tooltip=f"{amb.name}; in force: {'yes' if amb.in_force else 'no'}"
                                    if amb else None),
                               self._judged(w, amb, approx, "ambition", quiet)])
        if windows:
            rows.append([cell("All categories", data="__all__", bold=True,
                              tooltip="Every category together: incidents summed. Response times are "
                                      "not pooled across categories: each has its own standard."),
                         cell("Incidents", bold=True)]
                        + [self._total(windows, n, quiet) for n in qr.WINDOWS] + [cell("") for _ in range(4)])
        fill_table(self.responses, rows)
        self.responses.clearSpans()
        self._spans = spans
        for row in spans:
            self.responses.setSpan(row, 0, 1 + len(STATISTICS), 1)
        self._set_headings(self._compact)
        self._note(windows, newest, quiet, now)

    def _set_headings(self, compact: bool) -> int:
        """Headings and category names on one line more (``compact``) or fewer; the table's width then."""
        self._compact = compact
        windows, table = self._windows, self.responses
        heads = list(COMPACT_HEADERS if compact else RESPONSE_HEADERS)
        for col, name in enumerate(qr.WINDOWS, start=2):
            heads[col] = window_header(name, [w.window(name) for w in windows], self._now, compact)
        table.setHorizontalHeaderLabels(heads)
        for row, w in zip(self._spans, windows):
            words = short_category(w.category, w.name).replace(" ", "\n", 1)
            table.item(row, 0).setText(words.replace("-", "-\n") if compact else words)
        # Spanned cells are left out of "resize to contents": size the category column by hand.
        table.ensurePolished()
        metrics = table.fontMetrics()
        lines = [ln for r in self._spans for ln in table.item(r, 0).text().splitlines()]
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(0, max(metrics.horizontalAdvance(ln) for ln in lines + [heads[0]]) + 18)
        # One line a row: rows sized before the spans were set take the category's height.
        line = metrics.height() + 8
        for r in range(table.rowCount()):
            table.setRowHeight(r, line)
        self._pin_table_height()
        total = next((table.item(r, 0) for r in range(table.rowCount()) if table.item(r, 0) is not None
                      and table.item(r, 0).data(Qt.ItemDataRole.UserRole) == "__all__"), None)
        if total is not None:
            total.setText("All categories")   # its cell sizes the table, as it always has
        width = content_width(table)
        table.setMinimumWidth(width)
        if total is not None and compact:
            # Compact, the category column is as narrow as C1's words: "All categories" was cut to
            # "All catego…" (high contrast, or a stale feed's dated headings, at 1366x768). Its tooltip says all.
            total.setText("All")
        return width

    def _table_height(self, rows: int | None = None) -> int:
        """The response table's height with ``rows`` rows (all of them: None) under its heading."""
        table = self.responses
        rows = table.rowCount() if rows is None else min(rows, table.rowCount())
        line = table.fontMetrics().height() + 8
        bar = table.horizontalScrollBar().sizeHint().height() if self._table_scrolls else 0
        return table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2 + line * rows + bar

    def _pin_table_height(self) -> None:
        """Every row in view (the heading's new height, not the one it had before its lines changed); with the
        crews and the charts in tabs (``tabbed``) the table is as tall as the page leaves it, at least its heading
        and three rows, and its rows scroll under the heading (the levels and the table's 13 rows are taller than
        the page offline in high contrast at 1366x768, and at 1280x720)."""
        table, full = self.responses, self._table_height()
        if self.tabbed:
            table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            table.setMinimumHeight(self._table_height(3))
            table.setMaximumHeight(full)
        else:
            table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            table.setFixedHeight(full)

    def _arrange(self) -> None:
        """Fit the page's width: the headings break onto more lines, then the crews go under the response
        table, before anything scrolls sideways (2x text, high contrast at 1366x768)."""
        if not self._windows or self.stack.is_empty:
            return
        # The page's scroll bar may yet appear (the crews under the table make it taller): leave it room.
        room = self.page_scroll.width() - self.page_scroll.verticalScrollBar().sizeHint().width() - 4
        crews = self.crews.minimumWidth() + self.tables.spacing()
        wide = self._set_headings(False)
        beside, width = wide + crews <= room, wide
        if not beside:   # taller headings before the crews leave the table's side
            narrow = self._set_headings(True)
            beside = narrow + crews <= room
            width = narrow if beside or wide > room else self._set_headings(False)
        crews -= self.tables.spacing()
        # Too short for everything under the levels: the crews and the charts as tabs beside the table, or, with no
        # room beside it (high contrast at 1280x720: the table is 1,119 pixels wide, the page 1,250), the table
        # too, as the first of three tabs under the levels, its rows scrolling under its heading if they must.
        self._set_tabbed(("side" if beside else "all") if self._too_short() else None)
        if self.tabbed == "side" and self._side_need(room + 4 - width) > self.page_scroll.height():
            # Beside the table the two charts, one over the other, need more than the page leaves them (the test
            # room's charts' keys on three lines, high contrast at 1280x720, offline): the three tabs, charts side by
            # side the whole width.
            self._set_tabbed("all")
        if self.tabbed == "all" and self._compact and wide <= room:   # the whole width: headings on fewer lines
            width = self._set_headings(False)
        # Wider than the page even with its headings on more lines (2x text at 1366x768, 2.5x at 1920x1080): the
        # table scrolls sideways within itself. The page did, and the service's notes above, wrapped at the
        # table's width, ran off the window's right edge ("STALE · n", "the figures a").
        self._table_scrolls = width > room
        self._pin_table_height()
        if self.tabbed:   # its own scroll bar, beside its columns
            self.responses.setMinimumWidth(width + self.responses.verticalScrollBar().sizeHint().width())
        if self._table_scrolls:
            self.responses.setMinimumWidth(room)
        self._fit_tab_words()
        self.tables.setDirection(QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom)
        top, left = Qt.AlignmentFlag.AlignTop, Qt.AlignmentFlag.AlignLeft
        self.tables.setAlignment(self.responses, top if beside else left)
        self.tables.setAlignment(self.crews_panel, Qt.AlignmentFlag(0) if beside else left)
        if beside or self.tabbed:   # as tall as the response table: forty hospitals scroll within it
            self.crews_panel.setMaximumWidth(16_777_215)
            self.crews.setMinimumHeight(6 * self.crews.fontMetrics().height())
            self.crews_panel.setMinimumHeight(0)
        else:        # its rows (up to CREWS_UNDER_ROWS), lined up under the table
            self.crews_panel.setMaximumWidth(max(width, crews))
            shown = min(self.crews.rowCount(), CREWS_UNDER_ROWS)
            rows = (self.crews.horizontalHeader().height() + 2 * self.crews.frameWidth() + 2
                    + sum(self.crews.rowHeight(r) for r in range(shown)))
            self.crews.setMinimumHeight(rows)
            # Said on the panel too: its height-for-width (the age line wraps) leaves the crews' minimum out.
            self.crews_panel.setMinimumHeight(rows + self.crews_age.heightForWidth(crews) + 6)

    def _too_short(self) -> bool:
        """The levels, the tables and the charts under them taller than the page: the charts would scroll out of
        sight (by 111 pixels at 1280x720 in light, 147 offline; by 45 at 1366x768 offline). Stacked, the page's own
        height at its width says so; tabbed, the height the stacked page needed at this width is kept, so a taller
        window (or a shorter banner) puts the charts back under the tables."""
        # At the width the page has with its scroll bar: narrower, the service's notes wrap onto a line more.
        width = self.page_scroll.width() - self.page_scroll.verticalScrollBar().sizeHint().width()
        if self.tabbed and self._stacked_need[0] != width:   # a new width: the stacked page measured again
            self._set_tabbed(None)
        if not self.tabbed:
            # Measured from the parts' heights now: a nested layout keeps the sizes it cached until it is next
            # laid out (the table's new height, the crews' rows), and the page was measured 351 pixels tall, not 1,187.
            _invalidate(self.page_scroll.widget().layout())
            self._stacked_need = (width, self.page_scroll.widget().heightForWidth(width))
        return self._stacked_need[1] > self.page_scroll.height()

    def _side_need(self, side_width: int) -> int:
        """The page's height with the charts one over the other in the tabs beside the table, ``side_width`` wide:
        the levels, the tabs' bar and the two charts' least (their titles and keys at that width, their plots)."""
        _invalidate(self.column)
        top = self.column.itemAt(0)
        width = self.page_scroll.width() - self.page_scroll.verticalScrollBar().sizeHint().width()
        levels = top.heightForWidth(width) if top.hasHeightForWidth() else top.minimumSize().height()
        return (levels + self.column.spacing() + self.side.tabBar().sizeHint().height() + 4
                + self.charts_row.heightForWidth(max(side_width - self.tables.spacing(), 0)))

    def _set_tabbed(self, tabbed: str | None) -> None:
        """``"side"``: the crews and the charts as tabs beside the response table; ``"all"``: the response table, the
        crews and the charts as three tabs under the levels; None: the crews beside or under the table and the
        charts under both. The widgets move; the chosen tab stays chosen while the page stays short."""
        if tabbed == self.tabbed:
            return
        if self.tabbed:
            if self.tabbed != tabbed and tabbed:   # from one kind of tabs to the other: through none
                self._set_tabbed(None)
            else:
                while self.side.count():
                    self.side.removeTab(0)
                self.tables.removeWidget(self.side)
                self.side.hide()
                if self.tabbed == "all":
                    self.tables.insertWidget(0, self.responses, 0, Qt.AlignmentFlag.AlignTop)
                    self.responses.show()
                self.tabbed = None
                self._pin_table_height()
                self.tables.addWidget(self.crews_panel, 1)
                self.column.addWidget(self.charts_row, 1)
                self.column.setStretchFactor(self.tables, 0)
                self.charts_row.set_stacked(False)
                self.crews_panel.show()
                self.charts_row.show()
        if not tabbed:
            return
        self.tabbed = tabbed
        self.tables.removeWidget(self.crews_panel)
        self.column.removeWidget(self.charts_row)
        if tabbed == "all":
            self.tables.removeWidget(self.responses)
            self.side.addTab(self.responses, "Response times")
        self.side.addTab(self.crews_panel, self._crews_words[-1])
        self.side.addTab(self.charts_row, "Charts (24 h)")
        self.charts_row.set_stacked(tabbed == "side")   # the whole width under the levels: side by side
        self._pin_table_height()
        self.tables.addWidget(self.side, 1)
        self.column.setStretchFactor(self.tables, 1)
        self.side.show()

    def _fit_tab_words(self) -> None:
        """The crews' tab says their totals as far as the tabs' width allows (at 1366x768 the crews' place is 346
        pixels: "STALE · Crews: 18 waiting, 31 on site" and "Charts (24 h)" were cut); the stale mark always."""
        if not self.tabbed:
            return
        bar = self.side.tabBar()
        metrics = bar.fontMetrics()
        crews = self.side.indexOf(self.crews_panel)
        pad = bar.tabSizeHint(crews).width() - metrics.horizontalAdvance(bar.tabText(crews))
        others = sum(bar.tabSizeHint(i).width() for i in range(bar.count()) if i != crews)
        room = self.side.width() - others - pad - 24   # the bar is narrower than the widget
        words = next((w for w in self._crews_words if metrics.horizontalAdvance(w) <= room), self._crews_words[-1])
        if bar.tabText(crews) != words:
            self.side.setTabText(crews, words)

    def _note(self, windows: list[qr.CategoryWindows], newest: datetime | None, quiet: bool,
              now: datetime) -> None:
        if not windows:
            self.period.setText("No response-time report yet.")
            self.period.setStyleSheet("")
            return
        ambitions = sorted({c.period for x in windows for c in x.checks if c.kind == "ambition" and c.period})
        years = f" Ambition: interim, for {', '.join(ambitions)}." if ambitions else ""
        lapsed = "".join(f" {x}" for x in self.standards.lapsed(now.astimezone(fmt.UK).date()))
        uncounted = sum(w.month.uncounted for w in windows)
        left = (f" {uncounted} reported hour{'s' if uncounted != 1 else ''} this month without an incident "
                "count left out." if uncounted else "")
        head = (f"<b>No response-time report since {fmt.local_time(newest)} "
                f"({fmt.since(now, newest)}): the figures are as they were then.</b> " if quiet else
                f"Response times as at {fmt.local_time(newest)} ({fmt.age(now, newest)}). ")
        self.period.setText(f"{head}Times h:mm:ss; means weighted by incidents; ≈: a 90th centile over more "
                            f"than an hour, approximate (hover a heading). Met: at or under the target over "
                            f"the month to date.{years}{lapsed}{left}")
        self.period.setStyleSheet(f"color:{theme.current().stale};" if quiet else "")

    @staticmethod
    def _span_words(f: qr.WindowFigures) -> str:
        n = f"{f.periods} hour{'s' if f.periods != 1 else ''} reported"
        return f"{n}, to {fmt.local_time(f.end, with_date=True)}" if f.end else "no hour reported"

    def _count(self, f: qr.WindowFigures, quiet: bool):
        text = "—" if f.incidents is None else f"{f.incidents:,}"
        tip = self._span_words(f) + (f"; {f.uncounted} without an incident count" if f.uncounted else "")
        return cell(text, align_right=True, tooltip=tip, colours=theme.NO_FIGURE_COLOURS if quiet else None)

    def _time(self, w: qr.CategoryWindows, f: qr.WindowFigures, stat: str, quiet: bool, now: datetime):
        value = f.mean_minutes if stat == "mean" else f.p90_minutes
        approx = stat == "p90" and f.p90_approximate
        if value is not None:
            text = ("≈ " if approx else "") + hms(value)
        else:   # the incidents row above says whether there were none
            text = "—"
        none = "; no incidents" if f.incidents == 0 else ""
        tip = f"{w.category} {STATISTICS[stat]}: {self._span_words(f)}{none}" + (
            "; approximate: the hours' 90th centiles weighted by incidents" if approx else "")
        return cell(text, align_right=True, tooltip=tip, colours=theme.NO_FIGURE_COLOURS if quiet else None)

    @staticmethod
    def _judged(w: qr.CategoryWindows, check: qa.StandardCheck | None, approx: bool, kind: str, quiet: bool):
        text, colours = result_text(check, approx)
        if check is None:
            return cell("")
        if quiet and colours is not None:
            colours = (st.washed(colours[0]), colours[1])
        actual = ("≈ " if approx else "") + hms(check.actual_minutes)
        to = f" to {fmt.local_time(w.month.end, with_date=True)}" if w.month.end else ""
        tip = (f"{w.category} {STATISTICS[check.statistic]}, month to date {actual} vs "
               f"{hms(check.target_minutes)} ({kind}): {text}. The month's figures{to}.")
        return cell(text, colours=colours, tooltip=tip)

    @staticmethod
    def _total(windows: list[qr.CategoryWindows], name: str, quiet: bool):
        counts = [w.window(name).incidents for w in windows if w.window(name).incidents is not None]
        return cell(f"{sum(counts):,}" if counts else "—", align_right=True, bold=True,
                    colours=theme.NO_FIGURE_COLOURS if quiet else None)

    def _draw_charts(self, page: door.AmbulancePage, now: datetime) -> None:
        chart = page.chart
        reap, csp = (chart.reap, chart.csp) if chart else ((), ())
        # Reports repeat the level every cadence with the time it was declared: a level holds from
        # its change to the newest report received, and the chart's data stops there.
        until = min(chart.reported_until, now) if chart and chart.reported_until else None
        every = series_gaps.cadence("reap_level")
        series = [Series("REAP", reap, colour(0), step=True, width=3, size=7, cadence=every, changes_only=True,
                         until=until, carried=chart.reap_before if chart else None,
                         fmt=lambda v: f"REAP {v:g} ({self.standards.reap_levels.get(int(v), '')})",
                         brushes=[theme.opel_colours(int(v))[0] for _, v in reap],
                         phoned=[chart.phoned.get(t) for t, _ in reap] if chart else None)]
        if csp or (chart and chart.csp_before):
            series.append(Series("CSP", csp, colour(4), step=True, width=2, size=6, cadence=every,
                                 changes_only=True, until=until, carried=chart.csp_before,
                                 fmt=lambda v: f"CSP {v:g}", phoned=[chart.phoned.get(t) for t, _ in csp]))
        self.level_chart.set_data(series, x_range=(now - CHART_SPAN, now), y_range=(-0.3, 4.4),
                                  y_ticks=[(i, str(i)) for i in range(5)],
                                  empty_text="No REAP or CSP reports in the last 24 hours.")
        today = now.astimezone(fmt.UK).date()
        # The lines are data (resources/metrics/targets.toml, in the catalogue's seconds): each standard's mean
        # and 90th centile in force today, in its category's colour; one that has run out is named under the
        # chart instead.
        colours = {"C1": colour(1), "C2": colour(0)}
        metrics = {f"{cat.lower()}_{stat}_seconds": cat for cat in CHART_CATEGORIES for stat in STATISTICS}
        table = load_targets()
        targets = sorted((t.value / 60, t.label, colours[cat]) for metric, cat in metrics.items()
                         for t in table.lines(metric, today))
        lapsed = [x for metric in metrics for x in table.lapsed(metric, today)]
        rows = {"C1": page.c1, "C2": page.c2}
        before = {"C1": (chart.c1_before if chart else None, None), "C2": (chart.c2_before if chart else None, None)}
        series = []
        for cat in CHART_CATEGORIES:
            for i, stat in enumerate(STATISTICS):
                points = [(t, v[i]) for t, *v in rows[cat] if v[i] is not None]
                series.append(Series(
                    f"{cat} {STATISTICS[stat]}", points, colours[cat], fmt=hms, size=5 if i == 0 else 4,
                    width=2 if i == 0 else 1.5, dash=Qt.PenStyle.SolidLine if i == 0 else Qt.PenStyle.DashLine,
                    carried=before[cat][i], cadence=series_gaps.cadence(f"{cat.lower()}_{stat}_seconds")))
        shown = [v for s in series for _t, v in s.points] + [s.carried[1] for s in series if s.carried]
        self.response_chart.set_data(
            series, x_range=(now - CHART_SPAN, now), targets=targets,
            y_range=fixed_range("minutes", shown, [t[0] for t in targets]), notes=lapsed,
            empty_text="No response-time periods in the last 24 hours.")
        for c in (self.level_chart, self.response_chart):   # in the text's own font, set after the chart was made
            c.plot.setMinimumHeight(6 * c.fontMetrics().height())
        self.charts_row.line_up()   # the response chart's labels' axis may have a new width

