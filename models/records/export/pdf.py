"""The decision log as a PDF for reading: one block per entry, "page X of Y", a header on every page.

Fonts: DejaVu Sans (fonts-dejavu-core on Debian/Ubuntu), embedded, so any
name or place renders; if it is not installed, Bitstream Vera (shipped with
reportlab, Latin-1 only), and failing that Helvetica.  A fallback is stated
on the first page and in the manifest, never silent.  Scripts DejaVu lacks
(Bengali, Gujarati, Gurmukhi, Devanagari, Tamil, Urdu's extra letters) are
set in Noto Sans fonts shipped in resources/fonts; Arabic and Indic text is
shaped and right-to-left text drawn right to left; a character no font here
has (emoji, CJK) prints as its code point and name, and the page says the
exact text is in the JSON and CSV (``models.records.export.pdf_text``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab import rl_config
from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from models import durations
from models.version import VERSION
from models.records import action_withdraw, reached_hub
from models.records.export import pdf_text, snapshot as snapshot_reading
from models.records.export.measured_font import LIMIT as TEXT_LIMIT, MeasuredTTFont
from models.records.export.pdf_text import Paragraph
from models.uk_time import UK, Period, uk_time

FONT_DIRS = [Path(p) for p in os.environ.get("SCC_PDF_FONT_DIRS", "").split(os.pathsep) if p] + [
    Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"), Path("/Library/Fonts")]
MARGIN = 16 * mm
HEADER_H = 16 * mm
FOOTER_H = 10 * mm
LABEL_W = 34 * mm
FRAME_PAD = 6  # reportlab's frame padding: a table as wide as the text lines up with the paragraphs
TEXT_W = A4[0] - 2 * MARGIN - 2 * FRAME_PAD
PAD = 4  # cell padding, points
CELL_FONT, CELL_LINES, CELL_PAD = 7.5, 12, 3  # snapshot table cells: font size, most lines, padding
PIECE_H = 100  # tallest piece of text in one table row, points: at most this is left blank at a page's foot
GREY = colors.HexColor("#5f6b73")
RULE = colors.HexColor("#b8c2c8")
HEAD_BG = colors.HexColor("#e8eef2")
NHS_BLUE = colors.HexColor("#005eb8")


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str
    mono: str
    name: str
    note: str | None  # why a fallback was used


def _register(name: str, path: Path) -> None:
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(MeasuredTTFont(name, str(path)))


def _family(regular: str, bold: str) -> None:
    # Paragraph markup (<b>, <i>) looks fonts up by family; italics fall back to upright.
    pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular, boldItalic=bold)


_PRIMARY = ["SCC-DejaVu-regular"]   # the regular font of the last fonts(): what _text checks coverage against


def fonts() -> Fonts:
    for folder in FONT_DIRS:
        files = {k: folder / f for k, f in (("regular", "DejaVuSans.ttf"), ("bold", "DejaVuSans-Bold.ttf"),
                                             ("mono", "DejaVuSansMono.ttf"))}
        if all(p.is_file() for p in files.values()):
            try:
                for key, path in files.items():
                    _register(f"SCC-DejaVu-{key}", path)
            except (TTFError, OSError):
                continue
            _family("SCC-DejaVu-regular", "SCC-DejaVu-bold")
            _PRIMARY[0] = "SCC-DejaVu-regular"
            return Fonts("SCC-DejaVu-regular", "SCC-DejaVu-bold", "SCC-DejaVu-mono", "DejaVu Sans", None)
    missing = "DejaVu Sans was not found (install fonts-dejavu-core, or set SCC_PDF_FONT_DIRS)"
    import reportlab

    vera = Path(reportlab.__file__).parent / "fonts"
    try:
        _register("SCC-Vera", vera / "Vera.ttf")
        _register("SCC-Vera-bold", vera / "VeraBd.ttf")
        _family("SCC-Vera", "SCC-Vera-bold")
        _PRIMARY[0] = "SCC-Vera"
        return Fonts("SCC-Vera", "SCC-Vera-bold", "Courier", "Bitstream Vera",
                     f"{missing}; Bitstream Vera was used, and the shipped Noto Sans fonts for what it "
                     "lacks (Vera has Western European letters only)")
    except (TTFError, OSError):
        _PRIMARY[0] = "Helvetica"
        return Fonts("Helvetica", "Helvetica-Bold", "Courier", "Helvetica",
                     f"{missing}; Helvetica was used: characters outside Latin-1 may be missing")


@dataclass(frozen=True)
class PdfMeta:
    icb: str
    period: Period
    exported_at: datetime
    exporter: dict[str, Any]
    retention: dict[str, Any]
    chain: dict[str, Any]
    key_fingerprint: str | None = None   # the export key that signs the manifest (models.records.export.signing)
    key_number: int | None = None


@dataclass(frozen=True)
class Rendered:
    data: bytes
    pages: int
    font: str
    font_note: str | None


_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c-\x1e\x85\u2028\u2029]")   # every line break people type
_INDENT = re.compile(r"^( +)", re.MULTILINE)


def _text(value: Any) -> str:
    """Text as the PDF's paragraphs take it: each line break a break (a word processor's line break and
    U+2028 too, which ran lines together), and a line's leading spaces kept (nested bullets lost their
    indent); found by a records review.  A script the primary font lacks is set in its own font and a
    character no font here has is a stand-in (``pdf_text.markup``)."""
    text = str(value)
    if text.isascii():
        text = _BREAKS.sub("\n", escape(text))
        text = _INDENT.sub(lambda m: "&nbsp;" * len(m.group(1)), text)
        return text.replace("\n", "<br/>")
    lines = []
    for line in _BREAKS.sub("\n", text).split("\n"):
        body = line.lstrip(" ")
        lines.append("&nbsp;" * (len(line) - len(body)) + pdf_text.markup(body, _PRIMARY[0]))
    return "<br/>".join(lines)


class _Styles:
    def __init__(self, f: Fonts) -> None:
        self.f = f
        self.body = ParagraphStyle("body", fontName=f.regular, fontSize=9, leading=11.5, alignment=TA_LEFT)
        self.label = ParagraphStyle("label", parent=self.body, fontName=f.bold, textColor=GREY)
        self.none = ParagraphStyle("none", parent=self.body, textColor=GREY)
        self.mono = ParagraphStyle("mono", parent=self.body, fontName=f.mono, fontSize=7, leading=9)
        self.head = ParagraphStyle("head", parent=self.body, fontName=f.bold, fontSize=10, leading=13)
        self.title = ParagraphStyle("title", parent=self.body, fontName=f.bold, fontSize=15, leading=19,
                                    textColor=NHS_BLUE, spaceAfter=4)
        self.section = ParagraphStyle("section", parent=self.head, textColor=NHS_BLUE, keepWithNext=1,
                                      spaceAfter=1.5)
        self.subhead = ParagraphStyle("subhead", parent=self.body, fontName=f.bold, fontSize=8, leading=10,
                                      keepWithNext=1, spaceBefore=3, spaceAfter=1)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=10, spaceBefore=3)
        self.note = ParagraphStyle("note", parent=self.small, leftIndent=3 * mm, spaceBefore=1)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=CELL_FONT, leading=9)
        self.cell_head = ParagraphStyle("cell_head", parent=self.cell, fontName=f.bold, textColor=GREY)
        self.warn = ParagraphStyle("warn", parent=self.body, textColor=WARN)


WARN = colors.HexColor("#9a1c1c")


@dataclass(frozen=True)
class PageFrame:
    """What every page of a document says around its text: a title and a subtitle line with their
    right-hand words at the top, and a footer line left of "page n of m" (bold, red when ``warn``);
    ``standin_note`` above the footer on a page that printed a character as its code point."""

    title: str
    top_right: str
    subtitle: str
    sub_right: str
    footer: str
    warn: bool = False
    standin_note: str = ("Text shown as [U+... NAME] or [Script: U+...] could not be drawn as written here; "
                         "the exact text is in decisions.json and decisions.csv.")


def _draw_frame(c: rl_canvas.Canvas, frame: PageFrame, f: Fonts) -> None:
    """A page's header and footer line, all but its number; the stand-in note when the page has one
    (a paragraph drawn on it set ``_scc_standin``, which is cleared here)."""
    width, height = A4
    top = height - MARGIN
    c.setFillColor(NHS_BLUE)
    c.setFont(f.bold, 11)
    c.drawString(MARGIN, top - 4 * mm, pdf_text.plain(frame.title, f.bold))
    c.setFillColor(colors.black)
    c.setFont(f.regular, 8.5)
    c.drawRightString(width - MARGIN, top - 4 * mm, pdf_text.plain(frame.top_right, f.regular))
    c.setFillColor(GREY)
    c.drawString(MARGIN, top - 9 * mm, pdf_text.plain(frame.subtitle, f.regular))
    c.drawRightString(width - MARGIN, top - 9 * mm, pdf_text.plain(frame.sub_right, f.regular))
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.line(MARGIN, top - 12 * mm, width - MARGIN, top - 12 * mm)
    c.line(MARGIN, MARGIN + 5 * mm, width - MARGIN, MARGIN + 5 * mm)
    c.setFont(f.bold if frame.warn else f.regular, 8)
    c.setFillColor(WARN if frame.warn else GREY)
    c.drawString(MARGIN, MARGIN + 1 * mm, pdf_text.plain(frame.footer, f.regular))
    if getattr(c, "_scc_standin", False) or any(pdf_text.standin_in(t, f.regular) for t in (
            frame.title, frame.top_right, frame.subtitle, frame.sub_right, frame.footer)):
        c.setFont(f.regular, 7)
        c.setFillColor(colors.HexColor(pdf_text.STANDIN_COLOUR))
        c.drawString(MARGIN, MARGIN + 6.3 * mm, frame.standin_note)
    c._scc_standin = False


def _draw_number(c: rl_canvas.Canvas, f: Fonts, number: int, total: int) -> None:
    c.setFont(f.regular, 8)
    c.setFillColor(colors.black)
    c.drawRightString(A4[0] - MARGIN, MARGIN + 1 * mm, f"page {number} of {total}")


def numbered_canvas(frame: PageFrame, f: Fonts, counter: list[int]):
    """A canvas class that holds every page until the end so each footer can say "page n of m";
    the number of pages is appended to ``counter``.  (Fine for a report of a few pages; the records
    export, thousands of pages, uses :func:`streamed_numbered_canvas`.)"""
    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._scc_standin = False   # this page's; the next starts without one
            self._startPage()

        def save(self):
            counter.append(len(self._pages))
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            _draw_frame(self, frame, f)
            _draw_number(self, f, number, total)

    return NumberedCanvas


class _Reserved(pdfdoc.PDFObject):
    """The place of a form named before it is drawn (a page's "page n of m")."""

    def __init__(self, name: str) -> None:
        self.name = name

    def format(self, document):
        raise ValueError(f"form {self.name} was used on a page but never defined")


class _Base85(pdfdoc.PDFStreamFilterBase85Encode):
    """reportlab's ASCII85 filter, its bytes made by the standard library's encoder (reportlab's is a loop over
    every four bytes in Python, without its optional C accelerator: a tenth of a month's export).  The same
    text: "z" for four zero bytes, a last group cut to its length, "~>" at the end, then reportlab's wrap."""

    def encode(self, text):
        if not isinstance(text, bytes):
            return super().encode(text)
        from reportlab.pdfbase.pdfutils import _wrap

        text = base64.a85encode(text).decode("ascii") + "~>"
        return _wrap(text) if rl_config.wrapA85 else text


_BASE85 = _Base85()


class _StreamedPDFDocument(pdfdoc.PDFDocument):
    """reportlab's PDF document, but each page goes to the file as it ends (its content stream, compressed
    as reportlab would at the end, and its dictionary), and so does each form as it is defined; held until
    ``save`` are the fonts (subset to the characters used) and each object's number and offset.

    reportlab keeps every page in memory until ``save`` (a year's export: 8,000 pages).  A page's
    "page n of m" is a form reserved (:meth:`reserve_form`) when the page ends and defined at the end, so the
    page's dictionary can name it and be written at once.  :meth:`format` is reportlab's own
    (``PDFDocument.format`` of reportlab 4 and 5) skipping the objects already written and counting the
    file's offsets on from them."""

    _sink = None

    def stream_to(self, sink) -> None:
        if type(self.encrypt) is not pdfdoc.NoEncryption or not callable(getattr(sink, "write", None)):
            return   # encrypted, or to a file name: written whole at the end, as reportlab does
        self._sink, self._pos, self._written, self._header = sink, 0, {}, None

    def _emit(self, obj) -> None:
        """Write ``obj`` (registered) now and keep only its place in the file."""
        if self._header is None:
            self._header = self._pdfVersion
            self._put(pdfdoc.PDFFile(self._pdfVersion).format(self))
        name = obj.__InternalName__
        self._written[name] = self._pos
        self._put(pdfdoc.PDFIndirectObject(name, obj).format(self))
        self.idToObject[name] = _Reserved(name)   # on disk now; never formatted again

    def _put(self, data: bytes) -> None:
        self._sink.write(data)
        self._pos += len(data)

    def reserve_form(self, name: str) -> None:
        internal = pdfdoc.xObjectName(name)
        self.Reference(_Reserved(internal), internal)

    def addForm(self, name, form) -> None:
        internal = pdfdoc.xObjectName(name)
        if not isinstance(self.idToObject.get(internal), _Reserved) or internal in getattr(self, "_written", {}):
            return super().addForm(name, form)
        form.__InternalName__ = internal
        self.idToObject[internal] = form
        self.inObject = None
        if self._sink is not None:
            self._emit(form)

    def addPage(self, page) -> None:
        if self._sink is None or not page.stream or page.Contents:
            return super().addPage(page)
        stream = pdfdoc.PDFStream(content=page.stream)
        if page.compression:   # as PDFPage.check_format would
            stream.filters = ([_BASE85, pdfdoc.PDFZCompress] if rl_config.useA85
                              else [pdfdoc.PDFZCompress])
        stream.__Comment__ = "page stream"
        page.Contents, page.stream = stream, None
        self.Reference(stream)
        self._emit(stream)
        super().addPage(page)   # registered as "PageN" and listed in the page tree
        self._emit(page)
        self.Pages.pages[-1] = pdfdoc.PDFObjectReference(page.__InternalName__)

    def format(self):
        if not getattr(self, "_written", None):
            return super().format()
        if self._pdfVersion != self._header:
            raise ValueError(f"PDF version changed from {self._header} to {self._pdfVersion} after the first page")
        self.encrypt.prepare(self)
        cat, info = self.Catalog, self.info
        self.Reference(cat)
        self.Reference(info)
        counter, ids = 0, []
        numbertoid, idToOb, idToOf = self.numberToId, self.idToObject, self.idToOffset
        self.__accum__ = File = pdfdoc.PDFFile(self._pdfVersion)
        File.strings, File.offset = [], self._pos   # the header and the pages are in the file already
        File.write = File.strings.append
        while True:   # objects may be added while formatting
            counter += 1
            if counter not in numbertoid:
                break
            oid = numbertoid[counter]
            if oid in self._written:
                idToOf[oid] = self._written[oid]
            else:
                idToOf[oid] = File.add(pdfdoc.PDFIndirectObject(oid, idToOb[oid]).format(self))
            ids.append(oid)
        del self.__accum__
        if counter - 1 != len(numbertoid):
            raise ValueError(f"counter {counter} doesn't match number to id dictionary {len(numbertoid)}")
        xref = pdfdoc.PDFCrossReferenceTable()
        xref.addsection(0, ids)
        xrefoffset = File.add(xref.format(self))
        File.add(pdfdoc.PDFTrailer(startxref=xrefoffset, Size=len(numbertoid) + 1, Root=self.Reference(cat),
                                   Info=self.Reference(info), ID=self.ID()).format(self))
        return File.format(self)


def streamed_numbered_canvas(frame: PageFrame, f: Fonts, counter: list[int]):
    """A canvas class for a file-like ``filename`` that writes each page as it ends: its footer's
    "page n of m" is a form (PDF XObject) defined at the end, when m is known, drawn exactly where
    :func:`numbered_canvas` draws it; the number of pages is appended to ``counter``."""
    class StreamedNumberedCanvas(rl_canvas.Canvas):
        def __init__(self, filename, *args, **kwargs):
            super().__init__(filename, *args, **kwargs)
            self._doc.__class__ = _StreamedPDFDocument
            self._doc.stream_to(filename)

        def drawString(self, x, y, text, mode=None, charSpace=0, direction=None, wordSpace=None, shaping=False):
            """reportlab's drawString, the text's operators made once per string, font and size: a snapshot
            table's cells repeat (codes, levels, names, times) and each was split and escaped anew.  The bytes
            are reportlab's: "BT 1 0 0 1 x y Tm", the operators, "T* ET"."""
            font = pdfmetrics.getFont(self._fontname)
            if (mode is not None or charSpace or direction is not None or wordSpace or shaping or not self.bottomup
                    or not isinstance(font, MeasuredTTFont) or not isinstance(text, str)):
                return super().drawString(x, y, text, mode, charSpace, direction, wordSpace, shaping)
            known = self.__dict__.setdefault("_scc_text", {})
            key = (self._fontname, self._fontsize, self._leading, text)
            ops = known.get(key)
            if ops is None:
                if len(known) >= TEXT_LIMIT:
                    known.clear()
                ops = known[key] = self.beginText(x, y)._formatText(text)
            self._code.append(f"BT 1 0 0 1 {self._scc_xy(x, y)} Tm {ops} T* ET")

        def line(self, x1, y1, x2, y2):
            """reportlab's line, its points' text remembered: a table's rules are at the same places page after
            page."""
            self._code.append(f"n {self._scc_xy(x1, y1)} m {self._scc_xy(x2, y2)} l S")

        def _scc_xy(self, x, y) -> str:
            """``fp_str(x, y)``, made once per point."""
            known = self.__dict__.setdefault("_scc_points", {})
            at = known.get((x, y))
            if at is None:
                if len(known) >= TEXT_LIMIT:
                    known.clear()
                at = known[(x, y)] = fp_str(x, y)
            return at

        def showPage(self):
            _draw_frame(self, frame, f)
            name = f"scc_page_{self._pageNumber}"
            self._doc.reserve_form(name)
            self.doForm(name)
            super().showPage()

        def save(self):
            if len(self._code):
                self.showPage()
            total = self._pageNumber - 1
            counter.append(total)
            for number in range(1, total + 1):
                self.beginForm(f"scc_page_{number}")
                _draw_number(self, f, number, total)
                self.endForm()
            super().save()

    return StreamedNumberedCanvas


def _numbered_canvas(meta: PdfMeta, f: Fonts, counter: list[int]):
    return streamed_numbered_canvas(PageFrame(
        title=f"Decision log: {meta.icb}", top_right=_period_short(meta.period),
        subtitle=f"Corporate record export · scc-desktop {VERSION}",
        sub_right=f"Exported {uk_time(meta.exported_at)}", footer="SHA-256 of this file: manifest.json"), f, counter)


def pieces(markup: str, style: ParagraphStyle, width: float) -> list[Paragraph]:
    """``markup`` as paragraphs no taller than ``PIECE_H``: a table cannot break inside a cell, so a long
    text (a rationale of pages, a URL with no spaces) becomes several rows that can go on several pages.
    Typed lines that read right to left are paragraphs of their own (``pdf_text.line_groups``), so each
    line is aligned by its own direction."""
    if "<br/>" in markup and pdf_text.has_rtl(markup):
        return [p for group in pdf_text.line_groups(markup) for p in _pieces(group, style, width)]
    return _pieces(markup, style, width)


def _pieces(markup: str, style: ParagraphStyle, width: float) -> list[Paragraph]:
    rest = Paragraph(markup, style)
    out = []
    while True:
        _w, height = rest.wrap(width, PIECE_H)
        parts = rest.split(width, PIECE_H) if height > PIECE_H else []
        if len(parts) < 2:
            return out + [rest]
        out.append(parts[0])
        rest = parts[1]


def _rows(st: _Styles, label: str, value: str | None, width: float, style=None) -> list[list]:
    """The table rows of one field: the label beside the first piece of its value."""
    if not value:
        return [[Paragraph(_text(label), st.label), Paragraph("(none recorded)", st.none)]]
    parts = pieces(value, style or st.body, width - LABEL_W - 2 * PAD)
    return [[Paragraph(_text(label), st.label) if i == 0 else "", piece] for i, piece in enumerate(parts)]


def _field_table(fields: list[list[list]], widths: list[float]) -> Table:
    """One table of fields (each a list of rows); rules between fields, not between pieces of one."""
    rows = [row for rows in fields for row in rows]
    rules, end = [], -1
    for number, rows_of_field in enumerate(fields):
        first = end + 1
        end += len(rows_of_field)
        if end > first:  # pieces of one text read as one: no gap between them
            rules += [("BOTTOMPADDING", (0, first), (-1, end - 1), 0), ("TOPPADDING", (0, first + 1), (-1, end), 0)]
        if number < len(fields) - 1:
            rules.append(("LINEBELOW", (0, end), (-1, end), 0.25, RULE))
    table = Table(rows, colWidths=widths, splitByRow=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD), *rules]))
    return table


def _reassigned(moves: list[dict], index: dict[str, int]) -> str:
    """'; reassigned to <owner> <when>, by <who> (decision <ref>)' for each entry that gave the action to
    another owner; two or more are a clash (desktops that each reassigned it unseen), said so."""
    said = [f"reassigned to {_text(m.get('to') or '(owner not in this replica)')} {_text(_when(m['at']))}, "
            f"by {_text(m['by'])} (decision {_text(_ref(m['decision'], index))})" for m in moves]
    if len(said) > 1:
        return ("; <b>clash</b>: " + " and ".join(said)
                + ", each on a desktop that had not seen the other (both new actions stand)")
    return "; " + said[0] if said else ""


def _withdrawn(pulled: list[dict], index: dict[str, int], a: dict) -> str:
    """'; withdrawn <when>, by <who> (decision <ref>), reason: <why>' for each entry that withdrew the action;
    withdrawn as well as reassigned or done, on desktops that had not seen each other's: said so."""
    said = [f"withdrawn {_text(_when(w['at']))}, by {_text(w['by'])} (decision {_text(_ref(w['decision'], index))}), "
            f"reason: {_text(w['reason'])}" for w in pulled]
    if not said:
        return ""
    crossed = [w for w, on in (("reassigned", a.get("reassigned")), ("marked done", a.get("done_at"))) if on]
    return ("; " + "; also ".join(said)
            + (f" (<b>clash</b>: also {' and '.join(crossed)} on a desktop that had not seen the withdrawal)"
               if crossed else ""))


def _when(text: str | None) -> str:
    return uk_time(datetime.fromisoformat(text)) if text else ""


def _reached(e: dict) -> str:
    """"; reached the hub ... after it was recorded" for an entry that reached the hub late (recorded
    offline: others could not see it until then), timed on the recording desktop's clock when it sent its
    time (format 9), else on two clocks and saying so; "; its desktop's clock was 2 h 00 min behind the
    hub's when it sent it" when that clock was over 15 min out; "" otherwise."""
    taken, made, sent = (datetime.fromisoformat(e[k]) if e.get(k) else None
                         for k in ("hub_received_at", "recorded_at", "device_sent_at"))
    late, off = reached_hub.late_by(made, taken, sent), reached_hub.clock_off(taken, sent)
    said = ""
    if late is not None:
        said = (f"; reached the hub {_text(_when(e['hub_received_at']))}, {durations.span(late.total_seconds() / 60)} "
                "after it was recorded (others could not see it before"
                + ("" if sent else f"; {reached_hub.TWO_CLOCKS}") + ")")
    if off is not None:
        said += "; " + reached_hub.clock_words(off, durations.span(round(abs(off.total_seconds()) / 60))) \
            + " when it sent it"
    return said


def _link(link: Any) -> str:
    """``transfer 1234-...`` for ``{"kind": "transfer", "uuid": ...}``; anything else as JSON."""
    if isinstance(link, str):
        return link
    if isinstance(link, dict) and link.get("kind") == "actions" and isinstance(link.get("items"), list):
        return f"actions: {len(link['items'])} in the entry's hash"   # the reference says them
    if isinstance(link, dict) and {"kind", "uuid"} <= set(link):
        rest = {k: v for k, v in link.items() if k not in ("kind", "uuid")}
        return f"{link['kind']} {link['uuid']}" + (f" {json.dumps(rest, ensure_ascii=False, sort_keys=True)}"
                                                   if rest else "")
    if isinstance(link, dict) and set(link) == {"kind", "org_code"}:
        return f"{link['kind']} {link['org_code']}"
    return json.dumps(link, ensure_ascii=False, sort_keys=True)


def _ref(uid: str, index: dict[str, int]) -> str:
    return f"entry {index[uid]} ({uid})" if uid in index else f"{uid} (outside this period)"


def _clip(text: str, width: float) -> str:
    """At most ``CELL_LINES`` lines of a ``width``-wide cell: a row must fit a page to break between rows.
    Codes, names and levels are short; a longer value (from a faulty desktop) is cut here, whole in the JSON."""
    text = " ".join(text.split())  # a line break would count as a line of its own
    limit = max(1, int(width / CELL_FONT)) * CELL_LINES  # no glyph is wider than 1 em
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (+{len(text) - limit} characters, whole in decisions.json)"


def _cell(st: _Styles, value: str, width: float):
    """A snapshot cell: plain text when it fits on one line (drawn as it is, and fast: a snapshot has
    hundreds of cells per entry), else a paragraph that wraps, cut to ``CELL_LINES`` lines."""
    if ("\n" not in value and pdf_text.drawn_as_is(value, st.f.regular)
            and pdfmetrics.stringWidth(value, st.f.regular, CELL_FONT) <= width):
        return value
    return Paragraph(_text(_clip(value, width)), st.cell)


def _snapshot_table(st: _Styles, t: snapshot_reading.Table, width: float) -> Table:
    """A section of the snapshot, its title and header repeated on each page; cells are short (``_clip``),
    so rows are, and the table breaks between them."""
    widths = [width * share for share in t.widths]
    data = [[Paragraph(_text(t.title), st.subhead)] + [""] * (len(widths) - 1),
            [Paragraph(_text(h), st.cell_head) for h in t.headers]]
    data += [[_cell(st, v, w - 2 * CELL_PAD) for v, w in zip(row, widths)] for row in t.rows]
    table = Table(data, colWidths=widths, repeatRows=2, splitByRow=1)
    table.setStyle(TableStyle([
        ("SPAN", (0, 0), (-1, 0)), ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 1), (-1, -1), 0.5, RULE),
        ("FONTNAME", (0, 2), (-1, -1), st.f.regular), ("FONTSIZE", (0, 2), (-1, -1), CELL_FONT),
        ("LEADING", (0, 2), (-1, -1), st.cell.leading),
        ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE), ("BACKGROUND", (0, 1), (-1, 1), HEAD_BG),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 0), (-1, 0), 4), ("LEFTPADDING", (0, 0), (-1, 0), 0)]))
    return table


def _period_short(p) -> str:
    """The period at the top of every page: short beside the title (a shift's bounds with no weekday)."""
    if not p.timed:
        return f"Period {p.label()} (UK dates)"
    start, end = p.utc_start.astimezone(UK), p.utc_end.astimezone(UK)
    upto = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%d/%m/%Y %H:%M}"
    return f"Period {start:%d/%m/%Y %H:%M} to {upto} UK time (end excluded)"


def _situation(st: _Styles, snap: Any, width: float) -> list:
    """The entry's snapshot under its own heading: small tables and paragraphs that break across pages."""
    reading = snapshot_reading.read(snap)
    if reading is None:
        return []
    story = [Spacer(1, 2 * mm), Paragraph(_text(reading.heading), st.section)]
    for part in reading.parts:
        if isinstance(part, snapshot_reading.Table):
            story.append(_snapshot_table(st, part, width))
        elif isinstance(part, snapshot_reading.Note):
            story.append(Paragraph(_text(part.title), st.subhead))
            story += [Paragraph(_text(line), st.note) for line in part.lines]
        else:
            story.append(Paragraph(_text(part), st.small))
    return story


def _entry(st: _Styles, e: dict[str, Any], number: int, index: dict[str, int]) -> list:
    width = TEXT_W
    heading = (f"{number}. {_text(_when(e['decided_at']))} · {_text(e['decision_maker'])} "
               f"({_text(e['decision_maker_role'])})")
    info = _text(e["information_available"]) if e["information_available"] else ""
    if e["situation_snapshot"]:
        info += ("<br/>" if info else "") + "The situation at the time, taken automatically, follows this entry."
    actions = "<br/>".join(
        f"• {_text(a['description'])}: {_text(a['owner'])}"
        + (f", due {_text(_when(a['due_at']))}" if a["due_at"] else "")
        + (f"; done {_text(_when(a['done_at']))} by {_text(a['done_by'] or '?')}" if a["done_at"] else "")
        + _reassigned(a.get("reassigned") or [], index)
        + _withdrawn(a.get("withdrawn") or [], index, a)
        for a in e["actions"])
    amend = []
    if e["amends_uuid"]:
        amend.append(f"This entry corrects {_text(_ref(e['amends_uuid'], index))}"
                     + (f": {_text(e['amends_reference'])}" if e.get("amends_reference") and e["amends_uuid"] not in index
                        else "") + ".")
    if e["amended_by"]:
        said = e.get("amended_by_references") or [None] * len(e["amended_by"])
        amend.append("Corrected later by " + "; ".join(
            _text(_ref(u, index)) + (f": {_text(ref)}" if ref and u not in index else "")
            for u, ref in zip(e["amended_by"], said)) + ".")
    # What each link names (a transfer's route and status, a shift's person), then its identifier.
    refs = e.get("link_references") or [None] * len(e["links"])
    links = "<br/>".join("• " + (_text(ref) + f" <font size=7>[{_text(_link(link))}]</font>" if ref
                                 else _text(_link(link))) for ref, link in zip(refs, e["links"]))
    ident = (f"entry {_text(e['uuid'])} · device seq {e['device_seq']}"
             + (f" · hub_seq {e['hub_seq']}" if e["hub_seq"] is not None else " · not yet at the hub")
             + f"<br/>device {_text(e['device_id'])}<br/>content {_text(e['content_hash'])}"
             + (f"<br/>hub {_text(e['hub_hash'])}" if e["hub_hash"] else ""))
    fields = [_rows(st, "Decision", _text(e["decision"]), width),
              _rows(st, "Rationale", _text(e["rationale"]), width)]
    if not actions and any(isinstance(link, dict) and link.get("kind") == action_withdraw.KIND
                                  for link in e["links"]):
        actions = "none: this entry withdraws one (below)"   # a withdrawal gives no action: not a field left empty
    optional = (("Options considered", _text(e["options_considered"])), ("Information available", info),
                ("Actions", actions), ("Review", _text(_when(e["review_at"]))))
    fields += [_rows(st, label, value, width) for label, value in optional if value]
    missing = [label.lower() for label, value in optional if not value]
    if missing:
        fields.append([[Paragraph("Not recorded", st.label), Paragraph(_text(", ".join(missing)), st.none)]])
    from models import record_signer   # the pushing token's user first when it is not the name signed
    by = record_signer.shown(e["recorded_by"], e.get("hub_author"), e.get("device_id")) or e["recorded_by"]
    fields.append(_rows(st, "Recorded", f"{_text(by)}, {_text(_when(e['recorded_at']))}"
                        + _reached(e), width))
    if amend:
        fields.append(_rows(st, "Amendments", " ".join(amend), width))
    if links:
        fields.append(_rows(st, "Links", links, width))
    fields.append(_rows(st, "Identity", ident, width, st.mono))
    head = Table([[p] for p in pieces(heading, st.head, width - 2 * PAD)], colWidths=[width], splitByRow=1)
    head.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HEAD_BG), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                              ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                              ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD)]))
    # Whole on a page when it fits; a longer entry starts on a fresh page and breaks between rows.
    return [KeepTogether([head, _field_table(fields, [LABEL_W, width - LABEL_W])]),
            *_situation(st, e["situation_snapshot"], width), Spacer(1, 5 * mm)]


def _cover(st: _Styles, meta: PdfMeta, count: int, f: Fonts) -> list:
    chain = meta.chain
    check = chain["verification"]
    status = ("intact: every content hash, device chain and the hub chain checked" if check["intact"]
              else f"BROKEN: {check['problems']} problem(s); first: {check['first_problem']}")
    hub = chain["hub_head"]
    hub_text = f"hub_seq {hub['hub_seq']}, {hub['hub_hash']}" if hub else "no entry has reached the hub yet"
    ret = meta.retention
    ret_text = f"{ret.get('class')}: {ret.get('retention_period')}" + ("" if ret.get("verified")
                                                                    else " (retention class not yet verified)")
    p = meta.period
    rows = [
        ("ICB", _text(meta.icb)),
        ("Period", _text(f"{p.label()}{', UK time' if p.timed else ' UK local dates'}; {p.as_dict()['utc_start']} to "
                         f"{p.as_dict()['utc_end_exclusive']} UTC (end excluded)")),
        ("Entries", str(count)),
        ("Hash chains", _text(status)),
        ("Hub chain head", _text(hub_text)),
        ("Retention class", _text(ret_text)),
        ("Exported by", _text(f"{meta.exporter['user']} on {meta.exporter['host']}, {meta.exporter['app']}, "
                              f"{uk_time(meta.exported_at)}")),
    ]
    if meta.key_fingerprint:   # whole, in fours as 'scc-desktop export key' prints them to read aloud
        from models.records.export.signing import spaced
        rows.append(("Signed with", _text(
            f"export key{f' {meta.key_number}' if meta.key_number else ''}, fingerprint {spaced(meta.key_fingerprint, 16)} (manifest.json "
            "signed into signature.json; compare the fingerprint with the one registered for the room)")))
    width = TEXT_W
    table = _field_table([_rows(st, k, v, width, st.warn if k == "Hash chains" and not check["intact"] else None)
                          for k, v in rows], [LABEL_W, width - LABEL_W])
    story = [Paragraph("Decision log export", st.title), table]
    if f.note:
        story += [Spacer(1, 2 * mm), Paragraph(_text(f"Font: {f.note}."), st.warn)]
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph("Times are UK local time. Entries are never overwritten: a correction is a new entry "
                           "that names the entry it corrects. The CSV and JSON beside this file hold the same "
                           "entries for the records system.", st.none))
    story.append(Spacer(1, 5 * mm))
    if not count:
        story.append(Paragraph("No decisions were recorded in this period.", st.body))
    return story


def _handover(st: _Styles, handover: dict[str, Any]) -> list:
    """Last section: actions open at the export time, overdue first (``models.records.export.handover``)."""
    story = [Spacer(1, 5 * mm), Paragraph(_text(f"Handover: actions open at {_when(handover['as_at'])}"), st.head)]
    rows = handover["overdue"] + handover["open"]
    if not rows:
        return story + [Paragraph("No open actions.", st.body)]
    for a in rows:
        due = f"due {_when(a['due_at'])}" if a["due_at"] else "no due time"
        late = f"OVERDUE by {durations.span(a['overdue_minutes'])} · " \
            if a["overdue"] else ""
        story.append(Paragraph(_text(f"{late}{a['description']} · owner {a['owner']} · {due}"),
                               st.warn if a["overdue"] else st.body))
    return story


class _Story(list):
    """The flowables still to lay out, topped up from ``parts`` (lists of flowables: the cover, one per entry,
    the handover) as reportlab's build reads ``len()`` before each flowable: a few entries are held, not
    the period's.  Whole parts are added, each ending in a flowable that is not kept with the next, so
    reportlab sees every run of kept-together flowables whole, as in one long list."""

    def __init__(self, parts: Iterator[list], ahead: int = 48) -> None:
        super().__init__()
        self._parts, self._ahead = parts, ahead

    def __len__(self) -> int:
        held = super().__len__()
        while held < self._ahead and self._parts is not None:
            part = next(self._parts, None)
            if part is None:
                self._parts = None
            else:
                self.extend(part)
                held = super().__len__()
        return held


def write(out, entries: Iterable[dict[str, Any]], count: int, index: dict[str, int], meta: PdfMeta,
          handover: dict[str, Any] | None = None) -> Rendered:
    """Write the PDF to ``out`` (``write(bytes)``) page by page while ``entries`` (``count`` of them, in order;
    ``index``: uuid to entry number for the whole period) are read; ``Rendered.data`` is empty."""
    f = fonts()
    st = _Styles(f)
    counter: list[int] = []
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + HEADER_H,
        bottomMargin=MARGIN + FOOTER_H, title=f"Decision log: {meta.icb}, {meta.period.label()}",
        author=str(meta.exporter.get("user")), subject="SCC decision log export",
        creator=f"scc-desktop {VERSION}", invariant=1)

    def parts() -> Iterator[list]:
        yield _cover(st, meta, count, f)
        for i, e in enumerate(entries, start=1):
            yield _entry(st, e, i, index)
        if handover is not None:
            yield _handover(st, handover)

    doc.build(_Story(parts()), canvasmaker=_numbered_canvas(meta, f, counter))
    return Rendered(b"", counter[-1] if counter else 0, f.name, f.note)


def render(entries: list[dict[str, Any]], meta: PdfMeta, handover: dict[str, Any] | None = None) -> Rendered:
    """The PDF bytes and page count; ``handover`` adds the open-actions section at the end."""
    buf = io.BytesIO()
    rendered = write(buf, entries, len(entries), {e["uuid"]: i for i, e in enumerate(entries, start=1)}, meta,
                     handover)
    return replace(rendered, data=buf.getvalue())
