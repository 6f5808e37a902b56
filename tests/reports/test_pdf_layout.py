"""What the reports' PDFs draw is readable: a chart's category labels never run into each other, whatever
their number and length (the hospitals' own names at 22 sites), and no table breaks a word inside itself."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from reportlab.graphics.shapes import Group, String, mmult
from reportlab.graphics.widgetbase import Widget
from reportlab.pdfbase.pdfmetrics import stringWidth

from models.records.export.pdf import TEXT_W, fonts
from models.reports import pdf_chart
from models.reports.model import Chart

AT = datetime(2025, 7, 14, 9, 0, tzinfo=timezone.utc)
SITES = ("Chesterfield Royal Hospital", "Nottingham University Hospitals", "Sherwood Forest Hospitals",
         "United Lincolnshire Hospitals", "University Hospitals of Derby and Burton",
         "Northern Lincolnshire and Goole Hospitals", "Sheffield Teaching Hospitals", "Barnsley Hospital",
         "Doncaster and Bassetlaw Teaching Hospitals", "The Rotherham Foundation Trust",
         "University Hospitals of Leicester", "Kettering General Hospital", "Northampton General Hospital",
         "Milton Keynes University Hospital", "Bedfordshire Hospitals", "Queen Elizabeth Hospital King's Lynn",
         "Norfolk and Norwich University Hospitals", "James Paget University Hospitals",
         "East Suffolk and North Essex", "West Suffolk Hospital", "North West Anglia", "Cambridge University Hospitals")


def _strings(node, transform=(1, 0, 0, 1, 0, 0)):
    """Every String the drawing draws, with the transform it is drawn under."""
    if isinstance(node, Widget):
        node = node.draw()
    if isinstance(node, String):
        yield node, transform
        return
    if isinstance(node, Group):
        inner = mmult(transform, node.transform) if getattr(node, "transform", None) else transform
        for child in node.contents:
            yield from _strings(child, inner)


def _box(s: String, t) -> tuple[float, float, float, float]:
    w = stringWidth(s.text, s.fontName, s.fontSize)
    x0 = s.x - {"start": 0, "middle": w / 2, "end": w}.get(s.textAnchor, 0)
    corners = [(x0, s.y - 0.2 * s.fontSize), (x0 + w, s.y - 0.2 * s.fontSize), (x0, s.y + 0.75 * s.fontSize),
               (x0 + w, s.y + 0.75 * s.fontSize)]
    pts = [(t[0] * x + t[2] * y + t[4], t[1] * x + t[3] * y + t[5]) for x, y in corners]
    return min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _labels(chart: Chart):
    d = pdf_chart.drawing(chart, fonts())
    drawn = [(s.text, _box(s, t)) for s, t in _strings(d)]
    return d, [(text, box) for text, box in drawn if text in chart.categories]


@pytest.mark.parametrize("n", [5, 9, 22])
def test_site_names_on_the_hours_lost_chart_do_not_run_into_each_other(n):
    names = SITES[:n]
    chart = Chart("hours_lost_by_site", "Handover hours lost, by site", names,
                  (("Hours lost", tuple(float(i % 7 + 1) for i in range(n))),), AT, "hours", True, ("#005eb8",))
    d, labels = _labels(chart)
    assert sorted(t for t, _b in labels) == sorted(names), "every site's full name is drawn, once"
    for i, (a, box_a) in enumerate(labels):
        for b, box_b in labels[i + 1:]:
            assert not _overlap(box_a, box_b), f"'{a}' is drawn over '{b}'"
        assert box_a[0] >= -0.5 and box_a[2] <= d.width + 0.5, f"'{a}' runs off the drawing"
        assert box_a[1] >= -0.5, f"'{a}' runs below the drawing"
    assert d.width <= TEXT_W + 0.5


def test_few_short_categories_keep_upright_bars():
    chart = Chart("providers_by_level", "Providers at each OPEL level, by pillar",
                  ("Acute", "Community", "Mental health", "NHS 111"),
                  (("OPEL 1", (1.0, 2.0, 3.0, 1.0)), ("OPEL 2", (2.0, 1.0, 0.0, 1.0))), AT, "providers", True,
                  ("#00a499", "#ffb81c"))
    _d, labels = _labels(chart)
    assert len(labels) == 4
    ys = {round(b[1], 1) for _t, b in labels}
    assert len(ys) == 1, "the pillars are named side by side under their bars"


# --- tables -------------------------------------------------------------------------------------------

def _drawn_lines(p, width: float) -> list[str]:
    """The lines a cell's Paragraph draws in a column ``width`` wide (reportlab's own wrapping)."""
    p.wrap(width, 10_000)
    bl = p.blPara
    if bl.kind == 0:
        return [" ".join(words) for _extra, words in bl.lines]
    return ["".join(getattr(w, "text", "") for w in line.words).strip() for line in bl.lines]


def _broken_inside_a_word(text: str, lines: list[str]) -> str | None:
    """The first line break not at a space (or, in an e-mail address, just after its '@' or a '.'), if any."""
    flat = " ".join(text.split())
    pos = 0
    for i, line in enumerate(lines[:-1]):
        line = " ".join(line.split())
        start = flat.index(line, pos) if line else pos
        end = start + len(line)
        pos = end
        if end < len(flat) and flat[end] != " ":
            word = flat[:end].rsplit(" ", 1)[-1] + flat[end:].split(" ", 1)[0]
            if "@" in word and line[-1:] in ("@", "."):
                continue
            return f"{line!r} / {lines[i + 1]!r}"
    return None


def _check_table(t) -> list[str]:
    from reportlab.platypus import Paragraph, Table as RlTable

    from models.records.export.pdf import _Styles
    from models.reports import render_pdf

    table = next((x for x in render_pdf._table(_Styles(fonts()), t) if isinstance(x, RlTable)), None)
    if table is None:   # no rows: a line saying so
        return []
    assert sum(table._colWidths) <= TEXT_W + 0.5, f"{t.key}: wider than the page's text"
    source = [tuple(t.headers)] + [tuple(render_pdf.show(v) for v in row) for row in t.rows]
    bad = []
    for r, row in enumerate(table._cellvalues[:len(source)]):   # (then the table's note, if it has one)
        for c, cell in enumerate(row):
            if not isinstance(cell, Paragraph):
                continue
            lines = _drawn_lines(cell, table._colWidths[c] - 6)
            where = _broken_inside_a_word(str(source[r][c]), lines)
            if where:
                bad.append(f"{t.key} row {r} column '{t.headers[c]}': {where}")
    return bad


LONG = ("Provider", "Pillar", "At start", "Highest", "At end", "Changes", "OPEL 1 (h)", "OPEL 2 (h)", "OPEL 3 (h)",
        "OPEL 4 (h)", "No level (h)", "Phoned in")


def test_no_table_header_or_cell_breaks_inside_a_word():
    from models.reports.model import Table

    people = Table("directory", "Directory", ("Name", "Role", "Organisation", "Telephone", "Cover", "E-mail"),
                   (("Claire Boden", "Site manager", "Chesterfield Royal Hospital", "01246 277271", "24/7",
                     "claire.boden@example.org"),
                    ("Dr Priya Raman", "Director on-call", "Nottingham and Nottinghamshire ICB", "0115 883 9000",
                     "out of hours", "priya.raman.director-on-call@nottinghamshire-icb.example.org")), AT,
                   widths=(0.16, 0.16, 0.17, 0.18, 0.12, 0.21))
    providers = Table("provider_levels", "Each provider", LONG,
                      (("University Hospitals of Derby and Burton", "Community", "OPEL 2", "OPEL 3", "OPEL 2", 4,
                        8.0, 12.0, 4.0, 0.0, 0.0, "phoned in Sun 15:00"),), AT,
                      widths=(0.17, 0.09, 0.07, 0.07, 0.07, 0.06, 0.06, 0.06, 0.06, 0.06, 0.06, 0.17))
    units = Table("critical_care", "Critical care", ("Unit", "Level at start", "Highest", "Last level", "Staffed",
                                                     "Occupied", "Free", "Occupancy %", "As at"),
                  (("Sherwood Forest Hospitals", "CRITCON 1", "CRITCON 2", "CRITCON 2", 12, 11, 1, 91.7, AT),), AT)
    bad = _check_table(people) + _check_table(providers) + _check_table(units)
    assert not bad, "\n".join(bad)


def test_no_report_table_breaks_inside_a_word(tmp_path):
    """Every table of the five reports on the seeded week (40 providers)."""
    from models.service import reports
    from tests.reports.period_world import NOW, copy_of_period_world

    _path, store = copy_of_period_world(tmp_path)
    with store:
        bad = []
        for name in ("brief", "handover", "sitrep", "board", "bc-pack"):
            report = reports.build(store, name, NOW)
            for section in report.sections:
                for part in section.parts:
                    if hasattr(part, "headers"):
                        bad += _check_table(part)
    assert not bad, "\n".join(bad)


# --- pages ---------------------------------------------------------------------------------------------

def _page_texts(tmp_path, report) -> list[str]:
    import shutil
    import subprocess

    from models.reports import render_pdf

    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: install poppler-utils", pytrace=False)
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(render_pdf.render(report).data)
    text = subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def test_a_table_that_does_not_fit_the_rest_of_the_page_starts_there_and_continues_overleaf(tmp_path):
    """The handover's open alerts were pushed whole onto the next page, leaving half a page blank."""
    from models.reports.model import Report, Section, Table

    filler = Table("worst_sites", "Worst sites and why", ("Provider", "Why"),
                   tuple((f"Provider {i:02}", "ED four-hour performance 55.5% (4 pts)") for i in range(30)), AT)
    alerts = Table("alerts", "Open alerts", ("Severity", "About", "Alert"),
                   tuple(("warning", f"Site {i:02}", f"Alert number {i:02} about a standard") for i in range(40)), AT)
    report = Report("handover", "Handover to the Director on-call", AT, AT,
                    (Section("Open risks and alerts", (filler, alerts)),), (), AT, AT)
    pages = _page_texts(tmp_path, report)
    assert "Open alerts" in pages[0] and "Alert number 00" in pages[0], "the table starts under the one before"
    assert "Alert number 39" in pages[1] and "Severity" in pages[1], "and goes on overleaf under its header"


def test_a_section_that_opens_with_a_tall_chart_keeps_its_heading_with_it(tmp_path):
    """The board's 'Handover hours lost' heading was left alone at a page's foot, its 22-site chart overleaf."""
    from models.reports.model import Report, Section, Table

    chart = Chart("hours_lost_by_site", "Handover hours lost, by site", SITES,
                  (("Hours lost", tuple(float(i % 7 + 1) for i in range(len(SITES)))),), AT, "hours", True,
                  ("#005eb8",))
    for rows in range(20, 66, 3):   # the heading falls at every height down the page
        filler = Table("levels", "Each provider", ("Provider", "Level"),
                       tuple((f"Provider {i:02}", "OPEL 2") for i in range(rows)), AT)
        report = Report("board", "Board report", AT, AT, (Section("OPEL levels", (filler,)),
                                                           Section("Handover hours lost", (chart,))), (), AT, AT)
        pages = _page_texts(tmp_path, report)
        heading = next(i for i, p in enumerate(pages) if re.search(r"^\s*Handover hours lost\s*$", p, re.M))
        label = next(i for i, p in enumerate(pages) if "Cambridge University Hospitals" in p)
        assert heading == label, f"{rows} rows before: the heading is on page {heading + 1}, its chart on {label + 1}"


def test_a_tables_note_is_never_alone_at_the_top_of_a_page(tmp_path):
    """The handover's key figures' note (why rows are STALE) fell at the top of the next page, apart from
    its table (session 25, a paper review of the year replica)."""
    from models.reports.model import Report, Section, Table

    note = "Age at Sun 01 Nov 06:00; over 1 h 00 min is marked STALE (shaded) while the newest figure is that old."
    for rows in range(0, 40):   # the table ends at every height down the page
        filler = Table("levels", "Each provider", ("Provider", "Level"),
                       tuple((f"Provider {i:02}", "OPEL 2") for i in range(rows)), AT)
        figures = Table("key_figures", "Key figures", ("Figure", "Value"),
                        tuple((f"Figure {i:02}", str(i)) for i in range(30)), AT, note=note)
        report = Report("handover", "Handover", AT, AT, (Section("Picture", (filler, figures)),), (), AT, AT)
        pages = _page_texts(tmp_path, report)
        said = next(i for i, p in enumerate(pages) if "is marked STALE (shaded)" in p)
        assert "Figure 29" in pages[said], f"{rows} rows before: the note is on page {said + 1} without its table"
