"""The main window: banner, views, and a status bar that always tells the truth about freshness.

Views redraw when a sync cycle or a write of this desktop's (``ui.tasks``)
reports a kind of record they show (each view's ``KINDS``); a view that is not
on screen is only marked out of date and redraws when it is shown. Once a minute the visible view redraws so
ages and waits stay true.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from models.queries.sync_summary import sync_summary
from sync.connectivity import Connectivity, State
from ui import format as fmt
from ui import theme
from ui.choices import ACTIONS_TITLE, TEXT_SCALES, VIEWS
from ui.overview import OverviewView
from ui.theme import BANNER_STYLE

STATE_WORDS = {State.UNKNOWN: "Connecting…", State.ONLINE: "Online",
               State.FEED_STALE: "Feed stale", State.OFFLINE: "Offline"}


def view_class(path: str) -> type:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


class _Views(Mapping):
    """Every view by key; asking for one builds it if it was not built yet."""

    def __init__(self, window: "MainWindow") -> None:
        self._window = window
        self.built: dict[str, QWidget] = {}

    def __getitem__(self, key: str) -> QWidget:
        if key not in self.built:
            if key not in self._window.pages:
                raise KeyError(key)
            self._window._build(key)
        return self.built[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._window.pages)

    def __len__(self) -> int:
        return len(self._window.pages)
log = logging.getLogger(__name__)
# Loaded on a background thread after the first paint (the window paints the last known
# picture through the store's plain read connection first): the ORM and what the
# housekeeping needs.  About 0.7 s of imports a cold start does not wait for.
WARM_MODULES = ("sqlalchemy.orm", "models.replica.orm", "models.service.housekeeping")
THEME_SHORTCUTS = {"light": "Ctrl+Shift+L", "dark": "Ctrl+Shift+D", "high_contrast": "Ctrl+Shift+H"}


class MainWindow(QMainWindow):
    warmed = Signal()   # the database libraries are loaded (emitted by the warm-up thread)
    housekept = Signal(object)   # open alert count, or the error (from the housekeeping thread)
    closed = Signal()   # the window was closed (settings saved): the application ends with it

    def __init__(self, store, clock: Callable[[], datetime], *, title_suffix: str = "",
                 theme_key: str = "light", settings=None) -> None:
        """``settings`` (``scc_desktop.settings.Settings``): theme, text size, last view and
        window size are read from it and saved back to it as the user changes them."""
        super().__init__()
        self.store = store
        self.clock = clock
        self.settings = settings
        if settings is not None:
            theme_key = settings.theme
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
        self.tabs.setAccessibleName("Views")
        # One page per tab; a view is put into its page when built.
        self.pages: dict[str, QWidget] = {}
        self.views = _Views(self)
        self._ready = False   # the first draw is set_theme's, at the end of __init__
        self._dirty: set[str] = set()
        for key, title, _path in VIEWS:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            page.setAccessibleName(title.replace("&&", "and").replace("&", ""))
            self.pages[key] = page
            self.tabs.addTab(page, title)
        self.overview: OverviewView = self.views["overview"]
        self.tabs.currentChanged.connect(self._shown)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.sync_label = QLabel()
        self.outbox_label = QLabel()
        for label, name in ((self.state_label, "Connection"), (self.sync_label, "Last sync"),
                            (self.outbox_label, "Outbox")):
            label.setAccessibleName(name)
            self.statusBar().addPermanentWidget(label)
        self.theme_key = theme_key
        self.text_scale = settings.text_scale if settings is not None else 1.0
        self._build_menu()
        self.connectivity: Connectivity | None = None
        self.replica_problem = None   # sync.replica_problem.ReplicaProblem of the last cycle
        self._painted = False
        self._warm_state = "cold"          # cold -> warming -> warm
        self._warm_modules = list(WARM_MODULES)
        self._after_warm: list[Callable[[], None]] = []
        self.warmed.connect(self._on_warm)
        self._housekeeping = "idle"   # idle, running, again
        self.housekept.connect(self._housekept)
        from ui import tasks
        tasks.manager().changed.connect(self.on_changes)
        self._ages = QTimer(self)
        self._ages.timeout.connect(self._tick)
        self._ages.start(60_000)
        self.set_theme(theme_key)
        if getattr(store, "engine_ready", True):   # the libraries are loaded already: check now
            self.housekeeping()
        if settings is not None:
            if settings.last_view in self.views:
                self.show_view(settings.last_view)
            if settings.window_size:
                self.resize(*settings.window_size)
        self.show_connectivity(None)
        self._ready = True

    # --- menu and shortcuts ---------------------------------------------------
    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("Fi&le")   # Alt+F stays the Offload tab's
        self.quit_action = QAction("&Quit", self)
        # Ctrl+Q everywhere: Windows has no standard Quit key (Alt+F4 still closes the window).
        keys = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
        self.quit_action.setShortcuts(keys + [k for k in [QKeySequence("Ctrl+Q")] if k not in keys])
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)   # the one way out: closeEvent saves and ends
        self.settings_action = QAction("&Settings…", self)   # hub, token, CA file, theme, text size
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settings_action.triggered.connect(self.open_settings)
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("&View")
        self.view_actions: dict[str, QAction] = {}
        for n, (key, title, _cls) in enumerate(VIEWS, start=1):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{n}"))
            action.triggered.connect(lambda _c=False, k=key: self.show_view(k))
            menu.addAction(action)
            self.view_actions[key] = action
        menu.addSeparator()
        refresh = QAction("&Refresh now", self)
        refresh.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        refresh.triggered.connect(self.refresh_current)
        menu.addAction(refresh)
        menu.addSeparator()
        themes = menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for key, t in theme.THEMES.items():
            action = QAction(t.title, self, checkable=True)
            if key in THEME_SHORTCUTS:
                action.setShortcut(QKeySequence(THEME_SHORTCUTS[key]))
            action.triggered.connect(lambda _c=False, k=key: self.set_theme(k))
            group.addAction(action)
            themes.addAction(action)
            self.theme_actions[key] = action
        bigger = QAction("&Larger text", self)
        bigger.setShortcut(QKeySequence(QKeySequence.StandardKey.ZoomIn))
        bigger.triggered.connect(lambda: self.set_text_scale(self._step_scale(+1)))
        smaller = QAction("&Smaller text", self)
        smaller.setShortcut(QKeySequence(QKeySequence.StandardKey.ZoomOut))
        smaller.triggered.connect(lambda: self.set_text_scale(self._step_scale(-1)))
        menu.addAction(bigger)
        menu.addAction(smaller)

    def _step_scale(self, direction: int) -> float:
        i = min(range(len(TEXT_SCALES)), key=lambda k: abs(TEXT_SCALES[k] - self.text_scale))
        return TEXT_SCALES[max(0, min(len(TEXT_SCALES) - 1, i + direction))]

    # --- views ----------------------------------------------------------------
    def _build(self, key: str) -> QWidget:
        title, path = next((t, p) for k, t, p in VIEWS if k == key)
        view = view_class(path)(self.store, self.clock)
        view.setAccessibleName(title.replace("&&", "and").replace("&", "") + " view")
        self.views.built[key] = view
        self.pages[key].layout().addWidget(view)
        if key == "overview":
            view.provider_activated.connect(self.open_provider)
        if "ui.charts" in sys.modules:
            from ui.charts import TimeChart
            for chart in view.findChildren(TimeChart):
                chart.apply_theme()
        self._dirty.add(key)   # drawn when shown (or now, if it is the current tab)
        if self._ready and self.tabs.currentWidget() is self.pages[key]:
            view.refresh()
            self._dirty.discard(key)
        return view

    @property
    def provider(self):
        return self.views["provider"]

    def tab_index(self, key: str) -> int:
        return self.tabs.indexOf(self.pages[key])

    def show_view(self, key: str) -> QWidget:
        view = self.views[key]
        self.tabs.setCurrentWidget(self.pages[key])
        return view

    def open_provider(self, org_code: str) -> None:
        """Drill into one provider (from a tile click)."""
        self.show_view("provider")
        self.provider.select_provider(org_code)
        self._dirty.discard("provider")

    def current_key(self) -> str:
        page = self.tabs.currentWidget()
        return next(k for k, p in self.pages.items() if p is page)

    def refresh_current(self) -> None:
        key = self.current_key()
        self.views[key].refresh()
        self._dirty.discard(key)

    def _shown(self, _index: int) -> None:
        key = self.current_key()
        if key not in self.views.built:
            self.views[key]          # builds and draws it
        elif key in self._dirty:
            self.refresh_current()

    def open_settings(self) -> None:
        from ui.settings_dialog import open_settings   # loaded when first asked for
        open_settings(self)

    def set_theme(self, key: str) -> None:
        self.theme_key = key
        t = theme.set_current(key, self.text_scale)
        self.setPalette(theme.palette(t))
        self.setStyleSheet(theme.stylesheet(t))
        self.theme_actions[key].setChecked(True)
        self._save_settings(theme=key, text_scale=self.text_scale)
        if "ui.charts" in sys.modules:   # no chart exists before the chart module is loaded
            from ui.charts import TimeChart
            for view in self.views.built.values():
                for chart in view.findChildren(TimeChart):
                    chart.apply_theme()
        self._redraw_all()

    def set_text_scale(self, scale: float) -> None:
        self.text_scale = scale
        self.set_theme(self.theme_key)

    def _save_settings(self, **changes) -> None:
        if self.settings is None or not self._ready:   # opening the window changes nothing
            return
        try:
            self.settings.update(**changes)
        except (OSError, ValueError) as exc:  # a full disk must not take the window down
            self.statusBar().showMessage(f"Settings not saved: {exc}", 10_000)

    def closeEvent(self, event) -> None:  # noqa: N802
        self._save_settings(last_view=self.current_key(), window_size=[self.width(), self.height()])
        super().closeEvent(event)
        self.closed.emit()

    def _redraw_all(self) -> None:
        self._dirty = set(self.views)
        self.refresh_current()

    # --- after the first paint ------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        super().paintEvent(event)
        if not self._painted:   # the window paints before its children: warm up once all is drawn
            self._painted = True
            QTimer.singleShot(0, self._warm_up)

    def when_warm(self, callback: Callable[[], None], modules: tuple[str, ...] = ()) -> None:
        """Call ``callback`` on this thread once ``modules`` and the database libraries are
        loaded (off this thread, after the first paint); at once if they already are."""
        if self._warm_state == "warm":
            for name in modules:
                importlib.import_module(name)
            callback()
            return
        self._warm_modules += [m for m in modules if m not in self._warm_modules]
        self._after_warm.append(callback)

    def _warm_up(self) -> None:
        if self._warm_state != "cold":
            return
        self._warm_state = "warming"
        modules = list(self._warm_modules)

        def work() -> None:
            try:
                for name in modules:
                    importlib.import_module(name)
                self.store.engine   # noqa: B018 -- builds the SQLAlchemy engine
            except Exception:  # noqa: BLE001 -- reported; the window goes on with what it has
                log.exception("loading the database libraries failed")
            try:
                self.warmed.emit()
            except RuntimeError:   # the window was destroyed meanwhile
                pass

        threading.Thread(target=work, name="warm-up", daemon=True).start()

    def stop_background(self) -> None:
        """Stop the window's own timers (the app is ending, or the replica was closed)."""
        self._ages.stop()

    def _store_closed(self) -> bool:
        if getattr(self.store, "closed", False):
            self.stop_background()
            return True
        return False

    def _on_warm(self) -> None:
        if self._store_closed():
            return
        self._warm_state = "warm"
        waiting, self._after_warm = self._after_warm, []
        for name in self._warm_modules:   # added after the thread started: loaded here
            importlib.import_module(name)
        self.housekeeping_later()
        for callback in waiting:
            try:
                callback()
            except Exception as exc:  # noqa: BLE001 -- must not take the window down
                log.exception("starting background work failed")
                self.statusBar().showMessage(f"Could not start: {exc}", 10_000)

    # --- sync -----------------------------------------------------------------
    def show_connectivity(self, state: Connectivity | None) -> None:
        self.connectivity = state
        with self.store.reading() as db:
            summary = sync_summary(db)
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
        if self.replica_problem is not None:   # the replica cannot take the feed: said before the hub
            self.banner.setText(self.replica_problem.banner(fmt.local_time(self.replica_problem.since)))
            self.banner.setStyleSheet(BANNER_STYLE["offline"])
            self.banner.show()

    def on_cycle(self, result) -> None:
        """A sync cycle finished: redraw the visible view if it shows a kind that changed."""
        self.redraw_kinds(set(result.kinds))
        self.replica_problem = getattr(result, "replica_problem", None)
        self.show_connectivity(result.connectivity)
        if result.error and result.connectivity and result.connectivity.state != State.OFFLINE:
            # Not the network (that has the banner): the replica could not take the batch now.
            self.statusBar().showMessage(f"Sync paused, retrying: {result.error}", 30_000)

    def on_changes(self, changes) -> None:
        """A write of this desktop's landed (``models.service.changes.Changes``): as a sync batch."""
        self.redraw_kinds(set(changes.kinds))

    def redraw_kinds(self, kinds: set[str]) -> None:
        """Redraw the visible view if it shows a kind that changed; mark the others out of date."""
        if kinds:
            self.housekeeping_later()
        current = self.current_key()
        for key, view in self.views.built.items():   # the others draw fresh when first shown
            if view.KINDS & kinds:
                if key == current:
                    view.refresh()
                    self._dirty.discard(key)
                else:
                    self._dirty.add(key)

    def housekeeping(self) -> int:
        """Chase overdue actions and raise OPEL checklists even while their tab is hidden;
        the tab title carries the count of open, unacknowledged alerts.  Returns that count.
        On this thread (screenshots, tests); the window itself uses ``housekeeping_later``."""
        from models.service import housekeeping

        try:
            count = housekeeping.run(self.store, self.clock()).open_alerts
        except Exception as exc:  # noqa: BLE001 -- a busy or damaged replica must not stop the window
            self._show_housekeeping(exc)
            return 0
        self._show_housekeeping(count)
        return count

    def housekeeping_later(self) -> None:
        """The same pass on a background thread (on a year of data the checklists take
        0.1-0.9 s); the result comes back by ``housekept``.  One pass at a time: a request
        while one runs makes one more pass after it."""
        if self._housekeeping != "idle":   # running (or running with another pass asked for)
            self._housekeeping = "again"
            return
        self._housekeeping = "running"
        store, now = self.store, self.clock()

        def work() -> None:
            try:
                from models.service import housekeeping

                result = housekeeping.run(store, now).open_alerts
            except Exception as exc:  # noqa: BLE001 -- shown in the status bar
                result = exc
            try:
                self.housekept.emit(result)
            except RuntimeError:   # the window was destroyed meanwhile
                pass

        threading.Thread(target=work, name="housekeeping", daemon=True).start()

    def _housekept(self, result) -> None:
        again = self._housekeeping == "again"
        self._housekeeping = "idle"
        self._show_housekeeping(result)
        if again and not self._store_closed():
            self.housekeeping_later()

    def _show_housekeeping(self, result) -> None:
        if isinstance(result, BaseException):
            log.warning("housekeeping failed", exc_info=result)
            self.statusBar().showMessage(f"Could not check actions and alerts: {result}", 10_000)
        else:
            index = self.tab_index("actions")
            self.tabs.setTabText(index, f"{ACTIONS_TITLE} ({result})" if result else ACTIONS_TITLE)
            self.tabs.setTabToolTip(index, f"{result} alert(s) waiting for acknowledgement"
                                    if result else "No alerts waiting")
            if "actions" in self.views.built:   # new alerts or checklists may be listed there
                if self.current_key() == "actions" and self._ready:
                    self.views["actions"].refresh()
                    self._dirty.discard("actions")
                else:
                    self._dirty.add("actions")

    def _tick(self) -> None:
        if self._store_closed():
            return
        # Ages and waits move with the clock: the visible view now, the others when shown.
        self.housekeeping_later()
        self._redraw_all()
        self.show_connectivity(self.connectivity)
