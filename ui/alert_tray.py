"""A desktop notification through the system tray when new warning or critical alerts arrive.

The notifier is fed the alert banner's reads (``models.service.alert_centre.BannerPage``): what is
open and unacknowledged now against what was the last time.  Alerts already open when the window
starts are on the banner and raise nothing; after that, each read that brings new ones makes at
most one notification, so a hub coming back after hours with thirty alerts gives one summary
("30 new alerts (4 critical, 26 warning)", the worst named) rather than thirty pop-ups.  Info
alerts never notify.  Clicking the notification opens the alert centre (``clicked``).

The message is computed whether or not a tray exists (offscreen, a desktop without one), so it
can be tested and is kept in ``last_notice``.  The sound is the system's beep (PySide6-Essentials
has no QtMultimedia for a sound file); off unless the ``alert_sound`` setting is on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from models.reports.words import count

NOTIFY = ("critical", "warning")
SHOW_MS = 15_000


@dataclass(frozen=True)
class Notice:
    title: str
    text: str
    critical: bool


def notification(new: Sequence) -> Notice | None:
    """One notification for ``new`` alerts (``CentreAlert``s, worst first), or None when none of
    them is a warning or critical."""
    loud = [a for a in new if a.severity in NOTIFY]
    if not loud:
        return None
    worst = loud[0]
    critical = sum(a.severity == "critical" for a in loud)
    if len(loud) == 1:
        return Notice(f"{worst.severity.capitalize()}: {worst.rule_name}", f"{worst.where}: {_value(worst)}",
                      critical=bool(critical))
    places = {a.org_code or a.where for a in loud}
    parts = [f"{critical} critical" if critical else "", f"{len(loud) - critical} warning" if len(loud) > critical
             else ""]
    title = f"{len(loud)} new alerts ({', '.join(p for p in parts if p)})"
    text = (f"Worst: {worst.rule_name} at {worst.where}, {_value(worst)}\n"
            f"and {len(loud) - 1} more at {len(places)} {'provider' if len(places) == 1 else 'providers'}. "
            "Open the alert centre to see them all.")
    return Notice(title, text, critical=bool(critical))


def _value(alert) -> str:
    """The alert's sentence without its rule name in front (the notice names the rule already)."""
    head = f"{alert.rule_name}: "
    return alert.detail[len(head):] if alert.detail.startswith(head) else alert.detail


class AlertTray(QObject):
    """The tray icon (where the desktop has a tray) and the notifications it shows."""

    clicked = Signal()   # the user clicked a notification: open the alert centre

    def __init__(self, parent: QObject | None = None, *, sound: bool = False) -> None:
        super().__init__(parent)
        self.sound = sound
        self.last_notice: Notice | None = None
        self._known: frozenset[str] | None = None   # None: nothing read yet
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            from PySide6.QtWidgets import QStyle   # only where there is a tray: its classes cost ~10 ms

            style = QApplication.style()
            self.icon = QSystemTrayIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), self)
            self.icon.setToolTip("SCC Desktop: no open alerts")
            self.icon.messageClicked.connect(self.clicked.emit)
            self.icon.activated.connect(lambda _reason: self.clicked.emit())
            self.icon.show()

    def seen(self, page) -> Notice | None:
        """A banner read arrived: notify of the alerts new since the last one; returns the notice."""
        known, self._known = self._known, frozenset(page.open_ids)
        if self.icon is not None:
            self.icon.setToolTip(f"SCC Desktop: {count(page.open_count, 'open alert')}" if page.open_count
                                 else "SCC Desktop: no open alerts")
        if known is None:   # the first read: what is open already is on the banner
            return None
        notice = notification([a for a in page.open_alerts if a.uuid not in known])
        if notice is None:
            return None
        self.last_notice = notice
        if self.icon is not None:
            level = QSystemTrayIcon.MessageIcon.Critical if notice.critical else QSystemTrayIcon.MessageIcon.Warning
            self.icon.showMessage(notice.title, notice.text, level, SHOW_MS)
        if self.sound:
            QApplication.beep()
        return notice
