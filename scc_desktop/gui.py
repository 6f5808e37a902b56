"""Starting the window: Qt application, main window, sync loop, screenshots.

The window reads the replica only; the sync engine's loop (if a hub is configured;
``MainWindow.start_sync``, a ``ui.tasks.Loop``) fills it.  ``screenshot`` renders
offscreen at 1366×768 and exits: for the documentation and for looking at what a
user sees.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from scc_desktop.stop_signals import StopSignals
from sync.hub_clock import HubClock
from ui.choices import THEME_KEYS, VIEW_KEYS

log = logging.getLogger(__name__)

SCREEN_SIZE = (1366, 768)
SETTLE_PASSES = 3


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        # Fusion draws the same on Windows and Linux and honours the theme palettes. Asked for on
        # the command line Qt hands it, not with setStyle() afterwards: that repolished every widget
        # and returned the style to Python, whose wrapper made QStyle's classes and enums (~10 ms of a
        # cold start).
        app = QApplication(sys.argv[:1] + ["-style", "Fusion"])
    app.setApplicationName("SCC Desktop")
    app.setOrganizationName("SCC Desktop")
    return app


def render(window, path: Path, view: str = "overview", theme: str | None = None,
           size: tuple[int, int] | None = None) -> Path:
    """Render one view of a window to a PNG at ``size`` (default: the room's smallest screen)."""
    if view not in VIEW_KEYS:
        raise ValueError(f"unknown view {view!r}; choose one of {', '.join(VIEW_KEYS)}")
    if theme is not None and theme not in THEME_KEYS:
        raise ValueError(f"unknown theme {theme!r}; choose one of {', '.join(THEME_KEYS)}")
    window.resize(*(size or SCREEN_SIZE))
    window.show()
    if theme is not None:
        window.set_theme(theme)
    window.show_view(view)
    from ui import tasks
    # Checklists and alert counts now, not after the warm-up: the pass is a write off the UI
    # thread like any other; the picture waits for it (and for what its notice redraws).
    window.housekeeping_later()
    tasks.manager().wait_idle()
    _application().processEvents()
    # Lay out at the final size first, then draw: tile columns and chart ranges follow the size.
    window.views[view].refresh()
    tasks.manager().wait_idle()   # views read and write off the UI thread (ui.tasks): draw what that brings
    # A view that builds widgets in refresh() settles over a few passes of the event loop
    # (layout requests, scroll areas sizing their pages), as it would on screen.
    for _ in range(SETTLE_PASSES):
        _application().processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path


# Qt's offscreen plugin warns of what it cannot do for a window that is never shown on a screen: three
# such lines came before "wrote FILE.png" on every screenshot (the README's first demo command).
OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints()",)


def _quiet_offscreen_plugin() -> None:
    """Drop the offscreen plugin's warnings about itself; every other Qt message goes to stderr as before."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(kind, context, message: str) -> None:
        if message not in OFFSCREEN_NOISE:
            sys.stderr.write(message + "\n")

    qInstallMessageHandler(handler)


def keep_parsed_tables() -> None:
    """Parsed OPEL tables and the metric catalogue kept in the user's cache folder: the first
    paint reads them, and parsing their TOML at every start cost ~30 ms of CPU."""
    from models.rules import tabledata
    from scc_desktop import paths

    tabledata.keep_parsed_in(paths.cache_dir() / "tables")


def application():
    """The one QApplication (made on first use)."""
    return _application()


def run(store, *, engine=None, screenshot: Path | None = None, view: str | None = None,
        title: str = "", on_quit=None, settings=None, stop_signals: StopSignals | None = None,
        size: tuple[int, int] | None = None, lock: Callable[[str], str | None] | None = None) -> int:
    """Show the main window over ``store``; with ``engine``, sync in the background.

    The window paints what the replica holds at once (the last known picture)
    from the store's plain read connection; the database libraries then load
    off the UI thread, and the sync loop starts once they have.
    ``engine``: a ``SyncEngine``, or a function that makes one (called then, so
    the sync libraries are not loaded before the first paint either).
    ``view`` None: the view from ``settings`` (last one shown), else the overview.
    ``size``: a screenshot's window size (default 1366x768).
    ``lock(passphrase)``: None or why it is refused; with it and ``settings``, the window locks after
    ``settings.lock_after_minutes`` without use (``ui.idle_lock``).
    Ctrl+C and SIGTERM close the window as its close button does (``stop_signals``, taken over
    here if the caller has not already); the result is then 128 + the signal's number.
    """
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _quiet_offscreen_plugin()
    keep_parsed_tables()
    app = _application()
    from ui.main_window import MainWindow

    # Ages against the hub's clock: the offset last measured, until the hub answers (said to be old).
    window = MainWindow(store, clock=HubClock.started(store), title_suffix=title, settings=settings)
    if screenshot is not None:
        if engine is not None:
            window.on_cycle(_engine(engine).run_once())
        try:
            render(window, screenshot, view or "overview", size=size)
        except OSError as exc:   # an unwritable folder, a full disk: say so, in one line
            print(f"scc-desktop: --screenshot: {exc}", file=sys.stderr)
            return 1
        finally:
            window.close()
        print(f"wrote {screenshot}")
        return 0
    if lock is not None and settings is not None:
        from ui import idle_lock

        idle_lock.install(window, lock, settings.lock_after_minutes, replica=str(getattr(store, "path", "")))
    if engine is not None:
        from sync.connectivity import Connectivity, State

        window.show_connectivity(Connectivity(State.UNKNOWN, None, None))   # "Connecting…"
        window.when_warm(lambda: start_syncing(window, engine),
                         modules=("sync.engine", "sync.client", "sync.snapshot_join", "ui.hub_join"))
    if settings is None or not settings.window_size:
        window.resize(*SCREEN_SIZE)
    if view is not None:
        window.show_view(view)
    # Closing the window (its close button, File > Quit, Ctrl+Q, a stop signal) ends the app,
    # even with a dialog or a report window still open, and only that.  exit(), not quit(): a
    # quit request also goes through the platform's event queue, and one asked for twice (by
    # Qt's own quit on the last window, say) outlives this loop and closes the next window shown.
    quit_on_last = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    window.closed.connect(lambda: app.exit(0))
    window.show()
    own_signals = stop_signals is None
    stop_signals = stop_signals or StopSignals()
    stop_signals.install()
    stop_signals.watch()
    from scc_desktop.crash_report import guard_window
    guard = guard_window()   # the rotating log file; an unexpected error: a report and a dialog
    log.info("window open; Ctrl+C or SIGTERM closes it")
    try:
        return stop_signals.exit_code(app.exec())
    finally:
        app.setQuitOnLastWindowClosed(quit_on_last)
        window.stop_background()   # the sync loop too (the app's exit has asked it already, bounded)
        if on_quit is not None:
            on_quit()
        if own_signals:
            stop_signals.uninstall()
        guard.close()


def _engine(engine):
    """An engine as given, or made by the function given."""
    return engine if hasattr(engine, "run_once") else engine()


def start_syncing(window, engine, **kw):
    """The window's sync (``ui.hub_join.Syncing``): a new replica joins from the hub's snapshot first,
    one behind the feed's retention joins again; ``engine`` as ``run`` takes it."""
    from ui.hub_join import Syncing

    syncing = Syncing(window, engine_factory(engine), **kw)
    syncing.start()
    return syncing


def engine_factory(engine) -> Callable[[], object]:
    """A function that makes a new engine each call (a stopped sync loop closes its engine's client
    for good): ``engine`` itself if it is one; an engine given is returned first, then copied with a
    client of its own (same hub, token and TLS settings)."""
    if not hasattr(engine, "run_once"):
        return engine
    given = [engine]

    def make():
        if given:
            return given.pop()
        from sync.client import HubClient
        from sync.engine import SyncEngine

        old = engine.client
        token = old.session.headers["Authorization"].removeprefix("Bearer ")
        return SyncEngine(engine.store, HubClient(old.base_url, token, verify=old.verify,
                                                  read_timeout=old.read_timeout),
                          validator=engine.validator, feed=engine.feed, batch_limit=engine.batch_limit,
                          columnar=engine.columnar, clock=engine.clock)
    return make
