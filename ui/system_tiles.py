"""Painted parts of the system picture: tiles whose type grows with the screen, and stale ones marked.

A wall screen is read from across the room, so each tile draws its own text at the largest size its
rectangle holds (every line fitted to the width, never cut off) rather than at the window's text size:
the figures are about a third of a tile's height, at 1920x1080 some 45 px and at 3840x2160 twice that.
Painted, not laid out from labels: a refresh after each sync batch sets texts and repaints, with no
layout pass, and nothing can ask for more room than the screen has.

A tile whose data is older than its limit is drawn differently, whatever the theme: the page's own
background instead of the status colour (which stays as a narrow, desaturated bar at the left), diagonal
hatching across it, and the words "no data since 14:15" in the theme's stale colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui import theme

MIN_PX = 9          # below this a line is elided rather than shrunk further
MORE = re.compile(r" \+(\d+) more$")   # the count a cut line keeps
PART = " · "        # between the parts of a line ("major pressure · method unverified"): where one may break
STALE_BAR = 0.045   # the desaturated status bar's share of a stale tile's width


@dataclass(frozen=True)
class TileText:
    """Everything a tile shows; two equal ones draw the same tile."""

    title: str
    figure: str
    lines: tuple[str, ...] = ()
    age: str = ""
    colours: tuple[str, str] | None = None   # (background, text) of a status; None: the page's own
    stale: bool = False
    accessible: str = ""
    # Relative heights: title, figure, each line, age.
    shares: tuple[float, float, float, float] = field(default=(0.15, 0.36, 0.13, 0.12))
    sized_alone: tuple[int, ...] = ()        # lines fitted on their own, not at the others' shared size


def desaturated(colour: str) -> QColor:
    """A status colour with most of its colour taken out: it still hints, it no longer asserts."""
    h, s, lightness, a = QColor(colour).getHslF()
    return QColor.fromHslF(max(h, 0.0), s * 0.25, lightness, a)


def fitted_font(base: QFont, px: int, text: str, width: int, *, bold: bool = False) -> QFont:
    """``base`` at ``px`` pixels, or smaller until ``text`` fits ``width`` (never below ``MIN_PX``)."""
    font = QFont(base)
    font.setBold(bold)
    size = max(MIN_PX, int(px))
    font.setPixelSize(size)
    advance = QFontMetrics(font).horizontalAdvance(text)
    if advance > width > 0:
        size = max(MIN_PX, int(size * width / advance))
        font.setPixelSize(size)
        while size > MIN_PX and QFontMetrics(font).horizontalAdvance(text) > width:
            size -= 1
            font.setPixelSize(size)
    return font


def fit_px(base: QFont, px: int, text: str, width: int) -> int:
    """The pixel size ``text`` is drawn at to fit ``width`` (at most ``px``)."""
    return fitted_font(base, px, text, width).pixelSize()


def broken_at_parts(text: str, fits) -> list[str]:
    """``text`` as one line, or, when it does not ``fits(text)``, broken at its last " · " whose head fits (the
    first one when none does), the part after on a line of its own and broken the same way in turn. A line
    with no " · " between two parts stays whole (cut with "…" if it must be). "unable to deliver comprehensive
    care · method unverified" (OPEL 4 from an unverified roll-up file, hazard H-02's note) was cut on a 1366
    wall tile."""
    lines = []
    while not fits(text):
        # a " · " at either end has nothing on one side: not a place to break (no empty line drawn)
        starts = [m.start() for m in re.finditer(re.escape(PART), text) if 0 < m.start() < len(text) - len(PART)]
        if not starts:
            break
        at = next((i for i in reversed(starts) if fits(text[:i])), starts[0])
        lines.append(text[:at])
        text = text[at + len(PART):]
    return lines + [text]


def draw_hatch(p: QPainter, rect: QRect, colour: str) -> None:
    lines = QColor(colour)
    lines.setAlpha(110)   # faint enough that the text over it still reads
    brush = QBrush(lines, Qt.BrushStyle.BDiagPattern)
    p.fillRect(rect, brush)


class PaintedText:
    """What a painted widget drew: each line's rectangle and font size, for the fit checks."""

    def __init__(self) -> None:
        self.rects: list[tuple[QRect, int]] = []
        self.elided = 0
        self.cut: list[str] = []   # the lines elided, whole
        self.drawn: list[str] = []   # each line as drawn (a cut one with its "…")
        self.folded: list[str] = []   # list lines drawn with fewer names and a larger count, whole
        self.broken: list[str] = []   # lines drawn broken at a " · " over two lines or more, whole

    @staticmethod
    def fold_names(text: str, fits) -> str:
        """A list of names with its count, "set by community 3, community 1 +2 more", with its last names given
        up whole to the count ("set by community 3 +3 more") until ``fits(line)``, the first name kept: cut in a
        name, it read "set by community 3, communit… +2 more" on a pillar tile at 1366x768."""
        tail = MORE.search(text)
        if tail is None:
            return text
        names, more = text[:tail.start()].split(", "), int(tail.group(1))
        line = text
        while len(names) > 1 and not fits(line):
            names.pop()
            more += 1
            line = ", ".join(names) + f" +{more} more"
        return line

    def line(self, p: QPainter, rect: QRect, text: str, px: int, colour: QColor | str, *, bold: bool = False,
             align=Qt.AlignmentFlag.AlignLeft, names: bool = False) -> int:
        """Draw ``text`` in ``rect`` at up to ``px`` pixels; returns the size used. A list of ``names`` with a
        count too long even at the smallest type first gives whole names to its count (``fold_names``); a line
        still too long is cut with "…"; one ending in a count ("Community Health Services RC01 +5 more") is cut
        before the count, which stays ("Community Health Se… +5 more")."""
        if names:
            def fits(line: str) -> bool:
                font = fitted_font(p.font(), min(px, rect.height()), line, rect.width(), bold=bold)
                return QFontMetrics(font).horizontalAdvance(line) <= rect.width()
            folded = self.fold_names(text, fits)
            if folded != text:
                self.folded.append(text)
                text = folded
        font = fitted_font(p.font(), min(px, rect.height()), text, rect.width(), bold=bold)
        metrics = QFontMetrics(font)
        shown = text
        if metrics.horizontalAdvance(text) > rect.width():
            tail = MORE.search(text)
            keep = tail.group(0) if tail and tail.start() > 0 else ""
            room = rect.width() - metrics.horizontalAdvance(keep)
            shown = (metrics.elidedText(text[:len(text) - len(keep)], Qt.TextElideMode.ElideRight, room) + keep
                     if keep and room > metrics.horizontalAdvance("Abc…") else
                     metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()))
            self.elided += 1
            self.cut.append(text)
        p.setFont(font)
        p.setPen(QColor(colour))
        p.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter), shown)
        self.drawn.append(shown)
        used = QRect(rect.x(), rect.y(), min(rect.width(), metrics.horizontalAdvance(shown)), rect.height())
        self.rects.append((used, font.pixelSize()))
        return font.pixelSize()


class Tile(QWidget):
    """One big figure with a title, a few lines under it and its age."""

    def __init__(self, name: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.text = TileText("", "")
        self.painted = PaintedText()
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(40, 30)

    def show_text(self, text: TileText) -> None:
        if text == self.text:
            return
        self.text = text
        self.setAccessibleName(text.accessible or f"{text.title}: {text.figure}")
        self.setAccessibleDescription(" · ".join(x for x in (*text.lines, text.age) if x))
        self.update()

    @property
    def figure_px(self) -> int:
        """The figure's font size as last painted (0: not painted yet)."""
        return self.painted.rects[1][1] if len(self.painted.rects) > 1 else 0

    def paintEvent(self, _event) -> None:  # noqa: N802
        t = theme.current()
        tx = self.text
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.painted = PaintedText()
        r = self.rect().adjusted(1, 1, -1, -1)
        if tx.colours and not tx.stale:
            bg, fg = QColor(tx.colours[0]), QColor(tx.colours[1])
            muted = fg
        else:
            bg, fg, muted = QColor(t.base), QColor(t.text), QColor(t.muted)
        p.fillRect(r, bg)
        inner = r.adjusted(8, 4, -8, -4)
        if tx.stale:
            draw_hatch(p, r, t.border)
            if tx.colours:
                bar = QRect(r.x(), r.y(), max(6, int(r.width() * STALE_BAR)), r.height())
                p.fillRect(bar, desaturated(tx.colours[0]))
                inner.setLeft(bar.right() + 8)
        p.setPen(QPen(QColor(t.badge_border), t.border_px, Qt.PenStyle.DashLine if tx.stale else Qt.PenStyle.SolidLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(QRectF(r), 6, 6)
        title, figure, line, age = tx.shares
        lines, alone, scale, own = self._laid_out(p.font(), inner.width(), inner.height())
        line_h = int(line * scale)
        y = inner.y()
        for text, h, px, colour, bold, names in (
                [(tx.title, int(title * scale), None, fg, True, False),
                 (tx.figure, int(figure * scale), None, fg, True, False)]
                + [(x, line_h, px, fg, False, i in alone) for i, (x, px) in enumerate(zip(lines, own))]
                + ([(tx.age, int(age * scale), None, QColor(t.stale) if tx.stale else muted, tx.stale, False)]
                   if tx.age else [])):
            self.painted.line(p, QRect(inner.x(), y, inner.width(), h), text, px or int(h * 0.82), colour,
                              bold=bold, names=names)
            y += h
        p.end()

    def _laid_out(self, base: QFont, width: int, height: int):
        """The lines under the figure, which of them are sized alone, the tile's scale (px per share) and each
        line's px. The lines share one size (the largest every one of them fits at), so a tile reads as one
        block rather than a ransom note of sizes; a line marked as sized alone (a list of names, as long as the
        names are) is fitted on its own rather than shrinking the others with it. The shared size is not below
        60% of what the line's height allows: past that a long line shrinks alone.

        A line of " · " parts is laid out broken at each size a part could need (``_broken_lines``): unbroken
        where it fits at the smallest type, and broken further while that draws the shared lines larger. The
        layout whose smallest shared line is largest is kept (the fewest lines on a tie): OPEL 4's words with
        the unverified note fit on one line of a 1920x1080 pillar tile only at 10 px, and drew score and
        "set by" at 10 px with them; on two lines all are 13 px. A line with no " · " too long at MIN_PX is cut."""
        title, figure, line, age = self.text.shares
        fixed = title + figure + (age if self.text.age else 0)

        def layout(at: int):
            lines, alone = self._broken_lines(base, width, at)
            total = fixed + line * len(lines)
            scale = height / total if total else 0
            cap = int(int(line * scale) * 0.8)   # as paintEvent's line height gives it
            sizes = [fit_px(base, cap, x, width) for x in lines]
            shared = [x for i, x in enumerate(sizes) if i not in alone]
            line_px = max(min(shared, default=0), int(cap * 0.6))
            own = [min(x, line_px) if i in alone else line_px for i, x in enumerate(sizes)]
            # the smallest shared line as drawn; rows too low for MIN_PX (a narrow tile) count at their height
            least = min(min(shared, default=cap), cap)
            return least, lines, alone, scale, own

        best = layout(MIN_PX)
        if any(PART in x for i, x in enumerate(self.text.lines) if i not in self.text.sized_alone):
            seen = {tuple(best[1])}
            for at in range(MIN_PX + 1, int(int(best[3] * line) * 0.8) + 1):   # up to the fewest lines' cap
                lines, _alone = self._broken_lines(base, width, at)
                if tuple(lines) in seen:
                    continue
                seen.add(tuple(lines))
                if (candidate := layout(at))[0] > best[0]:
                    best = candidate
        least, lines, alone, scale, own = best
        self.painted.broken = [x for i, x in enumerate(self.text.lines)
                               if i not in self.text.sized_alone and x not in lines]
        return lines, alone, scale, own

    def _broken_lines(self, base: QFont, width: int, at: int = MIN_PX) -> tuple[list[str], frozenset[int]]:
        """The lines to draw and which of them are sized alone: a line too long for ``width`` at ``at`` px is
        broken at its " · " (``broken_at_parts``), its parts sized with the rest; a list of names (sized alone)
        folds into its count instead (``fold_names``). Worked out at each paint, from the width drawn in."""
        font = QFont(base)
        font.setPixelSize(at)
        metrics = QFontMetrics(font)

        def fits(line: str) -> bool:
            return metrics.horizontalAdvance(line) <= width
        lines: list[str] = []
        alone: set[int] = set()
        for i, text in enumerate(self.text.lines):
            parts = broken_at_parts(text, fits) if i not in self.text.sized_alone else [text]
            if i in self.text.sized_alone:
                alone.add(len(lines))
            lines += parts
        return lines, frozenset(alone)

    def fits(self) -> bool:
        """Every line inside the tile, none cut short."""
        return self.painted.elided == 0 and all(self.rect().contains(r) for r, _px in self.painted.rects)
