"""The system picture's middle: one row per acute site, painted to fit the space it is given.

No scroll bar, ever: the rows share the board's height; when that would make them too short to read
(below ``MIN_ROW_PX``), the sites are split into two or three blocks side by side, but no more blocks than
leave the headings and figures whole at the smallest type while fewer keep a row's text above it. Every cell is fitted
to its column (a name too long is cut with "…", the whole row is in the accessible text). A figure older
than its limit is hatched, in the theme's stale colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from ui import theme
from ui.system_tiles import MIN_PX, PaintedText, draw_hatch

MIN_ROW_PX = 22
# Rows are at least this share of the board's height: a 4K wall screen is no bigger than a 1080p one,
# so its rows need twice the pixels to read the same from across the room.
MIN_ROW_SHARE = 1 / 14
MAX_BLOCKS = 3
TEXT_SHARE = 0.62   # a row's text is this share of its height
# A few sites do not get giant rows: each at most this share of the board's part of the page. The board
# is then only as tall as its rows, and the rest of the page has the height left over.
ROW_CAP_SHARE = 1 / 9
# (heading, relative width); the first is the site's name. At 1366x768 (two blocks of ~665 px) "CRITCON" and
# "Free beds" were cut to "CRITC…" and "Free b…" even at the smallest type: they have width from "Site" and
# "To next" ("10 → 3" needs ~36 px of its ~46).
COLUMNS = (("Site", 2.65), ("OPEL", 1.0), ("To next", 1.2), ("4-hour", 1.0), ("12 h+", 0.9),
           ("En route", 1.15), ("Waiting", 1.1), ("Longest", 1.45), ("CRITCON", 1.25), ("Free beds", 1.4),
           ("Updated", 1.6))


@dataclass(frozen=True)
class Cell:
    text: str
    colours: tuple[str, str] | None = None   # a status badge
    stale: bool = False


class SiteBoard(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("siteBoard")
        self.rows: list[tuple[Cell, ...]] = []
        self.names: list[str] = []
        self.tips: list[str] = []
        self.geometry_now: tuple[int, int, int, int, int] | None = None   # (blocks, per, row_h, block_w, gap)
        self.painted = PaintedText()
        self.blocks = 1
        self.row_px = 0
        self.row_cap = 0            # the tallest a row may be (0: a ninth of the board's own height)
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(100, 60)

    def show_rows(self, rows: list[tuple[Cell, ...]], names: list[str], empty_text: str = "") -> None:
        if rows == self.rows and empty_text == self.empty_text:
            return
        self.rows, self.names, self.empty_text = rows, names, empty_text
        self.setAccessibleName(f"Acute sites: {len(rows)}")
        # A row's tooltip: its name as said aloud where that says more than the name on the row (a
        # phoned-in call, a finding that puts a figure in doubt, in full).
        self.tips = list(names)
        self.setAccessibleDescription("; ".join(
            f"{name}: " + ", ".join(f"{h} {c.text}" for (h, _w), c in zip(COLUMNS[1:], row[1:]))
            for name, row in zip(names, rows)))
        self.update()

    def _layout(self, height: int | None = None) -> tuple[int, int]:
        """(blocks, rows per block) for the rows at ``height`` (default: the board's)."""
        height = self.height() if height is None else height
        n = max(1, len(self.rows))
        chosen = next((b for b in range(1, MAX_BLOCKS + 1)
                       if height / (-(-n // b) + 1) >= max(MIN_ROW_PX, height * MIN_ROW_SHARE)), MAX_BLOCKS)
        # Narrower blocks cut the figures even at the smallest type (1.5 or twice the text at 1366x768: the taller
        # banner and tabs leave the board three blocks, and "10 → 3", "≥ 18 min", "since 20:48" read "10 …",
        # "≥ 18…", "since…", every heading "O…", "To …"): fewer, wider blocks with shorter rows, while a row's
        # text is still above the smallest type.
        while chosen > 1 and self._cuts(chosen) and (height / (-(-n // (chosen - 1)) + 1)) * TEXT_SHARE >= MIN_PX + 1:
            chosen -= 1
        return chosen, -(-n // chosen)

    def _cuts(self, blocks: int) -> bool:
        """Whether a heading or a figure (not a site's name, which may be cut) would be cut in ``blocks`` blocks
        at the smallest type."""
        gap = 10 if blocks > 1 else 0
        block_w = (self.width() - gap * (blocks - 1)) // blocks
        total = sum(w for _h, w in COLUMNS)
        font = QFont(self.font())
        font.setBold(True)
        font.setPixelSize(MIN_PX)
        metrics = QFontMetrics(font)
        for c, (heading, w) in enumerate(COLUMNS):
            if c == 0:
                continue
            room = int(block_w * w / total)
            if metrics.horizontalAdvance(heading) > room - 8:
                return True
            if any(c < len(row) and metrics.horizontalAdvance(row[c].text) > room - 10 for row in self.rows):
                return True
        return False

    def height_for(self, share: int) -> int | None:
        """How tall the board need be when its part of the page is ``share`` pixels high: the heading
        and the rows at their tallest (``ROW_CAP_SHARE`` of the share); None when they need it all."""
        self.row_cap = max(MIN_ROW_PX, int(share * ROW_CAP_SHARE))
        if not self.rows:
            return None
        _blocks, per = self._layout(share)
        need = (per + 1) * min(share // (per + 1), self.row_cap) + 1   # and the frame's bottom line
        return need if need < share else None

    def paintEvent(self, _event) -> None:  # noqa: N802
        t = theme.current()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.painted = PaintedText()
        p.fillRect(self.rect(), QColor(t.base))
        if not self.rows:
            self.painted.line(p, self.rect().adjusted(12, 0, -12, 0), self.empty_text, max(14, self.height() // 12),
                              t.muted, align=Qt.AlignmentFlag.AlignCenter)
            p.end()
            return
        self.blocks, per = self._layout()
        gap = 10 if self.blocks > 1 else 0
        block_w = (self.width() - gap * (self.blocks - 1)) // self.blocks
        row_h = min(self.height() // (per + 1), self.row_cap or int(self.height() * ROW_CAP_SHARE))
        self.row_px = row_h
        self.geometry_now = (self.blocks, per, row_h, block_w, gap)
        text_px = int(row_h * TEXT_SHARE)
        total = sum(w for _h, w in COLUMNS)
        for b in range(self.blocks):
            x0 = b * (block_w + gap)
            xs, x = [], x0
            for _h, w in COLUMNS:
                cw = int(block_w * w / total)
                xs.append((x, cw))
                x += cw
            head = QRect(x0, 0, block_w, row_h)
            p.fillRect(head, QColor(t.button))
            for (hx, hw), (heading, _w) in zip(xs, COLUMNS):
                self.painted.line(p, QRect(hx + 4, 0, hw - 8, row_h), heading, text_px, t.text, bold=True)
            for i, row in enumerate(self.rows[b * per:(b + 1) * per]):
                y = (i + 1) * row_h
                if i % 2:
                    p.fillRect(QRect(x0, y, block_w, row_h), QColor(t.alt_base))
                for (cx, cw), c in zip(xs, row):
                    rect = QRect(cx + 2, y + 2, cw - 4, row_h - 4)
                    colour = t.text
                    if c.stale:
                        draw_hatch(p, rect, t.border)
                        colour = t.stale
                    elif c.colours:
                        p.fillRect(rect, QColor(c.colours[0]))
                        p.setPen(QPen(QColor(t.badge_border), t.border_px))
                        p.drawRect(rect.adjusted(0, 0, -1, -1))
                        colour = c.colours[1]
                    self.painted.line(p, rect.adjusted(3, 0, -3, 0), c.text, text_px, colour,
                                      bold=bool(c.colours) or c.stale)
            p.setPen(QPen(QColor(t.border), t.border_px))
            p.drawRect(QRect(x0, 0, block_w - 1, (min(per, len(self.rows) - b * per) + 1) * row_h))
        p.end()

    def row_at(self, x: int, y: int) -> int | None:
        """The index of the site row painted at (x, y), or None."""
        if not self.geometry_now or not self.rows:
            return None
        blocks, per, row_h, block_w, gap = self.geometry_now
        b, i = x // (block_w + gap), y // row_h - 1
        index = b * per + i
        return index if 0 <= b < blocks and 0 <= i < per and index < len(self.rows) else None

    def event(self, event) -> bool:  # noqa: D102
        if event.type() == QEvent.Type.ToolTip:
            index = self.row_at(event.pos().x(), event.pos().y())
            tip = self.tips[index] if index is not None and index < len(self.tips) else ""
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def fits(self) -> bool:
        """Every row inside the board and readable (rows at least ``MIN_ROW_PX`` high)."""
        return (all(self.rect().contains(r) for r, _px in self.painted.rects)
                and (not self.rows or self.row_px >= MIN_ROW_PX))
