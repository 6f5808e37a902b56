"""``scc-desktop alerts``: list the open alerts, acknowledge one, export and import the alert rules.

Exit codes: 0 success; 2 bad input (an unknown or ambiguous alert id, a rules file that does not
pass its checks: every bad field is named, one per line).
"""

from __future__ import annotations

import json
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

RULES_FILE = "alert_rules.json"


def _path_option(parser) -> None:
    parser.add_argument("--path", type=Path, default=None,
                        help="replica file (default: the per-user data folder)")


def room_rules_path() -> Path:
    """Where ``alerts rules import`` installs the room's rules."""
    return paths.config_dir() / RULES_FILE


def register(subparsers) -> None:
    alerts = subparsers.add_parser("alerts", help="open alerts, acknowledging one, the alert rules")
    sub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="open alerts: unacknowledged (worst first), then acknowledged")
    _path_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON array of alerts")
    listing.add_argument("--all", action="store_true", help="cleared alerts too")
    listing.set_defaults(handler=_list)

    ack = sub.add_parser("ack", help="acknowledge an alert here and, through the hub, on every desktop")
    _path_option(ack)
    ack.add_argument("alert", help="the alert's id, or a unique start of it (at least 4 characters)")
    ack.add_argument("--note", default="", help="what is being done about it")
    ack.add_argument("--by", default=None, help="who acknowledges (default: $SCC_USER, else your login name)")
    ack.set_defaults(handler=_ack)

    rules = sub.add_parser("rules", help="export or import the alert rules (JSON)")
    rsub = rules.add_subparsers(dest="rules_command", metavar="WHAT", required=True)
    export = rsub.add_parser("export", help="write the room's rules (the defaults until some are imported)")
    export.add_argument("file", type=Path)
    export.set_defaults(handler=_export)
    imp = rsub.add_parser("import", help="check a rules file (every bad field named) and install it as the "
                                         "room's rules")
    imp.add_argument("file", type=Path)
    imp.set_defaults(handler=_import)


def _open(args):
    from scc_desktop import unlock

    return unlock.open_store(args.path or paths.default_replica())


def _list(args) -> int:
    from models.records import alerts as alert_records
    from models.replica.orm.types import utcnow
    from models.service import alerts as alert_service
    from models.uk_time import uk_time

    with _open(args) as store:
        page = alert_service.open_alerts(store, utcnow())
        items = page.open + page.acknowledged
        if args.all:
            with store.session() as s:
                items = alert_records.alerts(s, include_cleared=True)
    if args.json:
        print(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
        return 0
    for i in items:
        if i.cleared_at is not None:
            state = f"cleared {uk_time(i.cleared_at)}"
        elif i.acknowledged_at is not None:
            state = f"acknowledged by {i.acknowledged_by} at {uk_time(i.acknowledged_at)}"
        else:
            state = "NOT ACKNOWLEDGED"
        print(f"{i.uuid}  {i.severity.upper():<8} {uk_time(i.raised_at)}  {i.detail}  [{state}]")
    if not items:
        print("No open alerts.")
    return 0


def _ack(args) -> int:
    from models.author import current_author
    from models.replica.orm.types import utcnow
    from models.service import alerts as alert_service

    by = args.by or current_author()
    with _open(args) as store:
        try:
            done = alert_service.acknowledge(store, args.alert, by, args.note, utcnow())
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
    print(f"Acknowledged {done.uuid} as {by}." if done.applied else f"{args.alert} was already acknowledged.")
    return 0


def _export(args) -> int:
    from models.rules.alert_rules import RulesError, read_rules_file
    from models.service import alerts as alert_service

    installed = room_rules_path()
    try:
        rules = read_rules_file(installed) if installed.exists() else None
    except RulesError as exc:
        raise UserError(f"the room's rules at {installed} do not pass their checks:\n{exc}", 2) from None
    try:
        count = alert_service.export_rules(args.file, rules)
    except OSError as exc:
        raise UserError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    print(f"Wrote {count} alert rule(s) ({'the room' if rules is not None else 'the defaults'}) to {args.file}.")
    return 0


def _import(args) -> int:
    from models.rules.alert_rules import RulesError
    from models.service import alerts as alert_service

    try:
        rules = alert_service.check_rules_file(args.file)
    except RulesError as exc:
        raise UserError(f"alert rules not imported; {len(exc.problems)} problem(s):\n{exc}", 2) from None
    target = room_rules_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    alert_service.export_rules(target, rules)
    print(f"Imported {len(rules)} alert rule(s) ({sum(r.enabled for r in rules)} enabled) into {target}; "
          f"a hub evaluates them with 'scc-desktop hub serve --alert-rules {target}'.")
    return 0
