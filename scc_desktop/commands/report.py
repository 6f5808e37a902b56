"""``scc-desktop report NAME``: one of the room's reports built from the replica alone (it works
with the hub stopped or the network gone), written as a PDF for reading and JSON and CSV for the
records (``models.service.reports``; ``docs/reports.md``).

Exit codes: 0 written; 1 the replica cannot be opened or the folder cannot be written; 2 bad
input (the message names the option and the reason); 3 a wrong passphrase.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.replica_option import add_path_option
from scc_desktop.errors import UserError

NAMES = ("brief", "handover", "sitrep", "board", "bc-pack")   # models.service.reports.NAMES (not imported)
PERIOD_NAMES = ("sitrep", "board")                 # whole UK days: --from/--to (the sitrep: one day)
# models.service.report_folder.KEEP (not imported: the command's help must not load the models)
KEEP_WORDS = "brief and handover 31, sitrep 31, board 26, bc-pack 48"


def register(subparsers) -> None:
    report = subparsers.add_parser(
        "report",
        help="write a room report (brief, handover, sitrep, board, bc-pack) from the replica: PDF, JSON and CSV",
        description="Build a report from the replica alone (no hub needed) into a folder: NAME-<UK time>.pdf, "
                    ".json and one .csv per table, then copy its PDF and JSON to NAME-latest.pdf and "
                    "NAME-latest.json (unless the folder's latest is as at a later time) and delete all but the "
                    f"newest --keep reports of that name ({KEEP_WORDS}); nothing else in the folder is touched.  "
                    "With --at the report is as at that time and says it was generated then, so building it "
                    "again gives the same files.  The sitrep covers one whole UK day, 00:00 to 00:00 UK time: "
                    "by default the day before --at's UK day (yesterday, the last complete day, when --at is "
                    "not given); --from DAY (or --to DAY, or both the same day) chooses the day.")
    report.add_argument("name", metavar="NAME", help=f"the report: {', '.join(NAMES)}")
    add_path_option(report, action=False)
    report.add_argument("--out", type=Path, required=True, help="folder to write the report into (made if missing)")
    report.add_argument("--at", default=None, help="the time the report is as at (ISO 8601 or dd/mm/yyyy hh:mm; "
                                                   "no offset = UK time); default now")
    report.add_argument("--since", default=None, help="brief: report what changed since this time (default: the "
                                                      "last brief in the folder, else the same UK time the day before)")
    report.add_argument("--from", dest="first", default=None,
                        help="first UK local date of a period, YYYY-MM-DD (sitrep: the one day it covers, default "
                             "the day before --at's UK day, i.e. yesterday; board: default the 7 days before)")
    report.add_argument("--to", dest="last", default=None,
                        help="last UK local date of a period, inclusive (sitrep: the day, the same as --from if "
                             "both are given; the board covers at most 31 days)")
    report.add_argument("--keep", type=int, default=None, metavar="N",
                        help=f"reports of this name the folder keeps, newest first (default: {KEEP_WORDS})")
    report.set_defaults(handler=_run)


def _times(args):
    from models.uk_time import parse_uk_time

    if args.name not in NAMES:
        raise UserError(f"NAME: '{args.name}' is not a report; choose one of {', '.join(NAMES)}", 2)
    if (args.first or args.last) and args.name not in PERIOD_NAMES:
        raise UserError(f"--from/--to: the {args.name} is as at one time, not a period; give --at", 2)
    found = {}
    for option in ("at", "since"):
        text = getattr(args, option)
        if text is None:
            found[option] = None
            continue
        try:
            found[option] = parse_uk_time(text)
        except ValueError as exc:
            raise UserError(f"--{option}: {exc}", 2) from None
    if found["since"] is not None and args.name != "brief":
        raise UserError(f"--since: only the brief reports what changed since a time, not the {args.name}", 2)
    return found["at"], found["since"]


def _days(args, at):
    """The period's UK dates, checked as the report will check them, so a bad one is named before the
    replica is unlocked."""
    from datetime import datetime, timezone

    from models.reports import periods

    if args.name not in PERIOD_NAMES:
        return None, None
    try:
        first = periods.parse_date(args.first, "from") if args.first else None
        last = periods.parse_date(args.last, "to") if args.last else None
        when = at or datetime.now(timezone.utc)
        if args.name == "sitrep":
            periods.sitrep_day(when, first, last)
        else:
            periods.board_days(when, first, last)
    except ValueError as exc:
        raise UserError(f"--{exc}", 2) from None
    return first, last


def _run(args) -> int:
    from models.reports.words import count
    from models.service import report_folder, reports
    from models.uk_time import uk_time
    from scc_desktop import unlock

    at, since = _times(args)
    first, last = _days(args, at)
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out: {args.out} is a file; give a folder", 2)
    if args.keep is not None and args.keep < 1:
        raise UserError(f"--keep: at least one report is kept, not {args.keep}", 2)
    with unlock.open_store(args.path or paths.default_replica()) as store:
        try:
            written = reports.make(store, args.name, args.out, at, since=since, first=first, last=last)
            kept = report_folder.keep(written, args.keep)
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
        except OSError as exc:
            raise UserError(f"--out: cannot write the report into {args.out}: {exc.strerror or exc}") from None
    r = written.report
    print(f"Wrote the {r.name} as at {uk_time(r.at)} into {written.folder}: {written.pdf.name} "
          f"({count(written.pdf_pages, 'page')}), {written.files['json'].name} and "
          f"{count(sum(1 for k in written.files if k.startswith('csv:')), 'CSV file')}; "
          f"built in {written.seconds:.2f} s.")
    if kept.latest:
        print(f"Latest: {', '.join(p.name for p in kept.latest)} now hold it.")
    else:
        print(f"Latest: left as they were ({report_folder.latest_name(r.name, 'pdf')} is as at a later time).")
    if kept.removed:
        print(f"Pruned: {count(len(kept.removed), 'file')} of older {r.name} reports (the folder keeps the newest "
              f"{args.keep or report_folder.KEEP.get(r.name)}).")
    for note in r.notes:
        print(f"Note: {note}")
    for warning in written.warnings:   # the folder others may read; the files are the owner's only
        print(f"scc-desktop: warning: {warning}", file=sys.stderr)
    return 0
