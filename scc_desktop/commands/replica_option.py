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
