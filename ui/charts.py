"""Time charts (pyqtgraph) with a UK-local-time axis and a hover readout.

Times are stored in UTC; the axis labels and the hover text are in UK local
time (Europe/London), with ticks placed on local wall-clock hours so a chart
across a clock change still reads 00:00, 03:00, 06:00.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui import format as fmt
from ui import theme
from ui.format import UK

_STEPS = (300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
HOVER_PIXELS = 28


def uk_ticks(lo: float, hi: float, step: int) -> list[float]:
    """Epoch seconds in [lo, hi] at UK wall-clock multiples of ``step`` seconds from midnight."""
    if hi < lo or step <= 0:
        return []
    first = datetime.fromtimestamp(lo, UK).date()
    last = datetime.fromtimestamp(hi, UK).date()
    out: set[float] = set()
    day = first
    while day <= last:
        if step >= 86400:
            if day.toordinal() % (step // 86400) == 0:
                out.add(datetime.combine(day, time(0), tzinfo=UK).timestamp())
        else:
            for k in range(0, 86400, step):
                wall = datetime.combine(day, time(0)) + timedelta(seconds=k)
                out.add(wall.replace(tzinfo=UK).timestamp())
        day += timedelta(days=1)
    return sorted(t for t in out if lo <= t <= hi)


def chart_font(t: theme.Theme | None = None) -> QFont:
    """The chart text font: the theme's size (which follows the text-size setting)."""
    t = t or theme.current()
    font = QFont()
    font.setPointSizeF(max(7.0, t.font_pt * 0.9))
    return font


def mark_scale(t: theme.Theme | None = None) -> float:
    """Points and lines grow with the text size, so a wall screen's chart stays legible."""
    t = t or theme.current()
    return max(1.0, t.font_pt / theme.THEMES[t.key].font_pt)


class UkTimeAxis(pg.AxisItem):
    """Bottom axis labelling epoch seconds in UK local time.

    ``peers``: bottom axes of charts read side by side (see ``align_time_axes``);
    they all take their tick spacing from the narrowest, so they mark the same times.
    """

    peers: list[UkTimeAxis] | None = None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        span = maxVal - minVal
        if not math.isfinite(span) or span <= 0:
            return []
        if self.peers:
            size = min([size] + [p.geometry().width() for p in self.peers if p.geometry().width() > 0])
        wanted = max(2.0, size / 85.0)
        step = next((s for s in _STEPS if span / s <= wanted), None)
        if step is None:
            step = 86400 * math.ceil(span / 86400 / wanted)
        return [(step, uk_ticks(minVal, maxVal, step))]

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        out = []
        for v in values:
            t = datetime.fromtimestamp(v, UK)
            if spacing >= 86400:
                out.append(t.strftime("%a %d %b"))
            elif (t.hour, t.minute) == (0, 0):
                out.append(t.strftime("%a %d"))
            else:
                out.append(t.strftime("%H:%M"))
        return out


@dataclass
class Series:
    """One line or set of points on a time chart.

    ``step``: the value holds until the next point (levels); the last value is
    drawn on to ``until``. ``fmt`` turns a value into hover text. ``notes``
    and ``brushes`` are per point (a hover note, a point colour).
    """

    name: str
    points: Sequence[tuple[datetime, float]]
    colour: str
    step: bool = False
    until: datetime | None = None
    line: bool = True
    symbol: str | None = "o"
    size: float = 6
    fmt: Callable[[float], str] = field(default=lambda v: f"{v:g}")
    notes: Sequence[str] | None = None
    brushes: Sequence[str] | None = None
    width: float = 2.0
    dash: Qt.PenStyle = Qt.PenStyle.SolidLine


# How a legend outside the plot draws each marker and line style in text.
SYMBOL_GLYPHS = {"o": "●", "s": "■", "t": "▼", "t1": "▲", "d": "◆", "+": "✚", "x": "✖",
                 "star": "★", "arrow_up": "↑"}
DASH_GLYPHS = {Qt.PenStyle.SolidLine: "━━", Qt.PenStyle.DashLine: "╍╍", Qt.PenStyle.DotLine: "┅┅",
               Qt.PenStyle.DashDotLine: "━·", Qt.PenStyle.DashDotDotLine: "━‥"}


def key_html(series: Sequence[Series]) -> str:
    """A legend as rich text: each series' line style and marker in its colour, then its name."""
    parts = []
    for s in series:
        line = DASH_GLYPHS.get(s.dash, "━━") if (s.line or s.step) else ""
        mark = SYMBOL_GLYPHS.get(s.symbol or "", "")
        glyph = line[:1] + mark + line[1:] if line and mark else line or mark
        parts.append(f"<span style='color:{s.colour}'><b>{glyph}</b></span>&nbsp;{_escape(s.name)}")
    return " &nbsp; ".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TimeChart(QWidget):
    """A titled time chart; hovering shows the nearest point's exact value and UK time.

    ``legend``: a key inside the plot, top left; ``legend_outside``: a key as a line of
    text between the title and the plot, so it never covers a point wherever the data runs.
    """

    def __init__(self, title: str, *, y_label: str = "", accessible_name: str | None = None,
                 legend: bool = False, legend_columns: int = 1, legend_outside: bool = False,
                 parent=None) -> None:
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)   # a long title at 2.5x text wraps rather than widen the window
        self.plot = pg.PlotWidget(axisItems={"bottom": UkTimeAxis(orientation="bottom")})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(150)
        self.plot.setAccessibleName(accessible_name or title)
        self.plot.setAccessibleDescription("Chart. Hover over a point for its exact value and time.")
        if y_label:
            self.plot.setLabel("left", y_label)
        inside = legend and not legend_outside
        self.legend = self.plot.addLegend(offset=(8, 4), colCount=legend_columns) if inside else None
        self.key: QLabel | None = None
        if legend_outside:
            self.key = QLabel()
            self.key.setTextFormat(Qt.TextFormat.RichText)
            self.key.setWordWrap(True)
            self.key.setAccessibleName(f"Key to {accessible_name or title}")
        self.empty = QLabel(self.plot)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.empty.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        if self.key is not None:
            layout.addWidget(self.key)
        layout.addWidget(self.plot, 1)
        self.series: list[Series] = []
        self.reference_labels: list[str] = []
        self._arrays: list[tuple[Series, np.ndarray, np.ndarray]] = []
        self.hover = pg.TextItem(anchor=(0, 1))
        self.hover.setZValue(1000)
        self.plot.scene().sigMouseMoved.connect(self._moved)
        self.apply_theme()

    # --- drawing ----------------------------------------------------------
    def set_data(self, series: Sequence[Series], *, x_range: tuple[datetime, datetime] | None = None,
                 y_range: tuple[float, float] | None = None,
                 lines: Sequence[tuple[float, str, str]] = (),
                 y_ticks: Sequence[tuple[float, str]] | None = None,
                 empty_text: str = "No data for this period.") -> None:
        """Redraw. ``lines``: horizontal (value, label, colour) references, e.g. band edges."""
        item = self.plot.getPlotItem()
        item.clear()
        self.series = list(series)
        self._arrays = []
        for s in self.series:
            xs = np.array([t.timestamp() for t, _ in s.points], dtype=float)
            ys = np.array([v for _, v in s.points], dtype=float)
            self._arrays.append((s, xs, ys))
            if not len(xs):
                continue
            self._draw(s, xs, ys)
        for value, _label, colour in lines:
            pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
            item.addItem(pg.InfiniteLine(pos=value, angle=0, pen=pen), ignoreBounds=True)
        # Reference labels sit on a right-hand axis, outside the plotted data,
        # so they never cover a point (inside labels hid the early-morning waits).
        right = item.getAxis("right")
        if lines:
            item.showAxis("right")
            right.setTicks([[(value, label) for value, label, _c in lines], []])
        else:
            item.hideAxis("right")
        self.reference_labels = [label for _v, label, _c in lines]
        item.addItem(self.hover, ignoreBounds=True)
        self.hover.hide()
        if x_range is not None:
            item.setXRange(x_range[0].timestamp(), x_range[1].timestamp(), padding=0.01)
        else:
            item.enableAutoRange(axis="x")
        if y_range is not None:
            item.setYRange(*y_range, padding=0)
        else:
            item.enableAutoRange(axis="y")
        item.getAxis("left").setTicks([list(y_ticks)] if y_ticks else None)
        self._style_legend()
        if self.key is not None:
            self.key.setText(key_html(self.series))
        has_points = any(len(xs) for _, xs, _ in self._arrays)
        self.empty.setText(empty_text)
        self.empty.setVisible(not has_points)
        self._place_empty()

    def _draw(self, s: Series, xs: np.ndarray, ys: np.ndarray) -> None:
        item = self.plot.getPlotItem()
        k = mark_scale()
        s = replace(s, size=s.size * k, width=s.width * k)
        if s.step:
            end = s.until.timestamp() if s.until is not None else xs[-1]
            sx = np.repeat(np.append(xs, max(end, xs[-1])), 2)[1:-1]
            sy = np.repeat(ys, 2)
            item.plot(sx, sy, pen=pg.mkPen(s.colour, width=s.width, style=s.dash), name=s.name)
            if s.symbol:
                brushes = [pg.mkBrush(b) for b in s.brushes] if s.brushes else pg.mkBrush(s.colour)
                item.addItem(pg.ScatterPlotItem(xs, ys, symbol=s.symbol, size=s.size, brush=brushes,
                                                pen=pg.mkPen(theme.current().chart_fg, width=0.8)))
            return
        if s.line:
            item.plot(xs, ys, pen=pg.mkPen(s.colour, width=s.width, style=s.dash), name=s.name)
        if s.symbol:
            brushes = [pg.mkBrush(b) for b in s.brushes] if s.brushes else pg.mkBrush(s.colour)
            outline = pg.mkPen(theme.current().chart_fg, width=0.8) if s.brushes else pg.mkPen(s.colour)
            scatter = pg.ScatterPlotItem(xs, ys, symbol=s.symbol, size=s.size, brush=brushes, pen=outline)
            item.addItem(scatter)

    def apply_theme(self) -> None:
        t = theme.current()
        self.plot.setBackground(t.chart_bg)
        item = self.plot.getPlotItem()
        tick_font = chart_font(t)
        for name in ("left", "bottom", "right"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(t.chart_fg))
            axis.setTextPen(pg.mkPen(t.chart_fg))
            axis.setStyle(tickFont=tick_font)
            axis.label.setFont(tick_font)
            # Room for the labels at the chosen size (pyqtgraph sizes axes for its default font).
            axis.setStyle(tickTextOffset=max(3, round(tick_font.pointSizeF() / 3)))
            if name == "bottom":
                axis.setHeight(round(tick_font.pointSizeF() * 2.6) + 6)
        item.showGrid(x=True, y=True, alpha=t.chart_grid)
        if self.legend is not None:
            self.legend.setLabelTextColor(t.chart_fg)
            back = QColor(t.chart_bg)
            back.setAlpha(215)
            self.legend.setBrush(pg.mkBrush(back))
            self.legend.setPen(pg.mkPen(t.border))
        self._style_legend()
        self.hover.textItem.setFont(tick_font)
        self.hover.fill = pg.mkBrush(QColor(t.base))
        self.hover.border = pg.mkPen(t.chart_fg)
        self.hover.setColor(QColor(t.text))

    def _style_legend(self) -> None:
        if self.legend is None:
            return
        size = f"{chart_font().pointSizeF():g}pt"
        for _sample, label in self.legend.items:
            label.setText(label.text, size=size)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_empty()

    def _place_empty(self) -> None:
        self.empty.setGeometry(self.plot.rect().adjusted(40, 10, -10, -30))

    @property
    def is_empty(self) -> bool:
        return not any(len(xs) for _, xs, _ in self._arrays)

    # --- hover ------------------------------------------------------------
    def hover_text(self, x: float, y: float, pixels: float = HOVER_PIXELS) -> str | None:
        """Text for the point nearest the view position (x epoch seconds, y value), if close."""
        sx, sy = self.plot.getPlotItem().getViewBox().viewPixelSize()
        sx, sy = sx or 1.0, sy or 1.0
        found: list[tuple[float, str]] = []
        for s, xs, ys in self._arrays:
            if not len(xs):
                continue
            if s.step:
                end = s.until.timestamp() if s.until is not None else xs[-1]
                if not xs[0] <= x <= max(end, xs[-1]):
                    continue
                i = int(np.searchsorted(xs, x, side="right")) - 1
                d = abs(y - ys[i]) / sy
                text = f"{s.name}: {s.fmt(ys[i])}\nfrom {fmt.local_time(_dt(xs[i]), with_date=True)}"
            else:
                dist = np.hypot((xs - x) / sx, (ys - y) / sy)
                i = int(np.argmin(dist))
                d = float(dist[i])
                text = f"{s.name}: {s.fmt(ys[i])}\n{fmt.local_time(_dt(xs[i]), with_date=True)}"
            if s.notes:
                text += f"\n{s.notes[i]}"
            if d <= pixels:
                found.append((d, text))
        if not found:
            return None
        # Lines on the same value (two providers at one level) are all named, nearest first.
        nearest = min(d for d, _ in found)
        return "\n".join(text for d, text in sorted(found, key=lambda f: f[0]) if d <= nearest + 0.5)

    def _moved(self, pos) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            self.hover.hide()
            return
        p = vb.mapSceneToView(pos)
        text = self.hover_text(p.x(), p.y())
        if text is None:
            self.hover.hide()
            self.plot.setToolTip("")
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        self.hover.setAnchor((1 if p.x() > (x0 + x1) / 2 else 0, 0 if p.y() > (y0 + y1) / 2 else 1))
        self.hover.setText(text)
        self.hover.setPos(p.x(), p.y())
        self.hover.show()


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), UK)


LEVEL_TICKS = [(1, "1"), (2, "2"), (3, "3"), (4, "4")]


def align_time_axes(charts: Sequence[TimeChart]) -> None:
    """Charts read side by side: the same left-axis width and the same time ticks.

    Each chart's bottom axis takes its tick spacing from the narrowest of them, so
    the charts mark the same times (15:00, 18:00 ... on both, not 3-hourly on one and
    6-hourly on the other), and their plots start the same distance in from the left.
    """
    axes = [c.plot.getPlotItem().getAxis("bottom") for c in charts]
    for axis in axes:
        axis.peers = [a for a in axes if a is not axis]
    metrics = QFontMetricsF(chart_font())
    lefts = [c.plot.getPlotItem().getAxis("left") for c in charts]
    # Room for a tick like "1,000.5" and the rotated axis label beside it.
    width = math.ceil(metrics.horizontalAdvance("1,000.5") + metrics.height() + 16)
    for axis in lefts:
        axis.setWidth(width)


def colour(i: int) -> str:
    """The i-th chart line colour of the current theme (distinct on its background)."""
    palette = theme.current().series
    return palette[i % len(palette)]
