"""A desktop notification through the system tray when new warning or critical alerts arrive.

The notifier is fed the alert banner's reads (``models.service.alert_centre.BannerPage``): what is
open and unacknowledged now against what was the last time.  Alerts already open when the window
starts are on the banner and raise nothing; after that, each read that brings new ones makes at
most one notification, so a hub coming back after hours with thirty alerts gives one summary
("30 new alerts (4 critical, 26 warning)", the worst named) rather than thirty pop-ups.  The alerts
one figure raised at one place under several rules (OPEL 4: "rose to 3 or above" and "rose to 4")
are told as one, the worst, and counted apart as lesser alerts.  Info alerts never notify.  Clicking the notification opens the alert centre (``clicked``).

**Storms and flapping.**  A pop-up follows a quiet spell at once; after it, new alerts are gathered
for :data:`HOLD_SECONDS` and shown as one summary when that time is up (forty providers reaching
OPEL 4 within the hour were forty pop-ups, one per sync; the banner and the tooltip still count
each alert as it comes).  A critical alert of a rule the last pop-up did not tell as critical is not
held (a storm of one kind is gathered, not a different emergency a minute after it) and is named
first.  An alert of
the same rule at the same place as one notified in the last :data:`REPEAT_QUIET_SECONDS` does not
pop up again (a value flapping across its threshold every five minutes was a pop-up every ten,
each re-raise a new alert); the alert centre shows it, with the run's count.  A re-raise of an alert
the room acknowledged is new again (``BannerPage.after_ack``): the room dealt with it and it came back.

The message is computed whether or not a tray exists (offscreen, a desktop without one), so it
can be tested and is kept in ``last_notice`` (and sent as ``notified``).  The sound is the
system's beep (PySide6-Essentials has no QtMultimedia for a sound file); off unless the
``alert_sound`` setting is on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from models.reports.words import count

NOTIFY = ("critical", "warning")
SHOW_MS = 15_000
HOLD_SECONDS = 300.0           # after a pop-up, new alerts wait this long and come as one summary
REPEAT_QUIET_SECONDS = 1800.0  # the same rule at the same place pops up again only after this


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
    told = _worst_of_each_figure(loud)
    worst, lesser = told[0], len(loud) - len(told)
    critical = sum(a.severity == "critical" for a in told)
    if len(told) == 1:
        return Notice(f"{worst.severity.capitalize()}: {worst.rule_name}", f"{worst.where}: {_value(worst)}",
                      critical=bool(critical))
    places = {a.org_code or a.where for a in told}
    parts = [f"{critical} critical" if critical else "", f"{len(told) - critical} warning" if len(told) > critical
             else ""]
    title = f"{len(told)} new alerts ({', '.join(p for p in parts if p)})"
    also = f" ({count(lesser, 'lesser alert')} beside them)" if lesser else ""
    text = (f"Worst: {worst.rule_name} at {worst.where}, {_value(worst)}\n"
            f"and {len(told) - 1} more at {len(places)} {'provider' if len(places) == 1 else 'providers'}{also}. "
            "Open the alert centre to see them all.")
    return Notice(title, text, critical=bool(critical))


def _worst_of_each_figure(loud: Sequence) -> list:
    """The worst alert (the first: ``loud`` is worst first) of those one figure raised at one place:
    OPEL 4 raises "rose to 3 or above" and "rose to 4", a 60-minute handover wait the 45-minute
    warning too; told as "2 new alerts (1 critical, 1 warning)" for one event.  Alerts raised by no
    value (data late) are each their own."""
    seen: set = set()
    out = []
    for a in loud:
        key = _figure(a)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def _figure(alert):
    """The figure at the place that raised ``alert`` (its id where no value raised it: data late)."""
    return (alert.org_code or alert.where, alert.metric) if alert.value is not None and alert.metric else alert.uuid


def _value(alert) -> str:
    """The alert's sentence without its rule name in front (the notice names the rule already)."""
    head = f"{alert.rule_name}: "
    return alert.detail[len(head):] if alert.detail.startswith(head) else alert.detail


class AlertTray(QObject):
    """The tray icon (where the desktop has a tray) and the notifications it shows."""

    clicked = Signal()         # the user clicked a notification: open the alert centre
    notified = Signal(object)  # a notification was shown (a ``Notice``)

    def __init__(self, parent: QObject | None = None, *, sound: bool = False,
                 clock: Callable[[], float] = time.monotonic, hold_seconds: float = HOLD_SECONDS,
                 repeat_quiet_seconds: float = REPEAT_QUIET_SECONDS) -> None:
        super().__init__(parent)
        self.sound = sound
        self.last_notice: Notice | None = None
        self._known: frozenset[str] | None = None   # None: nothing read yet
        self._clock, self.hold_seconds, self.repeat_quiet_seconds = clock, hold_seconds, repeat_quiet_seconds
        self._latest = None                          # the newest banner read
        self._held: set[str] = set()                 # new alerts waiting for the hold to end
        self._last: tuple[float, frozenset] | None = None  # (clock, its critical alerts' rules) of the last pop-up
        self._told: dict[tuple[str, str], float] = {}  # (rule, place) -> clock it last popped up
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            from PySide6.QtWidgets import QStyle   # only where there is a tray: its classes cost ~10 ms

            style = QApplication.style()
            self.icon = QSystemTrayIcon(style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning), self)
            self.icon.setToolTip("SCC Desktop: no open alerts")
            self.icon.messageClicked.connect(self.clicked.emit)
            self.icon.activated.connect(lambda _reason: self.clicked.emit())
            self.icon.show()

    @property
    def held(self) -> int:
        """How many new alerts wait for the hold to end."""
        return len(self._held)

    def seen(self, page) -> Notice | None:
        """A banner read arrived: notify of the alerts new since the last one (now, or gathered when
        the hold ends); returns the notice shown now, if any."""
        known, self._known = self._known, frozenset(page.open_ids)
        self._latest = page
        if self.icon is not None:
            self.icon.setToolTip(f"SCC Desktop: {count(page.open_count, 'open alert')}" if page.open_count
                                 else "SCC Desktop: no open alerts")
        if known is None:   # the first read: what is open already is on the banner
            return None
        now = self._clock()
        self._held &= self._known   # cleared or acknowledged while held: nothing to say
        fresh = [a for a in page.open_alerts if a.uuid not in known and a.severity in NOTIFY]
        # Re-raised after the room acknowledged it: new again, and with it what its figure raised under other
        # rules (told as one; left out, its own repeat clock would pop it up alone later).
        back = getattr(page, "after_ack", frozenset())
        back_figures = {_figure(a) for a in fresh if a.uuid in back}
        self._held |= {a.uuid for a in fresh
                       if a.uuid in back or _figure(a) in back_figures or not self._repeat(a, now)}
        return self.flush()

    def flush(self) -> Notice | None:
        """Show what is held if the hold is over (or a critical of a rule the last pop-up did not tell
        as critical is held); else wait for the hold's end."""
        page = self._latest
        if page is None or not self._held:
            return None
        held = [a for a in page.open_alerts if a.uuid in self._held]
        now = self._clock()
        told = frozenset()
        if self._last is not None:
            since, told = self._last
            wait = self.hold_seconds - (now - since)
            if wait > 0 and not any(_new_critical(a, told) for a in held):
                self._timer.start(max(int(wait * 1000), 1))
                return None
        # A critical of a kind the last pop-up did not tell is named first (the rest stay worst first).
        held.sort(key=lambda a: not _new_critical(a, told))
        self._held.clear()
        self._timer.stop()
        notice = notification(held)
        if notice is None:
            return None
        # The critical rules told within the hold (a pop-up the hold did not gather keeps the ones before
        # it): two kinds alternating in a storm are held each after its first, not a pop-up a sync.
        kept = told if self._last is not None and now - self._last[0] < self.hold_seconds else frozenset()
        self._last = (now, kept | frozenset(a.rule for a in held if a.severity == "critical"))
        self._told = {k: t for k, t in self._told.items() if now - t < self.repeat_quiet_seconds}
        for a in held:
            self._told[_place(a)] = now
        self.last_notice = notice
        if self.icon is not None:
            level = QSystemTrayIcon.MessageIcon.Critical if notice.critical else QSystemTrayIcon.MessageIcon.Warning
            self.icon.showMessage(notice.title, notice.text, level, SHOW_MS)
        if self.sound:
            QApplication.beep()
        self.notified.emit(notice)
        return notice

    def _repeat(self, alert, now: float) -> bool:
        told = self._told.get(_place(alert))
        return told is not None and now - told < self.repeat_quiet_seconds


def _new_critical(alert, told: frozenset) -> bool:
    """A critical alert of a rule the last pop-up did not tell as critical: not held behind it."""
    return alert.severity == "critical" and alert.rule not in told


def _place(alert) -> tuple[str, str]:
    return alert.rule, alert.org_code or alert.where
