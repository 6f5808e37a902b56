"""Small building blocks the views share: empty states, read-only tables, status cells (synced text as
text: ``ui.text``)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QFrame,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ui import theme
from ui.text import literal

STATUS_ROLE = Qt.ItemDataRole.UserRole + 1  # set on cells coloured by status


class StatusDelegate(QStyledItemDelegate):
    """Draws status-coloured cells as badges with the theme's border, so a black
    status (OPEL 4, a wait over 60 minutes) stays visible on a dark table.

    A selected row keeps its status colours: the selection would paint the theme's highlight
    over them (the ESCALATE flag of the case being worked on turned blue), so a status cell is
    drawn as unselected and the selection shows as a frame in the highlight colour instead,
    with the rest of the row highlighted as usual."""

    @staticmethod
    def inset() -> int:
        """Pixels each side of a badge's text kept clear of its border and of the selection's frame: drawn over
        the text's own margin, they cut its first and last letters ("ESCALATE" read "SCALATE" in high contrast,
        "3 h ago" lost its "o" at 1366x768)."""
        t = theme.current()
        return max(t.border_px + 1, t.focus_px + 1, 3) + 1

    def _inset_that_fits(self, option, index) -> int:
        """The inset, or as much of it as a column set narrower than the badge's size hint leaves beside the words
        (the alert centre's severity column is sized to "CRITICAL" and its margin): never elided for the inset."""
        words = super().sizeHint(option, index).width()   # the words with the style's margins and padding
        return max(0, min(self.inset(), (option.rect.width() - words) // 2))

    def sizeHint(self, option, index):  # noqa: N802 (Qt API)
        hint = super().sizeHint(option, index)
        if index.data(STATUS_ROLE):
            hint.setWidth(hint.width() + 2 * self.inset())
            if "\n" in (index.data() or ""):   # lines down to the border: the first one's top was cut (a contact's
                hint.setHeight(hint.height() + self.inset())   # name over "★ DIRECTOR ON-CALL NOW")
        return hint

    def paint(self, painter, option, index) -> None:
        if not index.data(STATUS_ROLE):
            super().paint(painter, option, index)
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        option = QStyleOptionViewItem(option)
        if selected:
            option.state &= ~(QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_HasFocus)
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if background is not None:
            painter.fillRect(option.rect, background)
        whole, pad = QRect(option.rect), self._inset_that_fits(option, index)
        option.rect = option.rect.adjusted(pad, 0, -pad, 0)   # the text inside the border, not under it
        super().paint(painter, option, index)
        option.rect = whole
        t = theme.current()
        painter.save()
        painter.setPen(QPen(QColor(t.badge_border), t.border_px))
        painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
        if selected:
            width = max(3, t.focus_px + 1)
            pen = QPen(QColor(t.highlight), width)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            half = width // 2
            painter.drawRect(option.rect.adjusted(half, half, -half - 1, -half - 1))
        painter.restore()


class EmptyState(QLabel):
    """A sentence in place of a blank pane: what is missing and when it will appear."""

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(text, parent)
        self.setObjectName("emptyState")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName("No data")
        self.setAccessibleDescription(text)


class EmptyOr(QStackedWidget):
    """Either an empty-state sentence or the content; never a blank pane."""

    def __init__(self, empty_text: str, content: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.empty = EmptyState(empty_text)
        self.content = content
        self.addWidget(self.empty)
        self.addWidget(content)

    def show_empty(self, empty: bool, text: str | None = None) -> None:
        if text is not None:
            self.empty.setText(text)
            self.empty.setAccessibleDescription(text)
        self.setCurrentWidget(self.empty if empty else self.content)

    @property
    def is_empty(self) -> bool:
        return self.currentWidget() is self.empty


def toolbar_button(bar, text: str, name: str, slot) -> QPushButton:
    """A push button added to ``bar``: its accessible name is also its tooltip."""
    b = QPushButton(text)
    b.setAccessibleName(name)
    b.setToolTip(name)
    b.clicked.connect(lambda _c=False: slot())
    bar.addWidget(b)
    return b


def cap_column(table: QTableWidget, column: int, most: int) -> None:
    """Size ``column`` to its words and heading, but at most ``most`` pixels: a longer text wraps (or, in a table
    without word wrap, is cut) and the stretching column keeps the rest. Give such cells their whole text as a
    tooltip."""
    header = table.horizontalHeader()
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
    header.resizeSection(column, min(max(table.sizeHintForColumn(column), header.sectionSizeHint(column)), most))


class LeastPage(QWidget):
    """A page for a scroll area, as tall as its layout's least at its width: a scroll area sizes a page with
    wrapped labels to its height for its width, its parts' preferred, and scrolled where the least fitted."""

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        layout = self.layout()
        return layout.totalMinimumHeightForWidth(width) if layout is not None else super().heightForWidth(width)


def keep_column_least(table: QTableWidget, column: int, least: int) -> None:
    """The stretching ``column`` takes the rest of the width, but never less than ``least`` pixels: where the
    other columns leave it less (large text on a laptop) it keeps ``least`` and the table scrolls sideways.
    Stretched to the 80 pixels the others left it at twice the text, an action or an alert's sentence read one
    word a line, its row taller than the table and the row's other cells out of view."""
    header = table.horizontalHeader()
    others = sum(header.sectionSize(c) for c in range(table.columnCount())
                 if c != column and not header.isSectionHidden(c))
    if table.viewport().width() - others < least:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, least)
    else:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)


def wrap_to_fit(table: QTableWidget, column: int, least: int, wrap: Sequence[int], most: int) -> bool:
    """Every column at its words and the stretching ``column`` at ``least`` pixels: where that is wider than the
    table (large text on a laptop), the ``wrap`` columns wrap at ``most`` pixels or their heading's width
    (``cap_column``). True when the row is still wider than the table. The ``wrap`` columns are set back to their
    words first, so a table made wider again unwraps them."""
    header = table.horizontalHeader()
    for c in wrap:
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)

    def need() -> int:
        return least + sum(
            header.sectionSize(c) if header.sectionResizeMode(c) != QHeaderView.ResizeMode.ResizeToContents
            else max(table.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(table.columnCount()) if c != column and not header.isSectionHidden(c))

    room = table.viewport().width()
    if table.rowCount() == 0 or need() <= room:
        return False
    for c in wrap:   # never narrower than its heading, which does not wrap
        cap_column(table, c, max(most, header.sectionSizeHint(c)))
    return need() > room


def fit_button_column(table: QTableWidget, buttons, column: int | None = None) -> None:
    """A column (the last by default) holds a button per row: make it as wide as the widest button
    (sized to contents it would take the width of its empty cells and cut them off)."""
    buttons = list(buttons)
    if not buttons:
        return
    column = table.columnCount() - 1 if column is None else column
    header = table.horizontalHeader()
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
    header.resizeSection(column, max(b.sizeHint().width() for b in buttons) + 8)


def make_table(headers: Sequence[str], accessible_name: str, *, stretch: int | None = None) -> QTableWidget:
    """A read-only, row-selecting table with the given column headers."""
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(list(headers))
    t.setAccessibleName(accessible_name)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setAlternatingRowColors(True)
    t.verticalHeader().setVisible(False)
    t.setWordWrap(True)
    t.setTabKeyNavigation(False)
    t.setItemDelegate(StatusDelegate(t))
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    else:
        header.setStretchLastSection(True)
    return t


def cell(text: str, *, colours: tuple[str, str] | None = None, tooltip: str | None = None,
         bold: bool = False, align_right: bool = False, data=None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if colours is not None:
        item.setBackground(QBrush(QColor(colours[0])))
        item.setForeground(QBrush(QColor(colours[1])))
        item.setData(STATUS_ROLE, True)
    if tooltip:
        item.setToolTip(literal(tooltip))
    if bold or colours is not None:
        font = QFont()
        font.setBold(True)
        item.setFont(font)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


def fill_table(table: QTableWidget, rows: Sequence[Sequence[QTableWidgetItem]]) -> None:
    """Replace every row; keeps the selected row index when it still exists."""
    selected, scrolled = table.currentRow(), table.verticalScrollBar().value()
    # A table made during this refresh has no style sheet font yet; rows sized
    # before polishing would be too short for large text (wall screens).
    table.ensurePolished()
    table.setUpdatesEnabled(False)
    try:
        # Emptied first: replacing items one by one in a shown table re-measures a column that sizes
        # to its (wrapped) contents for every cell (200 rows: 1.9 s against 0.03 s for new rows).
        table.setRowCount(0)
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, item in enumerate(row):
                table.setItem(r, c, item)
        table.resizeRowsToContents()
        if 0 <= selected < len(rows):
            table.selectRow(selected)
        table.verticalScrollBar().setValue(scrolled)   # where the reader was, not back at the top
    finally:
        table.setUpdatesEnabled(True)


def selected_key(table: QTableWidget):
    """The key (``UserRole`` data of column 0) of the selected row, or None."""
    row = table.currentRow()
    item = table.item(row, 0) if row >= 0 else None
    return item.data(Qt.ItemDataRole.UserRole) if item else None


def select_key(table: QTableWidget, key) -> None:
    """Select the row whose column-0 ``UserRole`` data is ``key`` (nothing if none is)."""
    for r in range(table.rowCount()):
        item = table.item(r, 0)
        if item is not None and item.data(Qt.ItemDataRole.UserRole) == key:
            table.selectRow(r)
            return


def fit_rows(table: QTableWidget, max_rows: int = 12) -> None:
    """Size a table to show its rows (up to ``max_rows``) without empty space below."""
    rows = min(table.rowCount(), max_rows)
    height = table.horizontalHeader().height() + 2 * table.frameWidth() + 2
    height += sum(table.rowHeight(r) for r in range(rows))
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().height()
    table.setFixedHeight(max(height, table.horizontalHeader().height() + 40))


def keep_rows(table: QTableWidget, rows: int) -> None:
    """The table's least height: its heading and its first ``rows`` rows (fewer if it has fewer), with its
    sideways scroll bar if shown. A splitter or a page short of room (large text) then gives way elsewhere or
    scrolls, rather than leave the table its heading and half a row."""
    header = table.horizontalHeader()
    height = (max(header.height(), header.sizeHint().height()) + 2 * table.frameWidth() + 2
              + sum(table.rowHeight(r) for r in range(min(rows, table.rowCount()))))
    if table.horizontalScrollBar().isVisible():
        height += table.horizontalScrollBar().height()
    table.setMinimumHeight(height)


def content_width(table: QTableWidget) -> int:
    """Width the table needs to show every column without clipping."""
    header = table.horizontalHeader()
    columns = sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c))
                  for c in range(table.columnCount()))
    return columns + 2 * table.frameWidth() + 4


def table_text(table: QTableWidget) -> list[list[str]]:
    """Every cell's text, row by row (for tests and accessibility checks)."""
    return [[table.item(r, c).text() if table.item(r, c) else "" for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def scrolling_page(body: QWidget) -> QScrollArea:
    """``body`` in a frameless scroll area that scrolls down only: a view's page below the least heights of its
    parts (large text on a small screen)."""
    page = QScrollArea()
    page.setWidgetResizable(True)
    page.setFrameShape(QFrame.Shape.NoFrame)
    page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page.setWidget(body)
    return page


class CharsEdit(QLineEdit):
    """A line edit as wide as ``chars`` characters of its own font, never narrower than ``least``: a width in
    pixels did not grow with the text, and at 2.5 times on the wall "Recording as" showed "nknown user" (the
    field too narrow for its 12 characters, scrolled to its end). It starts at its text's beginning."""

    def __init__(self, text: str = "", *, chars: int, least: int = 0, parent=None) -> None:
        super().__init__(text, parent)
        self.chars, self.least = chars, least
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.home(False)

    def _width(self, chars: int) -> int:
        margins = self.textMargins()
        return (chars * self.fontMetrics().averageCharWidth() + margins.left() + margins.right()
                + 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth) + 8)

    def sizeHint(self):  # noqa: N802
        hint = super().sizeHint()
        hint.setWidth(self._width(self.chars))
        return hint

    def minimumSizeHint(self):  # noqa: N802
        hint = super().minimumSizeHint()
        hint.setWidth(max(hint.width(), self._width(self.least)))
        return hint


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label
