"""``scc-desktop contacts``: import, export and search the directory; who is on call.

``contacts import`` exits 0 when every row was imported, 1 when some rows
were rejected (each is listed with its row number, field and reason, and
kept in the replica's quarantine), 2 when the file cannot be read at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scc_desktop import paths
from scc_desktop.commands.replica_option import add_action, add_path_option
from scc_desktop.errors import UserError


def register(subparsers) -> None:
    contacts = subparsers.add_parser("contacts", help="the contact directory: import, export, search, on call")
    add_path_option(contacts, action=False)
    sub = contacts.add_subparsers(dest="contacts_command", metavar="ACTION", required=True)

    imp = add_action(sub, "import", "import contacts from a CSV or vCard (3.0/4.0) file", _import)
    imp.add_argument("file", type=Path)
    imp.add_argument("--author", default=None, help="who is importing (default: the name the window signs with)")
    imp.add_argument("--dry-run", action="store_true", help="check and report only; change nothing")

    exp = add_action(sub, "export", "export the directory as CSV or vCard", _export)
    exp.add_argument("--format", choices=("csv", "vcard"), required=True)
    exp.add_argument("--out", type=Path, required=True)
    exp.add_argument("--vcard-version", choices=("3.0", "4.0"), default="4.0")

    search = add_action(sub, "search", "find contacts by name, organisation, role or service", _search)
    search.add_argument("text", nargs="+")
    search.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    search.add_argument("--json", action="store_true")

    oncall = add_action(sub, "on-call", "who is on call now (or at --at)", _on_call)
    oncall.add_argument("--at", default=None, help="ISO 8601 time; no offset = UK time")
    oncall.add_argument("--rota", default=None)
    oncall.add_argument("--json", action="store_true")

    rota = add_action(sub, "rota-import", "add on-call rota slots from a CSV (rota, starts_at, ends_at, name or "
                      "contact_uuid; times without an offset are UK time); synced to other desktops", _rota_import)
    rota.add_argument("file", type=Path)
    rota.add_argument("--author", default=None, help="who is importing (default: the name the window signs with)")

    conflicts = add_action(sub, "conflicts", "contact edits from other desktops that were not kept", _conflicts)
    conflicts.add_argument("--json", action="store_true")


def _open(args):
    from scc_desktop import unlock

    return unlock.open_store(args.path or paths.default_replica())


def _author(args) -> str:
    from models.author import current_author

    return args.author or current_author()


def _import(args) -> int:
    from models.records import contacts
    from sync import authoring

    try:
        parsed = contacts.read_file(args.file)
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror or exc}", 2) from None
    except contacts.ContactFileError as exc:
        raise UserError(str(exc), 2) from None
    with _open(args) as store:
        if args.dry_run:
            with store.session() as s:
                plan = contacts.plan_import(s, parsed)
            created, updated, unchanged = len(plan.creates), len(plan.updates), len(plan.unchanged)
            rejections, rejected_rows = plan.rejections(parsed.unit), len(plan.rejected)
        else:
            result = authoring.import_contacts(store, parsed, _author(args))
            created, updated, unchanged = len(result.created), len(result.updated), result.unchanged
            rejections, rejected_rows = result.rejections, result.rejected_rows
    verb = "Would import" if args.dry_run else "Imported"
    print(f"{verb} {args.file.name}: {created} new, {updated} updated, {unchanged} unchanged, "
          f"{rejected_rows} {parsed.unit}(s) rejected.")
    for warning in parsed.warnings:
        print(f"Note: {warning}")
    if parsed.blank_rows:
        print(f"Note: blank rows skipped: {', '.join(map(str, parsed.blank_rows))}")
    if rejections:
        print("Rejected" + (" (kept in the replica's quarantine):" if not args.dry_run else ":"))
        for r in rejections:
            print(f"  {r.sentence()}")
        return 1
    return 0


def _rota_import(args) -> int:
    from sync import authoring

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror or exc}", 2) from None
    with _open(args) as store:
        result = authoring.import_on_call(store, data, _author(args), name=args.file.name)
    print(f"Imported {args.file.name}: {len(result.created)} rota slot(s) added, "
          f"{result.unchanged} already on the rota, {result.rejected_rows} row(s) rejected.")
    if result.ignored_columns:
        print(f"Note: columns ignored: {', '.join(result.ignored_columns)}")
    if result.problems:
        print("Rejected (kept in the replica's quarantine):")
        for problem in result.problems:
            print(f"  {problem}")
        return 1
    return 0


def _export(args) -> int:
    from models import owner_only
    from models.records import contacts

    with _open(args) as store, store.session() as s:
        rows = contacts.export_rows(s)
    data = contacts.write_csv(rows) if args.format == "csv" else contacts.write_vcard(rows, args.vcard_version)
    try:
        warning = owner_only.folder(args.out.parent)
        # Staff phone numbers and addresses: the owner's only, whatever the umask (a file there before, of
        # any mode, is replaced by one that is), whole or not at all.
        owner_only.write(args.out, data)
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if warning:
        print(f"scc-desktop: warning: {warning}", file=sys.stderr)
    print(f"Exported {len(rows)} contact(s) to {args.out} ({args.format}).")
    return 0


def _line(c) -> str:
    parts = [c.name, c.role, c.organisation, c.service, c.phone or "", c.email or ""]
    return " | ".join(p for p in parts if p)


def _json(c) -> dict:
    """A contact as JSON: its fields, and when it was last checked as ISO 8601 UTC (null: never)."""
    return {**c.__dict__, "checked_at": c.checked_at.isoformat() if c.checked_at else None}


def _search(args) -> int:
    from models.records import contacts

    if args.limit < 1:
        raise UserError(f"--limit {args.limit}: must be 1 or more (how many contacts to show)", 2)
    with _open(args) as store, store.session() as s:
        found = contacts.search(s, " ".join(args.text), args.limit)
    if args.json:
        print(json.dumps([_json(c) for c in found], indent=2, ensure_ascii=False))
    else:
        for c in found:
            print(_line(c))
        if not found:
            print("No contact matches.")
    return 0


def _on_call(args) -> int:
    from models.records import contacts
    from models.replica.orm.types import utcnow
    from models.uk_time import parse_uk_time, uk_time

    try:
        at = parse_uk_time(args.at) if args.at else utcnow()
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    with _open(args) as store, store.session() as s:
        found = contacts.on_call_at(s, at, args.rota)
    if args.json:
        print(json.dumps([{"rota": o.rota, "starts_at": o.starts_at.isoformat(), "ends_at": o.ends_at.isoformat(),
                           "contact": _json(o.contact)} for o in found], indent=2, ensure_ascii=False))
        return 0
    print(f"On call at {uk_time(at)}:")
    for o in found:
        print(f"  {o.rota}: {_line(o.contact)} (until {uk_time(o.ends_at)})")
    if not found:
        print("  nobody on the rota for this time")
    return 0


def _conflicts(args) -> int:
    from models.records import contacts

    with _open(args) as store, store.session() as s:
        found = contacts.conflicts(s)
    if args.json:
        print(json.dumps([c.__dict__ for c in found], indent=2, ensure_ascii=False, default=str))
        return 0
    for c in found:
        print(f"  contact {c.contact_uuid} {c.field}: kept {c.kept!r}, not kept {c.not_kept!r} "
              f"(edit by {c.author} at {c.at})")
    if not found:
        print("No conflicting contact edits.")
    return 0
