"""Critical care: each provider's CRITCON level and capacity (staffed, occupied, available),
the newest report with its age, and levels over the last 24 hours. Reads ``models.queries.critcon``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from models.queries import critcon as qc
from models.rules import series_gaps
from models.service import critical_care as door
from ui import format as fmt
from ui import stale_limits
from ui import tasks, theme
from ui.system_texts import phoned_tip, phoned_words
from ui.charts import Series, TimeChart, colour
from ui.text import esc
from ui.widgets import EmptyOr, cap_column, cell, fill_table, fit_rows, make_table, muted, scrolling_page

MARKERS = ("o", "s", "t1", "d", "t", "+")
DASHES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine,
          Qt.PenStyle.DashDotDotLine)
CHART_SPAN = timedelta(hours=24)
MAX_ROWS, MIN_ROWS = 12, 3   # units shown in the table before it scrolls: at most, and however short the view
HEADERS = ("Provider", "CRITCON", "Staffed beds", "Occupied", "Free", "Occupancy", "Latest report")
LATEST = HEADERS.index("Latest report")
NAME_CHARS = 24   # the provider column's least, in characters, before the latest report's time gives way to it


def _note() -> str:
    return ("CRITCON runs from 0 (normal operation) upwards as critical care escalates; the number is always "
            f"shown. A report older than {fmt.span(stale_limits.current().critcon.total_seconds())} is marked "
            "STALE. Free = staffed − occupied; a unit over its staffed beds is shown as over and never taken "
            "off the other units' free beds.")


class _Chart(TimeChart):
    """The chart without height-for-width: a box layout takes an item's height for its width as its least
    height, and the chart's (its plot's preferred height under the title and the key of 22 units: 566 pixels
    at 1344 wide) is more than a 1366x768 page leaves, so the layout squeezed it over the note and the table.
    Its least height already counts the title and key as wrapped at its width (``TimeChart.minimumSizeHint``)."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return False


class _Body(QWidget):
    """The page in its scroll area, as tall as its parts' least at a width (``CritconView.least``): a scroll
    area sizes a page with wrapped labels to its height for its width, which is the parts' preferred (the
    plot's 566 pixels), and the page scrolled at 1.5 times the text where it fitted at its least."""

    def __init__(self, least: Callable[[int], int | None]) -> None:
        super().__init__()
        self._least = least

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        least = self._least(width)
        return super().heightForWidth(width) if least is None else least


class CritconView(QWidget):
    KINDS = frozenset({"critcon", "organisation", "record"})   # "record": a phoned-in call, its mark

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.lines: list[qc.CritconLine] = []
        self.notes_folded = self.chart_note_folded = False   # short of room (``_fit_table``)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        body = _Body(self.least)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout = layout
        self.totals = QLabel()
        self.totals.setAccessibleName("System critical care capacity")
        self.totals.setWordWrap(True)   # one line at normal text; wrapped at 2.5x on a 1920-pixel screen
        layout.addWidget(self.totals)
        self.table = make_table(HEADERS, "Critical care level and capacity per provider", stretch=0)
        self.table.setWordWrap(False)  # one line a provider, so the table's height is known
        # A name too long for its column (large text) loses its middle, never its ODS code: "University Hosp…(RTG)".
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        layout.addWidget(self.table)
        self.note = muted(_note())
        layout.addWidget(self.note)
        self.chart = _Chart("CRITCON level, last 24 hours", y_label="CRITCON", legend=True,
                               legend_outside=True,
                               accessible_name="Chart of CRITCON levels per provider")
        layout.addWidget(self.chart, 1)
        # Short of room even at the table's least rows (large text on a laptop), the page scrolls rather than
        # squeeze the chart over its note or make the window taller than the screen (``_fit_table``).
        self.scroll = scrolling_page(body)
        self.stack = EmptyOr("No critical care reports yet. Each provider's CRITCON level and "
                             "staffed, occupied and available beds appear here after its first "
                             "report reaches the hub and this desktop syncs.", self.scroll)
        outer.addWidget(self.stack, 1)
        self._read = tasks.LatestRead(self, self._draw)
        # Drawn by refresh(), which the window calls when the view is first shown.

    def refresh(self) -> None:
        """Read the page off the UI thread; it is drawn when it arrives."""
        now, store = self.clock(), self.store
        self._read(lambda: door.critcon_page(store, now, now - CHART_SPAN))

    def _draw(self, page: door.CritconPage) -> None:
        now, history = page.now, page.history
        self.lines = list(page.lines)
        self.stack.show_empty(not self.lines)
        if not self.lines:
            return
        staffed, occupied, _net = qc.critcon_totals(self.lines)
        self.totals.setText(f"<b>System: {esc(page.beds.text())}</b> · {staffed} staffed critical care beds · "
                            f"{occupied} occupied · {len(self.lines)} units reporting")
        self.note.setText(_note())   # the limit is a setting: said as it is now
        rows = []
        for c in self.lines:
            stale = fmt.is_stale(now, c.reported_at, stale_limits.current().critcon)
            occ = f"{c.occupancy_pct:.0f}%" if c.occupancy_pct is not None else "—"
            avail = c.available_beds
            phoned = page.phoned.get(c.org_code)   # the unit's figures heard on the phone, said in words
            # The day only when it is not today's: "Sun 06…n ago)" was all a laptop at twice the text showed.
            latest = (("STALE · " if stale else "") + f"{fmt.local_time_near(now, c.reported_at)} "
                      f"({fmt.age(now, c.reported_at)})")
            rows.append([
                cell(f"{c.name} ({c.org_code})" + (f" · {phoned_words(phoned)}" if phoned else ""), data=c.org_code,
                     tooltip=f"{c.name} ({c.org_code})" + (f". {phoned_tip(phoned)}" if phoned else "")),
                cell(f"CRITCON {c.level}", colours=theme.critcon_colours(c.level)),
                cell(_n(c.staffed_beds), align_right=True), cell(_n(c.occupied_beds), align_right=True),
                cell(_free(avail), align_right=True, bold=True,
                     colours=theme.NOT_MET_COLOURS if avail is not None and avail <= 0 else None),
                cell(occ, align_right=True),
                cell(latest, tooltip=latest, colours=(theme.current().base, theme.current().stale) if stale else None)])
        fill_table(self.table, rows)
        self._fit_columns()
        # Providers at the same level share a line: each is drawn on its true level and told apart
        # by its own marker and dash, the first drawn widest so those drawn over it still show.
        n = len(self.lines)
        every = series_gaps.cadence("critcon_level")
        series = [Series(fmt.short_name(c.name), [(t, float(lv)) for t, lv in history[c.org_code]],
                         colour(i), step=True, size=8, symbol=MARKERS[i % len(MARKERS)],
                         dash=DASHES[i % len(DASHES)], width=1.5 + min(1.0 * (n - 1 - i), 4.0),
                         cadence=every, carried=page.carried.get(c.org_code), fmt=lambda v: f"CRITCON {v:g}",
                         phoned=[page.phoned_points.get(c.org_code, {}).get(t) for t, _lv in history[c.org_code]])
                  for i, c in enumerate(self.lines)]
        # A unit reports CRITCON 0-3 (4 and 5 are declared regionally or nationally, never by a unit).
        self.chart.set_data(series, x_range=(now - CHART_SPAN, now), y_range=(-0.4, 3.4),
                            y_ticks=[(i, str(i)) for i in range(4)],
                            empty_text="No CRITCON reports in the last 24 hours.")
        self._fit_table()   # after the chart's note is known: it may fold

    def _fit_columns(self) -> None:
        """With large text the columns need more than the table's width and the provider's "name (code)", the
        stretching column, gives way: cut in its middle, its code kept (``ElideMiddle``). Below ``NAME_CHARS``
        characters (1366x768 at twice the text: "Not…" on every row before) the latest report's time gives way
        too, capped (``ui.widgets.cap_column``) no narrower than its heading, cut in its middle, whole in its
        tooltip. Otherwise, as before."""
        table = self.table
        header = table.horizontalHeader()
        needs = [max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(table.columnCount())]
        least = min(needs[0], NAME_CHARS * table.fontMetrics().averageCharWidth())
        short = least - (table.viewport().width() - sum(needs[1:]))   # what the name lacks of its least
        if short > 0:
            cap_column(table, LATEST, max(header.sectionSizeHint(LATEST), needs[LATEST] - short))
        else:
            header.setSectionResizeMode(LATEST, QHeaderView.ResizeMode.ResizeToContents)

    def _fit_table(self) -> None:
        """The table shows up to ``MAX_ROWS`` units, fewer when the chart below it would otherwise get less
        than its least height (its plot, title and wrapped key): the rest scroll in the table.  With the 12 rows
        fixed, 22 units at 1366x768 under a two-line alert banner squeezed the page below its least height and
        the note and the chart's title were drawn over the table's last two rows.

        Short of room even at ``MIN_ROWS`` (large text on a laptop: at 1366x768 and twice the text the page's
        least was 678 pixels of the 527 left, the window grew to 868 and the chart, squeezed, drew its note over
        its time axis), the note under the table folds into the table's headings' tooltips, then the chart's
        note ("No data since ...") into the plot's tooltip (the hatching past the last value and every row's
        STALE badge still say the data are old); what is still too tall scrolls in the page. Judged on the
        parts' usual heights, so a choice holds once made."""
        if not self.lines:
            return
        width, height = self.width() - 8, self.height() - 8
        gap = self.body_layout.spacing()
        header = self.table.horizontalHeader().height() + 2 * self.table.frameWidth() + 2
        if self.table.horizontalScrollBar().isVisible():
            header += self.table.horizontalScrollBar().height()
        row = self.table.rowHeight(0) or self.table.fontMetrics().height() + 8
        note = self.note.heightForWidth(width) + gap
        chart_note = self._chart_note(width)
        fixed = self.totals.heightForWidth(width) + 2 * gap + self._chart_least(width)
        least = header + MIN_ROWS * row
        self.notes_folded = fixed + note + chart_note + least > height
        self.chart_note_folded = fixed + chart_note + least > height
        self.note.setVisible(not self.notes_folded)
        tip = f"<p>{esc(_note())}</p>" if self.notes_folded else ""
        for c in range(self.table.columnCount()):
            self.table.horizontalHeaderItem(c).setToolTip(tip)
        self.chart.fold_note(self.chart_note_folded)
        self.chart.updateGeometry()
        spare = (height - fixed - (0 if self.notes_folded else note)
                 - (0 if self.chart_note_folded else chart_note))
        fit_rows(self.table, max(MIN_ROWS, min(MAX_ROWS, (spare - header) // row)))
        self.body_layout.invalidate()
        self.scroll.widget().updateGeometry()

    def _chart_least(self, width: int) -> int:
        """The chart's title and key as wrapped at ``width`` over its plot's least, without its note."""
        chart = self.chart
        inner = chart.layout().spacing()
        return (sum(w.heightForWidth(width) + inner for w in (chart.title, chart.key) if w is not None)
                + chart.plot.minimumHeight())

    def _chart_note(self, width: int) -> int:
        note = self.chart.note
        return note.heightForWidth(width) + self.chart.layout().spacing() if note.text() else 0

    def least(self, width: int) -> int | None:
        """The page's least height at ``width``: the totals, the table as sized, the note and the chart's note
        unless folded, the chart's title, key and least plot (None before the first page: the layout's own)."""
        if not self.lines:
            return None
        gap = self.body_layout.spacing()
        return (self.totals.heightForWidth(width) + self.table.height() + 2 * gap + self._chart_least(width)
                + (0 if self.notes_folded else self.note.heightForWidth(width) + gap)
                + (0 if self.chart_note_folded else self._chart_note(width)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.lines:
            self._fit_columns()
        self._fit_table()


def _free(avail: int | None) -> str:
    """"6", "0 (full)", "1 over": a unit over capacity is not a negative free bed."""
    if avail is None:
        return "—"
    return f"{-avail} over" if avail < 0 else f"{avail} (full)" if avail == 0 else str(avail)


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)
