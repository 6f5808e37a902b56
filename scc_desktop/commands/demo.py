"""``scc-desktop demo``: the app on an embedded hub and a simulated system, no configuration."""

from __future__ import annotations

import math
import os
import sys
from datetime import timedelta
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.app import add_view_options, check_view_options, parse_size
from scc_desktop.errors import UserError
from scc_desktop.folder_lock import FolderLock, Held

MAX_HISTORY_HOURS = 24 * 366
HISTORY_HOURS = 192   # scc_desktop.demo.HISTORY (not imported here: the command line loads before the demo)
# History to fill past which the command says so first (a few seconds), and past which a start with a
# window shows a progress window while it fills (``ui.progress_window``).
QUIET_FILL = timedelta(hours=30)
PROGRESS_FILL = timedelta(hours=12)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the app on a local hub with a simulated integrated care system",
        description="Try the app with no set-up: a hub on this machine and a simulated integrated care system "
                    "(its providers' figures; simulated data only) feeding it, with the room's own records "
                    "(a directory, a rota, transfers, decisions) written once. Everything is kept in one "
                    "folder; the next start carries on from where it stopped.")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where the demo keeps its hub, replica and tokens (default: per-user data)")
    parser.add_argument("--history-hours", type=float, default=HISTORY_HOURS,
                        help=f"simulated history to load on first start, in a new --folder (default "
                             f"{HISTORY_HOURS:g}, eight days: every '24 h ago' and 24-hour chart and the next "
                             "24 hours' forecasts, in about 15 s on two cores; 30 is enough for the charts alone; "
                             "840, five weeks, adds the week ahead, in about a minute)")
    parser.add_argument("--speed", type=float, default=60,
                        help="how much faster than real time the live feed runs while behind it (default 60)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what the hub, simulator and sync do (-vv: debug)")
    add_view_options(parser, subcommand=True)
    parser.set_defaults(handler=_demo)


def run_default(view: str | None = None, stop_signals=None) -> int:
    """The demo with its defaults (the first-run dialog's "Try the demo")."""
    import argparse

    return _demo(argparse.Namespace(folder=None, history_hours=HISTORY_HOURS, speed=60, screenshot=None, view=view,
                                    size=None, verbose=0), stop_signals)


def check_demo_options(args) -> Path:
    """Refuse bad demo options before anything starts (exit 2, the option and the reason);
    returns the demo folder, made if missing."""
    if not math.isfinite(args.speed) or args.speed <= 0:
        raise UserError(f"--speed {args.speed:g}: must be above 0 (1 = real time, 60 = a minute a second)", 2)
    if not math.isfinite(args.history_hours) or args.history_hours < 0:
        raise UserError(f"--history-hours {args.history_hours:g}: must be 0 or more", 2)
    if args.history_hours > MAX_HISTORY_HOURS:
        raise UserError(f"--history-hours {args.history_hours:g}: at most {MAX_HISTORY_HOURS} (a year)", 2)
    folder = args.folder or paths.data_dir() / "demo"
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--folder {folder}: is a file, not a folder; give a folder (made if missing)", 2)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--folder {folder}: cannot be made ({exc.strerror or exc})", 2) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"--folder {folder}: is not writable", 2)
    return folder


def console_logging(verbose: int) -> None:
    """Quiet by default: what runs and where (``scc_desktop``'s own lines) and any warning; the hub's,
    the simulator's and sync's INFO lines (about 100 in a minute) with ``-v``, debug with ``-vv``."""
    import logging

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    logging.getLogger("scc_desktop").setLevel(min(level, logging.INFO))


def report_command(replica: Path, own_passphrase: bool) -> str:
    """The command that builds a report from the demo's replica, to paste into a shell: the demo's
    passphrase is a published constant (``scc_desktop.demo.DEMO_PASSPHRASE``), so it is given; a
    passphrase of the user's own (SCC_PASSPHRASE) is never printed, only named."""
    import shlex

    from scc_desktop.demo import DEMO_PASSPHRASE

    env = 'SCC_PASSPHRASE="$SCC_PASSPHRASE"' if own_passphrase else f"SCC_PASSPHRASE={DEMO_PASSPHRASE}"
    return f"{env} scc-desktop report brief --path {shlex.quote(str(replica))} --out reports/"


def _demo(args, stop_signals=None) -> int:
    """Ctrl+C or SIGTERM ends the demo cleanly, the window's settings saved and its hub stopped,
    with 130 or 143 (``scc_desktop.stop_signals``); before the window opens too."""
    from scc_desktop.stop_signals import StopSignals, Stopped

    check_view_options(args)
    folder = check_demo_options(args)
    if args.screenshot is None:   # before the hub starts: Qt's abort would come only after it
        from scc_desktop import display_check

        display_check.check()
    console_logging(getattr(args, "verbose", 0))
    lock = FolderLock(folder)   # a second demo here would start a second hub on the same files
    try:
        lock.__enter__()
    except Held as exc:
        if args.screenshot is None and _brought_forward(folder):
            print(f"scc-desktop: a demo is already running (process {exc.owner}) on {folder}: its window has "
                  "been brought to the front", file=sys.stderr)
            return 0
        raise
    try:
        if args.screenshot is not None or stop_signals is not None:
            return _run_demo(args, folder, stop_signals)
        with StopSignals() as stop:
            try:
                return stop.exit_code(_run_demo(args, folder, stop))
            except Stopped as exc:   # while the demo was starting: its finally stopped the hub
                return exc.exit_code
    finally:
        lock.__exit__()


def _brought_forward(folder: Path) -> bool:
    """Ask the running demo's window (``single_window``) to come to the front."""
    from scc_desktop import single_window
    from scc_desktop.demo import REPLICA_NAME

    return single_window.ask_forward(folder / REPLICA_NAME)[1]


def _run_demo(args, folder: Path, stop_signals) -> int:
    from scc_desktop import gui
    from scc_desktop import settings as settings_mod
    from scc_desktop.demo import DEMO_AUTHOR, DemoSystem

    demo = DemoSystem(folder,
                      history=timedelta(hours=args.history_hours), speed=args.speed)
    fill = demo.history_to_fill()
    if fill > QUIET_FILL:   # seconds to minutes of filling (five weeks: ~2 min): said before it starts
        print(f"Simulating {fill / timedelta(hours=1):.0f} hours of history (what earlier starts here have not) "
              "first: about 20 s a week of history on two cores", flush=True)
    # The user's theme, text size, last view and window size, as in the app (a screenshot
    # is drawn the same for everyone and changes nothing).
    settings = None if args.screenshot is not None else settings_mod.load()
    claim = None
    try:
        if args.screenshot is None:   # a second demo brings this one's window to the front
            from scc_desktop import single_window

            gui.application()
            claim = single_window.WindowClaim(demo.replica_path).acquire()
        # A long fill, or a first sync and the room's records still to come (a first start stopped
        # late in its fill, started again): behind the progress window, which Stop and signals end.
        if args.screenshot is None and (fill > PROGRESS_FILL or not demo.records_seeded()):
            from ui.progress_window import Cancelled, run_with_progress

            gui.application()
            if stop_signals is not None:
                stop_signals.watch()    # a stop signal closes the progress window: the fill stops
            try:
                prepared = run_with_progress(
                    "Starting the demo", lambda report: _prepare(args, demo, fill, report), demo.stop_event.set,
                    theme_key=settings.theme, text_scale=settings.text_scale)
            except Cancelled as exc:
                if exc.result is not None:
                    exc.result[0].close()
                return 0
        else:
            prepared = _prepare(args, demo, fill, lambda done, text: None)
        if prepared is None:
            return 0
        store, engine, _url = prepared
        # Who signs: the name in the settings, else the demo's identity, never the login (root in a container).
        settings_mod.choose_author(settings, instead=DEMO_AUTHOR)
        with store:
            size = getattr(args, "size", None)
            return gui.run(store, engine=engine, screenshot=args.screenshot, view=args.view,
                           title="Demo (simulated data)", settings=settings, stop_signals=stop_signals,
                           size=parse_size(size) if size else None)
    finally:
        demo.stop()
        if claim is not None:
            claim.release()


def _prepare(args, demo, fill: timedelta, report):
    """Start the hub and fill its history (``fill`` of it, as ``demo.history_to_fill`` said), open (or
    make) the replica, and on a first start sync it and write the room's records; returns (store,
    engine, hub URL), or None if stopped on the way.  ``report(done, text)`` says how far
    (``ui.progress_window``); it may run off the main thread."""
    from models.replica.store import Store, StoreError, WrongKeyError
    from models.uk_time import UK
    from scc_desktop.demo import DEMO_PASSPHRASE
    from sync.client import HubClient
    from sync.engine import SyncEngine

    span = f"{fill / timedelta(days=1):.0f} days" if fill >= timedelta(days=2) else \
        f"{fill / timedelta(hours=1):.0f} hours"

    def filled(done: float, until) -> None:
        report(done, f"Simulating {span} of the system's history, oldest first: now at "
                     f"{until.astimezone(UK):%a %d %b %H:%M} (UK time).\n"
                     "Stop closes the demo; its next start carries on from here.")

    url = demo.start(live=args.screenshot is None, progress=filled)
    if demo.stop_event.is_set():
        return None
    print(f"Demo hub on {url}; replica {demo.replica_path}")
    print(f"Reports from it: {report_command(demo.replica_path, bool(os.environ.get('SCC_PASSPHRASE')))}")
    passphrase = os.environ.get("SCC_PASSPHRASE") or DEMO_PASSPHRASE
    try:
        store = (Store.unlock(demo.replica_path, passphrase) if demo.replica_path.exists()
                 else Store.create(demo.replica_path, passphrase))
    except WrongKeyError:
        raise UserError(f"the demo replica {demo.replica_path} was made with another passphrase; "
                        "set SCC_PASSPHRASE to it or remove the demo folder", 3) from None
    except StoreError as exc:
        raise UserError(str(exc)) from None
    try:
        engine = SyncEngine(store, HubClient(url, demo.tokens["room_lead"]))
        if not demo.records_seeded():   # once per folder: a room's directory, rota, cases, log
            from models.replica.utc import utcnow
            from scc_desktop.demo_records import seed_room

            report(None, "Loading the history into this desktop's encrypted replica, then writing the room's "
                         "records (contacts, rota, transfers, decisions)")
            # Stop ends the first sync between feed items too (it rolls back with its cursor; the next
            # start syncs again), and then writes no records; the window's own sync loop sets its own.
            engine.stop = demo.stop_event
            engine.run_once()
            if demo.stop_event.is_set():
                store.close()
                return None
            seed_room(store, engine)
            demo.mark_records_seeded(utcnow())
    except BaseException:
        store.close()
        raise
    return store, engine, url
