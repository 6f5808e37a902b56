"""``scc-desktop`` command line.

Exit codes: 0 success, 1 failure the user can act on (message on stderr),
2 bad usage or invalid input (message names the field and the reason), 141
when the reader of the output went away (``| head``), quietly.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys

from models.version import VERSION
from scc_desktop.commands import COMMANDS
from scc_desktop.errors import UserError

BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a writer whose reader went away
# Commands that sign what they write (or name who exported): they sign as the window does, with the
# name set in Settings when there is one (models.author; the window's start does the same).
SIGNING_COMMANDS = frozenset({"records", "alerts", "contacts", "message"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scc-desktop",
        description="SCC Desktop: the System Co-ordination Centre room's application.",
    )
    parser.add_argument("--version", action="version", version=f"scc-desktop {VERSION}")
    from scc_desktop.commands import app

    app.add_view_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Give each subcommand without a description its line from the list above it, so its own
    ``--help`` says what it does (``db backup --help`` said nothing but its options)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        said = {a.dest: a.help for a in action._choices_actions}
        for name, child in action.choices.items():
            line = said.get(name)
            if not child.description and line and line != argparse.SUPPRESS:
                line = line.replace("%%", "%")
                child.description = line[0].upper() + line[1:] + ("" if line.endswith(".") else ".")
            _describe(child)


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        if argv is None:   # the process's own command line: it exits next
            # Everything is saved and closed by now.  The interpreter's last full collection walked
            # every object the window and the demo's simulator had made: 9 s of a Ctrl+C on a busy
            # machine.  Frozen objects are left to the exit (their files are closed already).
            gc.freeze()


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        from scc_desktop.commands import app

        args.handler = app.run  # plain ``scc-desktop`` opens the window
    if getattr(args, "command", None) in SIGNING_COMMANDS:
        from scc_desktop import settings as settings_mod

        settings_mod.choose_author(settings_mod.load())
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader that went away shows here, not at exit
        return code
    except UserError as exc:
        print(f"scc-desktop: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader stopped early (``| head``): quiet, as other command-line tools are. Python
        # would flush stdout again at exit and complain, so point it at the null device first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
