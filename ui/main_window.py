"""The main window: banner, views, and a status bar that always tells the truth about freshness.

Views redraw when a sync cycle or a write of this desktop's (``ui.tasks``)
reports a kind of record they show (each view's ``KINDS``); a view that is not
on screen is only marked out of date and redraws when it is shown. Once a minute the visible view redraws so
ages and waits stay true.

Everything the window does with the replica goes through the door (``models.service``) and off
the UI thread (``ui.tasks``): the status bar's sync summary is a read, the housekeeping pass a
write announced like any other, the loading of the database libraries after the first paint a
read-lane job, and the sync engine's loop a ``tasks.Loop``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QVBoxLayout, QWidget

from models.queries.sync_summary import SyncSummary
from models.service.sync_status import sync_status
from sync import hub_clock, hub_contact
from sync.connectivity import Connectivity, State
from ui import escalation_status
from ui import tables_status
from ui import format as fmt
from ui import stale_limits, tasks
from ui import theme
from ui.alert_banner import KINDS as ALERT_KINDS, AlertBanner
from ui.alert_tray import AlertTray
from ui.choices import ACTIONS_TITLE, TEXT_SCALES, VIEWS
from ui.outage_notice import OutageNotice
from ui.overview import OverviewView
from ui.theme import BANNER_STYLE

# The status bar's form of the recovery's handover to the snapshot rejoin (sync.feed_restore._rejoin): the whole
# (about 245 characters) is its tooltip and the banner's words while it joins (ui.hub_join).
HANDOVER_SHORT = ("The hub's database was put back to an earlier copy: this desktop sends its records again, then joins "
                  "the hub again from its snapshot.")
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
# Loaded off the UI thread after the first paint (the window paints the last known
# picture through the store's plain read connection first): the ORM and what the
# housekeeping needs.  About 0.7 s of imports a cold start does not wait for.
WARM_MODULES = ("sqlalchemy.orm", "models.replica.orm", "models.service.housekeeping")
# The pause between the checks of a first check of a big decision log (its rows are hashed 3,000 a check).
CHAIN_CONTINUE_MS = 5_000
# What the housekeeping pass itself writes: its own notice asks for no further pass.
HOUSEKEEPING_KINDS = frozenset({"alert", "checklist_item", "data_quality"})
THEME_SHORTCUTS = {"light": "Ctrl+Shift+L", "dark": "Ctrl+Shift+D", "high_contrast": "Ctrl+Shift+H"}


class MainWindow(QMainWindow):
    housekept = Signal(object)   # a housekeeping pass reached the window: open alert count, or the error
    closed = Signal()   # the window was closed (settings saved): the application ends with it

    def __init__(self, store, clock: Callable[[], datetime], *, title_suffix: str = "",
                 theme_key: str = "light", settings=None) -> None:
        """``settings`` (``scc_desktop.settings.Settings``): theme, text size, last view and
        window size are read from it and saved back to it as the user changes them."""
        super().__init__()
        self.store = store
        self.clock = clock
        self.settings = settings
        stale_limits.use(stale_limits.from_settings(settings))   # the room's stale limits (defaults without)
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
        self.outage_notice = OutageNotice()   # where the banner was, once the hub answers again (ui.outage_notice)
        layout.addWidget(self.outage_notice)
        # Open alerts on every view, one click to the centre; new ones also reach the tray.
        self.alert_banner = AlertBanner(store, clock)
        self.alert_banner.open_centre.connect(self.open_alert_centre)
        self.alert_tray = AlertTray(self, sound=bool(settings is not None and settings.alert_sound))
        self.alert_tray.clicked.connect(self.open_alert_centre)
        self.alert_banner.read.connect(self.alert_tray.seen)
        layout.addWidget(self.alert_banner)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Views")
        # Twelve titles at 2.5x text are wider than a 1920-pixel screen: the tabs scroll (arrows,
        # Ctrl+Tab) rather than widen the window, on every platform (macOS would otherwise widen it),
        # and keep their titles whole.
        self.tabs.setUsesScrollButtons(True)
        self.tabs.setElideMode(Qt.TextElideMode.ElideNone)
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
        # The overview stays the view a window opens on (its first paint needs no ORM); the system
        # picture comes first in the tab order and is chosen with --view or remembered as the last view.
        self.tabs.setCurrentWidget(self.pages["overview"])
        self.tabs.currentChanged.connect(self._shown)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.state_label = QLabel()
        self.sync_label = QLabel()
        self.outbox_label = QLabel()
        self.escalation_label = QLabel()   # whether the hub e-mails the on-call (ui.escalation_status)
        for label, name in ((self.escalation_label, "Escalation"), (self.state_label, "Connection"),
                            (self.sync_label, "Last sync"), (self.outbox_label, "Outbox")):
            label.setAccessibleName(name)
            self.statusBar().addPermanentWidget(label)
        self.escalation_label.hide()   # until the hub has said
        self.tables_label = QLabel()   # the hub's OPEL tables are not this desktop's (ui.tables_status)
        self.tables_label.setAccessibleName("OPEL tables")
        self.statusBar().insertPermanentWidget(0, self.tables_label)
        self.tables_label.hide()   # until the hub has said they differ
        self._told: str | None = None   # the status bar message whose whole is the bar's tooltip (tell)
        self.statusBar().messageChanged.connect(self._message_changed)
        self.hub_tables = None   # sync.hub_tables.Said: what the hub last said of its OPEL tables
        self.hub_escalation = None   # sync.hub_escalation.Said: what the hub last said of escalation
        self.theme_key = theme_key
        self.text_scale = settings.text_scale if settings is not None else 1.0
        self._build_menu()
        self.connectivity: Connectivity | None = None
        self.replica_problem = None   # sync.replica_problem.ReplicaProblem of the last cycle
        self._painted = False
        self._warm_state = "cold"          # cold -> warming -> warm
        self._warm_modules = list(WARM_MODULES)
        self._after_warm: list[Callable[[], None]] = []
        self._housekeeper = tasks.LatestWrite(self, lambda done: self._housekept(done.open_alerts),
                                              lambda exc: self._housekept(exc))
        # The data-quality reading before each pass, a read on the read lane (0.2-0.3 s a pass on a year of data
        # for 40 providers, which every save waited for on the write thread); the pass is asked when it is read.
        self._quality_reads = tasks.LatestRead(self, self._quality_read, self._quality_failed)
        # The decision log's chain check, a read on the read lane (seconds on a big log: never the write thread).
        self._chain_reads = tasks.LatestRead(self, self._chain_checked, self._chain_failed)
        self._summary: SyncSummary | None = None   # the status bar's last read
        self._status_reads = tasks.LatestRead(self, self._summary_read, self._summary_failed)
        self.sync_loop: tasks.Loop | None = None
        # The snapshot join (ui/hub_join.py): what each sync cycle is also shown to, what stops with the
        # window, and the banner's words while it joins (None: none).
        self.cycle_watchers: list[Callable[[object], None]] = []
        self.join_stoppers: list[Callable[[], None]] = []
        self.join_notice: tuple[str, str] | None = None
        self.bc_pack = None   # ui.bc_pack_writer: the hourly business-continuity pack, when a folder is set
        tasks.manager().changed.connect(self.on_changes)
        self._ages = QTimer(self)
        self._ages.timeout.connect(self._tick)
        self._ages.start(60_000)
        self.set_theme(theme_key)
        if getattr(store, "engine_ready", True):   # the libraries are loaded already: check now
            self.housekeeping_later()
        if settings is not None:
            if settings.last_view in self.views:
                self.show_view(settings.last_view)
            if settings.window_size:
                self.resize(*settings.window_size)
        self.show_connectivity(None)
        if settings is not None:
            self.when_warm(self.follow_bc_pack)
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
        self.rules_action = file_menu.addAction("Alert &rules…", self.open_alert_rules)   # a room lead's
        self.phoned_in_action = file_menu.addAction("Record p&honed-in figures…", lambda: importlib.import_module(
            "ui.phoned_in_dialog").open_dialog(self))   # loaded when first asked for
        self.message_action = file_menu.addAction("Send a SPoC &message…", lambda: importlib.import_module(
            "ui.message_dialog").open_dialog(self))   # loaded when first asked for
        self.reports_action = file_menu.addAction(   # loaded when first asked for (it brings reportlab)
            "Re&ports…", lambda: importlib.import_module("ui.reports_dialog").open_reports(self))
        file_menu.addAction(self.quit_action)
        menu = self.menuBar().addMenu("&View")
        self.view_actions: dict[str, QAction] = {}
        for n, (key, title, _cls) in enumerate(VIEWS, start=1):
            action = QAction(title, self)
            if n <= 9:   # Ctrl+1 to Ctrl+9; later views by Alt+letter, Ctrl+Tab or this menu (Ctrl+0: text size)
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
        self.reset_text_action = QAction("Normal te&xt size", self)
        self.reset_text_action.setShortcut(QKeySequence("Ctrl+0"))   # as in browsers and office programs
        self.reset_text_action.triggered.connect(lambda: self.set_text_scale(1.0))
        menu.addAction(bigger)
        menu.addAction(smaller)
        menu.addAction(self.reset_text_action)
        self.sound_action = QAction("Sound with alert &notifications", self, checkable=True)
        self.sound_action.setChecked(self.alert_tray.sound)
        self.sound_action.toggled.connect(self._set_alert_sound)
        menu.addAction(self.sound_action)

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
        if key == "alerts" and self.hub_escalation is not None:
            view.show_escalation(self.hub_escalation)
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

    def open_alert_centre(self) -> None:
        """From the banner or a tray notification: the alert centre, in front."""
        self.show_view("alerts")
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def _set_alert_sound(self, on: bool) -> None:
        self.alert_tray.sound = on
        self._save_settings(alert_sound=on)

    def open_settings(self) -> None:
        from ui.settings_dialog import open_settings   # loaded when first asked for
        open_settings(self)

    def follow_stale_limits(self) -> None:
        """The stale limits from the settings, and every view redrawn with them (after Settings is saved)."""
        before = stale_limits.current()
        if stale_limits.use(stale_limits.from_settings(self.settings)) != before:
            self._redraw_all()

    def follow_bc_pack(self) -> None:
        from ui import bc_pack_writer
        bc_pack_writer.follow_settings(self)

    def open_alert_rules(self):
        from ui.alert_rules_dialog import open_rules   # loaded when first asked for
        return open_rules(self)

    def set_theme(self, key: str) -> None:
        self.theme_key = key
        t = theme.set_current(key, self.text_scale)
        self.setPalette(theme.palette(t))
        self.setStyleSheet(theme.stylesheet(t))
        self.theme_actions[key].setChecked(True)
        self.alert_banner.restyle()
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
        modules, store = tuple(self._warm_modules), self.store

        def load_database_libraries() -> None:
            for name in modules:
                importlib.import_module(name)
            store.engine   # noqa: B018 -- builds the SQLAlchemy engine
        # A job on the read lane: it writes nothing, and its end is delivered here like a read's.
        tasks.QueryOp(parent=self, op=load_database_libraries, success=self._on_warm).failure(
            self._on_warm).run_in_background()   # a failure is logged; the window goes on with what it has

    def stop_background(self) -> None:
        """Stop the window's own timers and its sync loop (the app is ending, or the replica was closed)."""
        self._ages.stop()
        if self.bc_pack is not None:
            self.bc_pack.stop()
        for stop in self.join_stoppers:
            stop()
        if self.sync_loop is not None:
            self.sync_loop.stop()

    def _store_closed(self) -> bool:
        if getattr(self.store, "closed", False):
            self.stop_background()
            return True
        return False

    def _on_warm(self, _result=None) -> None:
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
    def start_sync(self, engine, *, poll_interval: float = 2.0, long_poll: float = 20.0) -> tasks.Loop:
        """Run ``engine``'s loop (``sync.engine.SyncEngine.run``) off the UI thread: each cycle's
        result and each change of connectivity come back here.  Stopping closes the hub client,
        which cuts the request in flight (a long-poll would otherwise hold the close for up to its
        20 s) and the engine's prefetch with it; a batch being applied ends before its next item and rolls
        back with its cursor (applied again at the next start)."""
        def run(stop) -> None:
            engine.run(stop, poll_interval=poll_interval, long_poll=long_poll, on_cycle=cycled)
        heads = _compare_chain_heads(self.store, engine.client)   # the chain check asks the hub too

        def interrupt() -> None:
            engine.client.close()
            if heads is not None:
                heads.close()
        loop = tasks.Loop(self, "sync", run, interrupt=interrupt)
        cycled = loop.reporter(self.on_cycle)
        engine.tracker.subscribe(loop.reporter(self.show_connectivity))
        self.show_connectivity(engine.tracker.current)
        self.sync_loop = loop.start()
        return loop

    def show_join_notice(self, text: str | None, style: str = "joining") -> None:
        """The banner's words while joining from the hub's snapshot (``ui.hub_join``); None clears them."""
        self.join_notice = None if text is None else (text, style)
        self._draw_status()

    def replica_replaced(self) -> None:
        """The store now reads another file (a snapshot join): every view, the alerts and the status anew."""
        self.alert_banner.refresh()
        self._redraw_all()
        self.housekeeping_later()
        self._read_status()

    def show_connectivity(self, state: Connectivity | None) -> None:
        """Draw the connection state now, from ``state`` and the last summary read; the summary
        (last sync, outbox) is read again off the UI thread and drawn when it comes."""
        before, self.connectivity = self.connectivity, state
        if state is not None and (before is None or before.state != state.state) and self._warm_state == "warm":
            self.housekeeping_later()   # this desktop's own alerts raised or cleared with the change
        self._draw_status()
        self._read_status()

    def _read_status(self) -> None:
        if not self._store_closed():
            store = self.store
            self._status_reads(lambda: sync_status(store))

    def _summary_read(self, summary: SyncSummary) -> None:
        self._summary = summary
        self._draw_status()

    def _summary_failed(self, exc: BaseException) -> None:
        self.statusBar().showMessage(f"Could not read the sync state: {tasks.sentence(exc, write=False)}", 10_000)

    def _draw_status(self) -> None:
        state, summary = self.connectivity, self._summary
        last_sync = state.last_good_sync if state and state.last_good_sync else (summary and summary.last_sync_at)
        last_sync = self._on_hub_clock(last_sync) if last_sync else last_sync   # one clock: the window's (r3)
        known = bool(state and state.last_good_sync) or summary is not None   # else: not read yet
        last_text = fmt.local_time(last_sync, with_date=True) if known else "…"
        word = STATE_WORDS[state.state] if state else "Not syncing"
        upgrading = state.upgrading if state and state.state == State.OFFLINE else None
        # The hub answered 410 feed_pruned: behind its retention, joining again (ui.hub_join); not unreachable
        behind = bool(state and state.state == State.OFFLINE and state.behind_retention)
        if upgrading:   # the hub answers, 503 'upgrading' (its start's one-off steps): not unreachable
            word = "Hub upgrading"
        elif behind:
            word = "Rejoin needed"
        if self.join_notice is not None and self.join_notice[1] == "joining":
            word = "Joining the hub…"
        elif self.join_notice is not None:   # behind the hub's retention: it answers, with 410 (not offline)
            word = "Rejoin needed"
        self.state_label.setText(word)
        self.state_label.setAccessibleName(f"Connection: {word}")
        clock_words = getattr(self.clock, "words", None)   # a HubClock: this computer's clock against the hub's
        said = clock_words(lambda at: fmt.local_time(at, with_date=True)) if clock_words else None
        if said:   # this computer's clock is off: say so, that the times shown are the hub's, and how old
            self.sync_label.setText(f"Last sync {last_text} · {said[0]}")
            self.sync_label.setToolTip(said[1])
        else:
            self.sync_label.setText(f"Last sync {last_text}")
            self.sync_label.setToolTip("")
        self.outbox_label.setText(f"Outbox {summary.outbox_pending}" if summary is not None else "Outbox …")
        if state and state.state in (State.OFFLINE, State.FEED_STALE):
            since = fmt.local_time(self._on_hub_clock(state.since), with_date=True)
            if upgrading:
                text = (f"Hub upgrading its database since {since} ({upgrading}); it answers again when that is "
                        f"done. Showing the picture as of the last sync ({last_text}); everything else keeps "
                        "working and your changes wait in the outbox.")
            elif behind:   # drawn before ui.hub_join says its own words for it (the same cycle), never as offline
                text = ("The hub answered: its feed no longer holds what this desktop reads next, so this desktop must "
                        "join again from the hub's snapshot. Showing the picture as of the last sync "
                        f"({last_text}); everything else keeps working and your changes wait in the outbox.")
            elif state.state == State.OFFLINE and state.last_good_sync is not None:
                # Since the last sync the replica knows, not since this start (a restart mid-outage: r1, session 31)
                text = (f"Hub not reached since the last sync, {last_text} "
                        f"({fmt.since(self.clock(), self._on_hub_clock(state.last_good_sync))}). Showing the picture as of that sync; "
                        "everything else keeps working and your changes wait in the outbox.")
            elif state.state == State.OFFLINE:
                text = (f"Hub unreachable since {since}. Showing the picture as of the last sync "
                        f"({last_text}); everything else keeps working "
                        "and your changes wait in the outbox.")
            else:
                text = (f"Feed stale since {since}: the hub answers but no provider data has "
                        f"arrived ({state.detail}).")
            self.banner.setText(text)
            # Upgrading: a planned pause, not a fault, but no new data meanwhile: amber, as a stale feed.
            self.banner.setStyleSheet(BANNER_STYLE["feed_stale" if upgrading or behind else state.state.value])
            self.banner.show()
            if state.state == State.OFFLINE and not behind:   # lost again: the banner says so; the notice of the last outage goes
                self.outage_notice.hide()
        else:
            self.banner.hide()
        if self.join_notice is not None:   # joining from the hub's snapshot, or behind its retention
            text, style = self.join_notice
            self.banner.setText(text)
            self.banner.setStyleSheet(BANNER_STYLE[style])
            self.banner.show()
        if self.replica_problem is not None:   # the replica cannot take the feed: said before the hub
            self.banner.setText(self.replica_problem.banner(fmt.local_time(self.replica_problem.since)))
            self.banner.setStyleSheet(BANNER_STYLE["offline"])
            self.banner.show()

    def on_cycle(self, result) -> None:
        """A sync cycle finished: redraw the visible view if it shows a kind that changed."""
        observe = getattr(self.clock, "observe", None)   # a HubClock: ages against the hub's time
        if observe is not None and observe(getattr(result, "hub_offset", None)):
            self._redraw_all()
        self.redraw_kinds(set(result.kinds))
        self.replica_problem = getattr(result, "replica_problem", None)
        said = getattr(result, "escalation", None)
        if said is not None:   # a cycle that did not reach the hub keeps what it last said
            self.show_escalation(said)
        tables = getattr(result, "opel_tables", None)
        if tables is not None:   # as escalation: kept until the hub says again
            self.show_hub_tables(tables)
        for watch in list(self.cycle_watchers):
            watch(result)
        outage = getattr(result, "outage", None)
        if outage is not None and result.connectivity is not None:   # the hub answers again: say how long it did not
            # (its first answer may be a 410 feed_pruned: away longer than it keeps its feed; the rejoin follows)
            self.outage_notice.tell(self._on_hub_clock(outage[0]), self._on_hub_clock(outage[1]), result.pushed,
                                    result.connectivity.outbox_pending,
                                    self._on_hub_clock(getattr(result, "outage_run_started", None)),
                                    rejoin=result.connectivity.behind_retention)
        self.show_connectivity(result.connectivity)
        if result.error and result.connectivity and result.connectivity.state != State.OFFLINE:
            # Not the network (that has the banner): the replica could not take the batch now.
            self.statusBar().showMessage(f"Sync paused, retrying: {result.error}", 30_000)
        elif getattr(result, "feed_restored", None):
            # Said once (sync.feed_restore): the hub went back to a backup; this desktop put back what it lost.
            said = result.feed_restored
            whole = said[:1].upper() + said[1:] + "."
            if result.error:   # the handover to the snapshot rejoin (a 410 ends the cycle): the banner says it whole
                self.tell(HANDOVER_SHORT, whole, 120_000)
            else:
                self.statusBar().showMessage(whole, 120_000)
        elif getattr(result, "push_error", None):
            # The feed came; this desktop's own records did not go (they wait in the outbox).
            self.statusBar().showMessage(f"Your records are not sent: {result.push_error}. They wait in the "
                                         "outbox; the system's data still syncs.", 30_000)

    def tell(self, short: str, whole: str, timeout_ms: int) -> None:
        """``short`` in the status bar (whole beside its own words at 1366 px), ``whole`` as its tooltip while it shows."""
        bar = self.statusBar()
        bar.showMessage(short, timeout_ms)
        bar.setToolTip(whole)
        self._told = short

    def _message_changed(self, message: str) -> None:
        if message != self._told:   # another message, or none: the tooltip went with its message
            self._told = None
            self.statusBar().setToolTip("")

    def show_escalation(self, said) -> None:
        """What the hub said of escalation by e-mail: the status bar's word, and the alert centre's line."""
        self.hub_escalation = said
        escalation_status.show_in(self.escalation_label, said)
        alerts = self.views.built.get("alerts")
        if alerts is not None and hasattr(alerts, "show_escalation"):
            alerts.show_escalation(said)

    def show_hub_tables(self, said) -> None:
        """Whether the hub's OPEL tables are this desktop's: words in the status bar when they differ."""
        self.hub_tables = said
        tables_status.show_in(self.tables_label, said)

    def on_changes(self, changes) -> None:
        """A write of this desktop's landed (``models.service.changes.Changes``): as a sync batch.
        A housekeeping pass's own alerts and checklists ask for no further pass while one is under
        way (it is the one that wrote them, or it runs after the one that did)."""
        own = changes.records <= HOUSEKEEPING_KINDS and self._housekeeper.busy
        self.redraw_kinds(set(changes.kinds), housekeep=not own)
        self._read_status()   # the outbox count moves with a write of the room's

    def redraw_kinds(self, kinds: set[str], *, housekeep: bool = True) -> None:
        """Redraw the visible view if it shows a kind that changed; mark the others out of date."""
        if kinds and housekeep:
            self.housekeeping_later()
        if kinds & ALERT_KINDS:
            self.alert_banner.refresh()
        current = self.current_key()
        for key, view in self.views.built.items():   # the others draw fresh when first shown
            if view.KINDS & kinds:
                if key == current:
                    view.refresh()
                    self._dirty.discard(key)
                else:
                    self._dirty.add(key)

    def housekeeping_later(self) -> None:
        """Chase overdue actions and raise OPEL checklists even while their tab is hidden: the
        door's pass (``models.service.housekeeping.run``), a write off the UI thread (on a year of
        data the checklists take 0.1-0.9 s) whose changes are announced like any write's.  The tab
        title carries the count of open, unacknowledged alerts; ``housekept`` says a pass's result
        reached the window.  One pass at a time: asks while one runs make one more pass after it.
        The data-quality checks are read first on the read lane, and the pass asked with what they found
        (:meth:`_quality_read`); the decision log's chain check, when due, is a read beside it
        (:meth:`_chain_check_later`)."""
        if self._store_closed():
            return
        store, now = self.store, self.clock()
        self._quality_reads(lambda: (now, _quality_reading(store, now)))
        self._chain_check_later()

    def _quality_read(self, read) -> None:
        """The data-quality reading came (None: it failed on its data, logged): the write pass stores it."""
        now, assessed = read
        self._pass(now, assessed)

    def _quality_failed(self, exc: BaseException) -> None:   # a replica fault: the pass runs, and says its own
        self._pass(self.clock(), None)

    def _pass(self, now: datetime, assessed) -> None:
        if self._store_closed():
            return
        store, contact = self.store, self._contact()
        self._housekeeper(lambda: _housekeeping_pass(store, now, assessed, contact))

    def _contact(self) -> tuple[datetime | None, datetime | None] | None:
        """The sync's last contact with the hub and newest provider data, for this desktop's own alerts
        (hub not reached, feed quiet: resources/alerts/desktop_rules.json); None before a cycle has ended
        (not yet tried, or no sync at all): nothing is judged then."""
        state = self.connectivity
        if state is None or state.state == State.UNKNOWN:
            return None
        # Never synced: from this run's first failure; 503 'upgrading' counts as contact for an hour (sync.hub_contact)
        return hub_contact.for_own_alerts(state, self.clock(), getattr(self.clock, "offset", None)), \
            state.last_provider_data_at

    def _on_hub_clock(self, at: datetime | None) -> datetime | None:
        """A time the sync engine took on this computer's clock, on the window's (a HubClock: the hub's; the
        newest provider data is on the hub's already), so a desktop two hours behind is not 'not reached for 2 h'."""
        return hub_clock.shifted(at, getattr(self.clock, "offset", None))

    def _chain_check_later(self) -> None:
        """The decision log's chain check (``models.service.housekeeping.check_chain``) on the read lane:
        on 30,000 decisions it takes 2-5 s, which a user's save waited for when it ran in the write pass."""
        if self._store_closed():
            return
        store, now = self.store, self.clock()
        self._chain_reads(lambda: _chain_check(store, now))

    def _chain_checked(self, report) -> None:
        """A broken log: a write pass raises its alert now.  Rows left for later (a first check of a big
        log): the next check :data:`CHAIN_CONTINUE_MS` on (a first check of 30,000 decisions is 11 checks of
        2-8 s; back to back they would hold a read thread and most of the interpreter for a minute)."""
        if report is None or self._store_closed():
            return
        if not report.intact:
            self.housekeeping_later()
        elif report.unchecked:
            QTimer.singleShot(CHAIN_CONTINUE_MS, self, self._chain_check_later)

    def _chain_failed(self, exc: BaseException) -> None:   # its traceback is in the log (ui.tasks)
        self.statusBar().showMessage(f"Could not check the decision log: {tasks.sentence(exc, write=False)}",
                                     10_000)

    def _housekept(self, result) -> None:
        self._show_housekeeping(result)
        self.housekept.emit(result)

    def _show_housekeeping(self, result) -> None:
        """The tab's count.  What the pass changed was announced (``on_changes``): the actions
        view redraws from that notice, as from any write's."""
        if isinstance(result, BaseException):   # its traceback is in the log (ui.tasks)
            self.statusBar().showMessage(f"Could not check actions and alerts: {tasks.sentence(result)}", 10_000)
        else:
            self.alert_banner.refresh()   # after every pass: its chases, and the ages on the minute
            index = self.tab_index("actions")
            self.tabs.setTabText(index, f"{ACTIONS_TITLE} ({result})" if result else ACTIONS_TITLE)
            self.tabs.setTabToolTip(index, f"{result} alert(s) waiting for acknowledgement"
                                    if result else "No alerts waiting")

    def _tick(self) -> None:
        if self._store_closed():
            return
        # Ages and waits move with the clock: the visible view now, the others when shown.
        self.housekeeping_later()
        self._redraw_all()
        self.show_connectivity(self.connectivity)


def _housekeeping_pass(store, now: datetime, assessed, contact=None):
    """One pass through the door, on the task manager's write thread (the import loads the ORM:
    never on the UI thread, never before the first paint); ``assessed``: the data-quality reading,
    read on the read lane (:func:`_quality_reading`); ``contact``: :meth:`MainWindow._contact`."""
    from models.service import housekeeping

    return housekeeping.run(store, now, assessed, contact)


def _quality_reading(store, now: datetime):
    """The data-quality checks' reading through the door, on a read thread (the import as above)."""
    from models.service import housekeeping

    return housekeeping.assess_quality(store, now)


def _chain_check(store, now: datetime):
    """The decision log's check through the door, on a read thread (the import as above)."""
    from models.service import housekeeping

    return housekeeping.check_chain(store, now)


def _compare_chain_heads(store, client):
    """The decision log's chain check compares its heads with the hub's from now on (``sync.record_heads``,
    a client of its own, closed with the sync's; the sync's libraries are loaded by now).  Returns the asker
    (None for a stand-in engine's client, which leaves the check as it was)."""
    from models.service import housekeeping
    from sync import record_heads
    from sync.client import HubClient

    if not isinstance(client, HubClient):   # a stand-in engine's (tests)
        return None
    asked = housekeeping.chain_watch_of(store).ask_hub = record_heads.asker(client)
    return asked
