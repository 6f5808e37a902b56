"""Time charts (pyqtgraph) with a UK-local-time axis and a hover readout.

Times are stored in UTC; the axis labels and the hover text are in UK local
time (Europe/London), with ticks placed on local wall-clock hours so a chart
across a clock change still reads 00:00, 03:00, 06:00.

Every line is honest about its time: it breaks where no value came for more than twice its
cadence (``models.rules.series_gaps``), ends at its last real point (never drawn on to "now": the
time after the newest point is hatched and named "no data since"), and starts from the value
carried in from before the window, drawn dotted and named as such, so a chart never starts blank.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from models.rules.series_gaps import breaks, max_gap
from ui import format as fmt
from ui import theme
from models.uk_time import readings
from ui.format import UK, repeated_zone

_STEPS = (300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
HOVER_PIXELS = 28


def uk_ticks(lo: float, hi: float, step: int) -> list[float]:
    """Epoch seconds in [lo, hi] at UK wall-clock multiples of ``step`` seconds from midnight; in the hour the
    autumn change repeats, at both readings (without the second, 01:30 BST was followed by 02:00 GMT an hour
    and a half on, and a point at 01:15 GMT sat where 01:45 would be)."""
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
                # Both readings: the autumn change's repeated hour has its wall-clock ticks twice, the spring
                # change's skipped hour none.
                out.update(at.timestamp() for at in readings(wall))
        day += timedelta(days=1)
    return sorted(t for t in out if lo <= t <= hi)


def spread(spans: Sequence[tuple[float, float]], low: float, high: float) -> list[float]:
    """Tops for labels (top, height) so that none covers another, each moved as little as it can and all
    kept within ``low``..``high`` while they fit: close target lines on a short plot keep one label each."""
    order = sorted(range(len(spans)), key=lambda i: spans[i][0])
    tops = [0.0] * len(spans)
    edge = low
    for i in order:                      # down: each label below the one above it
        tops[i] = max(spans[i][0], edge)
        edge = tops[i] + spans[i][1]
    edge = high
    for i in reversed(order):            # then up from the bottom edge, never above the top one
        tops[i] = max(min(tops[i], edge - spans[i][1]), low)
        edge = tops[i]
    return tops


def merge_marks(marks: Sequence[tuple[float, str]]) -> list[tuple[float, str]]:
    """One label per value: lines drawn at the same value (a standard on an OPEL band edge) share it,
    the later label's value (and unit) left off when it repeats the first's ("95% standard (1 → 0 pts)",
    "60 min (3 → 4 pts)", not "60 min min (3 → 4 pts)")."""
    out: dict[float, str] = {}
    for value, label in marks:
        key = round(float(value), 9)
        if key not in out:
            out[key] = label
            continue
        first, words, mine = out[key], out[key].split(" "), label.split(" ")
        same = 0   # the leading words the two share: the value, and its unit ("60 min")
        while same < len(words) and same < len(mine) - 1 and words[same] == mine[same]:
            same += 1
        out[key] = f"{first} {' '.join(mine[same:])}" if same else f"{first} · {label}"
    return list(out.items())


class TargetAxis(pg.AxisItem):
    """The right-hand axis naming the target lines: a label sits beside its line, moved just clear of its
    neighbours when lines lie closer than a line of text (the tick stays on the value)."""

    def generateDrawSpecs(self, p):  # noqa: N802 (pyqtgraph API)
        specs = super().generateDrawSpecs(p)
        if specs is None or self.orientation not in ("left", "right"):
            return specs
        axis, ticks, texts = specs
        bounds = self.boundingRect()
        tops = spread([(r.top(), r.height()) for r, _f, _t in texts], bounds.top(), bounds.bottom())
        moved = [(QRectF(r.left(), top, r.width(), r.height()), f, t) for (r, f, t), top in zip(texts, tops)]
        return axis, ticks, moved


def least_plot_width(t: theme.Theme | None = None) -> float:
    """The least width of a plot's data area: four time labels ("00:00") in the chart font, a gap each side (with
    three, a day's axis kept its 12:00 and lost "Tue 13" at its right edge, on the wall at 2.5 times the text)."""
    metrics = QFontMetricsF(chart_font(t))
    return 4 * (metrics.horizontalAdvance("00:00") + 2 * metrics.averageCharWidth())


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
        step = next((s for s in _STEPS if span / s <= self._labels_fit(size, s)), None)
        if step is None:
            step = 86400 * math.ceil(span / 86400 / self._labels_fit(size, 86400))
        return [(step, uk_ticks(minVal, maxVal, step))]

    def _labels_fit(self, size: float, step: float) -> float:
        """How many labels at ``step`` fit in ``size`` pixels: 85 pixels each, or a label's width in the tick
        font and a gap where that is wider (twice the text: "Sat 20 Dec" is about 150 pixels, and the week
        ahead's day labels were drawn over each other, "Sat 20 Dec 25 Dec 30 Dec" read "Sat 20 Dec25 Dec30")."""
        font = self.style.get("tickFont")
        each = 85.0
        if font is not None:
            metrics = QFontMetricsF(font)
            samples = ("Wed 30 Dec",) if step >= 86400 else ("00:00", "Wed 30")
            each = max(each, max(metrics.horizontalAdvance(t) for t in samples) + 2 * metrics.averageCharWidth())
        return max(2.0, size / each)

    def tickStrings(self, values, scale, spacing):  # noqa: N802
        out = []
        for v in values:
            t = datetime.fromtimestamp(v, UK)
            if spacing >= 86400:
                out.append(t.strftime("%a %d %b"))
            elif (t.hour, t.minute) == (0, 0):
                out.append(t.strftime("%a %d"))
            else:
                out.append(t.strftime("%H:%M") + repeated_zone(t))
        return out


@dataclass
class Series:
    """One line or set of points on a time chart.

    ``step``: the value holds until the next point (levels). ``cadence``: how often a value is
    expected; no line is drawn between two values further apart than twice it (None: always
    joined). ``until``: the newest time the last value was confirmed, if later than its point
    (it is held no further, and never across a hole). ``carried``: the last (time, value) before
    the chart's window, drawn dotted from the left edge to the first point. ``fmt`` turns a value
    into hover text. ``notes`` and ``brushes`` are per point (a hover note, a point colour).
    ``changes_only``: the points are changes of a level reported every ``cadence`` (an ambulance
    service's REAP): no hole can be seen between them, the last holds to ``until`` however far,
    and ``cadence`` only says when the chart's data stops. ``holes``: (from, to) times known to have
    no data (a level scored from values that stopped coming): no level is held across one.
    ``phoned``: per point, who phoned it in (None: the provider's own feed); such a point is drawn as
    a hollow diamond, always marked (on a step line too), keyed "phoned in" and named in the hover.
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
    cadence: timedelta | None = None
    carried: tuple[datetime, float] | None = None
    changes_only: bool = False
    holes: Sequence[tuple[datetime, datetime]] = ()
    phoned: Sequence[str | None] | None = None

    def phoned_at(self) -> np.ndarray:
        """Indexes of the points phoned in."""
        return np.flatnonzero([p is not None for p in self.phoned]) if self.phoned else np.array([], int)


CARRIED_DASH = Qt.PenStyle.DotLine
CARRIED_KEY = "carried in: the last value before this period"
FORECAST_KEY = "forecast (80% interval)"
PHONED_KEY = "phoned in"
PHONED_SYMBOL, PHONED_GLYPH = "d", "◇"   # a hollow diamond: not a colour, so it survives a grey print
NO_FORECAST = "too little history to forecast"


@dataclass
class Band:
    """A forecast drawn beyond ``now``: a dashed mean line through ``points`` (time, mean, low, high)
    over a light band from low to high, after a "now" line.  ``fmt`` turns a number into text,
    ``unit`` follows the numbers in the hover ("forecast 14:00: 26 min (80%: 18–40 min)")."""

    points: Sequence[tuple[datetime, float, float, float]]
    now: datetime
    colour: str
    fmt: Callable[[float], str] = field(default=lambda v: f"{v:.0f}")
    unit: str = ""

    @classmethod
    def hours(cls, hours, now: datetime, colour: str, **kw) -> "Band":
        """From ``models.forecast.intraday.HourForecast``s: each drawn at the middle of its hour
        (the current hour's at ``now`` if later), so the band starts at the "now" line."""
        return cls([(max(h.middle, now), h.value, h.low, h.high) for h in hours], now, colour, **kw)

    def text(self, i: int) -> str:
        t, mean, low, high = self.points[i]
        hour = t.astimezone(UK).replace(minute=0, second=0, microsecond=0)   # the hour forecast
        return (f"forecast {fmt.local_time(hour)}: {self.fmt(mean)}{self.unit} "
                f"(80%: {self.fmt(low)}–{self.fmt(high)}{self.unit})")


def line_xy(xs: np.ndarray, ys: np.ndarray, cadence: timedelta | None) -> tuple[np.ndarray, np.ndarray]:
    """The points with a NaN after each one a hole follows (drawn with ``connect="finite"``)."""
    cut = breaks(xs, cadence)
    if not cut:
        return xs, ys
    at = np.array(cut) + 1
    return np.insert(xs, at, xs[at - 1]), np.insert(ys, at, np.nan)


def hold_ends(xs: np.ndarray, cadence: timedelta | None, until: float | None = None,
              changes_only: bool = False, holes: Sequence[tuple[float, float]] = ()) -> np.ndarray:
    """Where each level of a step series stops: at the next point, or at its own point before a
    hole and at the end (a level is not drawn on past its last report), or at ``until`` when the
    last value was confirmed then; never across one of ``holes``."""
    ends = np.append(xs[1:], xs[-1]) if len(xs) else xs.copy()
    if not changes_only:
        for i in breaks(xs, cadence):
            ends[i] = xs[i]
    gap = None if changes_only else max_gap(cadence)
    if len(xs) and until is not None and until > xs[-1] and (gap is None or until - xs[-1] <= gap):
        ends[-1] = until
    for a, _b in holes:
        cut = (xs <= a) & (a < ends)
        ends[cut] = a
    return ends


def step_xy(xs: np.ndarray, ys: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each level drawn flat from its point to its end; a NaN where a hold stops short of the next."""
    out_x, out_y = [], []
    for i, (x, y, end) in enumerate(zip(xs, ys, ends)):
        out_x += [x, end]
        out_y += [y, y]
        if i + 1 < len(xs) and end < xs[i + 1]:
            out_x.append(end)
            out_y.append(np.nan)
    return np.array(out_x, float), np.array(out_y, float)


def step_marks(ys: np.ndarray, ends: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Indexes to mark on a step line: where a run starts or ends and where the level changes
    (a report every 15 minutes would otherwise bury the changes under markers)."""
    n = len(xs)
    keep = np.zeros(n, bool)
    if n:
        keep[0] = keep[-1] = True
        keep[1:] |= ys[1:] != ys[:-1]
        stops = ends < np.append(xs[1:], np.inf)
        keep |= stops
        keep[1:] |= stops[:-1]
    return np.flatnonzero(keep)


# Ceilings a value axis snaps to: it moves only when the data crosses one, not with every point.
_NICE = (1, 1.5, 2, 3, 4, 5, 6, 8, 10)


def fixed_range(unit: str | None, values: Sequence[float], targets: Sequence[float] = ()) -> tuple[float, float]:
    """A y range from 0 that holds still: 0-100 for percentages (higher only when a value is over
    100), else up to a round ceiling above the data and every target line, so the targets show."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite + [float(t) for t in targets] + [0.0])
    if unit in ("percent", "%"):
        return (0, 100) if top <= 100 else (0, _nice(top * 1.05))
    return (0, _nice(top * 1.1) if top > 0 else 10)


def _nice(value: float) -> float:
    scale = 10 ** math.floor(math.log10(value))
    ceiling = next(n for n in _NICE if n * scale >= value - 1e-9) * scale
    return int(ceiling) if ceiling == int(ceiling) else ceiling


# How a legend outside the plot draws each marker and line style in text.
SYMBOL_GLYPHS = {"o": "●", "s": "■", "t": "▼", "t1": "▲", "d": "◆", "+": "✚", "x": "✖",
                 "star": "★", "arrow_up": "↑"}
DASH_GLYPHS = {Qt.PenStyle.SolidLine: "━━", Qt.PenStyle.DashLine: "╍╍", Qt.PenStyle.DotLine: "┅┅",
               Qt.PenStyle.DashDotLine: "━·", Qt.PenStyle.DashDotDotLine: "━‥"}


def key_html(series: Sequence[Series], carried: bool = False) -> str:
    """A legend as rich text: each series' line style and marker in its colour, then its name;
    with ``carried``, what the dotted carried-in line means; "phoned in" when a point was."""
    parts = []
    for s in series:
        line = DASH_GLYPHS.get(s.dash, "━━") if (s.line or s.step) else ""
        mark = SYMBOL_GLYPHS.get(s.symbol or "", "")
        glyph = line[:1] + mark + line[1:] if line and mark else line or mark
        parts.append(f"<span style='color:{s.colour}'><b>{glyph}</b></span>&nbsp;{_escape(s.name)}")
    if carried:
        parts.append(f"<b>▷{DASH_GLYPHS[CARRIED_DASH]}</b>&nbsp;{CARRIED_KEY}")
    if any(len(s.phoned_at()) for s in series):
        parts.append(f"<b>{PHONED_GLYPH}</b>&nbsp;{PHONED_KEY}")
    return " &nbsp; ".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_TIGHT_EMPTY = "padding:4px 24px;"   # an empty chart's sentence in a plot too short for the empty state's padding


class _Plot(pg.PlotWidget):
    """The chart's plot: its least height is the one its view asks (``setMinimumHeight``, in lines of text) or what
    the chart needs to be read, whichever is more: an empty chart's sentence whole at the data area's width
    (``TimeChart.empty_least``), a level chart's every level named (``TimeChart.ticks_least``). At twice the text
    at 1366x768 the week ahead's five lines left an 87-pixel data area for a two-line sentence of 171 and drew "No
    ambulance arrivals" cut through; the page scrolls instead."""

    def __init__(self, chart: "TimeChart", **kw) -> None:
        super().__init__(**kw)
        self._chart = chart
        self._asked = 0

    def setMinimumHeight(self, height: int) -> None:  # noqa: N802 (Qt API)
        self._asked = int(height)
        self._apply_least()

    def asked_height(self) -> int:
        """The least height the view asked, before the empty sentence's."""
        return self._asked

    def _apply_least(self) -> None:
        least = max(self._asked, self._chart.empty_least(), self._chart.ticks_least())
        if least != self.minimumHeight():
            super().setMinimumHeight(least)
            self._chart.updateGeometry()


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
        self.empty: QLabel | None = None
        self._named_ticks: list[tuple[float, str]] = []   # set_data's y_ticks: each kept in view (``ticks_least``)
        self.plot = _Plot(self, axisItems={"bottom": UkTimeAxis(orientation="bottom"),
                                           "right": TargetAxis(orientation="right")})
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
        self.plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self._place_empty())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        if self.key is not None:
            layout.addWidget(self.key)
        layout.addWidget(self.plot, 1)
        # What the plot cannot say by itself: where its data stops, a target that has lapsed.
        self.note = QLabel()
        self.note.setObjectName("chartNote")
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addWidget(self.note)
        self.series: list[Series] = []
        self.reference_labels: list[str] = []
        self.target_labels: list[str] = []
        self.axis_labels: list[str] = []     # as drawn on the right-hand axis: one per value
        self.no_data_since: datetime | None = None
        self.stale_region: pg.LinearRegionItem | None = None
        self._arrays: list[_Drawn] = []
        self._lines: dict[str, pg.PlotDataItem] = {}
        self._carried: dict[str, pg.PlotDataItem] = {}
        self.band: Band | None = None
        self.band_item: pg.FillBetweenItem | None = None
        self.band_line: pg.PlotDataItem | None = None
        self.band_legend: pg.LegendItem | None = None   # a small key, top right: forecast, phoned in
        self.phoned_item: pg.ScatterPlotItem | None = None   # the phoned-in points' sample for a key
        self.now_line: pg.InfiniteLine | None = None
        self.no_forecast: str | None = None
        self.hover = pg.TextItem(anchor=(0, 1))
        self.hover.setZValue(1000)
        self.plot.scene().sigMouseMoved.connect(self._moved)
        self.apply_theme()

    # --- drawing ----------------------------------------------------------
    def set_data(self, series: Sequence[Series], *, x_range: tuple[datetime, datetime] | None = None,
                 y_range: tuple[float, float] | None = None,
                 lines: Sequence[tuple[float, str, str]] = (),
                 targets: Sequence[tuple[float, str, str]] = (),
                 y_ticks: Sequence[tuple[float, str]] | None = None,
                 notes: Sequence[str] = (),
                 empty_text: str = "No data for this period.",
                 band: Band | None = None, no_forecast: str | None = None) -> None:
        """Redraw. ``lines``: horizontal (value, label, colour) references drawn dashed, e.g. band
        edges; ``targets``: (value, label, colour) standards drawn solid; ``notes``: sentences
        under the plot. With ``x_range``, a series' ``carried`` value starts at its left edge and
        the time after the newest point, if longer than a hole, is marked as having no data (up to
        ``band.now`` when a forecast ``band`` is drawn after it; ``no_forecast``: why there is none)."""
        item = self.plot.getPlotItem()
        item.clear()
        self.series = list(series)
        self._arrays, self._lines, self._carried = [], {}, {}
        self.phoned_item = None
        self.band, self.band_item, self.band_line, self.now_line = band, None, None, None
        left = x_range[0].timestamp() if x_range is not None else None
        data_range = x_range if x_range is None or band is None else (x_range[0], band.now)
        for s in self.series:
            xs = np.array([t.timestamp() for t, _ in s.points], dtype=float)
            ys = np.array([v for _, v in s.points], dtype=float)
            ends = hold_ends(xs, s.cadence, s.until.timestamp() if s.until is not None else None,
                             s.changes_only, [(a.timestamp(), b.timestamp()) for a, b in s.holes]) \
                if s.step else xs.copy()
            drawn = _Drawn(s, xs, ys, ends)
            self._arrays.append(drawn)
            if len(xs):
                self._draw(s, xs, ys, ends)
            if s.carried is not None and left is not None:
                self._draw_carried(drawn, left, data_range[1].timestamp())
        for value, _label, colour in lines:
            pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
            item.addItem(pg.InfiniteLine(pos=value, angle=0, pen=pen), ignoreBounds=True)
        for value, _label, colour in targets:
            pen = pg.mkPen(colour, width=2.0 * mark_scale(), style=Qt.PenStyle.SolidLine)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            target = pg.InfiniteLine(pos=value, angle=0, pen=pen)
            target.setOpacity(0.55)   # under the data, not over it
            target.setZValue(-5)
            item.addItem(target, ignoreBounds=True)
        # Reference labels sit on a right-hand axis, outside the plotted data,
        # so they never cover a point (inside labels hid the early-morning waits).
        right = item.getAxis("right")
        marks = merge_marks([(value, label) for value, label, _c in targets]
                            + [(value, label) for value, label, _c in lines])
        self.axis_labels = [label for _v, label in marks]
        if marks:
            item.showAxis("right")
            right.setTicks([marks, []])
        else:
            item.hideAxis("right")
        self.reference_labels = [label for _v, label, _c in lines]
        self.target_labels = [label for _v, label, _c in targets]
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
        self._named_ticks = list(y_ticks or ())
        self._mark_no_data(data_range)
        if band is not None and len(band.points):
            self._draw_band(band)
        self._band_key(band is not None and len(band.points) > 0, self.phoned_item)
        self._style_legend()
        if self.key is not None:
            forecast = (f" &nbsp; <span style='color:{band.colour}'><b>┅▒</b></span>&nbsp;{FORECAST_KEY}"
                        if self.band_line is not None else "")
            self.key.setText(key_html(self.series, carried=bool(self._carried)) + forecast)
        self.no_forecast = no_forecast
        texts = ([f"No data since {fmt.local_time(self.no_data_since, with_date=True)}: the line stops "
                  "at the last value received."] if self.no_data_since else []) + list(notes)
        if self.phoned_key_text():
            texts.insert(0, self.phoned_key_text())
        if no_forecast:
            texts.append(f"<i>{_escape(NO_FORECAST.capitalize())}</i> ({_escape(no_forecast)}).")
        self.note.setText(" ".join(texts))
        self.note.setVisible(bool(texts))
        self.updateGeometry()   # a longer note needs more height (minimumSizeHint)
        has_points = not self.is_empty
        self.empty.setText(empty_text)
        self.empty.setVisible(not has_points)
        self._place_empty()

    def fold_note(self, folded: bool) -> None:
        """The note under the plot, or (``folded``, a page too short for it) in the plot's tooltip."""
        text = self.note.text()
        self.note.setVisible(bool(text) and not folded)
        self.plot.setToolTip(f"<p>{text}</p>" if text and folded else "")

    def line_item(self, name: str) -> pg.PlotDataItem | None:
        """The drawn line of the series called ``name`` (None: it has no line)."""
        return self._lines.get(name)

    def carried_item(self, name: str) -> pg.PlotDataItem | None:
        """The dotted carried-in line of the series called ``name`` (None: nothing carried in)."""
        return self._carried.get(name)

    def _draw(self, s: Series, xs: np.ndarray, ys: np.ndarray, ends: np.ndarray) -> None:
        item = self.plot.getPlotItem()
        k = mark_scale()
        s = replace(s, size=s.size * k, width=s.width * k)
        pen = pg.mkPen(s.colour, width=s.width, style=s.dash)
        phoned = s.phoned_at()
        if s.step:
            sx, sy = step_xy(xs, ys, ends)
            self._lines[s.name] = item.plot(sx, sy, pen=pen, name=s.name, connect="finite")
            if s.symbol:
                keep = np.setdiff1d(step_marks(ys, ends, xs), phoned)
                brushes = [pg.mkBrush(s.brushes[i]) for i in keep] if s.brushes else pg.mkBrush(s.colour)
                item.addItem(pg.ScatterPlotItem(xs[keep], ys[keep], symbol=s.symbol, size=s.size, brush=brushes,
                                                pen=pg.mkPen(theme.current().chart_fg, width=0.8)))
        else:
            if s.line:
                lx, ly = line_xy(xs, ys, s.cadence)
                self._lines[s.name] = item.plot(lx, ly, pen=pen, name=s.name, connect="finite")
            if s.symbol:
                keep = np.setdiff1d(np.arange(len(xs)), phoned)
                brushes = [pg.mkBrush(s.brushes[i]) for i in keep] if s.brushes else pg.mkBrush(s.colour)
                outline = pg.mkPen(theme.current().chart_fg, width=0.8) if s.brushes else pg.mkPen(s.colour)
                scatter = pg.ScatterPlotItem(xs[keep], ys[keep], symbol=s.symbol, size=s.size, brush=brushes,
                                             pen=outline)
                item.addItem(scatter)
        if len(phoned):
            self._draw_phoned(s, xs[phoned], ys[phoned])

    def _draw_phoned(self, s: Series, xs: np.ndarray, ys: np.ndarray) -> None:
        """Phoned-in points: a hollow diamond, larger than the series' own marker, in its colour."""
        k = mark_scale()
        size = max(s.size * 1.6, 14 * k)
        pen = pg.mkPen(s.colour, width=2.2 * k)
        scatter = pg.ScatterPlotItem(xs, ys, symbol=PHONED_SYMBOL, size=size,
                                     brush=pg.mkBrush(theme.current().chart_bg), pen=pen)
        scatter.setZValue(5)   # over the lines and the feed's points
        self.plot.getPlotItem().addItem(scatter)
        if self.phoned_item is None:
            self.phoned_item = pg.ScatterPlotItem([0], [0], symbol=PHONED_SYMBOL, size=11 * k,
                                                  brush=pg.mkBrush(theme.current().chart_bg),
                                                  pen=pg.mkPen(theme.current().chart_fg, width=2.2 * k))

    def _draw_carried(self, d: _Drawn, left: float, right: float) -> None:
        """The value before the window, flat from the left edge to the first point (rising or falling
        to it there); with no point in the window, for as long as a value counts as current."""
        s = d.series
        at, value = s.carried[0].timestamp(), float(s.carried[1])
        first = d.xs[0] if len(d.xs) else None
        if at >= left or (first is not None and first <= left):
            return
        if first is not None:
            end, cx, cy = first, [left, first, first], [value, value, d.ys[0]]
        else:
            if s.changes_only:   # a level in force until changed: held while reports confirm it
                end = min(right, max(left, s.until.timestamp())) if s.until is not None else left
            else:
                gap = max_gap(s.cadence)
                end = min(right, max(left, at + gap)) if gap is not None else left
            cx, cy = [left, end], [value, value]
        d.carried = (left, end, value)
        k = mark_scale()
        colour = QColor(s.colour)
        colour.setAlphaF(0.75)
        pen = pg.mkPen(colour, width=max(1.5, s.width * k * 0.8), style=CARRIED_DASH)
        item = self.plot.getPlotItem()
        self._carried[s.name] = item.plot(np.array(cx, float), np.array(cy, float), pen=pen)
        # An open arrow head on the left edge: the value comes in from before the period.
        item.addItem(pg.ScatterPlotItem([left], [value], symbol="t2", size=max(9.0, s.size * k),
                                        brush=pg.mkBrush(theme.current().chart_bg), pen=pg.mkPen(s.colour, width=1.5)))

    def _draw_band(self, band: Band) -> None:
        """The forecast: a light band (low to high) under a dashed mean line, after a "now" line."""
        item = self.plot.getPlotItem()
        xs = np.array([t.timestamp() for t, *_ in band.points], dtype=float)
        mean, low, high = (np.array([p[i] for p in band.points], dtype=float) for i in (1, 2, 3))
        k = mark_scale()
        light = QColor(band.colour)
        light.setAlphaF(0.22)
        edge = QColor(band.colour)
        edge.setAlphaF(0.45)
        lo = pg.PlotDataItem(xs, low, pen=pg.mkPen(edge, width=1))
        hi = pg.PlotDataItem(xs, high, pen=pg.mkPen(edge, width=1))
        fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(light))
        fill.setZValue(-8)
        for part in (lo, hi, fill):
            item.addItem(part)
        self.band_item = fill
        pen = pg.mkPen(band.colour, width=2.0 * k, style=Qt.PenStyle.DashLine)
        self.band_line = item.plot(xs, mean, pen=pen)
        now = band.now.timestamp()
        self.now_line = pg.InfiniteLine(pos=now, angle=90, pen=pg.mkPen(theme.current().chart_fg, width=1.2 * k),
                                        label="now", labelOpts={"position": 0.95, "color": theme.current().chart_fg,
                                                                "anchors": [(1, 0), (1, 0)]})
        self.now_line.label.setFont(chart_font())
        item.addItem(self.now_line, ignoreBounds=True)

    def _band_key(self, shown: bool, phoned: pg.ScatterPlotItem | None = None) -> None:
        """The forecast's legend entry: in the chart's own key, else a small legend of its own, top
        right; the phoned-in points' in the chart's legend if it has one (else ``phoned_key_text``
        says it under the plot, where it covers no point: phoned-in points are often the newest)."""
        if self.key is not None:
            return   # set_data writes the entries into the key's text
        if self.legend is not None:
            if shown:
                self.legend.addItem(self.band_line, FORECAST_KEY)
            if phoned is not None:
                self.legend.addItem(phoned, PHONED_KEY)
            return
        if self.band_legend is None:
            self.band_legend = pg.LegendItem(offset=(-8, 4))
            self.band_legend.setParentItem(self.plot.getPlotItem().getViewBox())
        self.band_legend.clear()
        if shown:
            self.band_legend.addItem(self.band_line, FORECAST_KEY)
            self.band_legend.setOffset(self._band_key_offset())
            t = theme.current()
            self.band_legend.setLabelTextColor(t.chart_fg)
            back = QColor(t.chart_bg)
            back.setAlpha(215)
            self.band_legend.setBrush(pg.mkBrush(back))
            self.band_legend.setPen(pg.mkPen(t.border))
            for _sample, label in self.band_legend.items:
                label.setText(label.text, size=f"{chart_font().pointSizeF():g}pt")
        self.band_legend.setVisible(shown)

    def _band_key_offset(self) -> tuple[float, float]:
        """Top right, unless the forecast runs high there (a bed occupancy of 95% on a 0-100 axis: the key sat
        on the band and the newest points); then bottom right, where such a band leaves the plot empty."""
        (_x0, _x1), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        points = self.band.points if self.band is not None else []
        if not points or y1 <= y0:
            return (-8, 4)
        high = max(p[3] for p in points)
        low = min(p[2] for p in points)
        runs_high = high > y0 + 0.7 * (y1 - y0) and low > y0 + 0.35 * (y1 - y0)
        return (-8, -4) if runs_high else (-8, 4)

    def phoned_key_text(self) -> str | None:
        """The "phoned in" key as a line under the plot, for a chart with no legend of its own."""
        if self.phoned_item is None or self.key is not None or self.legend is not None:
            return None
        return (f"<b>{PHONED_GLYPH}</b>&nbsp;{PHONED_KEY}: from figures the provider gave by phone while its "
                "feed was down (hover for who phoned).")

    @property
    def key_labels(self) -> list[str]:
        """Every legend entry shown: the chart's own legend or key, the forecast's small legend and
        the "phoned in" line under the plot."""
        out = []
        if self.legend is not None:
            out += [label.text for _sample, label in self.legend.items]
        if self.band_legend is not None and self.band_legend.isVisible():
            out += [label.text for _sample, label in self.band_legend.items]
        if self.key is not None:
            out += [PHONED_KEY] if f"{PHONED_GLYPH}</b>&nbsp;{PHONED_KEY}" in self.key.text() else []
        if self.phoned_key_text():
            out.append(PHONED_KEY)
        return out

    @property
    def band_label(self) -> str | None:
        """The forecast's legend text as shown (None: no forecast drawn)."""
        if self.band_line is None:
            return None
        return FORECAST_KEY

    def _mark_no_data(self, x_range: tuple[datetime, datetime] | None) -> None:
        """Hatch the time after the newest point when it is longer than a hole in any line drawn."""
        self.no_data_since, self.stale_region = None, None
        timed = [d for d in self._arrays if (len(d.xs) or d.carried) and d.series.cadence is not None]
        if x_range is None or not timed:
            return
        newest = max(max([d.ends[-1], d.xs[-1]] if len(d.xs) else [d.carried[1]]) for d in timed)
        gap = min(max_gap(d.series.cadence) for d in timed)
        right = x_range[1].timestamp()
        if right - newest <= gap:
            return
        self.no_data_since = _dt(newest).astimezone(x_range[1].tzinfo or UK)
        t = theme.current()
        hatch = QColor(t.stale)
        hatch.setAlphaF(0.35)
        brush = pg.mkBrush(hatch)
        brush.setStyle(Qt.BrushStyle.BDiagPattern)
        region = pg.LinearRegionItem((newest, right), movable=False, brush=brush,
                                     pen=pg.mkPen(hatch, width=1))
        region.setZValue(-10)
        self.plot.getPlotItem().addItem(region, ignoreBounds=True)
        self.stale_region = region

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
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()   # the wrapped lines' height follows the width (minimumSizeHint)

    def minimumSizeHint(self):  # noqa: N802
        """Tall enough for the plot's minimum and every line of the title, the key and the note as wrapped at
        this width: a layout or splitter counts a wrapped label as one line, and a three-line note was drawn
        over the plot's time axis (the offload chart at 1366x768)."""
        hint = super().minimumSizeHint()
        width = self.width()
        if width <= 0:
            return hint
        layout = self.layout()
        texts = [w for w in (self.title, self.key, self.note)   # a title moved out (offload's) is not counted
                 if w is not None and not w.isHidden() and layout.indexOf(w) >= 0]
        height = (sum(w.heightForWidth(width) for w in texts) + self.plot.minimumHeight()
                  + layout.spacing() * len(texts))
        hint.setHeight(max(hint.height(), height))
        return hint

    def _data_area(self):
        """The plot's data area in the plot's pixels (None: not laid out yet)."""
        box = self.plot.getPlotItem().getViewBox()
        area = self.plot.mapFromScene(box.sceneBoundingRect()).boundingRect().intersected(self.plot.rect())
        return area if area.width() >= 40 and area.height() >= 20 else None

    def empty_least(self) -> int:
        """The plot's least height for the empty chart's sentence whole in its data area, wrapped at the area's
        width, with the axes around it (0: the chart has points, or is not laid out yet)."""
        if self.empty is None or self.empty.isHidden() or not self.empty.text():
            return 0
        area = self._data_area()
        if area is None:
            return 0
        frame = self.plot.height() - area.height()   # the time axis and the margins
        need = self.empty.heightForWidth(max(area.width() - 8, 1)) + 8
        if _TIGHT_EMPTY not in self.empty.styleSheet():
            need -= 2 * (24 - 4)   # as tight as it may be drawn (``_place_empty``; app.qss pads the empty state 24)
        return frame + need

    def ticks_least(self) -> int:
        """The plot's least height for every named tick (a level chart's 0 to 3) to be drawn: a line of the tick
        font apart and half a line in from the plot's ends, where pyqtgraph drops a label it cannot fit whole (at
        twice the text the critical care chart's 97-pixel data area showed "1" and "2" of its CRITCON levels 0 to
        3). 0: no named ticks, or not laid out yet."""
        values = sorted(v for v, _label in self._named_ticks)
        area = self._data_area() if values else None
        if area is None:
            return 0
        (_x0, _x1), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        values = [v for v in values if y0 < v < y1]
        if not values or y1 <= y0:
            return 0
        line = QFontMetricsF(chart_font()).height()
        span = y1 - y0
        units = max([span / (2 * (values[0] - y0)), span / (2 * (y1 - values[-1]))]
                    + [span / (b - a) for a, b in zip(values, values[1:]) if b > a])
        frame = self.plot.height() - area.height()
        return frame + math.ceil(units * line)

    def _place_empty(self) -> None:
        """The empty chart's sentence inside the plot's data area, on the chart's own background, as tall as its
        lines: over the whole widget less fixed margins it ran into the axis' tick labels and the grid lines struck
        through it (the week ahead's narrow charts in high contrast)."""
        area = self._data_area()
        if area is None:   # not laid out yet: the old margins
            area = self.plot.rect().adjusted(40, 10, -10, -30)
        t = theme.current()
        width = max(area.width() - 8, 1)
        style = f"background:{t.chart_bg};color:{t.chart_fg};"
        self.empty.setStyleSheet(style)
        if self.empty.heightForWidth(width) > area.height():
            # The empty state's 24 pixels above and below (a page's) left a short plot no room for the words (its
            # text is drawn within them, clipped): 4 here. Its sides keep theirs, so it wraps where it did.
            self.empty.setStyleSheet(style + _TIGHT_EMPTY)
        height = min(self.empty.heightForWidth(width) + 8, area.height())
        self.empty.setGeometry(area.left() + 4, area.top() + (area.height() - height) // 2, width, height)
        self.plot._apply_least()   # a sentence taller than the area: the plot's least grows (``_Plot``)

    @property
    def is_empty(self) -> bool:
        return not any(len(d.xs) or d.carried is not None for d in self._arrays)

    # --- hover ------------------------------------------------------------
    def hover_text(self, x: float, y: float, pixels: float = HOVER_PIXELS) -> str | None:
        """Text for the point nearest the view position (x epoch seconds, y value), if close."""
        sx, sy = self.plot.getPlotItem().getViewBox().viewPixelSize()
        sx, sy = sx or 1.0, sy or 1.0
        found: list[tuple[float, str]] = []
        for d in self._arrays:
            s, xs, ys = d.series, d.xs, d.ys
            if d.carried is not None and d.carried[0] <= x <= d.carried[1]:
                found.append((abs(y - d.carried[2]) / sy,
                              f"{s.name}: {s.fmt(d.carried[2])}\ncarried in: the last value before this "
                              f"period, {fmt.local_time(s.carried[0], with_date=True)}"))
            if not len(xs):
                continue
            i = int(np.searchsorted(xs, x, side="right")) - 1
            if s.step and i >= 0 and x <= d.ends[i]:
                dist = abs(y - ys[i]) / sy
                text = f"{s.name}: {s.fmt(ys[i])}\nfrom {fmt.local_time(_dt(xs[i]), with_date=True)}"
            else:
                near = np.hypot((xs - x) / sx, (ys - y) / sy)
                i = int(np.argmin(near))
                dist = float(near[i])
                text = f"{s.name}: {s.fmt(ys[i])}\n{fmt.local_time(_dt(xs[i]), with_date=True)}"
            if s.notes:
                text += f"\n{s.notes[i]}"
            if s.phoned and s.phoned[i] is not None:
                text += f"\n☎ {s.phoned[i]}"
            found.append((dist, text))
        band = self.band
        if band is not None and len(band.points) and x >= band.now.timestamp() - sx * pixels:
            bx = np.array([t.timestamp() for t, *_ in band.points])
            i = int(np.argmin(np.abs(bx - x)))
            _t, mean, low, high = band.points[i]
            inside = low <= y <= high
            dist = 0.0 if inside else min(abs(y - low), abs(y - high), abs(y - mean)) / sy
            if abs(bx[i] - x) / sx <= pixels * 2:
                found.append((dist, band.text(i)))
        found = [f for f in found if f[0] <= pixels]
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


@dataclass
class _Drawn:
    """A series as drawn: its times (epoch seconds), values, where each level's hold ends, and its
    carried-in segment (left, end, value) if one was drawn."""

    series: Series
    xs: np.ndarray
    ys: np.ndarray
    ends: np.ndarray
    carried: tuple[float, float, float] | None = None


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
