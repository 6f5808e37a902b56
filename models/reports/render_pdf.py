"""A report as a PDF for reading, in the house style of the records export
(``models.records.export.pdf``): DejaVu fonts, tables that break between rows with their header
repeated, "page n of m", and on every page the report's time and the OPEL table's edition and
whether it is verified.  Times are UK local; charts are reportlab drawings (vectors, not images).
``invariant`` is set, so the same report gives the same bytes.  Text of any script prints as the records
export prints it (``models.records.export.pdf_text``): shaped, right to left where it should be, in a
shipped Noto font where DejaVu lacks the script, and a character no font here has as its code point and
name, the page saying that the report's JSON and CSV hold the exact text."""

from __future__ import annotations

import io
from datetime import datetime

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, SimpleDocTemplate, Spacer, Table as RlTable, TableStyle

from models.records.export.pdf import (FOOTER_H, HEAD_BG, HEADER_H, MARGIN, PAD, RULE, TEXT_W, Fonts, pieces,
                                       PageFrame, Rendered, _Styles, _text as _records_text, fonts, numbered_canvas)
from models.records.export.pdf_text import Paragraph
from models.reports import pdf_chart, pdf_table, words
from models.reports.model import Chart, Report, Table, Text, Value
from models.rules.opel_table import period_note
from models.uk_time import UK, uk_time
from models.version import VERSION

WARN_BG = colors.HexColor("#fbeaea")
# Less room than this left on a page: a section (or a table) starts on the next, not as an orphaned heading.
SECTION_ROOM, TABLE_ROOM = 40 * mm, 22 * mm


def _text(value) -> str:
    """As the records export: every line break a break, leading spaces kept, any script (``pdf_text``)."""
    return _records_text(value)


def show(value: Value) -> str:
    """A cell as the PDF prints it: UK local times, "—" for nothing known."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return words.clock(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def tables_line(report: Report, short: bool = False) -> str:
    """"OPEL table <edition> (verified)" for each edition the figures were scored on, with "; its period
    ... ended ..." for one used after its own period (``short``: the page footer's "period ended ...")."""
    if not report.opel_tables:
        return "OPEL table: none in use (no assessments held)"
    on = report.figures_day
    return "; ".join(f"OPEL table {e} ({'verified' if v else 'UNVERIFIED'}"
                     + (f"; {note}" if (note := period_note(e, on, short)) else "") + ")"
                     for e, v in report.opel_tables)


def _zones(report: Report) -> str:
    zones = sorted({report.at.astimezone(UK).tzname(), report.generated_at.astimezone(UK).tzname()})
    return "/".join(zones)


def _canvas(report: Report, f: Fonts, counter: list[int]):
    return numbered_canvas(PageFrame(
        title=report.title, top_right=f"As at {uk_time(report.at)}",
        subtitle=f"SCC Desktop {report.name} · scc-desktop {VERSION} · times are UK local ({_zones(report)})",
        sub_right=f"Generated {uk_time(report.generated_at)}", footer=tables_line(report, short=True),
        warn=any(not v for _e, v in report.opel_tables),
        standin_note=("Text shown as [U+... NAME] or [Script: U+...] could not be drawn as written here; the "
                      "exact text is in this report's .json and .csv files.")), f, counter)


def _table(st: _Styles, t: Table) -> list:
    caption = f"{_text(t.title)} <font color='#5f6b73' size='7.5'>· as at {_text(show(t.as_at))}</font>"
    if not t.rows:
        return [KeepTogether([Paragraph(caption, st.subhead), Paragraph(_text(t.empty), st.none), *_note(st, t)])]
    # Not kept with the table (reportlab would move caption and table whole to the next page whenever they
    # fit one, leaving half a page blank): TABLE_ROOM before it keeps the caption off a page's last lines.
    head = Paragraph(caption, ParagraphStyle("table_caption", parent=st.subhead, keepWithNext=0))
    cells = [[show(v) for v in row] for row in t.rows]
    widths, size, break_emails = pdf_table.columns(t, cells, st.f)
    cell = ParagraphStyle("report_cell", parent=st.cell, fontSize=size, leading=size + 1.5)
    cell_head = ParagraphStyle("report_cell_head", parent=st.cell_head, fontSize=size, leading=size + 1.5)

    def paras(text: str, w: float) -> list[Paragraph]:
        if break_emails:
            text = pdf_table.wrap_emails(text, w - pdf_table.CELL_SIDES, st.f.regular, size)
        # A table cannot break inside a cell: a long text (a decision's rationale of pages, an action's
        # description) goes in pieces on rows of their own, which can go on to the next page. As one cell
        # it was taller than a page and reportlab refused the whole report (found by a records review).
        return pieces(_text(text), cell, w - pdf_table.CELL_SIDES)

    data = [[Paragraph(_text(h), cell_head) for h in t.headers]]
    of_row = [-1]   # the report's row each table row shows (-1: the header)
    going_on = [None]   # for a row that goes on with a long text's next piece: what to say if a page starts there
    for r, row in enumerate(cells):
        parts = [paras(v, widths[c]) for c, v in enumerate(row)]
        label = t.row_labels[r] if r < len(t.row_labels) else _opening(cells[r][0])
        for k in range(max(len(p) for p in parts)):
            data.append([p[k] if k < len(p) else "" for p in parts])
            of_row.append(r)
            going_on.append(Paragraph(_text(f"(continued: {label})"), cell) if k else None)
    last = len(data) - 1   # the table's last row
    if t.note:   # the note as a row of the table's own, under its box, kept with its last row: as a paragraph
        # after the table it could land alone at the top of the next page (session 25, a paper review)
        data.append([Paragraph(_text(t.note), st.small)] + [""] * (len(t.headers) - 1))
        going_on.append(None)
    table = _GoingOnTable(data, colWidths=widths, repeatRows=1, splitByRow=1)
    table.going_on = going_on
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, last), 0.5, RULE),
             ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
             ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING / 2)]
    # A rule under each of the report's rows, none between the pieces of one.
    style += [("LINEBELOW", (0, i), (-1, i), 0.25, RULE) for i in range(last) if of_row[i] != of_row[i + 1]]
    style += [("BACKGROUND", (0, i), (-1, i), WARN_BG) for i, r in enumerate(of_row) if r in t.warn_rows]
    if t.note:
        style += [("SPAN", (0, last + 1), (-1, last + 1)), ("NOSPLIT", (0, last), (-1, last + 1)),
                  ("LEFTPADDING", (0, last + 1), (-1, last + 1), 0), ("RIGHTPADDING", (0, last + 1), (-1, last + 1), 0),
                  ("TOPPADDING", (0, last + 1), (-1, last + 1), 2)]
    table.setStyle(TableStyle(style))
    return [CondPageBreak(TABLE_ROOM), head, table]


def _opening(text: str, most: int = 48) -> str:
    """A row's first cell as a label: whole when short, else its first words and "…"."""
    text = " ".join(text.split())
    return text if len(text) <= most else text[:most].rsplit(" ", 1)[0] + "…"


CELL_PADDING, ROW_PADDING = 3 + 3, 1.5 + 1.5   # the report tables' left + right, top + bottom padding


class _GoingOnTable(RlTable):
    """A table whose page break can fall inside one report row (a long rationale in pieces): the new
    page's first row then says in its first empty cell which row it continues ("(continued: decision of
    14:20 by Dr A)"); the rationale's second page gave no hint of its decision (session 25, a paper review)."""

    going_on: list = []

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        if len(parts) != 2 or not self.going_on:
            return parts
        first, rest = parts
        n = len(first._cellvalues)
        first.going_on = self.going_on[:n]
        rest.going_on = self.going_on[:1] + self.going_on[n:]
        said = rest.going_on[1] if len(rest.going_on) > 1 else None
        if said is not None:
            row = rest._cellvalues[1]
            empty = next((c for c, v in enumerate(row) if v == "" or v is None), None)
            if empty is not None:
                row[empty] = said
                heights = list(rest._argH)
                if heights[1] is not None:   # the row as tall as the label needs (measuring the whole row again
                    # misreads a split paragraph's piece as its whole text)
                    _w, need = said.wrap(rest._colWidths[empty] - CELL_PADDING, availHeight)
                    heights[1] = max(heights[1], need + ROW_PADDING)
                rest._rowHeights = rest._argH = heights
        return parts


def _note(st: _Styles, t: Table) -> list:
    return [Paragraph(_text(t.note), st.small)] if t.note else []


def _chart(st: _Styles, c: Chart, drawing) -> list:
    caption = f"{_text(c.title)} <font color='#5f6b73' size='7.5'>· as at {_text(show(c.as_at))}</font>"
    return [KeepTogether([Paragraph(caption, st.subhead), drawing])]


def _cover(st: _Styles, report: Report, f: Fonts) -> list:
    rows = [("As at", uk_time(report.at))]
    if report.period is not None:
        rows.append(("Period", f"{uk_time(report.period[0])} to {uk_time(report.period[1])}"))
    if report.since is not None:
        rows.append(("Changes since", uk_time(report.since)))
    rows += [("Newest provider figure", uk_time(report.data_as_at) if report.data_as_at else "none held"),
             ("Last sync with the hub", uk_time(report.last_sync_at) if report.last_sync_at else "never"),
             ("OPEL tables", tables_line(report))]
    table = RlTable([[Paragraph(_text(k), st.label), Paragraph(_text(v), st.body)] for k, v in rows],
                    colWidths=[45 * mm, TEXT_W - 45 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                               ("LINEBELOW", (0, 0), (-1, -2), 0.25, RULE),
                               ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
                               ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    story = [Paragraph(_text(report.title), st.title), table]
    notes = list(report.notes) + ([f"Font: {f.note}."] if f.note else [])
    story += [Paragraph(_text(n), st.warn) for n in notes]
    return story


def render(report: Report) -> Rendered:
    f = fonts()
    st = _Styles(f)
    buf = io.BytesIO()
    counter: list[int] = []
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + HEADER_H,
        bottomMargin=MARGIN + FOOTER_H, title=f"{report.title}, {uk_time(report.at)}", author="SCC Desktop",
        subject=f"SCC {report.name}", creator=f"scc-desktop {VERSION}", invariant=1)
    story = _cover(st, report, f)
    for section in report.sections:
        # A section that opens with a chart (which cannot break) asks for room for all of it, so its
        # heading is not left alone at a page's foot with the chart overleaf.
        first = section.parts[0] if section.parts else None
        drawings = {id(p): pdf_chart.drawing(p, f) for p in section.parts if isinstance(p, Chart)}
        room = SECTION_ROOM
        if isinstance(first, Chart):
            room = max(room, drawings[id(first)].height + 16 * mm)
        story += [CondPageBreak(room), Spacer(1, 4 * mm), Paragraph(_text(section.title), st.section)]
        for part in section.parts:
            if isinstance(part, Table):
                story += _table(st, part)
            elif isinstance(part, Chart):
                story += _chart(st, part, drawings[id(part)])
            elif isinstance(part, Text):
                story.append(Paragraph(_text(part.text), st.warn if part.warn else st.body))
            story.append(Spacer(1, 1.5 * mm))
    doc.build(story, canvasmaker=_canvas(report, f, counter))
    return Rendered(buf.getvalue(), counter[-1] if counter else 0, f.name, f.note)
