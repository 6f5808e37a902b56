"""``scc-desktop records`` (verify the decision log, action cards, transfers by risk) and
``scc-desktop export records`` (the decision log of a period for the corporate records system).

Exit codes: 0 success; 1 the decision log is broken (``records verify``) or the
export cannot be written; 2 bad input (a date, a time, a data file); ``export verify``: 3 the export is whole
and signed by a key that the key given with ``--signed-by`` handed over to (not the registered key itself).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.replica_option import add_action, add_path_option
from scc_desktop.errors import UserError


def register(subparsers) -> None:
    records = subparsers.add_parser("records", help="check the decision log; action cards; transfers by risk")
    add_path_option(records, action=False)
    _point_to_export(records)
    sub = records.add_subparsers(dest="records_command", metavar="ACTION", required=True)

    verify = add_action(sub, "verify", "check every decision entry's hash, each device chain and the hub chain; "
                                       "name the first broken entry", _verify)
    verify.add_argument("--json", action="store_true", help="print the full report as JSON")
    against = verify.add_mutually_exclusive_group()
    against.add_argument("--hub", default=None, metavar="URL",
                        help="compare the chain heads with this hub's (default: $SCC_HUB_URL, else the hub in "
                             "the settings; the token saved for that one, else $SCC_HUB_TOKEN)")
    against.add_argument("--no-hub", action="store_true", help="check this replica alone; ask no hub")

    cards = sub.add_parser("action-cards", help="show (and check) the OPEL action cards")
    cards.add_argument("--file", type=Path, default=None, help="a card file to check instead of the bundled one")
    cards.add_argument("--level", type=int, choices=(1, 2, 3, 4), default=None)
    cards.add_argument("--scope", choices=("provider", "pillar", "system"), default=None)
    cards.set_defaults(handler=_cards)

    transfers = add_action(sub, "transfers", "open transfers, most at risk first", _transfers)
    transfers.add_argument("--at", default=None, help="time to assess at (ISO 8601; no offset = UK time)")
    transfers.add_argument("--thresholds", type=Path, default=None, help="a thresholds file to use instead")
    transfers.add_argument("--all", action="store_true", help="include departed, arrived and cancelled")

    add_action(sub, "alerts", "open alerts (overdue actions are chased first)", _alerts)
    ack = add_action(sub, "ack", "acknowledge an alert (synced to the hub and other desktops)", _ack)
    ack.add_argument("alert", help="the alert's id, or enough of its start to be unique (from 'records alerts')")
    ack.add_argument("--by", default=None, help="who acknowledges (default: the name the window signs with)")
    ack.add_argument("--note", default="", help="what is being done about it")

    export = subparsers.add_parser("export", help="export records for the corporate records system")
    add_path_option(export, action=False)
    esub = export.add_subparsers(dest="export_command", metavar="WHAT", required=True)
    rec = add_action(esub, "records", "the decision log of a period: PDF, CSV, JSON and a manifest", _export)
    rec.add_argument("--from", dest="first", required=True,
                     help="first UK local date, YYYY-MM-DD (from its midnight), or UK time, 'YYYY-MM-DD HH:MM' "
                          "(included)")
    rec.add_argument("--to", dest="last", required=True,
                     help="last UK local date, YYYY-MM-DD (the whole day included), or UK time, 'YYYY-MM-DD HH:MM' "
                          "(excluded: a 20:00-08:00 shift is --from '2026-12-06 20:00' --to '2026-12-07 08:00')")
    rec.add_argument("--out", type=Path, required=True, help="folder to write the export into")
    rec.add_argument("--icb", default=None, help="ICB name for the header (default: the settings' icb_name, "
                                                 "else $SCC_ICB_NAME)")
    rec.add_argument("--force", action="store_true", help="replace an export already in the folder")
    rec.add_argument("--retention", type=Path, default=None, metavar="FILE",
                     help="the room's retention class file, shaped like resources/records/retention.toml "
                          "(default: $SCC_RECORDS_RETENTION, else the shipped placeholder)")
    check = esub.add_parser("verify", help="check an export folder: every file against its manifest, every "
                                           "entry's hash and the chains; name the first problem")
    check.add_argument("folder", type=Path, help="the export folder (it holds manifest.json)")
    check.add_argument("--json", action="store_true", help="print the full result as JSON")
    check.add_argument("--filed-sha256", default=None, metavar="HEX",
                       help="manifest.json's SHA-256 as recorded when the export was filed (printed by a good check)")
    check.add_argument("--signed-by", default=None, metavar="FINGERPRINT",
                       help="the export key registered for the room ('export key' prints it; 32 or more of its hex "
                            "digits): the export must be signed by it")
    check.set_defaults(handler=_export_verify)
    key = add_action(esub, "key", "print this desktop's export key fingerprint, for the records team to register "
                                  "(made on first use), and every key it signed with before; or replace it",
                     _export_key)
    key.add_argument("--new", action="store_true",
                     help="replace the key: a new one signs from now on; the old one's private half is deleted, "
                          "its fingerprint, dates and the reason kept. Planned: the old key signs a handover "
                          "naming the new one, which every export carries")
    key.add_argument("--reason", default=None, metavar="TEXT", help="why the key is replaced (with --new; kept)")
    key.add_argument("--compromised", action="store_true",
                     help="with --new: the old key may be held by someone else (a laptop lost, a backup copied): "
                          "no handover is signed with it; tell the records team the new fingerprint yourself")


def _point_to_export(records) -> None:
    """``records export`` (the command group and the action the wrong way round, an easy guess: review r1,
    session 31) answers with the command that exports, not only argparse's list of the group's actions."""
    said = records.error

    def error(message: str):
        if "invalid choice: 'export'" in message:
            records.print_usage(sys.stderr)
            records.exit(2, f"{records.prog}: error: 'export' is not an action of 'records'; "
                            "did you mean: scc-desktop export records\n")
        said(message)

    records.error = error


def _open(args):
    from scc_desktop import unlock

    return unlock.open_store(args.path or paths.default_replica())


def _hub_heads(args, store):
    """The hub's chain heads (asked before the replica is read), why they could not be had, or None: no hub
    configured, or ``--no-hub``."""
    import os

    from scc_desktop import hub_access
    from scc_desktop import settings as settings_mod
    from sync.address import hub_url_problem

    if args.no_hub:
        return None
    settings = settings_mod.load()
    hub = args.hub or os.environ.get("SCC_HUB_URL") or settings.hub_url   # as 'scc-desktop sync' chooses
    if not hub:
        return None
    problem = hub_url_problem(hub)
    if problem:
        raise UserError(f"--hub {hub}: {problem}", 2)
    saved = hub == settings.hub_url
    token = hub_access.load_token(store) if saved else os.environ.get(hub_access.TOKEN_ENV)
    if not token:
        return f"no token for the hub {hub} (save one with 'scc-desktop connect', or set {hub_access.TOKEN_ENV})"
    from sync import record_heads
    from sync.client import HubClient

    return record_heads.ask(HubClient(hub, token, verify=(settings.ca_bundle if saved else None) or True,
                                      read_timeout=10))


def _verify(args) -> int:
    from models.records import verify as records_verify

    from models.records import identity_notice

    with _open(args) as store:
        hub = _hub_heads(args, store)
        with store.session() as s:
            report = records_verify.verify(s, hub=hub)
            renewed = [r.sentence() for r in identity_notice.renewals(s)]
    if args.json:
        print(json.dumps({
            "intact": report.intact, "entries": report.entries, "not_at_hub": report.not_at_hub,
            "device_heads": [h.__dict__ for h in report.device_heads],
            "hub_head": report.hub_head.__dict__ if report.hub_head else None,
            "problems": [p.__dict__ for p in report.problems], "identities_before": renewed,
            "hub_heads": None if report.hub is None else {
                "compared": report.hub.compared, "said": report.hub.said, "chains": report.hub.chains,
                "not_yet_here": report.hub.ahead}}, indent=2))
    elif renewed:   # why the log holds more than one chain of this desktop's (each checked on its own)
        print("This replica's identities before the one it has:")
        for line in renewed:
            print(f"  - {line}")
    if report.intact:
        if not args.json:
            print(report.summary())
            if report.hub is not None and not report.hub.compared:   # said apart: never read as intact
                print(f"scc-desktop: {report.hub.said}", file=sys.stderr)
        return 0
    if not args.json:
        for p in report.problems:
            print(f"  - {p.sentence()}")
    first = report.first_problem
    raise UserError(f"decision log BROKEN at entry {first.uuid} (device {first.device_id}, device_seq "
                    f"{first.device_seq}): {first.reason}; {len(report.problems)} problem(s) in all", 1)


def _cards(args) -> int:
    from models.rules import action_cards
    from models.rules.tabledata import TableError

    try:
        cards = action_cards.load_cards(args.file)
    except TableError as exc:
        raise UserError(f"{args.file or 'the action cards'}: {exc}", 2) from None
    print(f"{cards.header.edition} [{cards.header.marker}]")
    levels = [args.level] if args.level else list(action_cards.LEVELS)
    for level in levels:
        print(f"OPEL {level}")
        for card in cards.for_level(level, args.scope):
            print(f"  [ ] {card.title} ({card.owner_role or 'anyone'}; {', '.join(card.applies_to)})")
            print(f"      {card.detail}")
    return 0


def _transfers(args) -> int:
    from models.queries.records import transfer_board
    from models.rules import transfer_risk
    from models.replica.orm.types import utcnow
    from models.rules.tabledata import TableError
    from models.uk_time import parse_uk_time, uk_time

    try:
        at = parse_uk_time(args.at) if args.at else utcnow()
        table = transfer_risk.load_thresholds(args.thresholds) if args.thresholds else None
    except (ValueError, TableError) as exc:
        raise UserError(str(exc), 2) from None
    with _open(args) as store, store.session() as s:
        board = transfer_board(s, at, table, include_closed=args.all)
    marker = (table or transfer_risk.load_thresholds()).header.marker
    print(f"Transfers at {uk_time(at)} (thresholds: {marker})")
    for line in board.lines:   # closed cases with a conflict to settle first (the board's rule)
        r, t = line.risk, line.transfer
        wait = f"{r.wait_minutes:.0f} of {r.threshold_minutes:.0f} min" if r.wait_minutes is not None else "-"
        flag = "ESCALATE" if r.escalate else r.level
        conflict = f"  CONFLICT: {', '.join(t.conflict_fields)}" if t.has_conflict else ""
        print(f"  {flag:<11} {r.local_ref:<12} {r.kind:<15} {r.priority:<9} {r.stage:<20} {wait}{conflict}")
    if not board.lines:
        print("  no open transfers")
    return 0


def _alerts(args) -> int:
    """The open alerts as ``alerts list`` prints them (the same door: overdue actions chased first,
    an alert raised by a value told as when and at what, with the figure now)."""
    from models.replica.orm.types import utcnow
    from models.service import alerts as alert_service
    from scc_desktop.commands.alerts import print_alerts

    with _open(args) as store:
        page = alert_service.open_alerts(store, utcnow())
    print_alerts(page.open + page.acknowledged)
    return 0


def _ack(args) -> int:
    from models.author import current_author
    from sync import authoring

    by = args.by or current_author()
    with _open(args) as store:
        alert = _alert_id(store, args.alert.strip())
        try:
            done = authoring.ack_alert(store, alert, by, args.note)
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
    print(f"Acknowledged {alert} as {by}." if done else f"{alert} was already acknowledged.")
    return 0


def _alert_id(store, given: str) -> str:
    """The alert whose id is ``given`` or starts with it (as copied from 'records alerts')."""
    from sqlalchemy import select

    from models.replica.orm import AlertEvent

    if not given:
        raise UserError("alert: give its id, or the start of it, from 'scc-desktop records alerts'", 2)
    with store.session() as s:
        if s.get(AlertEvent, given) is not None:
            return given
        found = s.scalars(select(AlertEvent.uuid).where(AlertEvent.uuid.startswith(given, autoescape=True))
                          .order_by(AlertEvent.uuid).limit(11)).all()
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        listed = ", ".join(found[:10]) + (", ..." if len(found) > 10 else "")
        raise UserError(f"alert: {given!r} matches {len(found) if len(found) <= 10 else 'more than 10'} "
                        f"alerts ({listed}); give more of the id", 2)
    return given   # ack_alert names it as unknown


def _settings_icb() -> str | None:
    """The ICB named in the user's settings (Settings > ICB), if any."""
    from scc_desktop import settings

    return settings.load().icb_name


def _export(args) -> int:
    from models.records.export.records import ExportError, RetentionError, export_records
    from models.uk_time import parse_uk_date_or_time, uk_period_between

    bounds = []
    for option, text in (("--from", args.first), ("--to", args.last)):
        try:
            bounds.append(parse_uk_date_or_time(text))
        except ValueError as exc:
            raise UserError(f"{option}: {exc}", 2) from None
    first, last = bounds
    try:
        period = uk_period_between(first, last)
    except ValueError:
        raise UserError(f"--to {args.last} is before --from {args.first}" if not period_timed(first, last) else
                        f"--to {args.last} is not after --from {args.first}: the period would be empty", 2) from None
    with _open(args) as store:
        try:
            result = export_records(store, first, last, args.out, icb=args.icb or _settings_icb(), force=args.force,
                                    retention=args.retention)
        except RetentionError as exc:
            raise UserError(str(exc), 2) from None
        except ExportError as exc:
            raise UserError(str(exc)) from None
    said = f"from {period.label()}" if period.timed else f"from {first} to {last} (UK dates)"
    print(f"Exported {result.entries} decision{'' if result.entries == 1 else 's'} {said} into {result.out_dir}: "
          f"{', '.join(sorted(p.name for p in result.files.values()))}; PDF {result.pdf_pages} page{'' if result.pdf_pages == 1 else 's'}.")
    for note in result.notes:
        print(f"Note: {note}")
    print(f"Signed with this desktop's export key {result.key_fingerprint}.")
    print(f"Check it at any time, with or without SCC Desktop: scc-desktop export verify {result.out_dir} "
          f"--signed-by {result.key_fingerprint}, or, without it, a copy of verify_export.py kept apart from the "
          f"exports ('scc-desktop export key' and the folder's README.txt say why, and what it proves).")
    if not result.verify.intact:
        print(f"WARNING: the decision log is broken ({result.verify.first_problem.sentence()}); "
              "the manifest records this.")
        return 1
    return 0


def period_timed(first, last) -> bool:
    """Whether a bound of an export's period was given as a time (not a whole date)."""
    from datetime import datetime

    return isinstance(first, datetime) or isinstance(last, datetime)


def _export_key(args) -> int:
    from models.records.export import signing

    if not args.new and (args.reason is not None or args.compromised):
        raise UserError(f"{'--reason' if args.reason is not None else '--compromised'}: only with --new "
                        "(which replaces the key)", 2)
    if args.new and not (args.reason or "").strip():
        raise UserError("--reason: say why the key is replaced (e.g. --reason \"laptop lost 5 Dec\"); it is kept "
                        "with the old key and, for a planned change, in every export from now on", 2)
    with _open(args) as store:
        try:
            rotation = signing.rotate(store, args.reason, compromised=args.compromised) if args.new else None
            key, history = signing.export_key_and_history(store)
        except signing.SigningKeyError as exc:
            raise UserError(str(exc)) from None
    from models.records.export.check import CHECKER

    if rotation is not None:
        _said_rotation(rotation)
    print(f"Export key fingerprint (SHA-256 of the Ed25519 public key): {key.fingerprint}")
    print(f"Read aloud, its first 32 of 64 digits: {signing.spaced(key.fingerprint)}")
    print(f"The checker, verify_export.py (in every export): SHA-256 {hashlib.sha256(CHECKER.read_bytes()).hexdigest()}")
    if rotation is None:
        print("Give both to the records team once. They keep their own copy of verify_export.py whose SHA-256 "
              "matches (the copy inside an export travels with what it checks, and could be changed with it) and "
              f"check each export with: python3 verify_export.py FOLDER --signed-by {key.fingerprint}. A replica "
              "made afresh has a new key, to be registered again; 'export key --new --reason TEXT' replaces this "
              "one.")
    print("Every key this replica has signed exports with:")
    for line in signing.history_lines(history):
        print(f"  {line}")
    return 0


def _said_rotation(rotation) -> None:
    from models.uk_time import uk_time
    from models.replica.orm.types import from_utc_text

    old, new = rotation.old, rotation.new
    when = uk_time(from_utc_text(new.made_at))
    if old is None:
        print(f"The export key this replica held could not be read, nor its history; key {new.number} signs from "
              "now on.")
    else:
        print(f"Export key {old.number} ({old.fingerprint}) retired {when}; key {new.number} signs from now on. The "
              "old key's private half is deleted from this replica (copies of the replica made before now still "
              "hold it).")
    if rotation.handover is not None:
        print(f"Planned change: key {old.number} signed a handover naming key {new.number}; every export from now on "
              f"carries it (key_history.json). A records team that checks with key {old.number}'s fingerprint is "
              f"told 'HANDED OVER' (exit 3): tell them to register key {new.number} (below) in its place.")
    else:
        name = f"key {old.number}" if old else "the old key"
        print(f"Compromised: no handover was signed with {name} (someone else may hold it, and could sign one "
              f"too). Give the records team key {new.number}'s fingerprint (below) yourself, by phone or letter, "
              f"with the date: an export received from {when} on and signed by {name} is not the room's, whatever "
              "date it carries; those filed before then still check with it.")


def _export_verify(args) -> int:
    from models.records.export import check

    if not (args.folder / "manifest.json").is_file():
        raise UserError(f"{args.folder}: no manifest.json there; give the folder an export was written into", 2)
    checker = check.standalone()   # loaded once: for the fingerprint given and for the check
    if args.signed_by is not None and checker.fingerprint_given(args.signed_by) is None:
        raise UserError(f"--signed-by: {args.signed_by!r} is not a key fingerprint (32 to 64 hex digits, as "
                        "'scc-desktop export key' prints it)", 2)
    result = check.check(args.folder, args.filed_sha256, args.signed_by, module=checker)
    if args.json:
        print(json.dumps({"whole": not result.problems, "counts": result.counts, "problems": result.problems,
                          "notes": result.notes, "manifest_sha256": result.manifest_sha256,
                          "signed_by": result.signed_by, "handed_over": result.handed_over}, indent=2,
                         ensure_ascii=False))
    else:
        for note in result.notes:
            print(f"note: {note}")
    if result.problems:
        if not args.json:
            for p in result.problems[1:20]:
                print(f"  - {result.sentence(p)}")
        raise UserError(result.headline(result.problems), 1)
    if not args.json:
        print(result.summary())
        print(f"manifest.json SHA-256 {result.manifest_sha256} (record it when filing; check later with "
              f"--filed-sha256)")
        if result.handed_over:
            print(result.handover_sentence())
        if result.signed_by and not args.signed_by:
            print("Compare the key with the one registered for the room: --signed-by FINGERPRINT")
    return result.exit_code(result)
