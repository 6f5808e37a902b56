"""A toolbar row that wraps onto a second line instead of widening the window.

A ``QHBoxLayout`` of buttons, filters and labels needs the sum of their widths: at 2.5x text on a
wall screen a view's bar alone asked for 1,700-2,100 px, and the window cannot be narrower than
its widest view.  ``FlowBar`` takes the same calls (``addWidget`` with a stretch, ``addSpacing``,
``addStretch``, ``addLayout``) and lays its items out left to right, starting a new line where the
next one does not fit; each line shares its spare width among its stretching items as a box
layout would.  Its minimum width is its widest item's.

Two rules keep a bar readable when it wraps:
- a label and the field it is the buddy of move to the next line together;
- a combo box may be narrower than its longest item (``COMBO_CHARS`` characters at the least):
  its list still shows every item whole, and a provider's 60-character name no longer sets the
  width of the window.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLayout, QLayoutItem, QSizePolicy, QSpacerItem, QStyle

COMBO_CHARS = 14   # the least a combo box shows of its current item ("All providers" whole)


@dataclass
class _Entry:
    item: QLayoutItem
    stretch: int = 0
    spacer: bool = False     # addSpacing/addStretch: dropped at the start of a line


class FlowBar(QLayout):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entries: list[_Entry] = []
        self._heights: dict[int, int] = {}   # width -> height: Qt asks again and again on each layout pass

    # --- the QHBoxLayout calls the views make -------------------------------------------------
    def addWidget(self, widget, stretch: int = 0, alignment=None) -> None:  # noqa: N802
        super().addWidget(widget)   # Qt makes the item (and owns it: it deletes it with the widget)
        entry = self._entries[-1]
        entry.stretch = stretch
        if alignment is not None:
            entry.item.setAlignment(alignment)

    def addLayout(self, layout: QLayout, stretch: int = 0) -> None:  # noqa: N802
        self.addChildLayout(layout)
        self._entries.append(_Entry(layout, stretch))
        self.invalidate()

    def addSpacing(self, size: int) -> None:  # noqa: N802
        self._entries.append(_Entry(QSpacerItem(size, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum),
                                    spacer=True))
        self.invalidate()

    def addStretch(self, stretch: int = 0) -> None:  # noqa: N802
        self._entries.append(_Entry(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum),
                                    max(1, stretch), spacer=True))
        self.invalidate()

    # --- QLayout ---------------------------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802
        self._entries.append(_Entry(item))
        self.invalidate()

    def count(self) -> int:
        return len(self._entries)

    def itemAt(self, index: int):  # noqa: N802
        return self._entries[index].item if 0 <= index < len(self._entries) else None

    def takeAt(self, index: int):  # noqa: N802
        if 0 <= index < len(self._entries):
            entry = self._entries.pop(index)
            self.invalidate()
            return entry.item
        return None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        if width not in self._heights:
            self._heights[width] = self._place(QRect(0, 0, width, 0), move=False)
        return self._heights[width]

    def invalidate(self) -> None:
        self._heights.clear()   # an item was added, shown, hidden or changed its size
        super().invalidate()

    def sizeHint(self) -> QSize:  # noqa: N802
        """Everything on one line: what the bar would like in a wide window."""
        shown = [e for e in self._entries if not e.item.isEmpty()]
        width = sum(e.item.sizeHint().width() for e in shown) + self._gap(Qt.Orientation.Horizontal) * max(
            0, len(shown) - 1)
        height = max((e.item.sizeHint().height() for e in shown), default=0)
        return self._with_margins(QSize(width, height))

    def minimumSize(self) -> QSize:  # noqa: N802
        shown = [e for e in self._entries if not e.item.isEmpty() and not e.spacer]
        width = max((self._least(e.item) for e in shown), default=0)
        height = max((e.item.minimumSize().height() for e in shown), default=0)
        return self._with_margins(QSize(width, height))

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._place(rect, move=True)

    # --- layout ----------------------------------------------------------------------------------
    def _with_margins(self, size: QSize) -> QSize:
        m = self.contentsMargins()
        return QSize(size.width() + m.left() + m.right(), size.height() + m.top() + m.bottom())

    def _gap(self, orientation: Qt.Orientation) -> int:
        if self.spacing() >= 0:
            return self.spacing()
        parent = self.parentWidget()
        metric = (QStyle.PixelMetric.PM_LayoutHorizontalSpacing if orientation == Qt.Orientation.Horizontal
                  else QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        found = parent.style().pixelMetric(metric, None, parent) if parent is not None else -1
        return found if found >= 0 else 6

    @staticmethod
    def _least(item: QLayoutItem) -> int:
        """An item's minimum width; a combo box's no more than ``COMBO_CHARS`` characters' worth."""
        widget = item.widget()
        least = item.minimumSize().width()
        if isinstance(widget, QComboBox) and widget.minimumWidth() == 0:
            fm = widget.fontMetrics()
            least = min(least, fm.horizontalAdvance("x" * COMBO_CHARS) + 3 * fm.height())
        return least

    def _units(self) -> list[list[_Entry]]:
        """Entries that wrap together: a label with the field it is the buddy of."""
        units: list[list[_Entry]] = []
        glued = False
        for entry in self._entries:
            if entry.item.isEmpty():
                continue
            if glued:
                units[-1].append(entry)
            else:
                units.append([entry])
            label = entry.item.widget()
            glued = isinstance(label, QLabel) and label.buddy() is not None and self._next_is(entry, label.buddy())
        return units

    def _next_is(self, entry: _Entry, widget) -> bool:
        i = self._entries.index(entry) + 1
        return i < len(self._entries) and self._entries[i].item.widget() is widget

    def _place(self, rect: QRect, *, move: bool) -> int:
        """Lay the items out in ``rect`` (``move`` False: only measure); the height they take."""
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        hgap, vgap = self._gap(Qt.Orientation.Horizontal), self._gap(Qt.Orientation.Vertical)
        lines: list[list[_Entry]] = [[]]
        used = 0
        for unit in self._units():
            width = sum(e.item.sizeHint().width() for e in unit) + hgap * (len(unit) - 1)
            if lines[-1] and used + hgap + width > area.width():
                lines.append([])
                used = 0
            for entry in unit:
                if entry.spacer and not lines[-1]:
                    continue   # no gap or stretch at the start of a line
                used += (hgap if lines[-1] else 0) + entry.item.sizeHint().width()
                lines[-1].append(entry)
        y = area.top()
        for line in (ln for ln in lines if ln):
            widths = self._widths(line, area.width(), hgap)
            heights = [e.item.heightForWidth(w) if e.item.hasHeightForWidth() else e.item.sizeHint().height()
                       for e, w in zip(line, widths)]
            height = max(heights)
            if move:
                x = area.left()
                for entry, w, h in zip(line, widths, heights):
                    h = min(max(h, entry.item.minimumSize().height()), height)
                    entry.item.setGeometry(QRect(QPoint(x, y + (height - h) // 2), QSize(w, h)))
                    x += w + hgap
            y += height + vgap
        return y - vgap - area.top() + m.top() + m.bottom() if y > area.top() else m.top() + m.bottom()

    def _widths(self, line: list[_Entry], available: int, hgap: int) -> list[int]:
        """Each item's width on its line: its preferred width, the spare shared by stretch, or
        squeezed towards its minimum when one item alone is wider than the line."""
        room = available - hgap * (len(line) - 1)
        widths = [e.item.sizeHint().width() for e in line]
        spare = room - sum(widths)
        if spare < 0:
            least = [0 if e.spacer else self._least(e.item) for e in line]
            give = [w - lo for w, lo in zip(widths, least)]
            total = sum(give) or 1
            widths = [max(lo, w - (-spare * g) // total) for w, lo, g in zip(widths, least, give)]
        else:
            stretch = [e.stretch if e.stretch else 0 for e in line]
            if not any(stretch):   # as a box layout: items that want to grow share the spare
                stretch = [1 if e.item.expandingDirections() & Qt.Orientation.Horizontal else 0 for e in line]
            total = sum(stretch)
            if total:
                widths = [w + spare * s // total for w, s in zip(widths, stretch)]
        return [min(w, e.item.maximumSize().width()) for w, e in zip(widths, line)]


class LineLabel(QLabel):
    """Plain text that asks for one line and wraps only when given less: in a ``FlowBar`` it stays on its line
    where it fits and moves whole to the next where it does not (a word-wrapped label asks for a squarer shape,
    and beside the overview's filters at twice the text the OPEL table's edition took four lines)."""

    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setText(text)

    def sizeHint(self) -> QSize:  # noqa: N802
        m = self.contentsMargins()
        widest = max((self.fontMetrics().horizontalAdvance(x) for x in self.text().split("\n")), default=0)
        width = widest + m.left() + m.right() + 2 * self.margin() + 2
        return QSize(width, max(super().sizeHint().height(), self.heightForWidth(width)))
