"""Ambulance: REAP and CSP with time in level, response times against the standards,
and crews en route to and on site at each hospital. Reads the replica through the door
(``models.service.ambulance``), off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QVBoxLayout,
                               QWidget)

from models.queries import ambulance as qa
from models.rules import series_gaps
from models.rules.ambulance_standards import STATISTICS, load_standards
from models.service import ambulance as door
from ui import format as fmt
from ui import tasks, theme
from ui.charts import Series, TimeChart, align_time_axes, colour, fixed_range
from ui.widgets import EmptyOr, cell, esc, fill_table, fit_rows, make_table, muted

CHART_SPAN = timedelta(hours=24)
RESPONSE_HEADERS = ("Category", "Measure", "Actual", "Standard", "Result", "Ambition", "Result")
CREW_HEADERS = ("Hospital", "En route", "Waiting", "Handed over", "On site")
CREW_TIPS = ("", "Reported en route to the hospital", "Arrived, waiting to hand over",
             "Handed over, crew not yet clear", "Waiting + handed over")


def result_text(check: qa.StandardCheck | None) -> tuple[str, tuple[str, str] | None]:
    """("Met" / "Not met" / "No figure", colours); an ambition out of its years says so."""
    if check is None:
        return "", None
    if check.met is None:
        return "No figure", theme.NO_FIGURE_COLOURS
    if not check.in_force:   # not judged against a target that is not set for the day (see the note)
        return "Not in force", theme.NO_FIGURE_COLOURS
    return ("Met" if check.met else "Not met"), theme.met_colours(check.met)


def result_cell(check: qa.StandardCheck | None):
    text, colours = result_text(check)
    return cell(text, colours=colours)


def target_text(check: qa.StandardCheck | None) -> str:
    return "none" if check is None else f"≤ {check.target_minutes:g} min"


def short_category(code: str, name: str) -> str:
    """"C1 life-threatening" from "Category 1 (life-threatening)"."""
    inner = name[name.find("(") + 1:name.rfind(")")] if "(" in name else ""
    return f"{code} {inner}".strip()


class LevelBox(QLabel):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.RichText)  # markup around escaped levels (``show_level``)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(230)
        self.setAccessibleName(name)

    def show_level(self, title: str, word: str, since: str, colours: tuple[str, str]) -> None:
        self.setText(f"<span style='font-size:x-large'><b>{esc(title)}</b></span><br>{esc(word)}<br>{esc(since)}")
        self.setStyleSheet(theme.badge_css(colours, padding="6px 12px", bold=False))
        self.setAccessibleDescription(f"{title}, {word}, {since}")


class AmbulanceView(QWidget):
    KINDS = frozenset({"ambulance_status", "response_times", "handover", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.standards = load_standards()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
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
        info.addWidget(self.period)
        info.addStretch(1)
        top.addLayout(info, 1)
        grid.addLayout(top, 0, 0, 1, 2)
        self.responses = make_table(RESPONSE_HEADERS, "Response times against the standards")
        self.responses.setWordWrap(False)
        self.crews = make_table(CREW_HEADERS, "Ambulances en route and on site per hospital", stretch=0)
        for i, tip in enumerate(CREW_TIPS):
            if tip:
                self.crews.horizontalHeaderItem(i).setToolTip(tip)
        grid.addWidget(self.responses, 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.crews, 1, 1, Qt.AlignmentFlag.AlignTop)
        self.level_chart = TimeChart("REAP and CSP level, last 24 hours", y_label="level",
                                     accessible_name="Chart of REAP and CSP levels", legend=True,
                                     legend_outside=True)
        self.response_chart = TimeChart("Category 1 and 2 mean response, last 24 hours",
                                        y_label="minutes", legend=True, legend_outside=True,
                                        accessible_name="Chart of Category 1 and 2 mean response")
        grid.addWidget(self.level_chart, 2, 0)
        grid.addWidget(self.response_chart, 2, 1)
        # Keys sit above the plots (inside, one covered the C2 line's peak); the two charts
        # mark the same times so they read across.
        align_time_axes([self.level_chart, self.response_chart])
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(2, 1)
        self.stack = EmptyOr("No ambulance service data yet. REAP and Clinical Safety Plan levels, "
                             "response times against the national standards and the crews at each "
                             "hospital appear here after the ambulance service's first submission "
                             "reaches the hub and this desktop syncs.", body)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        now, store, standards, code = self.clock(), self.store, self.standards, self.picker.currentData()
        self._read(lambda: door.ambulance_page(store, now, now - CHART_SPAN, standards, code))

    def _draw(self, page: door.AmbulancePage) -> None:
        now = page.now
        self._load_picker(page)
        self.stack.show_empty(page.levels is None and not page.responses)
        if self.stack.is_empty:
            return
        self._draw_levels(page.levels, now)
        self._draw_responses(list(page.responses), now)
        fill_table(self.crews, [[cell(fmt.short_name(h.name), data=h.hospital_code, tooltip=h.name),
                                 cell(str(h.en_route), align_right=True),
                                 cell(str(h.waiting), align_right=True),
                                 cell(str(h.handed_over), align_right=True),
                                 cell(str(h.on_site), align_right=True, bold=True)] for h in page.crews])
        fit_rows(self.crews)
        self._draw_charts(page, now)

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
        self.reap_box.show_level(f"REAP {lv.reap_level}", lv.reap_name or "",
                                 self._since(lv.reap_since, now), theme.opel_colours(lv.reap_level))
        if lv.csp_level is None:
            self.csp_box.show_level("CSP —", "not reported", "", theme.UNKNOWN_COLOURS)
        else:
            self.csp_box.show_level(f"CSP {lv.csp_level}", "Clinical Safety Plan level",
                                    self._since(lv.csp_since, now), theme.CSP_COLOURS)
        verified = "" if self.standards.header.verified else " — <b>UNVERIFIED TABLE</b>"
        self.service.setText(f"<b>{esc(lv.name)}</b> ({esc(lv.org_code)})<br>last report received "
                             f"{fmt.local_time(lv.received_at, with_date=True)} "
                             f"({fmt.age(now, lv.received_at)})<br>Standards: "
                             f"{self.standards.header.edition}{verified}")

    @staticmethod
    def _since(start: datetime | None, now: datetime) -> str:
        return f"since {fmt.local_time(start, with_date=True)} ({fmt.since(now, start)})"

    def _draw_responses(self, responses: list[qa.CategoryResponse], now: datetime) -> None:
        rows, spans = [], []
        for r in responses:
            spans.append(len(rows))
            incidents = "no count" if r.incidents is None else f"{r.incidents} incidents"
            for stat in STATISTICS:
                checks = [c for c in r.checks if c.statistic == stat]
                std = next((c for c in checks if c.kind == "constitutional"), None)
                amb = next((c for c in checks if c.kind == "ambition"), None)
                actual = r.mean_minutes if stat == "mean" else r.p90_minutes
                first = stat == "mean"
                rows.append([
                    cell(f"{short_category(r.category, r.name)}\n{incidents}" if first else "",
                         data=r.category, tooltip=r.name),
                    cell(STATISTICS[stat]),
                    cell(fmt.response(actual) if actual is not None else
                         ("— (no incidents)" if r.incidents == 0 else "—"), align_right=True),
                    cell(target_text(std), tooltip=std.name if std else "No national standard"),
                    result_cell(std),
                    cell(target_text(amb) if amb else "",
                         tooltip=f"{amb.name}; in force: {'yes' if amb.in_force else 'no'}" if amb else None),
                    result_cell(amb)])
        fill_table(self.responses, rows)
        self.responses.clearSpans()
        for row in spans:
            self.responses.setSpan(row, 0, 2, 1)
        # Spanned cells are left out of "resize to contents": size the category column by hand.
        self.responses.ensurePolished()
        metrics = self.responses.fontMetrics()
        lines = [ln for r in rows for ln in r[0].text().splitlines()] + [RESPONSE_HEADERS[0]]
        self.responses.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.responses.setColumnWidth(0, max(metrics.horizontalAdvance(ln) for ln in lines) + 18)
        fit_rows(self.responses)
        if responses:
            r = responses[0]
            ambitions = sorted({c.period for x in responses for c in x.checks
                                if c.kind == "ambition" and c.period})
            years = f" Ambition: interim, for {', '.join(ambitions)}." if ambitions else ""
            lapsed = "".join(f" {x}" for x in self.standards.lapsed(now.astimezone(fmt.UK).date()))
            self.period.setText(f"Latest hour {fmt.local_time(r.period_start)}–"
                                f"{fmt.local_time(r.period_end)} UK time ({fmt.age(now, r.period_end)}). "
                                f"Met = at or under the target.{years}{lapsed} An hour's figures: a "
                                "small count of incidents swings them.")

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
                         brushes=[theme.opel_colours(int(v))[0] for _, v in reap])]
        if csp or (chart and chart.csp_before):
            series.append(Series("CSP", csp, colour(4), step=True, width=2, size=6, cadence=every,
                                 changes_only=True, until=until, carried=chart.csp_before,
                                 fmt=lambda v: f"CSP {v:g}"))
        self.level_chart.set_data(series, x_range=(now - CHART_SPAN, now), y_range=(-0.3, 4.4),
                                  y_ticks=[(i, str(i)) for i in range(5)],
                                  empty_text="No REAP or CSP reports in the last 24 hours.")
        today = now.astimezone(fmt.UK).date()
        # Short labels: they sit on the right axis, and a long one would narrow the chart.
        targets = [(std.target_minutes, f"{cat} {std.target_minutes:g} min", line_colour)
                   for cat, line_colour in (("C1", colour(1)), ("C2", colour(0)))
                   for std in self.standards.for_category(cat)
                   if std.statistic == "mean" and std.in_force(today)]
        means = {cat: [(t, m) for t, m, _ in rows if m is not None] for cat, rows in (("C1", page.c1), ("C2", page.c2))}
        before = {"C1": chart.c1_before if chart else None, "C2": chart.c2_before if chart else None}
        shown = [m for rows in means.values() for _t, m in rows] + [p[1] for p in before.values() if p]
        self.response_chart.set_data(
            [Series(f"{cat} mean", means[cat], line_colour, fmt=fmt.response, size=5, carried=before[cat],
                    cadence=series_gaps.cadence(f"{cat.lower()}_mean_seconds"))
             for cat, line_colour in (("C1", colour(1)), ("C2", colour(0)))],
            x_range=(now - CHART_SPAN, now), targets=targets,
            y_range=fixed_range("minutes", shown, [t[0] for t in targets]),
            notes=[x for x in self.standards.lapsed(today) if " mean " in x],
            empty_text="No response-time periods in the last 24 hours.")

