"""The reports' bar charts as reportlab drawings: lines, fills and text in the PDF (vectors, not
pictures), sharp at any zoom."""

from __future__ import annotations

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from models.records.export.pdf import GREY, RULE, TEXT_W, Fonts
from models.reports.model import Chart

CHART_H = 58 * mm
CROWDED = 12   # more categories than this: their labels are turned on end


def drawing(c: Chart, f: Fonts) -> Drawing:
    """The chart ``c`` drawn the width of the text."""
    d = Drawing(TEXT_W, CHART_H)
    chart = VerticalBarChart()
    chart.x, chart.y = 30, 18
    chart.width, chart.height = TEXT_W - 140, CHART_H - 30
    chart.data = [list(values) for _name, values in c.series] or [[0] * len(c.categories)]
    chart.categoryAxis.categoryNames = list(c.categories)
    chart.categoryAxis.labels.fontName = f.regular
    chart.categoryAxis.labels.fontSize = 7.5
    if len(c.categories) > CROWDED:   # side by side they run into each other: turn them
        chart.categoryAxis.labels.angle = 90
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dy = -2
        chart.categoryAxis.labels.fontSize = 6.5
        chart.y = 30
        chart.height = CHART_H - 42
    chart.valueAxis.labels.fontName = f.regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max((sum(v[i] for _n, v in c.series) if c.stacked else max(v[i] for _n, v in c.series))
              for i in range(len(c.categories))) if c.categories and c.series else 1
    step = max(1, int(top // 5) or 1)
    chart.valueAxis.valueMax = max(step, (int(top) // step + 1) * step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.gridStrokeColor = RULE
    chart.valueAxis.visibleGrid = 1
    chart.categoryAxis.style = "stacked" if c.stacked else "parallel"
    chart.barSpacing = 1
    chart.groupSpacing = 8
    for i, colour in enumerate(c.colours):
        chart.bars[i].fillColor = colors.HexColor(colour)
        chart.bars[i].strokeColor = colors.white
        chart.bars[i].strokeWidth = 0.3
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = TEXT_W - 95, CHART_H - 16
    legend.fontName, legend.fontSize = f.regular, 7.5
    legend.dx = legend.dy = 7
    legend.deltay = 11
    legend.alignment = "right"
    legend.columnMaximum = len(c.series)
    legend.colorNamePairs = [(colors.HexColor(c.colours[i]) if i < len(c.colours) else colors.grey, name)
                             for i, (name, _v) in enumerate(c.series)]
    d.add(legend)
    d.add(String(0, CHART_H - 8, c.unit, fontName=f.regular, fontSize=7, fillColor=GREY))
    return d
