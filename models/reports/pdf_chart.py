"""The reports' bar charts as reportlab drawings: lines, fills and text in the PDF (vectors, not
pictures), sharp at any zoom.

Upright bars while every category's name fits under its own bar; otherwise (the hospitals' names at
five sites or more, a month of days) the bars lie down, one a line, with each name whole on its left, so
no name is ever drawn over another however many there are."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from models.records.export.pdf import GREY, RULE, TEXT_W, Fonts
from models.records.export.pdf_text import plain   # no shaping in a drawing: a character DejaVu lacks is a stand-in
from models.reports.model import Chart

CHART_H = 58 * mm
LABEL_FONT = 7.5          # the category names, points
LABEL_GAP = 6             # points between two names side by side
LEGEND_W = 100            # the legend's column on the right
ROW_H = 11                # a lying bar's line, points (the name's font and a gap)
NAME_MAX = 0.42           # of the text's width: the most the names on the left take (smaller type beyond)
MIN_FONT = 5.5            # ... down to this; a name still too long is cut with "…" (the table has it whole)


def drawing(c: Chart, f: Fonts) -> Drawing:
    """The chart ``c`` drawn the width of the text."""
    slot = (TEXT_W - 30 - 140) / max(1, len(c.categories))
    widest = max((stringWidth(n, f.regular, LABEL_FONT) for n in c.categories), default=0)
    if widest + LABEL_GAP <= slot:
        return _upright(c, f)
    return _lying(c, f)


def _top(c: Chart) -> tuple[float, float]:
    """The value axis's top and step: whole numbers, about five gridlines."""
    top = max((sum(v[i] for _n, v in c.series) if c.stacked else max(v[i] for _n, v in c.series))
              for i in range(len(c.categories))) if c.categories and c.series else 1
    step = max(1, int(top // 5) or 1)
    return max(step, (int(top) // step + 1) * step), step


def _style(chart, c: Chart, f: Fonts) -> None:
    chart.valueAxis.labels.fontName = f.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax, chart.valueAxis.valueStep = _top(c)
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = 1
    chart.categoryAxis.labels.fontName = f.regular
    chart.categoryAxis.style = "stacked" if c.stacked else "parallel"
    chart.barSpacing = 1
    for i, colour in enumerate(c.colours):
        chart.bars[i].fillColor = colors.HexColor(colour)
        chart.bars[i].strokeColor = colors.white
        chart.bars[i].strokeWidth = 0.3


def _legend(d: Drawing, c: Chart, f: Fonts, top: float) -> None:
    legend = Legend()
    legend.x, legend.y = TEXT_W - 95, top - 16
    legend.fontName, legend.fontSize = f.regular, 7.5
    legend.dx = legend.dy = 7
    legend.deltay = 11
    legend.alignment = "right"
    legend.columnMaximum = len(c.series)
    legend.colorNamePairs = [(colors.HexColor(c.colours[i]) if i < len(c.colours) else colors.grey,
                              plain(name, f.regular)) for i, (name, _v) in enumerate(c.series)]
    d.add(legend)
    d.add(String(0, top - 8, plain(c.unit, f.regular), fontName=f.regular, fontSize=7, fillColor=GREY))


def _upright(c: Chart, f: Fonts) -> Drawing:
    d = Drawing(TEXT_W, CHART_H)
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 18
    chart.width, chart.height = TEXT_W - 140, CHART_H - 30
    chart.data = [list(values) for _name, values in c.series] or [[0] * len(c.categories)]
    chart.categoryAxis.categoryNames = [plain(n, f.regular) for n in c.categories]
    chart.categoryAxis.labels.fontSize = LABEL_FONT
    _style(chart, c, f)
    chart.groupSpacing = 8
    d.add(chart)
    _legend(d, c, f, CHART_H)
    return d


def _fit(names: list[str], f: Fonts, room: float) -> tuple[list[str], float]:
    """The names in a type size that fits ``room`` (down to MIN_FONT), any still too long cut with "…"."""
    size = LABEL_FONT
    widest = max((stringWidth(n, f.regular, size) for n in names), default=0)
    if widest > room:
        size = max(MIN_FONT, size * room / widest)
    out = []
    for n in names:
        cut = n
        while stringWidth(cut, f.regular, size) > room and len(cut) > 1:
            cut = cut[:-2].rstrip() + "…"
        out.append(cut)
    return out, size


def _lying(c: Chart, f: Fonts) -> Drawing:
    """One line a category, top to bottom in the chart's order, each name whole on its left."""
    n = max(1, len(c.categories))
    names, size = _fit([plain(n, f.regular) for n in c.categories], f, TEXT_W * NAME_MAX)
    name_w = max((stringWidth(t, f.regular, size) for t in names), default=0)
    plot_h = n * ROW_H
    legend_h = 14 + 11 * len(c.series)
    height = max(plot_h + 30, legend_h + 12)
    d = Drawing(TEXT_W, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = name_w + 8, 16
    chart.width, chart.height = TEXT_W - chart.x - LEGEND_W - 10, plot_h
    # reportlab draws the first category at the bottom: reversed, the first is read first, at the top.
    chart.data = [list(reversed(values)) for _name, values in c.series] or [[0] * n]
    chart.categoryAxis.categoryNames = list(reversed(names))
    chart.categoryAxis.labels.fontSize = size
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.visibleTicks = 0   # the ticks ran into the names' ends
    _style(chart, c, f)
    chart.groupSpacing = 2.5
    d.add(chart)
    _legend(d, c, f, height)
    return d
