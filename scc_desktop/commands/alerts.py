"""``scc-desktop alerts``: list the open alerts, acknowledge one (optionally snoozing it), list, export
and import the room's alert rules.

The room's rules are records (kind ``alert_rule``) in the replica, synced through the hub like any
room record: ``rules import`` writes one per new or changed rule (the hub evaluates them from the
next data on, every desktop lists them); ``rules export`` writes the room's current set.

Exit codes: 0 success; 2 bad input (an unknown or ambiguous alert id, a rules file that does not
pass its checks: every bad field is named, one per line).
"""

from __future__ import annotations

import json
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError


def _path_option(parser) -> None:
    parser.add_argument("--path", type=Path, default=None,
                        help="replica file (default: the per-user data folder)")


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
    ack.add_argument("--by", default=None, help="who acknowledges (default: the name the window signs with)")
    ack.add_argument("--snooze", type=int, default=0, metavar="MIN",
                     help="raise the same rule and subject again within MIN minutes (0-1440) already "
                          "acknowledged")
    ack.set_defaults(handler=_ack)

    rules = sub.add_parser("rules", help="list, export or import the room's alert rules (JSON)")
    rsub = rules.add_subparsers(dest="rules_command", metavar="WHAT", required=True)
    listing = rsub.add_parser("list", help="every rule: the defaults and the room's, enabled or not")
    _path_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON array of rules")
    listing.set_defaults(handler=_rules_list)
    export = rsub.add_parser("export", help="write the room's current rules (the defaults where unchanged)")
    _path_option(export)
    export.add_argument("file", type=Path)
    export.set_defaults(handler=_export)
    imp = rsub.add_parser("import", help="check a rules file (every bad field named) and record each new or "
                                         "changed rule for the room (synced through the hub)")
    _path_option(imp)
    imp.add_argument("file", type=Path)
    imp.add_argument("--by", default=None, help="who changes the rules (default: the name the window signs with)")
    imp.set_defaults(handler=_import)


def _open(args):
    from scc_desktop import unlock

    return unlock.open_store(args.path or paths.default_replica())


def _list(args) -> int:
    from models.records import alerts as alert_records
    from models.replica.orm.types import utcnow
    from models.service import alerts as alert_service

    with _open(args) as store:
        page = alert_service.open_alerts(store, utcnow())
        items = page.open + page.acknowledged
        if args.all:
            with store.session() as s:
                items = alert_records.alerts(s, include_cleared=True)
    if args.json:
        print(json.dumps([i.as_dict() for i in items], indent=2, ensure_ascii=False))
        return 0
    print_alerts(items)
    return 0


def print_alerts(items) -> None:
    """One line an alert (``records alerts`` prints the same): id, severity, raised, what, state."""
    from models.uk_time import uk_time

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


def _ack(args) -> int:
    from models.author import current_author
    from models.replica.orm.types import utcnow
    from models.service import alerts as alert_service

    by = args.by or current_author()
    with _open(args) as store:
        try:
            done = alert_service.acknowledge(store, args.alert, by, args.note, utcnow(), snooze_minutes=args.snooze)
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
    snoozed = f" Raised again within {args.snooze} min, it comes acknowledged." if args.snooze else ""
    print(f"Acknowledged {done.uuid} as {by}.{snoozed}" if done.applied else f"{args.alert} was already acknowledged.")
    return 0


def _rules_list(args) -> int:
    from models.replica.orm.types import to_utc_text
    from models.service import alerts as alert_service

    with _open(args) as store:
        rows = alert_service.rules_page(store).rules
    if args.json:
        print(json.dumps([{**r.rule.as_dict(), "source": r.source, "changed_by": r.changed_by,
                           "changed_at": to_utc_text(r.changed_at) if r.changed_at else None} for r in rows],
                         indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        state = "on " if r.enabled else "OFF"
        change = f"  [{r.source} by {r.changed_by}]" if r.changed_by else ""
        print(f"{state} {r.rule.id:<32} {r.rule.severity:<8} raise {r.rule.raise_at:g} clear {r.rule.clear_at:g}  "
              f"{r.rule.name}{change}")
    return 0


def _export(args) -> int:
    from models.service import alerts as alert_service

    rules, whose = None, "the defaults: no replica here yet"
    if args.path is not None or paths.default_replica().exists():
        with _open(args) as store:
            rules, whose = alert_service.current_rules(store), "the room's"
    try:
        count = alert_service.export_rules(args.file, rules)
    except OSError as exc:
        raise UserError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    print(f"Wrote {count} alert rule(s) ({whose}) to {args.file}.")
    return 0


def _import(args) -> int:
    from models.author import current_author
    from models.replica.orm.types import utcnow
    from models.rules.alert_rules import RulesError
    from models.service import alerts as alert_service

    try:   # checked before the replica is opened: a bad file needs no passphrase to be told so
        alert_service.check_rules_file(args.file)
    except RulesError as exc:
        raise UserError(f"alert rules not imported; {len(exc.problems)} problem(s):\n{exc}", 2) from None
    with _open(args) as store:
        try:
            done = alert_service.import_rules(store, args.file, args.by or current_author(), utcnow())
        except RulesError as exc:   # changed on disk in between
            raise UserError(f"alert rules not imported; {len(exc.problems)} problem(s):\n{exc}", 2) from None
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
    print(f"Imported alert rules: {done.added} added, {done.edited} changed, {done.unchanged} unchanged; "
          "recorded for the room (the hub evaluates them once this desktop has synced).")
    return 0
