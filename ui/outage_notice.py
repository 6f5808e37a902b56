"""Once the hub answers again after an outage, one short true sentence where the offline banner was: when this
desktop last reached the hub, when it reached it again, how long between, and what its records did meanwhile
("This desktop did not reach the hub from 14:38 to 20:44 (6 h 06 min); 4 records waited and were sent at 20:44").
Not told for a blip shorter than ``MIN_TOLD`` (logged only).  Dismissed with its button; hidden when the hub is
lost again (the offline banner takes its place); written to the app's log as well.  The times are the sync engine's (``sync.engine.CycleResult.outage``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from ui import format as fmt
from ui.theme import BANNER_STYLE

log = logging.getLogger(__name__)
# Shorter than this, an outage is a blip (a request lost, a cycle refused): written to the log, not told in the
# window (one failed cycle between two good ones read "from 21:36 to 21:36 (0 min)" until dismissed). The offline
# banner shows from the first failed cycle whatever the length.
MIN_TOLD = timedelta(minutes=2)


def sentence(start: datetime, end: datetime, sent: int, waiting: int, started: datetime | None = None,
             rejoin: bool = False) -> str:
    """The outage from ``start`` (the hub last reached) to ``end`` (reached again); ``sent``: this desktop's
    records sent in the cycle that reached it, ``waiting``: those still in the outbox after it; ``started``:
    when SCC Desktop started, when that was after ``start`` (it was not running for part of the time);
    ``rejoin``: the hub's answer at ``end`` was that its feed no longer holds what this desktop reads next (410
    feed_pruned: away longer than the hub keeps its feed), so it joins again from the hub's snapshot."""
    when = (f"This desktop did not reach the hub from {fmt.local_time_near(end, start)} to {fmt.local_time(end)} "
            f"({fmt.since(end, start)})")
    if started is not None and start < started <= end:
        when += (f"; SCC Desktop was not running for part of that: it started at {fmt.local_time_near(end, started)}"
                 f" and reached the hub {fmt.since(end, started)} later")
    if rejoin:
        when += ("; longer than the hub keeps its feed, so this desktop joins again from the hub's snapshot")
    records = []
    if sent:
        records.append(f"{sent} record{'s' if sent != 1 else ''} waited and {'were' if sent != 1 else 'was'} sent "
                       f"at {fmt.local_time(end)}")
    if waiting:
        records.append(f"{waiting} still wait{'s' if waiting == 1 else ''} in the outbox")
    return when + ("; " + "; ".join(records) if records else "") + "."


class OutageNotice(QFrame):
    """The sentence and a Dismiss button, hidden until an outage ends."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("outageNotice")
        self.setAccessibleName("Hub reached again")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setAccessibleName("Dismiss the outage notice")
        self.dismiss.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        self.setStyleSheet(f"QFrame#outageNotice {{{BANNER_STYLE['joining']}}} QLabel {{color:#ffffff;}}")
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def tell(self, start: datetime, end: datetime, sent: int, waiting: int, started: datetime | None = None,
             rejoin: bool = False) -> None:
        said = sentence(start, end, sent, waiting, started, rejoin)
        log.info("%s", said)
        if end - start < MIN_TOLD and not rejoin:   # a blip: the log has it (a rejoin is always told)
            return
        self.label.setText(said)
        self.show()
