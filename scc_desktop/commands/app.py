"""``scc-desktop app`` (also plain ``scc-desktop``): open the room's window on the replica."""

from __future__ import annotations

import os
import re
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError
from sync.address import hub_url_problem
from ui.choices import VIEW_KEYS

HUB_ENV = "SCC_HUB_URL"
TOKEN_ENV = "SCC_HUB_TOKEN"
# A screenshot from the room's smallest screen up to an 8K wall; beyond that Qt's offscreen image
# (4 bytes a pixel) outgrows what a documentation picture is for.
MIN_SIZE = (640, 480)
MAX_SIZE = (7680, 4320)
_SIZE = re.compile(r"(\d{1,5})[xX](\d{1,5})")


def parse_size(text: str) -> tuple[int, int]:
    """``"1920x1080"`` -> (1920, 1080); anything else is a ``UserError`` naming ``--size`` (exit 2)."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise UserError(f"--size: {text!r} is not WIDTHxHEIGHT in pixels, e.g. 1920x1080", 2)
    w, h = int(m.group(1)), int(m.group(2))
    if w < MIN_SIZE[0] or h < MIN_SIZE[1]:
        raise UserError(f"--size: {w}x{h} is too small; at least {MIN_SIZE[0]}x{MIN_SIZE[1]}", 2)
    if w > MAX_SIZE[0] or h > MAX_SIZE[1]:
        raise UserError(f"--size: {w}x{h} is too large; at most {MAX_SIZE[0]}x{MAX_SIZE[1]}", 2)
    return w, h


def add_view_options(parser, *, subcommand: bool = False) -> None:
    """``--screenshot`` and ``--view``.  On a subcommand they default to nothing at all, so the
    same options given before the subcommand (``scc-desktop --view offload demo``) still count."""
    import argparse

    unset = argparse.SUPPRESS if subcommand else None
    parser.add_argument("--screenshot", type=Path, default=unset, metavar="FILE.png",
                        help="render a view offscreen to a PNG and exit")
    parser.add_argument("--view", default=unset,
                        help="the view to show or render (default: the last one shown; overview for --screenshot)")
    parser.add_argument("--size", default=unset, metavar="WxH",
                        help="with --screenshot: the window's size in pixels, e.g. 3840x2160 (default 1366x768)")


def check_view_options(args) -> None:
    """Refuse a bad ``--view`` or ``--screenshot`` before anything starts."""
    view = getattr(args, "view", None)
    if view is not None and view not in VIEW_KEYS:
        raise UserError(f"--view: unknown view {view!r}; choose one of {', '.join(VIEW_KEYS)}", 2)
    shot = getattr(args, "screenshot", None)
    if shot is not None:
        if shot.is_dir():
            raise UserError(f"--screenshot: {shot} is a folder; give a file name ending in .png", 2)
        if shot.suffix.lower() != ".png":
            raise UserError(f"--screenshot: {shot} must be a .png file name", 2)
    size = getattr(args, "size", None)
    if size is not None:
        if shot is None:
            raise UserError("--size: only with --screenshot (a window on screen keeps the size you give it)", 2)
        parse_size(size)


def register(subparsers) -> None:
    parser = subparsers.add_parser("app", help="open the SCC Desktop window (the default)")
    parser.add_argument("--path", type=Path, default=None, help="replica file")
    parser.add_argument("--hub", default=os.environ.get(HUB_ENV),
                        help=f"hub address to sync with (or {HUB_ENV}); none: work on the replica only")
    add_view_options(parser, subcommand=True)
    parser.set_defaults(handler=run)


class _Derived:
    def __init__(self, path: Path, future) -> None:
        self.path, self.future = path, future


def _derive_early(args) -> _Derived | None:
    """With SCC_PASSPHRASE set, start deriving the key for the given (or default) replica now."""
    passphrase = os.environ.get("SCC_PASSPHRASE")
    path = getattr(args, "path", None) or paths.default_replica()
    if not passphrase or not Path(path).exists():
        return None
    from models.replica import keyfile

    return _Derived(Path(path), keyfile.unlock_in_background(path, passphrase))


def run(args) -> int:
    """Open the window: first-run set-up if there is no replica yet, else unlock and show it.
    Ctrl+C or SIGTERM, from the first dialog to the window, ends it cleanly with 130 or 143
    (``scc_desktop.stop_signals``)."""
    if getattr(args, "screenshot", None) is None:   # before Qt loads, which would abort the process
        from scc_desktop import display_check

        display_check.check()
    derived = _derive_early(args)   # before the heavy imports, which it then overlaps
    if getattr(args, "screenshot", None) is not None:
        return _run(args, derived, None)
    import logging

    from scc_desktop.stop_signals import StopSignals, Stopped

    # Run from a terminal, the app reports there (sync faults, how to stop it), as the demo does.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    with StopSignals() as stop:
        try:
            return stop.exit_code(_run(args, derived, stop))
        except Stopped as exc:   # before the first dialog or window was up
            return exc.exit_code


def _run(args, derived: _Derived | None, stop) -> int:
    from scc_desktop import gui
    from scc_desktop import settings as settings_mod

    check_view_options(args)
    screenshot = getattr(args, "screenshot", None)
    settings = settings_mod.load()
    settings_mod.choose_author(settings)   # who signs: the name in the settings, else the login name
    path = getattr(args, "path", None) or (Path(settings.replica) if settings.replica
                                            else paths.default_replica())
    if derived is not None and Path(derived.path) != path:
        derived = None          # the settings name another replica
    if screenshot is None:      # one window per replica: a second start brings the first to the front
        from scc_desktop import single_window

        gui.application()
        try:
            claim = single_window.WindowClaim(path).acquire()
        except single_window.AlreadyOpen as exc:
            return already_open(exc)
        with claim:
            _finish_restore(path)
            return _open(args, path, settings, derived, stop)
    return _open(args, path, settings, derived, stop)


def _finish_restore(path: Path) -> None:
    """A 'db restore' killed among its renames (models/replica/backup.py): finished here, under the window's
    lock, so the window opens the replica restored (not the first-run set-up over a key file)."""
    import logging

    from models.replica import backup

    if backup.cut_short(path) is None:
        return
    try:
        backup.check_not_open_elsewhere(path)
        aside = backup.finish_cut_short(path)
    except (OSError, ValueError, KeyError, backup.BackupError) as exc:
        logging.getLogger(__name__).warning("%s; it could not be finished now: %s", backup.cut_short(path), exc)
        return
    logging.getLogger(__name__).warning("a restore of %s stopped part way was finished; what was there is kept in %s",
                                        path, ", ".join(str(a) for a in aside))


def already_open(exc, tell=None) -> int:
    """A second start on a replica whose window is open: 0 if that window came to the front, else
    1 after saying so (a window started from an icon has no terminal: a message box too)."""
    import sys

    print(f"scc-desktop: {exc}", file=sys.stderr)
    if exc.raised:
        return 0
    if tell is None:
        from PySide6.QtWidgets import QMessageBox

        def tell(text):
            QMessageBox.warning(None, "SCC Desktop is already open", text[0].upper() + text[1:] + ".")
    tell(str(exc))
    return 1


def _open(args, path: Path, settings, derived: _Derived | None, stop) -> int:
    from scc_desktop import gui, hub_access, startup, unlock

    view = getattr(args, "view", None)
    screenshot = getattr(args, "screenshot", None)
    if screenshot is not None:  # non-interactive: SCC_PASSPHRASE or the keyring
        store = unlock.open_store(path, derived=derived.future if derived else None)
    elif not path.exists():
        gui.application()
        stop.watch()   # a signal now closes the set-up dialog
        store = startup.first_run(path, settings)
        if store is None:
            return 0
        if store == startup.DEMO:
            from scc_desktop.commands import demo

            return demo.run_default(view=view, stop_signals=stop)
    else:
        gui.application()
        stop.watch()
        store = startup.unlock_window(path, settings, derived=derived.future if derived else None)
        if store is None:
            return 0
    hub = getattr(args, "hub", None) or os.environ.get(HUB_ENV) or settings.hub_url
    if hub and hub_url_problem(hub):
        store.close()
        raise UserError(f"hub address {hub}: {hub_url_problem(hub)}", 2)
    with store:
        engine = None
        if hub:
            # The token kept in the replica goes only to the hub it was set up for;
            # any other address needs its own token in SCC_HUB_TOKEN.
            token = (hub_access.load_token(store) if hub == settings.hub_url
                     else os.environ.get(TOKEN_ENV))
            if not token:
                raise UserError(f"no access token for {hub}: set {TOKEN_ENV}", 2)

            def make_engine():   # called after the first paint, when the sync libraries have loaded
                from sync.client import HubClient
                from sync.engine import SyncEngine

                return SyncEngine(store, HubClient(hub, token, verify=settings.ca_bundle or True))
            engine = make_engine
        # (settings problems were logged once as they were found: scc_desktop/settings.py)
        size = getattr(args, "size", None)
        return gui.run(store, engine=engine, screenshot=screenshot, view=view,
                       settings=None if screenshot is not None else settings, stop_signals=stop,
                       size=parse_size(size) if size else None,
                       lock=lambda passphrase: unlock.passphrase_problem(path, passphrase, store.key))
