"""The alert banner above every view: how many alerts are open and unacknowledged, the worst
(severity, then the longest open) in words with its provider and age, and one click to the alert
centre.  With none open it is one calm line.

It is read off the UI thread (``models.service.alert_centre.banner`` through a ``LatestRead``)
when the window says a sync cycle or a write changed alerts, after each housekeeping pass, and on
the minute timer (ages move).  The door's module is imported on the read thread, so the window's
first paint does not wait for the database libraries.  Each read is also handed on (``read``) to
the tray's notifier.  Its colours are the alert's severity, the same in every theme (as the OPEL
colours are), with the theme's badge border; its text takes the theme's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from models.uk_time import day_clock
from ui import format as fmt
from ui import tasks, theme

# (background, text) by severity; each pair passes WCAG AA.
SEVERITY_COLOURS = {"critical": ("#c62828", "#ffffff"), "warning": ("#f2b705", "#111111"),
                    "info": ("#37474f", "#ffffff")}
KINDS = frozenset({"alert", "record"})   # feed kinds (and this desktop's writes) that move alerts


def _read(store, now: datetime):
    from models.service import alert_centre

    return alert_centre.banner(store, now)


def words(page) -> str:
    """The banner's sentence for a ``BannerPage``."""
    if not page.open_count:
        return "No open alerts"
    w = page.worst
    count = "1 open alert" if page.open_count == 1 else f"{page.open_count} open alerts"
    return (f"{count}. Worst: {w.severity.upper()} — {w.rule_name} — {w.where}, "
            f"open {fmt.since(page.now, w.raised_at)} (since {day_clock(page.now, w.raised_at)}).")


class AlertBanner(QFrame):
    open_centre = Signal()   # the user asked for the alert centre
    read = Signal(object)    # a read arrived (models.service.alert_centre.BannerPage)

    def __init__(self, store, clock: Callable[[], datetime], parent=None) -> None:
        super().__init__(parent)
        self.store, self.clock = store, clock
        self.setObjectName("alertBanner")
        self.setAccessibleName("Alert banner")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 4, 3)
        self.label = QLabel("No open alerts")
        self.label.setTextFormat(Qt.TextFormat.PlainText)   # rule names and details come from the hub
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Open alerts")
        layout.addWidget(self.label, 1)
        self.open_button = QPushButton("Open alert centre")
        self.open_button.setAccessibleName("Open the alert centre")
        self.open_button.clicked.connect(lambda _c=False: self.open_centre.emit())
        layout.addWidget(self.open_button)
        self.count = 0
        self.worst_uuid: str | None = None
        self._severity: str | None = None
        self._reads = tasks.LatestRead(self, self._draw, self._failed)
        self._style()

    def text(self) -> str:
        return self.label.text()

    def refresh(self) -> None:
        if getattr(self.store, "closed", False):
            return
        store, now = self.store, self.clock()
        self._reads(lambda: _read(store, now))

    def _draw(self, page) -> None:
        self.count = page.open_count
        self.worst_uuid = page.worst.uuid if page.worst else None
        self._severity = page.worst.severity if page.worst else None
        self.label.setText(words(page))
        self.label.setAccessibleDescription(words(page))
        self.open_button.setText(f"Open alert centre ({page.open_count})" if page.open_count else "Alert centre")
        self._style()
        self.read.emit(page)

    def _failed(self, exc: BaseException) -> None:
        self.label.setText(f"Could not read the alerts: {tasks.sentence(exc, write=False)}")

    def restyle(self) -> None:
        """The theme changed: draw in its border and text colours."""
        self._style()

    def _style(self) -> None:
        t = theme.current()
        if self._severity is None:   # calm: the window's own colours, a thin rule under it
            self.setStyleSheet(f"QFrame#alertBanner {{ border: none; border-bottom: 1px solid {t.border}; }}"
                               f"QFrame#alertBanner QLabel {{ color: {t.muted}; }}")
            return
        bg, fg = SEVERITY_COLOURS.get(self._severity, SEVERITY_COLOURS["warning"])
        self.setStyleSheet(f"QFrame#alertBanner {{ background: {bg}; border: {t.border_px}px solid {t.badge_border};"
                           f" border-radius: 3px; }}"
                           f"QFrame#alertBanner QLabel {{ color: {fg}; font-weight: bold; }}")

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.open_centre.emit()
        super().mousePressEvent(event)
