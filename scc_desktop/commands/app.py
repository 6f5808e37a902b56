"""``scc-desktop app`` (also plain ``scc-desktop``): open the room's window on the replica."""

from __future__ import annotations

import os
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

HUB_ENV = "SCC_HUB_URL"
TOKEN_ENV = "SCC_HUB_TOKEN"


def add_view_options(parser) -> None:
    parser.add_argument("--screenshot", type=Path, default=None, metavar="FILE.png",
                        help="render a view offscreen to a PNG and exit")
    parser.add_argument("--view", default="overview", help="the view to render (default overview)")


def register(subparsers) -> None:
    parser = subparsers.add_parser("app", help="open the SCC Desktop window (the default)")
    parser.add_argument("--path", type=Path, default=None, help="replica file")
    parser.add_argument("--hub", default=os.environ.get(HUB_ENV),
                        help=f"hub address to sync with (or {HUB_ENV}); none: work on the replica only")
    add_view_options(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from scc_desktop import gui, unlock

    path = getattr(args, "path", None) or paths.default_replica()
    if getattr(args, "view", "overview") not in gui.VIEWS:
        raise UserError(f"unknown view {args.view!r}; choose one of {', '.join(gui.VIEWS)}", 2)
    hub = getattr(args, "hub", None) or os.environ.get(HUB_ENV)
    with unlock.open_store(path) as store:
        engine = None
        if hub:
            from sync.client import HubClient
            from sync.engine import SyncEngine

            token = os.environ.get(TOKEN_ENV)
            if not token:
                raise UserError(f"set {TOKEN_ENV} to sync with {hub}", 2)
            engine = SyncEngine(store, HubClient(hub, token))
        return gui.run(store, engine=engine, screenshot=args.screenshot, view=args.view)
