"""Provider drill-down: why a provider is at its OPEL level.

Each parameter's value, band, points and the threshold to the next worse
band; declared against calculated level with the reason; a chart of the
chosen parameter and of the provider's OPEL level over 24 hours or 7 days.
Reads the replica through the door (``models.service.provider``), off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from models.forecast import opel_chance
from models.queries import provider as queries_provider
from models.rules import series_gaps
from models.rules.metric_targets import load_targets
from models.rules.opel import NextThreshold
from models.rules.opel_table import period_note
from models.service import figure_doubts as doubts_door
from models.service import forecast as forecast_door
from models.service import phoned_in as phoned_door
from models.service import provider as door
from models.service import submission_sender
from models.uk_time import UK
from ui import format as fmt
from ui import stale_limits
from ui import doubt_mark, tasks, theme
from ui.charts import LEVEL_TICKS, Band, Series, TimeChart, align_time_axes, colour, fixed_range
from ui.flow_bar import FlowBar
from ui.theme import OPEL_WORDS, badge_css, opel_colours, opel_label
from ui.text import esc
from ui.widgets import EmptyOr, LeastPage, cell, fill_table, make_table, muted, scrolling_page

RANGES = {"24 hours": timedelta(hours=24), "7 days": timedelta(days=7)}
LONGEST = max(RANGES.values())   # a page holds this much, so the period toggle needs no read
SIGNS = {"above": ">", "at_or_above": "≥", "below": "<", "at_or_below": "≤"}
HEADERS = ("Parameter", "Value", "Band", "Points", "Next worse band", "Data age")
POINTS_WORDS = "Points are the band's points × the parameter's weight"
NEXT_WORDS = "Next worse band: where the value would start to earn more points"
# The charts' plots are never shorter than this many lines of text (a level chart's four levels apart, the stale
# hatching in view); below the table's rows, they take what the window leaves.
PLOT_LINES = 5
LEAST_ROWS = 4   # parameters' rows the table keeps in view however short the page: past them the page scrolls


def _least(chart: TimeChart, note: bool | None = None) -> int:
    """A chart's least height at its width: its title and notes as wrapped, and its plot's minimum. ``note``: its
    note counted (True) or not (False) whether shown or folded away, or as it is (None)."""
    layout, width = chart.layout(), max(chart.width(), 1)
    shown = [w for w in (chart.title, chart.key) if w is not None and not w.isHidden()]
    if chart.note.text() and (note if note is not None else not chart.note.isHidden()):
        shown.append(chart.note)
    margins = layout.contentsMargins()
    return (sum(w.heightForWidth(width) for w in shown) + chart.plot.minimumHeight()
            + layout.spacing() * len(shown) + margins.top() + margins.bottom())


def threshold_text(nxt: NextThreshold | None, unit: str | None, worst: bool, note: str | None) -> str:
    """"> 30 min → 2 pts", or why there is none."""
    if nxt is not None:
        return f"{SIGNS.get(nxt.direction, '?')} {fmt.value(nxt.value, unit)} → {nxt.points:g} pts"
    if worst:
        return "already in the worst band"
    return f"— ({note})" if note else "—"


def newest_submission_html(now: datetime, newest: tuple) -> str:
    """"Newest submission 10:40 (12 min ago): the provider web form, account 'j.smith' · 9 taken, 1
    quarantined": who sent the provider's figures and by which door (the hub's intake notice)."""
    at, sender, _source, taken, quarantined = newest
    held = f" · {taken} taken" + (f", <b>{quarantined} quarantined</b>" if quarantined else "")
    return (f"Newest submission {fmt.local_time(at, with_date=True)} ({fmt.age(now, at)}): "
            f"{esc(submission_sender.words(sender))}{held}")


def fit_bold(button: QPushButton) -> None:
    """A checkable button is drawn bold when checked (app.qss): make it wide enough for that,
    so "24 hours" is not cut to "24 hour" when chosen."""
    button.ensurePolished()
    font = QFont(button.font())
    font.setBold(True)
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    # The stylesheet's padding (10 px a side) and border/focus frame (up to 3 px a side), with room.
    button.setMinimumWidth(QFontMetrics(font).horizontalAdvance(text) + 2 * 10 + 2 * 3 + 8)


def band_unit(unit: str | None) -> str:
    """What follows a forecast's numbers: "%" close up, a word after a space."""
    suffix = fmt.unit_suffix(unit)
    return suffix if suffix in ("", "%") else f" {suffix}"


def _band_cell(line: queries_provider.ParameterLine):
    """The band in plain words; the tooltip says on which side each edge value falls."""
    short, exact = fmt.band(line.band, line.unit)
    return cell(short, tooltip=exact or None)


def points_text(line: queries_provider.ParameterLine) -> str:
    if line.points is None:
        return "—"
    if line.weight == 1:
        return f"{line.points:g}"
    return f"{line.points:g} × {line.weight:g} = {line.weighted_points:g}"


def lapsed_notes(metric: str, today, bands: list[tuple[float, str, str]]) -> list[str]:
    """The sentences for ambitions of ``metric`` that have run out; where an OPEL band edge is drawn at
    the same value, what that dashed line is, so the note never says no line is drawn beside one."""
    table = load_targets()
    notes = list(table.lapsed(metric, today))
    for t in table.lapsed_targets(metric, today):
        notes += [f"The dashed {label.partition(' ')[0]} line is an OPEL band edge, not the ambition."
                  for value, label, _c in bands if abs(value - t.value) < 1e-9]
    return notes


class ProviderView(QWidget):
    KINDS = frozenset({"opel_assessment", "observation", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.detail: queries_provider.ProviderDetail | None = None
        self.page: door.ProviderPage | None = None
        self.span = RANGES["24 hours"]
        self._wanted: str | None = None         # asked for by select_provider, until it is drawn
        self._asked: tuple[str, ...] = ()       # what the newest read asked for
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        top = FlowBar()   # wraps at large text: the window must fit a 1920-pixel screen
        label = QLabel("&Provider:")
        self.picker = QComboBox()
        self.picker.setAccessibleName("Provider to explain")
        self.picker.setMinimumContentsLength(40)
        label.setBuddy(self.picker)
        self.picker.currentIndexChanged.connect(self._picked)
        top.addWidget(label)
        top.addWidget(self.picker)
        top.addStretch(1)
        self.range_group = QButtonGroup(self)
        for i, title in enumerate(RANGES):
            b = QPushButton(f"&{title}")
            b.setCheckable(True)
            b.setChecked(i == 0)
            b.setAccessibleName(f"Charts over the last {title}")
            self.range_group.addButton(b, i)
            top.addWidget(b)
            fit_bold(b)
        self.range_group.idClicked.connect(self._range_picked)
        self.phone_button = QPushButton("Record p&honed-in figures…")
        self.phone_button.setAccessibleName("Record figures this provider phoned in")
        self.phone_button.clicked.connect(lambda: __import__("ui.phoned_in_dialog", fromlist=["open_dialog"])
                                          .open_dialog(self, self.picker.currentData()))
        top.addWidget(self.phone_button)
        outer.addLayout(top)

        body = LeastPage()
        layout = self.body_layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.badge = QLabel()
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setMinimumWidth(170)
        head.addWidget(self.badge)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName("Declared and calculated level")
        head.addWidget(self.summary, 1)
        layout.addLayout(head)
        self.phoned_label = QLabel()   # the phoned-in figures shown now, and the calls they gave way to
        self.phoned_label.setObjectName("phonedIn")
        self.phoned_label.setWordWrap(True)
        self.phoned_label.setTextFormat(Qt.TextFormat.RichText)
        self.phoned_label.setAccessibleName("Phoned-in figures")
        self.phoned_label.hide()
        layout.addWidget(self.phoned_label)
        self.doubt_label = QLabel()   # "? In doubt (data quality): ..." while a finding doubts a figure of it
        self.doubt_label.setObjectName("doubtLabel")
        self.doubt_label.setWordWrap(True)
        self.doubt_label.setTextFormat(Qt.TextFormat.PlainText)   # a finding names the provider's own text
        self.doubt_label.hide()
        layout.addWidget(self.doubt_label)
        self.doubts: tuple = ()   # the open findings that doubt this provider's figures shown now
        self._doubts_read = tasks.LatestRead(self, self._draw_doubts)
        self.phoned: list = []   # this provider's calls (models.service.phoned_in.Call), newest first
        self._phoned_read = tasks.LatestRead(self, self._draw_phoned)
        tasks.manager().changed.connect(self._phoned_written)   # a call recorded here, hub or not
        self.table = make_table(HEADERS, "OPEL parameters: value, band, points, next threshold",
                                stretch=0)
        self.table.currentCellChanged.connect(lambda *_: self._draw_parameter())
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        split.installEventFilter(self)   # a new height: the rows first again (``_share_height``)
        split.addWidget(self.table)
        charts = QWidget()
        row = QHBoxLayout(charts)
        row.setContentsMargins(0, 0, 0, 0)
        self.param_chart = TimeChart("Parameter", accessible_name="Chart of the chosen parameter")
        self.level_chart = TimeChart("OPEL level", y_label="OPEL",
                                     accessible_name="Chart of the provider's OPEL level")
        row.addWidget(self.param_chart, 3)
        row.addWidget(self.level_chart, 2)
        align_time_axes([self.param_chart, self.level_chart])
        for c in (self.param_chart, self.level_chart):
            c.plot.setMinimumHeight(PLOT_LINES * c.fontMetrics().height())
        split.addWidget(charts)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.note = muted("")
        layout.addWidget(self.note)
        self._notes_folded = False   # the charts' notes in their tooltips (``_share_height``)
        self._note_said = False   # the note is the headings' meaning only (their tooltips say it too)
        for column, tip in ((3, POINTS_WORDS), (4, NEXT_WORDS)):
            self.table.horizontalHeaderItem(column).setToolTip(tip)
        self.stack = EmptyOr("No provider has an OPEL assessment yet. Each provider's parameters, "
                             "bands and points appear here once the hub has scored its first "
                             "submission and this desktop has synced.", scrolling_page(body))
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # The next 24 hours (models.service.forecast): read after the page, drawn when it comes.
        self.forecast: forecast_door.SiteForecast | None = None
        self._forecast_asked: tuple | None = None
        self._forecast_read = tasks.LatestRead(self, self._draw_forecast)
        # Drawn by refresh(), which the window calls when the view is first shown.

    # --- choosing -----------------------------------------------------------
    def select_provider(self, org_code: str) -> None:
        """Show ``org_code`` once it is read; a provider with no assessment on this desktop leaves
        the view on the one it shows."""
        self._wanted = org_code
        self.refresh()

    def set_span(self, span: timedelta) -> None:
        self.span = span
        for i, value in enumerate(RANGES.values()):
            self.range_group.button(i).setChecked(value == span)
        self._draw_charts()

    def _range_picked(self, index: int) -> None:
        self.set_span(list(RANGES.values())[index])

    def _picked(self, _index: int) -> None:
        self._wanted = None   # the user's choice wins over a drill-down still being read
        self.refresh()

    def _load_providers(self, page: door.ProviderPage) -> None:
        codes = [self.picker.itemData(i) for i in range(self.picker.count())]
        self.picker.blockSignals(True)
        if codes != [r.org_code for r in page.providers]:
            self.picker.clear()
            for r in page.providers:
                self.picker.addItem(f"{r.name} ({r.org_code})", r.org_code)
        self.picker.setCurrentIndex(self.picker.findData(page.org_code))
        self.picker.blockSignals(False)

    # --- drawing ------------------------------------------------------------
    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        for b in self.range_group.buttons():  # the theme's text size may have changed
            fit_bold(b)
        for c in (self.param_chart, self.level_chart):
            c.plot.setMinimumHeight(PLOT_LINES * c.fontMetrics().height())
        asked = tuple(c for c in (self._wanted, self.picker.currentData()) if c)
        now, store, self._asked = self.clock(), self.store, asked
        self._read(lambda: door.provider_page(store, now, now - LONGEST, asked))

    def _draw(self, page: door.ProviderPage) -> None:
        if page.asked != self._asked:
            return   # read for another provider: the read asked since is drawn instead
        another = page.org_code != (self.detail.org_code if self.detail else None)
        self._wanted = None
        self.page, self.detail = page, page.detail
        self._load_providers(page)
        if another:
            self.table.setCurrentCell(-1, -1)   # its chart starts at its first row, not the last one's
        self.stack.show_empty(self.detail is None)
        if self.detail is None:
            return
        if another:
            self.forecast = None
            self.doubts = ()   # the other provider's: this one's are read below
            self.doubt_label.hide()
        self._draw_header()
        self._draw_table()
        self._draw_charts()
        self._share_height()   # the charts' notes (wrapped) are known now
        store, code, now = self.store, page.org_code, page.now
        self._phoned_read(lambda: phoned_door.provider_calls(store, code, now))
        self._doubts_read(lambda: (code, doubts_door.read(store).get(code, ())))
        keys = [ln.key for ln in self.detail.lines]
        # A forecast knows only whole hours before its origin: ask again when the hour or the site changes.
        asked = (code, now.replace(minute=0, second=0, microsecond=0), tuple(keys))
        if asked != self._forecast_asked:
            self._forecast_asked = asked
            self._forecast_read(lambda: forecast_door.site_forecast(store, now, code, keys))

    def _draw_forecast(self, site: forecast_door.SiteForecast) -> None:
        if self.detail is None or site.org_code != self.detail.org_code:
            return
        self.forecast = site
        self._draw_header()
        self._draw_parameter()

    def _phoned_written(self, changes) -> None:
        if "phoned_in" in changes.records and self.detail is not None:
            store, code, now = self.store, self.detail.org_code, self.clock()
            self._phoned_read(lambda: phoned_door.provider_calls(store, code, now))
        if "data_quality" in changes.records and self.detail is not None:   # the checks ran
            store, code = self.store, self.detail.org_code
            self._doubts_read(lambda: (code, doubts_door.read(store).get(code, ())))

    def _draw_doubts(self, read: tuple) -> None:
        """The line above the table while a finding doubts a figure of this provider; the figure's own
        cell in the table marked too (``_draw_table``)."""
        code, found = read
        if self.detail is None or code != self.detail.org_code:
            return
        changed, self.doubts = found != self.doubts, found
        names = {ln.key: ln.name for ln in self.detail.lines}
        text = doubt_mark.short(found, lambda k: names.get(k, k))
        self.doubt_label.setText(text)
        self.doubt_label.setToolTip(doubt_mark.full(found))
        self.doubt_label.setAccessibleName(text)
        self.doubt_label.setAccessibleDescription(doubt_mark.full(found))
        self.doubt_label.setVisible(bool(found))
        if changed:
            self._draw_table()

    def _draw_phoned(self, calls: list) -> None:
        """Phoned-in figures: the current ones marked in the table, the calls said above it."""
        if calls and self.detail is not None and calls[0].org_code != self.detail.org_code:
            return
        changed, self.phoned = calls != self.phoned, calls
        lines = []
        for call in calls[:3]:
            current = ", ".join(f"{f.label} {fmt.value(f.value, f.unit) if isinstance(f.value, (int, float)) else f.value}"
                                for f in call.current)
            state = (f"shown now: {esc(current)}" if current
                     else "given way to the provider's own newer data")
            sent = {"waiting": " (not sent to the hub yet)", "refused": " (refused by the hub: "
                    f"{esc(call.refusal or '')})"}.get(call.hub, "")
            lines.append(f"<b>☎ PHONED IN</b> {esc(fmt.local_time(call.phoned_at, with_date=True))} by "
                         f"{esc(call.provenance)}{sent} — {state}")
        self.phoned_label.setText("<br>".join(lines))
        self.phoned_label.setVisible(bool(lines))
        if changed and self.detail is not None:
            self._draw_table()

    def _draw_header(self) -> None:
        d, now = self.detail, self.page.now
        level = d.shown_level
        self.badge.setText(f"<span style='font-size:x-large'>{opel_label(level, d.at_least_level)}</span>"
                           f"<br>{OPEL_WORDS.get(level or 0, 'incomplete')}")
        self.badge.setStyleSheet(badge_css(opel_colours(level), padding="6px 10px"))
        self.badge.setAccessibleName(f"{d.name}: {opel_label(level, d.at_least_level)}")
        calc = opel_label(d.level, d.at_least_level)
        if d.declared_level is None:
            decl = f"Calculated {calc}; no level declared."
        elif d.overridden:
            decl = (f"<b>Declared OPEL {d.declared_level}, calculated {calc}.</b> "
                    f"Reason: {esc(d.override_reason or '(none given)')}")
        else:
            decl = f"Declared OPEL {d.declared_level}, the same as calculated."
        total = f"score {d.total:g}" if d.total is not None else "score incomplete"
        step = self.page.next_level
        if d.total is not None and d.level == 4:
            total += " · highest level"
        elif step is not None:
            gap = f"{step.points:g} pts" if step.inclusive else f"over {step.points:g} pts"
            total += f" · {gap} to OPEL {step.level}"
        table = f"OPEL table {esc(d.edition)}" + ("" if d.verified else " — <b>UNVERIFIED TABLE</b>")
        if lapsed := period_note(d.edition, now.astimezone(UK).date(), short=True):   # the overview says more
            table += f" — <b>{esc(lapsed)}</b>"
        stale = fmt.is_stale(now, d.assessed_at, stale_limits.current().site)
        age = (f"<span style='color:{theme.current().stale}'><b>STALE</b></span> · " if stale else "")
        self.summary.setText(f"<b>{esc(d.name)}</b> ({esc(d.org_code)}) — {decl}<br>{total} · {table} · "
                             f"{age}assessed {fmt.local_time(d.assessed_at, with_date=True)} "
                             f"({fmt.age(now, d.assessed_at)})")
        if self.page.newest_submission is not None:
            newest = newest_submission_html(now, self.page.newest_submission)
            self.summary.setText(f"{self.summary.text()}<br>{newest}")
        if self.forecast is not None:
            # Worked out at the hour's start, told the level this page shows (read at every sync).
            chance = opel_chance.as_now(self.forecast.opel, d.shown_level, d.at_least_level)
            self.summary.setText(self.summary.text() + f"<br><b>{esc(chance.text())}</b>"
                                 + ("" if chance.chance is None else
                                    f" <span style='color:{theme.current().muted}'>(from its own level history "
                                    f"over {chance.days} days)</span>"))
        notes = [ln.threshold_note for ln in d.lines if ln.threshold_note and ln.problem is None]
        self.note.setText("Next worse band is from this desktop's table; " + notes[0]
                          if notes else f"{POINTS_WORDS}. {NEXT_WORDS}.")
        self._note_said = not notes

    def _draw_table(self) -> None:
        now, rows = self.page.now, []
        phoned = {f.key: f"Phoned in {fmt.local_time(c.phoned_at)} by {c.provenance}" for c in reversed(self.phoned)
                  for f in c.current if c.org_code == self.detail.org_code}
        doubted: dict[str, list] = {}
        for d in self.doubts if self.doubts and self.doubts[0].org_code == self.detail.org_code else ():
            doubted.setdefault(d.metric, []).append(d)
        for ln in self.detail.lines:
            stale = fmt.is_stale(now, ln.observed_at, stale_limits.current().site)
            age = (("STALE · " if stale else "") + f"{fmt.local_time(ln.observed_at)} · "
                   f"{fmt.age(now, ln.observed_at)}") if ln.observed_at else "no observation synced"
            if ln.problem:
                value = cell(f"— ({ln.problem})", colours=theme.UNKNOWN_COLOURS)
            elif ln.key in doubted:
                value = cell(f"{doubt_mark.SIGN} {fmt.value(ln.value, ln.unit)}", align_right=True,
                             tooltip=doubt_mark.full(doubted[ln.key]))
            elif ln.key in phoned:
                value = cell(f"☎ {fmt.value(ln.value, ln.unit)}", align_right=True, tooltip=phoned[ln.key])
            else:
                value = cell(fmt.value(ln.value, ln.unit), align_right=True)
            rows.append([
                cell(ln.name, tooltip=f"{ln.key} ({ln.worse or '?'} is worse)", data=ln.key), value,
                _band_cell(ln), cell(points_text(ln), align_right=True),
                cell(threshold_text(ln.next_worse, ln.unit, ln.in_worst_band, ln.threshold_note)),
                cell(age, colours=(theme.current().base, theme.current().stale) if stale else None)])
        fill_table(self.table, rows)
        # A one-line row as tight as the ambulance view's (the text's height and 8 pixels, room for a badge's
        # border): nine parameters in 36 pixels fewer, in view on a laptop.
        line = self.table.fontMetrics().height() + 8
        for r in range(self.table.rowCount()):
            self.table.setRowHeight(r, min(self.table.rowHeight(r), line)
                                    if self.table.rowHeight(r) <= line + 6 else self.table.rowHeight(r))
        if self.table.currentRow() < 0 and rows:
            self.table.selectRow(0)

    def _share_height(self) -> None:
        """Every parameter's row in view first, while the charts keep their titles, notes and PLOT_LINES lines of
        plot; the charts take the rest. (Offline in high contrast at 1366x768 the charts' fixed 220 pixels left the
        table six of its nine rows.) A row the room cannot spare scrolls within the table."""
        table = self.table
        # The header's own hint, not its height: a table just shown has not been laid out yet.
        need = (table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2
                + sum(table.rowHeight(r) for r in range(table.rowCount())))
        total = sum(self.split.sizes())
        if total <= 0:
            return
        charts = max(_least(c, True) for c in (self.param_chart, self.level_chart))
        # Short of room (offline in high contrast at 1366x768), the headings' meaning gives its line to the table:
        # it is in their tooltips. A note from this desktop's own table stays.
        spare = self.note.sizeHint().height() + self.body_layout.spacing()
        free = total + (spare if self.note.isVisibleTo(self) else 0)   # the split's height without the line
        hide = self._note_said and need + charts > free - spare
        if self.note.isVisibleTo(self) == hide and self.note.text():
            self.note.setVisible(not hide)   # the splitter's new height comes back here (``eventFilter``)
        # Shorter still (offline in high contrast at 1280x720: the rows needed 245 pixels, the table showed 208),
        # the charts' notes under their plots fold into the charts' tooltips: the hatching past the last value and
        # the rows' STALE badges still say the data are old.
        fold = need + charts > free
        if fold != self._notes_folded:
            self._notes_folded = fold
            self._fold_notes()
        charts = max(_least(c) for c in (self.param_chart, self.level_chart))
        # However short the page (twice the text at 1366x768: the split had 230 pixels, the charts' least 195, the
        # table its heading and part of one row), the table keeps LEAST_ROWS rows and the page scrolls instead.
        rows = (table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth() + 2
                + sum(table.rowHeight(r) for r in range(min(LEAST_ROWS, table.rowCount()))))
        table.setMinimumHeight(rows)
        table_h = max(min(need, total - charts), min(need, total // 3), rows)
        self.split.setSizes([table_h, total - table_h])

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt API)
        if (watched is getattr(self, "split", None) and event.type() == QEvent.Type.Resize
                and self.detail is not None and event.size().height() != event.oldSize().height()):
            QTimer.singleShot(0, self, self._share_height)   # after the splitter has shared out the new height
        return super().eventFilter(watched, event)

    def _draw_charts(self) -> None:
        if self.detail is None:
            return
        self._draw_parameter()
        now, cut = self.page.now, self.page.now - self.span
        levels = [(t, float(lv)) for t, lv in self.page.levels if lv]
        points = [(t, v) for t, v in levels if t >= cut]
        carried = self.page.carried.level if self.page.carried else None
        carried = next((p for p in reversed(levels) if p[0] < cut), carried)
        self.level_chart.title.setText(f"<b>OPEL level, last {self._span_words()}</b>")
        # A level is scored when a submission comes, so assessments are irregular: it holds to the
        # next one, but never across a hole in the provider's values.
        every = series_gaps.cadence(*(ln.key for ln in self.detail.lines))
        seen = sorted({t for values in self.page.series.values() for t, _v in values})
        self.level_chart.set_data(
            [Series("OPEL", points, theme.current().chart_fg, step=True, width=2.5, size=7, cadence=every,
                    changes_only=True, holes=series_gaps.holes(seen, every), carried=carried,
                    fmt=lambda v: f"OPEL {v:g} ({OPEL_WORDS.get(int(v), '')})",
                    brushes=[opel_colours(int(v))[0] for _, v in points],
                    phoned=[self.page.phoned.levels.get(t) for t, _ in points])],
            x_range=(cut, now), y_range=(0.5, 4.5), y_ticks=LEVEL_TICKS,
            empty_text="No OPEL assessments in this period.")
        self._fold_notes()

    def _draw_parameter(self) -> None:
        if self.detail is None or not self.detail.lines:
            return
        row = max(0, self.table.currentRow())
        line = self.detail.lines[min(row, len(self.detail.lines) - 1)]
        now, cut = self.page.now, self.page.now - self.span
        values = self.page.series.get(line.key, [])
        points = [(t, v) for t, v in values if t >= cut]
        carried = self.page.carried.series.get(line.key) if self.page.carried else None
        carried = next((p for p in reversed(values) if p[0] < cut), carried)
        today = now.astimezone(fmt.UK).date()
        targets = load_targets().lines(line.key, today)
        unit = fmt.unit_suffix(line.unit)
        self.param_chart.plot.setLabel("left", unit)
        shown = [v for _t, v in points] + ([carried[1]] if carried else [])
        made = self.forecast.series.get(line.key) if self.forecast is not None else None
        band = (Band.hours(made.hours, now, colour(0), fmt=lambda v: fmt.value(round(v), None),
                           unit=band_unit(line.unit)) if made is not None and made.hours else None)
        # The chart runs on past "now" when it carries a forecast: its title says so.
        ahead = ", forecast for the next 24 hours" if band is not None else ""
        self.param_chart.title.setText(f"<b>{esc(line.name)}, last {self._span_words()}{ahead}</b>")
        if band is not None:
            shown += [p[3] for p in band.points]
        phoned = self.page.phoned.series.get(line.key, {})
        bands = self._band_lines(line)
        self.param_chart.set_data(
            [Series(line.name, points, colour(0), fmt=lambda v: fmt.value(v, line.unit), size=5,
                    cadence=series_gaps.cadence(line.key), carried=carried,
                    phoned=[phoned.get(t) for t, _ in points])],
            x_range=(cut, now + timedelta(hours=24) if band is not None else now), lines=bands,
            band=band, no_forecast=made.reason if made is not None and not made.hours else None,
            targets=[(t.value, t.label, theme.current().chart_fg) for t in targets],
            y_range=fixed_range(line.unit, shown, [t.value for t in targets]),
            notes=lapsed_notes(line.key, today, bands),
            empty_text=f"No {line.name.lower()} observations in this period.")
        self._fold_notes()

    def _fold_notes(self) -> None:
        """Each chart's note under its plot, or (``_notes_folded``) in the chart's tooltip; a redraw shows it again."""
        for c in (self.param_chart, self.level_chart):
            c.fold_note(self._notes_folded)

    def _band_lines(self, line) -> list[tuple[float, str, str]]:
        """The dashed lines where the OPEL table's points for ``line`` change: (value, label, colour)."""
        table = queries_provider.desktop_table(self.detail.pillar)
        if table is None or table.edition != self.detail.edition or line.key not in table.keys:
            return []   # scored under another edition: this desktop's edges would be a guess at the hub's
        bands = table.parameter(line.key).bands
        grey = theme.current().muted
        return [(b.range.lo, f"{fmt.value(b.range.lo, line.unit)} ({a.points:g} → {b.points:g} pts)", grey)
                for a, b in zip(bands, bands[1:])]

    def _span_words(self) -> str:
        return next(k for k, v in RANGES.items() if v == self.span)
