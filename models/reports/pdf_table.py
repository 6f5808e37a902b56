"""A report table's columns sized from what they hold, so no word is broken inside itself.

Each column is at least as wide as its longest word (header in bold, cells in regular type), then the
room left is shared out as the table's ``widths`` ask.  When the words will not fit the page at the
cells' usual size, the table's type gets smaller (to ``SIZES[-1]``).  E-mail addresses are kept whole if
that fits at all; if not, they may break only just after their '@' or a '.'.  Reportlab wraps a
Paragraph at spaces and cuts a word only when it is wider than its column, which this never asks."""

from __future__ import annotations

import re

from reportlab.pdfbase.pdfmetrics import stringWidth

from models.records.export import pdf_text
from models.records.export.pdf import CELL_FONT, TEXT_W, Fonts
from models.reports.model import Table

SIZES = (CELL_FONT, 7.0, 6.5, 6.0)   # the cells' type, points, largest first
CELL_SIDES = 6.5                   # left and right padding (3 each) and a hair for rounding
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PIECE = re.compile(r"[^@.]*[@.]|[^@.]+$")


def is_email(word: str) -> bool:
    return bool(_EMAIL.match(word))


def email_pieces(word: str) -> list[str]:
    """'claire.boden@example.org' -> ['claire.', 'boden@', 'example.', 'org']: where it may break."""
    return [p for p in _PIECE.findall(word) if p]


def _word_need(word: str, font: str, size: float, break_emails: bool) -> float:
    if break_emails and is_email(word):
        return max(stringWidth(p, font, size) for p in email_pieces(word))
    return pdf_text.width(word, font, size)   # a Bengali word in its Noto font, an emoji as its stand-in's words


def _needs(t: Table, cells: list[list[str]], f: Fonts, size: float, break_emails: bool) -> list[float]:
    needs = []
    for c, header in enumerate(t.headers):
        words = [(w, f.bold) for w in header.split()] + [(w, f.regular) for row in cells for w in row[c].split()]
        needs.append(max((_word_need(w, font, size, break_emails) for w, font in words), default=0) + CELL_SIDES)
    return needs


def _share(needs: list[float], shares: tuple[float, ...]) -> list[float]:
    """Each column its need at least, then as near the shares asked as the room allows."""
    total = sum(shares)
    want = [max(n, TEXT_W * s / total) for n, s in zip(needs, shares)]
    over = sum(want) - TEXT_W
    if over > 0:   # take it back from the columns above their need, in proportion to their slack
        slack = [w - n for w, n in zip(want, needs)]
        room = sum(slack)
        want = [w - over * s / room if room else w for w, s in zip(want, slack)]
    return want


def columns(t: Table, cells: list[list[str]], f: Fonts) -> tuple[list[float], float, bool]:
    """(column widths, the cells' type size, whether e-mail addresses may break) for table ``t`` whose
    cells print as ``cells``."""
    shares = t.widths or tuple(1 / len(t.headers) for _ in t.headers)
    for break_emails in (False, True):
        for size in SIZES:
            needs = _needs(t, cells, f, size, break_emails)
            if sum(needs) <= TEXT_W:
                return _share(needs, shares), size, break_emails
    return _share([min(n, TEXT_W / len(needs)) for n in needs], shares), SIZES[-1], True


def wrap_emails(text: str, width: float, font: str, size: float) -> str:
    """``text`` with each e-mail address too wide for ``width`` broken onto lines ("\n") just after its
    '@' or a '.'; every other word as it is."""
    out: list[str] = []
    for word in text.split(" "):
        if not is_email(word) or stringWidth(word, font, size) <= width:
            out.append(word)
            continue
        lines, line = [], ""
        for piece in email_pieces(word):
            if line and stringWidth(line + piece, font, size) > width:
                lines.append(line)
                line = ""
            line += piece
        out.append("\n".join(lines + [line]))
    return " ".join(out)
