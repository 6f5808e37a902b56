"""Offload: the live queue of ambulances waiting to hand over at each hospital.

Each ambulance with its own wait, longest first, flagged at the national
bands (``resources/ambulance/handover.toml``: 15, 30, 45, 60 minutes) in
colour and text; today's mean handover, intervals per band and hours lost;
a chart of waits over the day. Reads the replica through the door (``models.service.offload``),
off the UI thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from models.queries import offload as qo
from models.rules.handover_bands import HandoverBand, load_handover
from models.rules.intervals import fmt_number
from models.service import offload as door
from ui import format as fmt
from ui import tasks, theme
from ui.charts import Series, TimeChart
from ui.flow_bar import FlowBar
from ui.widgets import EmptyOr, cell, content_width, esc, fill_table, make_table, muted

QUEUE_HEADERS = ("Vehicle", "Wait", "Flag")
MIN_CHART_SPAN = timedelta(hours=6)


STALE_AFTER = timedelta(minutes=60)


def wait_text(minutes: float) -> str:
    """Every wait on this view in one format: whole minutes, rounded up ("46 min", "1 h 05 min").

    Up, so the figure agrees with its flag: 45 min 30 s is ">45 min" and reads "46 min"."""
    return fmt.whole_minutes_up(minutes)


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
        title = QLabel(f"<b>{esc(h.name)}</b> ({esc(h.hospital_code)})")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        layout.addWidget(title)
        text, self.stale = fmt.data_age(now, updated, STALE_AFTER)
        self.age_label = QLabel(text if updated else "No handover updates received yet")
        self.age_label.setAccessibleName(f"Age of {h.name}'s handover data")
        self.age_label.setToolTip("When this desktop last received an update for this hospital (an "
                                  f"arrival, a handover): STALE after {fmt.span(STALE_AFTER.total_seconds())} "
                                  "without one. A quiet hour is possible at night; a stale card with "
                                  "ambulances waiting needs a call.")
        if self.stale:
            self.age_label.setStyleSheet(f"color:{theme.current().stale};font-weight:bold;")
        else:
            self.age_label.setObjectName("muted")
        layout.addWidget(self.age_label)
        longest = h.longest_wait
        waiting = (f"<b>{len(h.waiting)} waiting</b> · longest {wait_text(longest.wait_minutes)}"
                   if longest else "<b>No ambulances waiting</b>")
        self.waiting_label = QLabel(waiting)
        layout.addWidget(self.waiting_label)
        t = h.today
        mean = f"mean {fmt.wait(t.mean_minutes)}" if t.mean_minutes is not None else "no mean yet"
        summary = QLabel(f"Today: {t.count} handovers · {mean} · <b>{t.hours_lost:.1f} h lost</b>"
                         + (f" · {t.serious_delays} over 60 min" if t.serious_delays else ""))
        summary.setWordWrap(True)
        summary.setToolTip(f"Completed handovers since {fmt.local_time(h.today_from, with_date=True)}. "
                           f"Hours lost: minutes beyond {t.hours_lost_beyond_minutes:g} per handover, "
                           "summed." + (f" {h.excluded} interval(s) outside the valid range left out."
                                        if h.excluded else ""))
        layout.addWidget(summary)
        # A small table: each band's words over its count, so the counts line up and stay short.
        head = "".join(f"<td align='center'>&nbsp;{band_span(b)}&nbsp;</td>" for b in table.bands)
        counts = "".join(f"<td align='center'><b>{t.per_band.get(b.code, 0)}</b></td>" for b in table.bands)
        self.bands_label = muted(f"Handovers today by minutes taken:<table cellspacing='0'>"
                                 f"<tr>{head}</tr><tr>{counts}</tr></table>")
        self.bands_label.setTextFormat(Qt.TextFormat.RichText)
        self.bands_label.setWordWrap(False)  # a table of nowrap cells: its width is its minimum
        self.bands_label.setToolTip("Completed handovers since midnight, counted by arrival-to-handover "
                                    "time in the national bands: "
                                    + "; ".join(f"{band_words(b)}: {b.label}" for b in table.bands))
        layout.addWidget(self.bands_label)
        self.queue = make_table(QUEUE_HEADERS, f"Ambulances waiting at {h.name}, longest first")
        self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Room for the header and a row or two; longer queues scroll within the card. The table's
        # own preferred height (192 px) is ignored: it made the row of cards scroll for nothing.
        self.queue.setMinimumHeight(2 * self.queue.fontMetrics().height() + 16)
        policy = self.queue.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Ignored)
        self.queue.setSizePolicy(policy)
        layout.addWidget(self.queue, 1)   # placed before filling, so rows are sized in the window's font
        rows = []
        for w in h.waiting:
            colours = theme.severity_colours(w.band.severity if w.band else None)
            label = w.band.label if w.band else "Outside the valid range: check the record"
            rows.append([
                cell(w.vehicle_ref or "unknown", data=w.event_uuid,
                     tooltip=f"Last update received {fmt.local_time(w.updated_at, with_date=True)} "
                             f"({fmt.age(now, w.updated_at)})"),
                cell(wait_text(w.wait_minutes), align_right=True, colours=colours,
                     tooltip=f"Arrived {fmt.local_time(w.arrived_at, with_date=True)}; waiting "
                             f"{fmt.response(w.wait_minutes)} (shown rounded up to the minute)"),
                cell(w.flag, colours=colours, tooltip=label)])
        fill_table(self.queue, rows)
        self.queue.setAccessibleDescription(
            "; ".join(f"{w.vehicle_ref}: {wait_text(w.wait_minutes)}, {w.flag}" for w in h.waiting)
            or "No ambulances waiting")

    def fit_width(self) -> None:
        """Widen the card to its queue's columns (large text); the row of cards then scrolls."""
        self.ensurePolished()
        self.queue.ensurePolished()
        self.queue.resizeColumnsToContents()
        self.queue.resizeRowsToContents()
        self.setMinimumWidth(max(255, content_width(self.queue) + 16))


class OffloadView(QWidget):
    KINDS = frozenset({"handover", "organisation"})

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.table = load_handover()
        self.cards: list[HospitalCard] = []
        self.page: door.OffloadPage | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._legend())
        self.cards_host = QWidget()
        self.cards_row = QHBoxLayout(self.cards_host)
        self.cards_row.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.cards_host)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(scroll, 3)
        chart_bar = FlowBar()
        label = QLabel("C&hart:")
        self.chart_picker = QComboBox()
        self.chart_picker.setAccessibleName("Hospital shown in the chart of waits")
        label.setBuddy(self.chart_picker)
        self.chart_picker.currentIndexChanged.connect(lambda _i: self._draw_chart())
        chart_bar.addWidget(label)
        chart_bar.addWidget(self.chart_picker)
        chart_bar.addStretch(1)
        layout.addLayout(chart_bar)
        self.chart = TimeChart("Handover waits", y_label="minutes",
                               accessible_name="Chart of handover waits over the day")
        layout.addWidget(self.chart, 2)
        self.stack = EmptyOr("No hospitals or ambulance handovers yet. The queue at each hospital "
                             "appears here once organisations and the ambulance service's handover "
                             "updates have synced from the hub.", body)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def _legend(self) -> FlowBar:
        """The band key: each flag in its colour with its meaning, and the table's edition."""
        row = FlowBar()   # wraps at large text: the window must fit a 1920-pixel screen
        row.addWidget(QLabel("Waiting to hand over, longest first. Flags:"))
        self.chips: list[tuple[QLabel, int]] = []
        for b in self.table.bands:
            chip = QLabel(qo.band_flag(b))
            self.chips.append((chip, b.severity))
            chip.setToolTip(b.label)
            chip.setAccessibleName(f"Flag {qo.band_flag(b)}: {b.label}")
            row.addWidget(chip)
        row.addStretch(1)
        verified = "" if self.table.header.verified else " — UNVERIFIED TABLE"
        edition = muted(f"Bands: {self.table.header.edition}{verified}")
        row.addWidget(edition, 1)
        return row

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        now, store, table = self.clock(), self.store, self.table
        since = min(qo.uk_midnight(now), now - MIN_CHART_SPAN)
        self._read(lambda: door.offload_page(store, now, since, table))

    def _draw(self, page: door.OffloadPage) -> None:
        self.page = page
        now, board, updated = page.now, list(page.board), page.updated
        self.stack.show_empty(not board)
        for chip, severity in self.chips:  # the theme may have changed the badge border
            chip.setStyleSheet(theme.badge_css(theme.severity_colours(severity), padding="1px 6px"))
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = [HospitalCard(h, now, self.table, self.cards_host, updated.get(h.hospital_code))
                      for h in board]
        for card in self.cards:
            self.cards_row.addWidget(card, 1)
            card.fit_width()
        # The cards' minimum widths are known only once they join the row: pin the row's width
        # so the scroll area scrolls (large text) instead of drawing the cards over each other.
        spacing = max(0, self.cards_row.spacing())
        self.cards_host.setMinimumWidth(sum(c.minimumWidth() for c in self.cards)
                                        + spacing * max(0, len(self.cards) - 1))
        self._load_picker(board)
        self._draw_chart()

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

    def _draw_chart(self) -> None:
        if self.page is None:
            return
        now, since, code = self.page.now, self.page.since, self.chart_picker.currentData()
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
        top = max([p[1] for p in points if p[1] <= cap] + [0.0])
        y_max = max(top_band + 8, top * 1.08) if all(p[1] <= cap for p in points) else cap * 1.06
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
        where = names.get(code, "all hospitals")
        self.chart.title.setText(
            f"<b>Handover waits by arrival time since {fmt.local_time(since, with_date=True)}, "
            f"{where}</b> (● handed over, ▲ still waiting"
            + (f", ↑ {above} over {wait_text(cap)}: hover for the wait" if above else "") + ")")
        lines = [(b.range.lo, qo.band_flag(b), theme.line_colour(theme.severity_colours(b.severity)[0]))
                 for b in self.table.bands[1:]]
        self.chart.set_data(series, x_range=(since, now), y_range=(0, y_max), lines=lines,
                            empty_text="No handovers in this period.")
