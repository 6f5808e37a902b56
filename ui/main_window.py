"""The main window: banner, views, and a status bar that always tells the truth about freshness."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from models import queries
from sync.connectivity import Connectivity, State
from ui import format as fmt
from ui.overview import OverviewView
from ui.theme import BANNER_STYLE

STATE_WORDS = {State.UNKNOWN: "Connecting…", State.ONLINE: "Online",
               State.FEED_STALE: "Feed stale", State.OFFLINE: "Offline"}


class MainWindow(QMainWindow):
    def __init__(self, store, clock: Callable[[], datetime], *, title_suffix: str = "") -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.setWindowTitle("SCC Desktop" + (f" — {title_suffix}" if title_suffix else ""))
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Connection warning")
        self.banner.hide()
        layout.addWidget(self.banner)
        self.tabs = QTabWidget()
        self.overview = OverviewView(store, clock)
        self.tabs.addTab(self.overview, "&Overview")
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.sync_label = QLabel()
        self.outbox_label = QLabel()
        for label in (self.state_label, self.sync_label, self.outbox_label):
            self.statusBar().addPermanentWidget(label)
        QShortcut(QKeySequence("Ctrl+1"), self, lambda: self.tabs.setCurrentIndex(0))
        self.connectivity: Connectivity | None = None
        self._ages = QTimer(self)
        self._ages.timeout.connect(self._tick)
        self._ages.start(60_000)
        self.show_connectivity(None)

    def show_connectivity(self, state: Connectivity | None) -> None:
        self.connectivity = state
        with self.store.session() as s:
            summary = queries.sync_summary(s)
        last_sync = state.last_good_sync if state and state.last_good_sync else summary.last_sync_at
        word = STATE_WORDS[state.state] if state else "Not syncing"
        self.state_label.setText(word)
        self.state_label.setAccessibleName(f"Connection: {word}")
        self.sync_label.setText(f"Last sync {fmt.local_time(last_sync, with_date=True)}")
        self.outbox_label.setText(f"Outbox {summary.outbox_pending}")
        if state and state.state in (State.OFFLINE, State.FEED_STALE):
            since = fmt.local_time(state.since, with_date=True)
            if state.state == State.OFFLINE:
                text = (f"Hub unreachable since {since}. Showing the picture as of the last sync "
                        f"({fmt.local_time(last_sync, with_date=True)}); everything else keeps working "
                        "and your changes wait in the outbox.")
            else:
                text = (f"Feed stale since {since}: the hub answers but no provider data has "
                        f"arrived ({state.detail}).")
            self.banner.setText(text)
            self.banner.setStyleSheet(BANNER_STYLE[state.state.value])
            self.banner.show()
        else:
            self.banner.hide()

    def on_cycle(self, result) -> None:
        self.overview.on_cycle(result)
        self.show_connectivity(result.connectivity)

    def _tick(self) -> None:
        self.overview.refresh()
        self.show_connectivity(self.connectivity)
