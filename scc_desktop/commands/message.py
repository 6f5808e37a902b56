"""``scc-desktop message``: single point of contact messages to contact groups (docs/messages.md).

    scc-desktop message templates                      the templates and what each asks for
    scc-desktop message groups                         the directory's contact groups
    scc-desktop message send --template NAME --group GROUP [--group ...] [--set FIELD=TEXT ...]
                             [--provider ODS] [--role ROLE] [--dry-run]
    scc-desktop message list [--json]                  messages sent and what became of each

``send`` writes the message, its outbox record and its decision log entry together; the app (or
``scc-desktop sync --once``) takes it to the hub, which emails it.  Exit 2 when it cannot go (an
unknown template, group or placeholder, a group with nobody to email), naming what and why.
"""

from __future__ import annotations

import json

from scc_desktop import paths
from scc_desktop.commands.replica_option import add_action, add_path_option
from scc_desktop.errors import UserError


def register(subparsers) -> None:
    msg = subparsers.add_parser("message", help="single point of contact messages to contact groups, by email")
    add_path_option(msg, action=False)
    sub = msg.add_subparsers(dest="message_command", metavar="ACTION", required=True)

    add_action(sub, "templates", "the message templates and the fields each asks for", _templates)
    groups = add_action(sub, "groups", "the contact groups the directory makes (with how many have an email address)",
                        _groups)
    groups.add_argument("--json", action="store_true")
    send = add_action(sub, "send", "send a message to one or more contact groups (through the hub, by email)", _send)
    send.add_argument("--template", required=True, help="a template name (see `message templates`)")
    send.add_argument("--group", action="append", required=True, metavar="GROUP",
                      help="a contact group, e.g. 'service:Bed management', 'rota:Director on-call', spoc, all "
                           "(repeat for more)")
    send.add_argument("--set", action="append", default=[], metavar="FIELD=TEXT",
                      help="a field the template asks for (repeat for each)")
    send.add_argument("--provider", default=None, help="the provider the message is about (ODS code)")
    send.add_argument("--role", default=None, help="your role, signed on the message and the decision log")
    send.add_argument("--sender", default=None, help="who sends it (default: the name the window signs with)")
    send.add_argument("--dry-run", action="store_true", help="show the message and its recipients; send nothing")
    listing = add_action(sub, "list", "messages sent, newest first, and what became of each", _list)
    listing.add_argument("--json", action="store_true")


def _open(args):
    from scc_desktop import unlock

    return unlock.open_store(args.path or paths.default_replica())


def _templates(args) -> int:
    from models.messages import templates

    try:
        found = templates.load()
    except templates.TemplateError as exc:
        raise UserError(str(exc), 2) from None
    for t in found.values():
        print(f"{t.name:<22} {t.title}  (fields: {', '.join(t.fields) or 'none'})")
    return 0


def _groups(args) -> int:
    from models.service import messages

    with _open(args) as store:
        page = messages.compose_page(store)
    if args.json:
        print(json.dumps([{"group": g.key, "members": len(g.members), "with_email": g.with_email}
                          for g in page.groups], indent=2, ensure_ascii=False))
        return 0
    for g in page.groups:
        print(f"{g.key:<48} {g.with_email:>4} of {len(g.members):<4} with an email address")
    return 0


def _values(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name.strip():
            raise UserError(f"--set {pair!r}: write FIELD=TEXT, e.g. --set request='Two G&A beds'", 2)
        out[name.strip()] = text.replace("\\n", "\n")
    return out


# Said when nobody can be named as the sender (the login is an account, not a person: models.author).
NO_SENDER = ("who sends it is not known (this login names nobody): give --sender 'Your Name', or set "
             "SCC_USER, or enter Your name in the app's File > Settings")


def _missing_fields(exc: ValueError) -> list[str]:
    """The template's fields left empty, from the template's error (each named with its reason)."""
    return [where for where, reason in getattr(exc, "problems", ()) if reason.startswith("must be filled in")]


def _send(args) -> int:
    from models import author
    from models.service import messages

    values = _values(args.set)
    role = args.role or messages.DEFAULT_ROLE
    if args.sender is not None and not args.sender.strip():
        raise UserError("--sender: must not be empty", 2)
    # Never signed "unknown user": a message goes out under a person's name (dry run: shown, then said).
    unknown_sender = args.sender is None and author.source() == "fallback"
    if unknown_sender and not args.dry_run:
        raise UserError(f"not sent: {NO_SENDER}", 2)
    with _open(args) as store:
        try:
            if args.dry_run:
                shown = messages.preview(messages.compose_page(store), args.template, args.group, values,
                                         provider=args.provider, sender_role=role, sender=args.sender)
            else:
                sent = messages.send_message(store, template=args.template, groups=args.group, values=values,
                                             provider=args.provider, sender_role=role, sender=args.sender)
                shown = sent.preview
        except ValueError as exc:   # TemplateError, GroupError: each names the field and why
            missing = _missing_fields(exc)
            how = ("; give " + " ".join(f"--set {name}=TEXT" for name in missing)) if missing else ""
            raise UserError(f"{exc}{how}", 2) from None
    r = shown.resolved
    print(f"Subject: {shown.filled.subject}\n\n{shown.filled.body}")
    print(f"To ({len(r.recipients)}): " + "; ".join(f"{p.name} <{p.address}>" for p in r.recipients))
    if r.no_email:
        print(f"Not emailed, no email address ({len(r.no_email)}): "
              + "; ".join(f"{c.name} ({c.organisation})" for c in r.no_email))
    if args.dry_run:
        print("\nDry run: nothing sent, nothing recorded.")
        if unknown_sender:
            print(f"It would not be sent as it stands: {NO_SENDER}.")
    else:
        print(f"\nRecorded in the decision log ({sent.decision_uuid}); message {sent.message_uuid} "
              f"{messages.QUEUED_WORDS} (the app, or `scc-desktop sync --once`, takes it there).")
    return 0


def _list(args) -> int:
    from models.service import messages

    with _open(args) as store:
        found = messages.sent_messages(store)
    if args.json:
        print(json.dumps([{"uuid": m.uuid, "template": m.template, "subject": m.subject, "groups": list(m.groups),
                           "recipients": len(m.recipients), "sent_by": m.sent_by,
                           "composed_at": m.composed_at.isoformat(), "decision_uuid": m.decision_uuid,
                           "state": m.state, "status": m.status, "error": m.error} for m in found],
                         indent=2, ensure_ascii=False))
        return 0
    if not found:
        print("No messages sent yet.")
    for m in found:
        print(f"{m.composed_at:%Y-%m-%d %H:%M}Z  {m.subject}  -> {', '.join(m.groups)}  [{m.status}]")
    return 0
