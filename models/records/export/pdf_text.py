"""Text of every script in the PDFs (the records export and the room's reports), printed as written or,
where no font here can draw a character, as an honest stand-in: its code point and Unicode name.

The records review found Arabic printed unjoined and left to right (wrong words, not ugly ones) and emoji
printed as empty boxes (characters silently lost).  What this module does about it:

* **Joining, no shaping.**  Arabic and Urdu letters are joined here (each letter's presentation form,
  lam-alef as one: :func:`arabic_forms`) and each right-to-left word reversed for drawing.  HarfBuzz
  shaping (reportlab's ``shaping`` through ``uharfbuzz``) was tried and taken out: the reordering
  below sliced its shaped text and crashed the export on an Arabic vowel mark, and the installer has no
  room for it.  Bengali, Gujarati, Gurmukhi, Devanagari and Tamil need shaping, so their runs are stand-ins.
* **Direction.**  reportlab leaves words left to right in a paragraph of several fragments (its bidi
  reordering is switched off there and needs ``rlbidi``, which is not on PyPI).  :class:`Paragraph` puts
  each line's words in visual order when it draws it (the Unicode bidi algorithm's rules W7, N1, N2, I1, I2
  and L2 on whole words, the level reportlab's own bidi works at): a right-to-left run reads right to
  left, numbers in it stay left to right, and a paragraph whose first strong letter is Arabic or Hebrew is
  right-aligned.  Wrapping and splitting work on the logical order, so a paragraph split over two pages
  keeps its order, and the words reach the PDF's text in logical order within each word.
* **Fonts.**  The primary font (DejaVu Sans) draws Latin with Polish, Greek, Cyrillic, Hebrew and most of
  Arabic.  A run it lacks letters of (Urdu's ں ے ۓ; all Arabic and Hebrew where DejaVu is not installed)
  is set, whole, in a Noto Sans font shipped in ``resources/fonts`` (SIL OFL 1.1, ``resources/fonts/OFL.txt``;
  where they came from: ``resources/data/PROVENANCE.md``).  A run is one font so that its letters join.
* **Stand-ins.**  A character no font here has (emoji, Chinese, Japanese, Korean: Noto CJK alone is about
  20 MB, more than the installer has room for) prints as ``[U+1F44D THUMBS UP SIGN]`` in brown, and every
  page with one says in its footer that the exact text is in the JSON and CSV beside the PDF.  Invisible
  format characters (direction marks, variation selectors) are left out of the drawing; the JSON keeps them.

Like the streamed writer in ``pdf.py`` this leans on reportlab 5.1's internals (the lines of a laid-out
paragraph): reportlab is pinned to 5.1 for that reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError
from reportlab.platypus import paragraph as rl_paragraph

import resources
from models.records.export.measured_font import MeasuredTTFont

FONT_DIR = Path(resources.__file__).parent / "fonts"
# No HarfBuzz shaping: with it, a Latin word before an Arabic word with a vowel mark ("Patient محمدٌ")
# stopped the export with IndexError (the words' visual reordering below sliced the shaped text; a review
# found 75 of 300 mixed lines), and the installer's bundle has no room for it.  Arabic, Urdu and Hebrew are
# joined and ordered here; an Indic run is a stand-in.

# Script ranges: (name, first, last).  A run of one of these scripts is drawn in one font.
_SCRIPTS = (
    ("Hebrew", 0x0590, 0x05FF), ("Arabic", 0x0600, 0x06FF), ("Arabic", 0x0750, 0x077F),
    ("Arabic", 0x0870, 0x08FF), ("Devanagari", 0x0900, 0x097F), ("Bengali", 0x0980, 0x09FF),
    ("Gurmukhi", 0x0A00, 0x0A7F), ("Gujarati", 0x0A80, 0x0AFF), ("Tamil", 0x0B80, 0x0BFF),
    ("Devanagari", 0xA8E0, 0xA8FF), ("Hebrew", 0xFB1D, 0xFB4F), ("Arabic", 0xFB50, 0xFDFF),
    ("Arabic", 0xFE70, 0xFEFF),
)
# Shipped fonts, tried in this order for a run the primary font cannot draw whole ("" is Noto Sans: Latin,
# Greek and Cyrillic where DejaVu is not installed, as on Windows, and reportlab's Vera has Latin-1 only).
FALLBACKS = ("", "Arabic", "Hebrew")   # Indic scripts need shaping, which is not done: stand-ins
_COMPLEX = re.compile("[\u0590-\u0bff\ua8e0-\ua8ff\ufb1d-\ufdff\ufe70-\ufeff]")   # text to shape
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_JOINERS = {0x200C, 0x200D}   # ZWNJ, ZWJ: they steer shaping, so they stay in a shaped run
STANDIN_COLOUR = "#7a4b00"
_STANDIN_MARK = f'<font color="{STANDIN_COLOUR}">['   # users' text is escaped: it never holds "<font"


def _script(cp: int) -> str | None:
    for name, first, last in _SCRIPTS:
        if first <= cp <= last:
            return name
    return None


def _ignorable(cp: int) -> bool:
    """Invisible format characters (direction marks and isolates, variation selectors, word joiners,
    a byte-order mark): nothing to draw, and a font without them would draw a box."""
    return (unicodedata.category(chr(cp)) == "Cf" and cp != 0x00AD) or 0xFE00 <= cp <= 0xFE0F \
        or 0xE0100 <= cp <= 0xE01EF or 0xE0000 <= cp <= 0xE007F


_INDIC = {"Bengali", "Gujarati", "Gurmukhi", "Devanagari", "Tamil"}


def _arabic_tables() -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], int]]:
    """From Unicode's compatibility decompositions: (letter, form) -> presentation form, and (alef after
    lam, form) -> the lam-alef ligature."""
    forms: dict[tuple[int, str], int] = {}
    ligatures: dict[tuple[int, str], int] = {}
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)]:
        tag, _, rest = unicodedata.decomposition(chr(cp)).partition(" ")
        form = tag.strip("<>")
        if form not in ("isolated", "final", "initial", "medial"):
            continue
        parts = [int(x, 16) for x in rest.split()]
        if len(parts) == 1:
            forms.setdefault((parts[0], form), cp)
        elif len(parts) == 2 and parts[0] == 0x0644 and parts[1] in (0x0622, 0x0623, 0x0625, 0x0627):
            ligatures.setdefault((parts[1], form), cp)
    return forms, ligatures


_FORMS, _LAM_ALEF = _arabic_tables()
_DUAL = {c for c, form in _FORMS if form in ("initial", "medial")} | {0x0640, 0x200D}   # tatweel, ZWJ join both


def _joins(cp: int) -> bool:
    return cp in _DUAL or (cp, "final") in _FORMS


def arabic_forms(text: str) -> str:
    """Arabic letters in the forms joining gives them (isolated, initial, medial, final; lam-alef as one),
    in logical order: what HarfBuzz does for Arabic, for when it is not installed.  Marks are transparent."""
    cps = [ord(c) for c in text]
    out = []
    i = 0
    while i < len(cps):
        cp = cps[i]
        if not _joins(cp) or cp in (0x0640, 0x200D):
            out.append(cp)
            i += 1
            continue
        j = i - 1
        while j >= 0 and unicodedata.category(chr(cps[j])) == "Mn":
            j -= 1
        after_joining = j >= 0 and cps[j] in _DUAL
        k = i + 1
        while k < len(cps) and unicodedata.category(chr(cps[k])) == "Mn":
            k += 1
        if cp == 0x0644 and k < len(cps) and k == i + 1 and (cps[k], "isolated") in _LAM_ALEF:
            out.append(_LAM_ALEF.get((cps[k], "final" if after_joining else "isolated"), cp))
            i = k + 1
            continue
        before_joining = cp in _DUAL and k < len(cps) and _joins(cps[k])
        form = ("medial" if after_joining and before_joining else "final" if after_joining
                else "initial" if before_joining else "isolated")
        out.append(_FORMS.get((cp, form), _FORMS.get((cp, "isolated"), cp)))
        i += 1
    return "".join(map(chr, out))


_MIRROR = dict(zip(map(ord, "()[]{}<>«»‹›"), map(ord, ")(][}{><»«›‹")))


def _reversed_word(text: str) -> str:
    """A right-to-left word's characters in drawing order, for when HarfBuzz has not ordered them: reversed
    by whole characters (a letter with the marks after it), brackets mirrored."""
    clusters: list[str] = []
    for ch in text:
        if clusters and unicodedata.category(ch) in ("Mn", "Me"):
            clusters[-1] += ch
        else:
            clusters.append(chr(_MIRROR.get(ord(ch), ord(ch))))
    return "".join(reversed(clusters))


@lru_cache(maxsize=None)
def _cmap(font_name: str) -> frozenset[int]:
    """The code points ``font_name`` draws: those it has a glyph for (a standard PDF font such as Helvetica:
    Latin-1), less those outside the Basic Multilingual Plane.  reportlab 5.1 writes such a character into
    the PDF's text layer as five hex digits, which readers take for another character (DejaVu's U+1F61F
    WORRIED FACE was copied and searched as U+1F61 'ὡ'), so those print as stand-ins, which read back
    right."""
    font = pdfmetrics.getFont(font_name)
    face = getattr(font, "face", None)
    if face is None:
        return frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))
    return frozenset(cp for cp, glyph in face.charToGlyph.items() if glyph and cp <= 0xFFFF)


@lru_cache(maxsize=None)
def fallback_fonts() -> tuple[str, ...]:
    """The shipped fonts that could be registered, by their reportlab names (one family each, its bold the
    regular: Paragraph's <b> must not look for a bold that is not there)."""
    names = []
    for script in FALLBACKS:
        name, path = f"SCC-Noto-{script or 'Sans'}", FONT_DIR / f"NotoSans{script}-Regular.ttf"
        try:
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(MeasuredTTFont(name, str(path)))
                pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
        except (TTFError, OSError):
            continue
        names.append(name)
    return tuple(names)


def _drawn_by(font: str, cps: list[int]) -> bool:
    have = _cmap(font)
    return all(cp in have or _ignorable(cp) or (cp in _JOINERS) for cp in cps)


def standin(cps: list[int]) -> str:
    """``[U+1F44D THUMBS UP SIGN, U+1F3FD EMOJI MODIFIER FITZPATRICK TYPE-4]``: what could not be drawn;
    ``[Bengali: U+09B0 U+09CB]`` for a run of an Indic script left unshaped (no HarfBuzz)."""
    scripts = {_script(cp) for cp in cps} - {None}
    if len(scripts) == 1 and next(iter(scripts)) in _INDIC:
        return f"[{next(iter(scripts))}: " + " ".join(f"U+{cp:04X}" for cp in cps) + "]"
    said = []
    for cp in cps:
        name = unicodedata.name(chr(cp), "")
        said.append(f"U+{cp:04X}" + (f" {name}" if name and not name.endswith(f"-{cp:04X}") else ""))
    if any(unicodedata.name(chr(cp), "").startswith("CJK UNIFIED IDEOGRAPH") for cp in cps):
        said.append("CJK ideographs" if len(cps) > 1 else "CJK ideograph")
    return "[" + ", ".join(said) + "]"


@dataclass(frozen=True)
class Run:
    text: str
    font: str | None      # None: the style's own font
    standin: bool = False


def runs(text: str, primary: str) -> list[Run]:
    """``text`` cut into runs to draw: in the style's font (``primary``), in a fallback font (a script run
    the primary font cannot draw whole), or stand-ins for characters no font here has."""
    cps = [ord(ch) for ch in text]
    # A letter of a script not listed (Latin, Greek, Cyrillic, Han) ends a run; a character of no script of
    # its own (a space, a mark, a digit, a bracket) goes with the script run before it, or else after it:
    # "(বাংলা)" is one run (an opening bracket goes with what follows it), so its brackets are drawn in the
    # same font as their letters.
    scripts = [_script(cp) or ("other" if unicodedata.bidirectional(chr(cp)) in ("L", "R", "AL") else None)
               for cp in cps]
    following = None
    for i in range(len(cps) - 1, -1, -1):
        if scripts[i] is not None:
            following = scripts[i]
        elif unicodedata.category(chr(cps[i])) in ("Ps", "Pi"):
            scripts[i] = following
    last = None
    for i, s in enumerate(scripts):
        if s is None:
            scripts[i] = last
        else:
            last = s
    last = None
    for i in range(len(scripts) - 1, -1, -1):
        if scripts[i] is None:
            scripts[i] = last
        else:
            last = scripts[i]
    out: list[Run] = []
    primary_has = _cmap(primary)
    for script, group in groupby(range(len(cps)), key=lambda i: scripts[i]):
        part = [cps[i] for i in group]
        if script in _INDIC:
            # Unshaped, a vowel sign drawn before its consonant would print after it: a wrong word.
            out.append(Run("".join(map(chr, part)), None, standin=True))
            continue
        if script == "Arabic" and "SCC-Noto-Arabic" in fallback_fonts():
            # Joined here: each letter in its presentation form, which Noto Sans Arabic has every one of
            # (a bracket or digit it lacks in the style's font).
            have = _cmap("SCC-Noto-Arabic")
            out += _plain([ord(c) for c in arabic_forms("".join(map(chr, part)))], primary, primary_has,
                          lambda cp: cp in have, "SCC-Noto-Arabic")
            continue
        if script is not None and not _drawn_by(primary, [cp for cp in part if _script(cp)]):
            font = next((f for f in fallback_fonts() if _drawn_by(f, [cp for cp in part if _script(cp)])), None)
            if font is not None:
                # The run in its script's font; its spaces, digits and brackets too where that font has them.
                have = _cmap(font)
                out += _plain(part, primary, primary_has, lambda cp: cp in have or cp in _JOINERS, font)
                continue
        out += _plain(part, primary, primary_has, None, None)
    return _merge(out)


def _plain(part: list[int], primary: str, primary_has, in_run, run_font) -> list[Run]:
    """Each character in the run's font, else the primary font, else a fallback that has it, else a
    stand-in; invisible format characters are dropped outside a shaped run (ZWJ and ZWNJ kept in one)."""
    out: list[Run] = []
    for cp in part:
        ch = chr(cp)
        if run_font is not None and in_run(cp):
            out.append(Run(ch, run_font))
        elif _ignorable(cp):
            continue
        elif cp in primary_has or cp in (0x09, 0x0A, 0x0D):
            out.append(Run(ch, None))
        else:
            font = next((f for f in fallback_fonts() if cp in _cmap(f)), None)
            out.append(Run(ch, font) if font else Run(ch, None, standin=True))
    return out


def _merge(parts: list[Run]) -> list[Run]:
    out: list[Run] = []
    for r in parts:
        if out and out[-1].font == r.font and out[-1].standin == r.standin:
            out[-1] = Run(out[-1].text + r.text, r.font, r.standin)
        else:
            out.append(r)
    return out


def markup(text: str, primary: str) -> str:
    """``text`` (one line, plain) as Paragraph markup: escaped, fallback runs in their fonts, stand-ins."""
    out = []
    for r in runs(text, primary):
        if r.standin:
            out.append(f'{_STANDIN_MARK}{escape(standin([ord(c) for c in r.text])[1:])}</font>')
        elif r.font:
            out.append(f'<font name="{r.font}">{escape(r.text)}</font>')
        else:
            out.append(escape(r.text))
    return "".join(out)


def plain(text: str, font: str) -> str:
    """``text`` for ``canvas.drawString`` in ``font`` (a page's header and footer): no shaping there, so
    each character the font cannot draw is a stand-in."""
    if text.isascii():
        return text
    have = _cmap(font)
    out, missing = [], []
    for ch in text:
        cp = ord(ch)
        if cp in have:
            if missing:
                out.append(standin(missing))
                missing = []
            out.append(ch)
        elif not _ignorable(cp):
            missing.append(cp)
    if missing:
        out.append(standin(missing))
    return "".join(out)


def standin_in(text: str, font: str) -> bool:
    """Whether :func:`plain` puts a stand-in in ``text``."""
    if text.isascii():
        return False
    have = _cmap(font)
    return any(ord(ch) not in have and not _ignorable(ord(ch)) for ch in text)


def drawn_as_is(text: str, font: str) -> bool:
    """Whether ``text`` can be drawn as it is in ``font`` (no shaping, no direction, no other font)."""
    if text.isascii():
        return True
    have = _cmap(font)
    return not _COMPLEX.search(text) and all(ord(ch) in have for ch in text)


def width(text: str, font: str, size: float) -> float:
    """How wide ``text`` prints in ``font`` at ``size`` (before shaping): each run in the font it is drawn
    in, a stand-in as its words (a table's column is sized by its longest word)."""
    if text.isascii():
        return pdfmetrics.stringWidth(text, font, size)
    total = 0.0
    for r in runs(text, font):
        if r.standin:
            total += max(pdfmetrics.stringWidth(w, font, size) for w in standin([ord(c) for c in r.text]).split())
        else:
            total += pdfmetrics.stringWidth(r.text, r.font or font, size)
    return total


def has_standin(markup_text: str) -> bool:
    return _STANDIN_MARK in markup_text


# ---- the bidi algorithm on whole words ------------------------------------------------------------------

def line_groups(markup_text: str) -> list[str]:
    """``markup_text`` cut at its line breaks into runs of typed lines of one direction (a line with no
    letters goes with the line before it): each can be its own paragraph, right-aligned when it reads
    right to left, so an English line under an Arabic one stays on the left."""
    groups: list[tuple[str | None, list[str]]] = []
    for line in markup_text.split("<br/>"):
        strong = _strong(re.sub(r"<[^>]*>", "", line))
        if groups and (strong is None or strong == groups[-1][0] or groups[-1][0] is None):
            if groups[-1][0] is None:
                groups[-1] = (strong, groups[-1][1])
            groups[-1][1].append(line)
        else:
            groups.append((strong, [line]))
    return ["<br/>".join(lines) for _strong_dir, lines in groups]


def has_rtl(markup_text: str) -> bool:
    return bool(_RTL.search(markup_text))


def _strong(text: str) -> str | None:
    """'L', 'R' (Hebrew and Arabic letters alike) or None: the first strong character's direction."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L" and not 0xE000 <= ord(ch) <= 0xF8FF:   # a shaped glyph with no code point of its own
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return None


def base_level(text: str) -> int:
    """Rules P2 and P3: 1 (right to left) when the first strong letter is Hebrew or Arabic."""
    return 1 if _strong(text) == "R" else 0


def _word_type(text: str) -> str:
    strong = _strong(text)
    if strong:
        return strong
    if any(unicodedata.bidirectional(ch) in ("EN", "AN") for ch in text):
        return "N#"   # a number
    return "N"


def levels(words: list[str], base: int) -> list[int]:
    """Each word's embedding level (rules W7, N1, N2, I1, I2 on whole words): a word's type is its first
    strong letter's direction; a number after a left-to-right letter (or at the start of a left-to-right
    paragraph) is left to right; other numbers count as right to left when a neutral is resolved and stay
    left to right inside (level 2); neutrals between two words of one direction take it, else the base."""
    sos = "R" if base else "L"
    types = [_word_type(w) for w in words]
    last = sos
    for i, t in enumerate(types):   # W7 (with W2: a number after Arabic letters is an Arabic number)
        if t in ("L", "R"):
            last = t
        elif t == "N#":
            types[i] = "L" if last == "L" else "#"
    resolved = list(types)
    i = 0
    while i < len(types):   # N1, N2 on runs of neutral words
        if types[i] != "N":
            i += 1
            continue
        j = i
        while j < len(types) and types[j] == "N":
            j += 1
        before = sos if i == 0 else ("R" if types[i - 1] == "#" else types[i - 1])
        after = sos if j == len(types) else ("R" if types[j] == "#" else types[j])
        for k in range(i, j):
            resolved[k] = before if before == after else sos
        i = j
    out = []
    for t in resolved:   # I1, I2
        if base % 2 == 0:
            out.append(base + (1 if t == "R" else 2 if t == "#" else 0))
        else:
            out.append(base + (1 if t in ("L", "#") else 0))
    return out


def visual_order(lv: list[int]) -> list[int]:
    """Rule L2: the indices in visual order, every run at or above each odd level reversed."""
    order = list(range(len(lv)))
    if not lv:
        return order
    top, low = max(lv), min(level for level in lv if level % 2) if any(x % 2 for x in lv) else None
    if low is None:
        return order
    for level in range(top, low - 1, -1):
        i = 0
        while i < len(order):
            if lv[order[i]] >= level:
                j = i
                while j < len(order) and lv[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


class Paragraph(rl_paragraph.Paragraph):
    """reportlab's Paragraph for text of any script: shaped when it holds a script that needs it, its
    words drawn in visual order when it holds right-to-left text, right-aligned when it starts right to
    left, and each page it is drawn on told when it holds a stand-in (the page's footer then says so)."""

    def __init__(self, text, style=None, *args, **kwargs):
        source = text if isinstance(text, str) else "".join(
            getattr(f, "text", "") for f in (kwargs.get("frags") or (args[1] if len(args) > 1 else None) or ()))
        words_only = re.sub(r"<[^>]*>", "", source)
        self._scc_rtl = bool(_RTL.search(words_only))
        self._scc_standin = has_standin(source)
        self._scc_base = base_level(words_only) if self._scc_rtl else 0
        if style is not None and isinstance(text, str) and self._scc_base and style.alignment == TA_LEFT:
            style = _variant(style, alignment=TA_RIGHT)
        super().__init__(text, style, *args, **kwargs)

    def wrap(self, availWidth, availHeight):
        """reportlab's wrap, its lines broken once per width: a paragraph is wrapped again at the same width
        by each layout step that measures it (its field's pieces, the table, keep-together, the frame), and
        the lines depend only on the width, the style and the text (the height available is not used)."""
        done = self.__dict__.get("_scc_wrapped")
        if (done is not None and done[0] == availWidth and done[1] is self.style
                and self.__dict__.get("blPara", done[2]) is done[2]):
            _w, _s, self.blPara, self.width, self.height, self._wrapWidths = done
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        if "blPara" in self.__dict__:
            self._scc_wrapped = (availWidth, self.style, self.blPara, self.width, self.height, self._wrapWidths)
        return size

    def split(self, availWidth, availHeight):
        parts = super().split(availWidth, availHeight)
        for p in parts:   # the pieces are built from laid-out (shaped) fragments: keep what was read here
            if p is not self:
                p._scc_rtl, p._scc_standin, p._scc_base = self._scc_rtl, self._scc_standin, self._scc_base
        return parts

    def drawPara(self, debug=0):
        if self._scc_standin:
            self.canv._scc_standin = True
        if not self._scc_rtl:
            return super().drawPara(debug)
        laid = self.blPara
        self.blPara = _visual_lines(laid, self._scc_base)
        try:
            return super().drawPara(debug)
        finally:
            self.blPara = laid


@lru_cache(maxsize=256)
def _variant_cached(style_id: int, style, items: tuple) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-{'-'.join(f'{k}{v}' for k, v in items)}", parent=style, **dict(items))


def _variant(style, **changes) -> ParagraphStyle:
    return _variant_cached(id(style), style, tuple(sorted(changes.items())))


def _visual_lines(laid, base: int):
    """A copy of a laid-out paragraph whose lines hold their words in visual order, and each right-to-left
    word's characters in drawing order (not shaped, they are in logical order)."""
    copy = laid.clone()
    if laid.kind == 0:   # lines of plain words
        lines = []
        for extra, words in laid.lines:
            lv = levels([str(w) for w in words], base)
            lines.append((extra, [_reversed_word(words[i]) if lv[i] % 2 else words[i]
                                  for i in visual_order(lv)]))
        copy.lines = lines
        return copy
    lines = []
    for line in laid.lines:
        new = line.clone() if hasattr(line, "clone") else line
        new.words = _visual_frags(line.words, base)
        lines.append(new)
    copy.lines = lines
    return copy


def _visual_frags(frags: list, base: int) -> list:
    """A line's fragments cut at its spaces into words, the words put in visual order, and joined again
    with the same spaces (so the line is as wide as before)."""
    words: list[list] = [[]]   # each word: [(frag, text)]
    tail = []                  # fragments with no text (a line break's): kept at the end
    for f in frags:
        text = getattr(f, "text", None)
        if text is None or hasattr(f, "cbDefn"):
            tail.append(f)
            continue
        start = 0
        for i, ch in enumerate(text):
            if ch == " ":
                if i > start:
                    words[-1].append((f, text[start:i]))
                words.append([])
                start = i + 1
        if start < len(text):
            words[-1].append((f, text[start:]))
    # The separators: word k is followed by a space in the fragment of its last piece (or the first's next).
    spaces_font = [w[-1][0] if w else None for w in words]
    lv = levels(["".join(str(t) for _f, t in w) for w in words], base)
    words = [[(f, _reversed_word(t)) for f, t in reversed(w)] if lv[k] % 2 else w for k, w in enumerate(words)]
    order = visual_order(lv)
    out = []
    prev = None
    for n, k in enumerate(order):
        if n:
            sep_frag = spaces_font[prev] or spaces_font[k] or (words[k][0][0] if words[k] else None)
            if sep_frag is not None:
                g = sep_frag.clone()
                g.text = " "
                out.append(g)
        for f, t in words[k]:
            g = f.clone()
            g.text = t
            out.append(g)
        prev = k
    return out + tail
