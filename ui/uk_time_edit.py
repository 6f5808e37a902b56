"""A UK wall-clock date-and-time edit that keeps the instant it means, across the clock changes.

A wall clock alone cannot say which of the two 01:40s of the autumn change it is, and Qt, in the
machine's local time, moves a typed 01:30 of the spring change to 02:30 before anything can refuse it.
So the edit holds a plain wall clock (a UTC ``QDateTime``, which Qt never moves) and the instant it
was offered.  Read back (``instant``):

- left as offered, it is the instant offered (01:40 GMT stays 01:40 GMT);
- typed, it is the wall-clock time in UK time; a time the autumn change repeats is the reading
  nearer the instant offered, so a time edited in the GMT pass keeps the GMT reading the user is in;
- a time the spring change skips is refused (``NotAUkTime``), naming the field.

``zone`` is a label beside the edit saying which reading it holds ("BST", "GMT"; in the repeated hour
"GMT, the second 01:35"), so the reading saved is the one the user sees.
"""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import QDateTimeEdit, QHBoxLayout, QLabel, QWidget

from models.uk_time import UK, nearest_reading, readings, repeated_zone, uk_date


class NotAUkTime(ValueError):
    """A wall-clock time that never happened in the UK: ``str`` is "field: reason"."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def to_edit(value: datetime) -> QDateTime:
    """An aware time as the UK wall-clock time the edit shows, kept as a UTC QDateTime (a plain wall
    clock: Qt never moves it)."""
    local = value.astimezone(UK)
    return QDateTime(QDate(local.year, local.month, local.day), QTime(local.hour, local.minute, local.second),
                     QTimeZone.utc())


def skipped(wall: datetime) -> str:
    return (f"{wall:%H:%M} on {uk_date(wall.date())} does not exist in UK time (the clocks go forward from 01:00 "
            "to 02:00)")


class UkTimeEdit(QDateTimeEdit):
    """``name``: the accessible name; ``field``: how a problem names it (default: the name before any
    bracket, in lower case: "Decided at (UK time)" gives "decided at")."""

    def __init__(self, value: datetime, name: str, field: str | None = None,
                 display: str = "ddd dd MMM yyyy HH:mm") -> None:
        super().__init__()
        self.field = field or name.split(" (")[0].lower()
        self.setAccessibleName(name)
        self.setTimeZone(QTimeZone.utc())
        self.setDisplayFormat(display)
        self.setCalendarPopup(True)
        self.zone = QLabel()
        self.zone.setAccessibleName(f"{name}: which UK time")
        self.dateTimeChanged.connect(lambda _v: self._show_zone())
        self.offer(value)

    def offer(self, value: datetime) -> None:
        self.offered = value.astimezone(timezone.utc)
        self.setDateTime(to_edit(value))
        self._show_zone()

    def wall(self) -> datetime:
        return self.dateTime().toPython().replace(tzinfo=None)

    def instant(self) -> datetime:
        """The instant shown, as an aware UTC time; ``NotAUkTime`` for a time the clocks skip."""
        wall = self.wall()
        if wall == self.offered.astimezone(UK).replace(tzinfo=None):
            return self.offered
        found = nearest_reading(wall, self.offered)
        if found is None:
            raise NotAUkTime(self.field, skipped(wall))
        return found

    def _show_zone(self) -> None:
        try:
            at = self.instant()
        except NotAUkTime:
            text = "not a UK time"
        else:
            text = at.astimezone(UK).tzname()
            if repeated_zone(at):
                first = at == readings(self.wall())[0]
                text += f", the {'first' if first else 'second'} {at.astimezone(UK):%H:%M}"
        self.zone.setText(text)
        self.setAccessibleDescription(f"UK time, {text}")


def with_zone(edit: UkTimeEdit, *others: QWidget) -> QWidget:
    """The edit with its zone beside it (then ``others``), for a form row."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    row.addWidget(edit.zone)
    for widget in others:
        row.addWidget(widget)
    return box
