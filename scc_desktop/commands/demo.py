"""``scc-desktop demo``: the app on an embedded hub and a simulated system, no configuration."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.app import add_view_options, check_view_options
from scc_desktop.errors import UserError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run the app on a local hub with a simulated integrated care system")
    parser.add_argument("--folder", type=Path, default=None,
                        help="where the demo keeps its hub, replica and tokens (default: per-user data)")
    parser.add_argument("--history-hours", type=float, default=12,
                        help="simulated history to load on first start (default 12)")
    parser.add_argument("--speed", type=float, default=60,
                        help="how much faster than real time the live feed catches up (default 60)")
    add_view_options(parser, subcommand=True)
    parser.set_defaults(handler=_demo)


def run_default(view: str | None = None) -> int:
    """The demo with its defaults (the first-run dialog's "Try the demo")."""
    import argparse

    return _demo(argparse.Namespace(folder=None, history_hours=12, speed=60, screenshot=None, view=view))


def _demo(args) -> int:
    import logging

    from models.store import Store, StoreError, WrongKeyError
    from scc_desktop import gui
    from scc_desktop.demo import DEMO_PASSPHRASE, DemoSystem
    from sync.client import HubClient
    from sync.engine import SyncEngine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    check_view_options(args)
    demo = DemoSystem(args.folder or paths.data_dir() / "demo",
                      history=timedelta(hours=args.history_hours), speed=args.speed)
    passphrase = os.environ.get("SCC_PASSPHRASE") or DEMO_PASSPHRASE
    try:
        url = demo.start(live=args.screenshot is None)
        print(f"Demo hub on {url}; replica {demo.replica_path}")
        try:
            store = (Store.unlock(demo.replica_path, passphrase) if demo.replica_path.exists()
                     else Store.create(demo.replica_path, passphrase))
        except WrongKeyError:
            raise UserError(f"the demo replica {demo.replica_path} was made with another passphrase; "
                            "set SCC_PASSPHRASE to it or remove the demo folder", 3) from None
        except StoreError as exc:
            raise UserError(str(exc)) from None
        with store:
            engine = SyncEngine(store, HubClient(url, demo.tokens["room_lead"]))
            return gui.run(store, engine=engine, screenshot=args.screenshot, view=args.view,
                           title="Demo (simulated data)")
    finally:
        demo.stop()
