"""``--path`` (the replica file) on a command group and on each of its actions, so it goes before
the action (``db --path X info``) or after it (``records alerts --path X``); both forms were in use."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "replica file (default: the per-user data folder)"


def add_path_option(parser: argparse.ArgumentParser, *, action: bool) -> None:
    # On an action it sets nothing unless given: argparse copies an action's defaults over the group's,
    # which would undo a --path given before the action.
    parser.add_argument("--path", type=Path, default=argparse.SUPPRESS if action else None, help=HELP)


def add_action(sub, name: str, help_text: str, handler) -> argparse.ArgumentParser:
    """An action of a command group (``sub``: its subparsers) taking ``--path``, run by ``handler``."""
    parser = sub.add_parser(name, help=help_text)
    add_path_option(parser, action=True)
    parser.set_defaults(handler=handler)
    return parser
