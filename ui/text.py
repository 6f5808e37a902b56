"""Text from the replica shown as text, never read as markup.

Kept apart from ``ui.widgets`` (tables, delegates, empty states) because the overview's first paint
needs only these, and the table classes and their enums cost a cold start about 10 ms to make.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import QLabel


# Names, reasons, notes and needs arrive from providers and other desktops.  Qt renders a label, a tooltip or a
# message box as rich text when the text merely looks like markup, so such text is either in a label set to
# plain text, or escaped where a label composes markup around it, or (tooltips, message boxes, which have no
# format switch) turned into rich text that shows it literally.
def esc(value) -> str:
    """``value`` as text for a rich-text label that composes markup around it (line breaks kept)."""
    return html.escape("" if value is None else str(value), quote=False).replace("\n", "<br>")


def literal(text: str | None) -> str:
    """Rich text showing ``text`` character for character: for tooltips and message boxes."""
    return GuiQt.convertFromPlainText(text) if text else ""


def plain_label(text: str = "", *, wrap: bool = True, parent=None) -> QLabel:
    """A label whose text is never read as markup (made in ``parent``, if given, so that adding it
    to the parent's layout does not move it between parents)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    label.setText(text)
    return label
