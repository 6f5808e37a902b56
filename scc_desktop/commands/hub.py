"""``scc-desktop hub``: run the feed hub and manage its tokens and organisations.

- ``hub serve [--db URL] [--host H] [--port P] [--bootstrap-token-file F] [--orgs FILE]``
- ``hub token create --user NAME --role ROLE [--org ODS] [--out FILE] [--expires-in-days D]`` prints
  the token once (or writes it to a new owner-only FILE); ``--create`` makes a missing hub database;
  ``hub token rotate ID [--overlap-minutes M] [--out FILE] [--expires-in-days D]`` a new secret, the
  old one working M more minutes; ``hub token list [--all]``; ``hub token revoke (ID | --user NAME)``
- ``hub org add ODS --name N --sector S [--size X] [--region R]``;
  ``hub org import FILE`` (CSV or JSON); ``hub org list``
- ``hub snapshot make --snapshots DIR`` brings the snapshot replica up to the feed's head and publishes it;
  ``hub snapshot show``; ``hub snapshot prune --snapshots DIR --keep-days D`` (docs/retention.md)
- ``hub account create --user NAME --role ROLE [--org ODS]`` (the password is asked twice on a
  terminal, else read from the first line of stdin; never an argument: ``ps`` shows those);
  ``hub account passwd NAME``; ``hub account disable NAME`` / ``enable NAME``; ``hub account list``

Every subcommand takes ``--db URL`` (default: ``$SCC_HUB_DB``, else the
SQLite file ``hub.db`` in the per-user data folder).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

DB_ENV = "SCC_HUB_DB"
DEFAULT_PORT = 8765
EXPIRY_NOTICE_DAYS = 14   # 'hub serve' names the tokens that expire sooner than this


def port(text: str) -> int:
    """An argparse ``type=``: a TCP port number, 0 to 65535 (0 = any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number: ports run from 0 to 65535")
    return value


def _minutes(text: str) -> float:
    """An argparse ``type=``: minutes, 0 or more and less than 10,000 (about a week)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 0 <= value < 10_000 or value != value:
        raise argparse.ArgumentTypeError(f"{text} minutes: give 0 or more and less than 10,000 (about a week; "
                                         f"0 = build the plain way at once)")
    return value


def default_db_url() -> str:
    return os.environ.get(DB_ENV) or f"sqlite:///{paths.data_dir() / 'hub.db'}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hub", help="run the feed hub; manage its tokens and organisations",
                                   description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="hub_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("serve", help="run the hub until interrupted")
    _db_arg(p, create=False)   # serving is how a hub's database is first made
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this computer only; before listening on a "
                        "network serve HTTPS with --tls-cert/--tls-key, or put a TLS proxy in front)")
    p.add_argument("--port", type=port, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT}; 0 = any free port)")
    p.add_argument("--reuse-port", action="store_true",
                   help="share --port with other hub processes on the same PostgreSQL database: the system "
                        "spreads connections among them (Linux, BSD, macOS)")
    p.add_argument("--bootstrap-token-file", type=Path, metavar="FILE",
                   help="if the hub has no admin token yet, create one and write it to FILE (mode 600)")
    p.add_argument("--orgs", type=Path, metavar="FILE", help="add or update organisations from FILE at start")
    p.add_argument("--tables", type=Path, metavar="DIR",
                   help="folder of OPEL tables (<pillar>.toml, system.toml) replacing the bundled ones")
    p.add_argument("--catalogue", type=Path, metavar="DIR", action="append", default=[],
                   help="extra metric catalogue folder (repeatable)")
    p.add_argument("--alert-rules", type=Path, metavar="FILE",
                   help="alert rules (JSON, as 'scc-desktop alerts rules export' writes) replacing the defaults")
    p.add_argument("--no-alerts", action="store_true", help="do not evaluate alert rules")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve HTTPS with this certificate chain")
    p.add_argument("--tls-key", type=Path, metavar="PEM", help="private key of --tls-cert")
    p.add_argument("--escalation", type=Path, metavar="FILE",
                   help="email alerts nobody acknowledged in time to whoever is on call: SMTP server and "
                        "rotas in FILE (TOML; default $SCC_HUB_ESCALATION; see docs/escalation.md)")
    p.add_argument("--openapi", action="store_true",
                   help="serve the API's OpenAPI description at /openapi.json, to admin tokens only (off by default)")
    p.add_argument("--snapshots", type=Path, metavar="DIR",
                   help="serve the snapshots 'hub snapshot make' publishes in DIR to new desktops (GET /v1/snapshot)")
    p.add_argument("--snapshot-every", type=float, metavar="HOURS",
                   help="with --snapshots: make and publish a snapshot every HOURS in a child process "
                        "(one hub process at a time, by the folder's lock; docs/retention.md)")
    p.add_argument("--prune-keep-days", type=float, metavar="D",
                   help="with --snapshot-every: after each snapshot, delete the bulk provider positions it holds "
                        "that are older than D days (docs/retention.md)")
    p.add_argument("--index-wait-minutes", type=_minutes, metavar="MIN", default=None,
                   help="PostgreSQL: how long an index a start builds CONCURRENTLY may wait for transactions that "
                        "only read, such as a backup's, before it is built the plain way, which holds writes to "
                        "its table meanwhile (default 2; 0 = always the plain way; less than 10,000; docs/deployment.md)")
    p.set_defaults(handler=_serve)

    from scc_desktop.commands import hub_snapshot
    hub_snapshot.register(sub, _db_arg, _hub)

    token = sub.add_parser("token", help="create, list or revoke access tokens")
    tsub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    p = tsub.add_parser("create", help="create a token and print it (shown once)")
    _db_arg(p)
    p.add_argument("--user", required=True, help="who the token is for")
    p.add_argument("--role", required=True, help="room_lead, room_support, director_on_call, clinician, "
                                                 "viewer, provider_submitter or admin")
    p.add_argument("--org", metavar="ODS", help="organisation a provider_submitter may submit for")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write the token to FILE (new, readable by you only) instead of printing it")
    _expires_arg(p)
    p.set_defaults(handler=_token_create)
    p = tsub.add_parser("rotate", help="a new secret for a token; the old one works for a short overlap, "
                                       "then stops (shown once)")
    _db_arg(p)
    p.add_argument("id", type=int, help="token id (from 'hub token list')")
    p.add_argument("--overlap-minutes", type=int, metavar="MIN", help=_OVERLAP_HELP)
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="write the new token to FILE (new, readable by you only) instead of printing it")
    _expires_arg(p)
    p.set_defaults(handler=_token_rotate)
    p = tsub.add_parser("list", help="list the tokens that work (never their secret)")
    _db_arg(p)
    p.add_argument("--all", action="store_true", help="include revoked and expired tokens")
    p.set_defaults(handler=_token_list)
    p = tsub.add_parser("revoke", help="revoke a token by id, or all of a user's tokens")
    _db_arg(p)
    p.add_argument("id", nargs="?", type=int, help="token id (from 'hub token list')")
    p.add_argument("--user", help="revoke every active token of this user")
    p.set_defaults(handler=_token_revoke)

    _register_accounts(sub)

    org = sub.add_parser("org", help="add, import or list the system's organisations")
    osub = org.add_subparsers(dest="org_command", metavar="ACTION", required=True)
    p = osub.add_parser("add", help="add or update one organisation")
    _db_arg(p)
    p.add_argument("ods_code", help="ODS code, e.g. RXH")
    p.add_argument("--name", required=True)
    p.add_argument("--sector", required=True, help="acute, ambulance, community, mental_health, nhs111, ...")
    p.add_argument("--size", type=float, help="roll-up weight (acute: core G&A beds)")
    p.add_argument("--region")
    p.add_argument("--inactive", action="store_true", help="mark the organisation inactive")
    p.set_defaults(handler=_org_add)
    p = osub.add_parser("import", help="add or update organisations from a CSV or JSON file")
    _db_arg(p)
    p.add_argument("file", type=Path, help="CSV header: ods_code,name,sector[,size][,region][,active]")
    p.set_defaults(handler=_org_import)
    p = osub.add_parser("list", help="list organisations as JSON lines")
    _db_arg(p)
    p.set_defaults(handler=_org_list)


def _register_accounts(sub) -> None:
    account = sub.add_parser("account", help="web login accounts: create, change password, disable, list")
    asub = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    p = asub.add_parser("create", help="create an account (password asked, or the first line of stdin)")
    _db_arg(p)
    p.add_argument("--user", required=True, help="the user name to log in with")
    p.add_argument("--role", required=True, help="as for tokens: room_lead, room_support, director_on_call, "
                                                 "clinician, viewer, provider_submitter or admin")
    p.add_argument("--org", metavar="ODS", help="organisation a provider_submitter may submit for")
    p.set_defaults(handler=_account_create)
    p = asub.add_parser("passwd", help="set a new password (the account's sessions end)")
    _db_arg(p)
    p.add_argument("user")
    p.set_defaults(handler=_account_passwd)
    for name, text in (("disable", "stop an account logging in; its sessions end at once"),
                       ("enable", "let a disabled account log in again")):
        p = asub.add_parser(name, help=text)
        _db_arg(p)
        p.add_argument("user")
        p.set_defaults(handler=_account_disable, disable=name == "disable")
    p = asub.add_parser("list", help="list accounts as JSON lines (never their password)")
    _db_arg(p)
    p.set_defaults(handler=_account_list)


def _db_arg(p: argparse.ArgumentParser, *, create: bool = True) -> None:
    p.add_argument("--db", default=None, metavar="URL",
                   help=f"hub database: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB "
                        f"(default ${DB_ENV} or hub.db in the per-user data folder)")
    if create:
        # A typo in --db made a new empty hub and printed a token the running hub refused.
        p.add_argument("--create", action="store_true",
                       help="make the SQLite hub database if it does not exist (default: refuse)")


def _hub(args, defer_schema: bool = False, **config):
    """Open the hub (schema created or checked) for a management command; ``defer_schema``: ``hub serve``'s
    one-off steps on a big database are taken once it listens (sync.hub.schema_start)."""
    from models.rules.alert_rules import RulesError
    from models.rules.tabledata import TableError
    from sync.hub.core import Hub, HubConfig
    from sync.hub.db import DatabaseError
    from sqlalchemy.exc import SQLAlchemyError

    url = args.db or default_db_url()
    _refuse_missing(url, args)
    try:
        return Hub(HubConfig(db_url=url, **config), defer_schema=defer_schema)
    except (DatabaseError, TableError) as exc:
        raise UserError(str(exc)) from None
    except RulesError as exc:
        raise UserError(f"alert rules not loaded:\n{exc}", 2) from None
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip()
        raise UserError(f"cannot open the hub database {shown_url(url)}: {reason}{_postgres_hint(url, reason)}") \
            from None


# What to do about the PostgreSQL refusals an operator setting a hub up meets first (libpq's own words).
_POSTGRES_HINTS = (
    ("no password supplied", "the password goes in PGPASSFILE or ~/.pgpass (a line HOST:PORT:DATABASE:USER:PASSWORD, "
                             "mode 600), never in the URL; docs/deployment.md"),
    ("password authentication failed", "check that user's line in PGPASSFILE or ~/.pgpass (HOST:PORT:DATABASE:"
                                       "USER:PASSWORD; the first line that matches is used)"),
    ("does not exist", "a PostgreSQL superuser creates the role and the database first, the database owned by "
                       "the hub's role (docs/deployment.md, 'Setting up the database'); the hub makes its tables"),
)


def _postgres_hint(url: str, reason: str) -> str:
    if not url.startswith("postgresql"):
        return ""
    for words, hint in _POSTGRES_HINTS:
        if words in reason:
            return f"\n  ({hint})"
    return ""


def shown_url(url: str) -> str:
    """``url`` to print: a password written into it (docs/deployment.md: use PGPASSFILE) shown as ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def _refuse_missing(url: str, args) -> None:
    """A management command on a SQLite file that is not there: a typo, not a new hub (unless --create)."""
    if getattr(args, "handler", None) is _serve or getattr(args, "create", False):
        return
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return   # Hub() names a bad URL
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    path = Path(parsed.database).expanduser()
    if not path.exists():
        raise UserError(f"the hub database {path} does not exist; check --db (or ${DB_ENV}), "
                        "or add --create to make a new, empty hub there")


def _serve(args) -> int:
    from scc_desktop.commands import hub_timer
    from sync.hub import auth, orgs, server

    timer = hub_timer.from_args(args, args.db or default_db_url())   # a bad combination: refused first
    hub = _hub(args, defer_schema=True, tables_dir=args.tables, catalogue_dirs=tuple(args.catalogue),
               alert_rules=args.alert_rules, alerts=not args.no_alerts,
               escalation=_escalation(args.escalation), openapi=args.openapi, snapshots=args.snapshots,
               **({} if args.index_wait_minutes is None else {"index_wait_minutes": args.index_wait_minutes}))
    if timer is not None:
        timer.hub = hub   # a snapshot the database disagrees with is replaced at once (session 30)
    try:
        try:
            specs = orgs.read_org_file(args.orgs) if args.orgs else None
        except orgs.OrgError as exc:
            raise UserError(f"organisations file not loaded:\n{exc}", 2) from None

        def prepare() -> None:   # what serving starts with in the database: once it is up to date
            if specs is not None:
                try:
                    counts = orgs.upsert(hub, specs)
                except orgs.OrgError as exc:
                    raise UserError(f"organisations file not loaded:\n{exc}", 2) from None
                print(f"organisations from {args.orgs}: {counts['added']} added, {counts['updated']} updated, "
                      f"{counts['unchanged']} unchanged", flush=True)
            if args.bootstrap_token_file:
                _bootstrap(hub, auth, args.bootstrap_token_file)
            soon = auth.expiring(hub.db, timedelta(days=EXPIRY_NOTICE_DAYS))
            if soon:
                print(f"warning: {len(soon)} token(s) expire within {EXPIRY_NOTICE_DAYS} days (ids "
                      f"{', '.join(map(str, soon[:20]))}{', ...' if len(soon) > 20 else ''}): rotate them with "
                      "'scc-desktop hub token rotate ID' ('hub token list' shows when)", file=sys.stderr, flush=True)

        if hub.ready:
            prepare()
        else:   # the database's one-off steps first, the hub answering 'upgrading' meanwhile (sync.hub.schema_start)
            print(f"warning: the hub database needs a one-off upgrade ({'; '.join(s.words for s in hub.start.steps)}); "
                  "the hub listens now and answers 503 'upgrading' until it is done", file=sys.stderr, flush=True)
            hub.after_start.append(prepare)
        if bool(args.tls_cert) != bool(args.tls_key):
            raise UserError("--tls-cert and --tls-key go together", 2)
        tls = server.TLS(str(args.tls_cert), str(args.tls_key)) if args.tls_cert else None
        for path in (args.tls_cert, args.tls_key) if tls else ():
            if not path.is_file():
                raise UserError(f"TLS file {path} does not exist", 2)
        if tls is None and args.host not in ("127.0.0.1", "::1", "localhost"):
            print(f"warning: listening on {args.host} over plain HTTP; use --tls-cert/--tls-key "
                  "or a TLS proxy in front", file=sys.stderr, flush=True)
        if hub.db.kind == "sqlite" and not _loopback(args.host):
            print(f"warning: this hub keeps its data in a SQLite file ({hub.db.url.database}), which is for "
                  f"one machine (a demo, a trial, a laptop), yet it listens on {args.host} for others; a real "
                  "deployment uses PostgreSQL with encryption at rest (docs/deployment.md)",
                  file=sys.stderr, flush=True)
        def listening(url: str) -> None:
            print(f"hub listening on {url}", flush=True)
            if timer is not None:   # once the hub answers: the timer's child reads the same database
                if hub.ready:
                    timer.start()
                else:   # after the database's one-off steps (its child would wait for them, then fail)
                    hub.after_start.append(timer.start)
        try:
            server.serve(hub, args.host, args.port, log_level=args.log_level, tls=tls, reuse_port=args.reuse_port,
                         on_listening=listening)
        except OSError as exc:
            raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
                            "choose another --port") from None
        finally:
            if timer is not None:
                timer.stop()
    finally:
        hub.close()
    return 0


def _loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:   # a host name: it may be any interface
        return False


def _escalation(path: Path | None):
    from sync.hub import escalation_config

    path = path or (Path(os.environ[escalation_config.FILE_ENV]) if os.environ.get(escalation_config.FILE_ENV)
                    else None)
    if path is None:   # said at start as /health says it (sync/hub/escalation_health.py)
        print("escalation: OFF, no --escalation settings: no alert nobody acknowledges is e-mailed to anyone "
              "on call, and /health says escalation off", flush=True)
        return None
    try:
        config = escalation_config.load(path)
    except escalation_config.ConfigError as exc:
        raise UserError(f"escalation settings not loaded: {exc}", 2) from None
    smtp = config.smtp
    print(f"escalation: alerts unacknowledged in time are emailed through {smtp.host}:{smtp.port} (STARTTLS"
          f"{', login ' + smtp.username if smtp.username else ''}); fallback {config.policy.fallback}", flush=True)
    return config


def _bootstrap(hub, auth, path: Path) -> None:
    if auth.has_admin(hub.db):
        print(f"an admin token already exists; {path} not written", flush=True)
        return
    _, token = auth.create_token(hub.db, "admin", "admin")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    print(f"admin token written to {path}", flush=True)


# As sync.hub.auth.DEFAULT_LIFETIME_DAYS and DEFAULT_OVERLAP_MINUTES (not imported here: building the
# parser must not load the hub); None takes the hub's default.
_LIFETIME_HELP = "the token stops working after DAYS days (1 to 365; default 90)"
_OVERLAP_HELP = "how long the old secret keeps working (0 to 10080, a week; default 60; 0 stops it now)"


def _expires_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--expires-in-days", type=int, metavar="DAYS", help=_LIFETIME_HELP)


def _lifetime(args):
    from sync.hub import auth

    return auth.lifetime_days(auth.DEFAULT_LIFETIME_DAYS if args.expires_in_days is None else args.expires_in_days)


def _token_create(args) -> int:
    from sync.hub import auth

    if args.out is not None and args.out.exists():   # checked first: no token made in vain
        raise UserError(f"--out {args.out}: already exists; give a new file name")
    try:
        lifetime = _lifetime(args)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    hub = _hub(args)
    try:
        token_id, token = auth.create_token(hub.db, args.user, args.role, _known_org(hub, args.org), lifetime)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    expires = (datetime.now(timezone.utc) + lifetime).date()
    _hand_over(args.out, token, token_id, f"token {token_id} for {args.user} ({args.role}), expires {expires}")
    return 0


def _token_rotate(args) -> int:
    from sync.hub import auth

    if args.out is not None and args.out.exists():
        raise UserError(f"--out {args.out}: already exists; give a new file name")
    minutes = auth.DEFAULT_OVERLAP_MINUTES if args.overlap_minutes is None else args.overlap_minutes
    try:
        lifetime = _lifetime(args)
        overlap = auth.overlap_minutes(minutes)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    hub = _hub(args)
    try:
        new_id, token, ends = auth.rotate_token(hub.db, args.id, overlap, lifetime)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    expires = (datetime.now(timezone.utc) + lifetime).date()
    _hand_over(args.out, token, new_id, f"token {new_id} replaces token {args.id}, expires {expires}; "
               f"token {args.id} keeps working until {ends:%Y-%m-%d %H:%M} UTC ({minutes} minutes)")
    return 0


def _hand_over(out: Path | None, token: str, token_id: int, what: str) -> None:
    """Print a new token (or write it to ``out``, readable by its owner only), saying what it is."""
    if out is None:
        print(token)
        print(f"{what}; it is shown only now: store it safely", file=sys.stderr)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
    except OSError as exc:
        raise UserError(f"--out {out}: cannot be written ({exc.strerror or exc}); token {token_id} "
                        f"was made: revoke it with 'scc-desktop hub token revoke {token_id}'") from None
    print(f"{what}; written to {out} (readable by you only)", file=sys.stderr)


def _token_list(args) -> int:
    from sync.hub import auth

    hub = _hub(args)
    try:
        for t in auth.list_tokens(hub.db, include_revoked=args.all):
            print(json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in t.items()}))
    finally:
        hub.close()
    return 0


def _token_revoke(args) -> int:
    from sync.hub import auth

    hub = _hub(args)
    try:
        n = auth.revoke_tokens(hub.db, args.id, args.user)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    if n == 0:
        raise UserError("no active token matched; see 'scc-desktop hub token list'")
    print(f"revoked {n} token(s)")
    return 0


def _org_add(args) -> int:
    from sync.hub import orgs

    spec = orgs.OrgSpec(args.ods_code.strip().upper(), args.name, args.sector, args.size, args.region,
                        not args.inactive)
    return _upsert(args, lambda: [spec])


def _org_import(args) -> int:
    from sync.hub import orgs

    return _upsert(args, lambda: orgs.read_org_file(args.file))


def _upsert(args, specs) -> int:
    from sync.hub import orgs

    try:
        loaded = specs()
    except orgs.OrgError as exc:
        raise UserError(f"organisations not saved:\n{exc}", 2) from None
    hub = _hub(args)
    try:
        counts = orgs.upsert(hub, loaded)
    except orgs.OrgError as exc:
        raise UserError(f"organisations not saved:\n{exc}", 2) from None
    finally:
        hub.close()
    print(f"{counts['added']} added, {counts['updated']} updated, {counts['unchanged']} unchanged")
    return 0


def _org_list(args) -> int:
    from sync.hub import orgs

    hub = _hub(args)
    try:
        for org in orgs.list_orgs(hub):
            print(json.dumps(org))
    finally:
        hub.close()
    return 0


def _read_password() -> str:
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass("New password: ")
        if getpass.getpass("Again: ") != first:
            raise UserError("the two passwords differ; nothing changed", 2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _account_create(args) -> int:
    from sync.hub.web import accounts

    hub = _hub(args)
    try:
        org = _known_org(hub, args.org)   # before the password is asked: a typo costs no typing
        account_id = accounts.create_account(hub.db, args.user, args.role, _read_password(), org)
    except accounts.AccountError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    print(f"account {account_id} '{args.user.strip()}' ({args.role}) created", file=sys.stderr)
    return 0


def _known_org(hub, code: str | None) -> str | None:
    """``--org`` as the hub spells it (ODS codes are upper case), refused when the hub has no such active
    organisation: such an account logged in to "Organisation not known", such a token could submit nothing."""
    from sync.hub import orgs

    if code is None:
        return None
    code = code.strip().upper()
    found = {org["ods_code"]: org for org in orgs.list_orgs(hub)}
    if code in found and found[code]["active"]:
        return code
    why = "is inactive" if code in found else "is not known to this hub"
    raise UserError(f"--org {code}: the organisation {why}; add it first ('scc-desktop hub org add' or "
                    f"'hub org import'), or see 'scc-desktop hub org list' for the codes", 2)


def _account_passwd(args) -> int:
    from sync.hub.web import accounts

    password = _read_password()
    hub = _hub(args)
    try:
        accounts.set_password(hub.db, args.user, password)
    except accounts.AccountError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    print(f"password of '{args.user}' changed; its sessions have ended", file=sys.stderr)
    return 0


def _account_disable(args) -> int:
    from sync.hub.web import accounts

    hub = _hub(args)
    try:
        changed = accounts.set_disabled(hub.db, args.user, args.disable)
    except accounts.AccountError as exc:
        raise UserError(str(exc), 2) from None
    finally:
        hub.close()
    state = "disabled (its sessions have ended)" if args.disable else "enabled"
    print(f"'{args.user}' {state}" if changed else f"'{args.user}' was already {state.split(' ')[0]}",
          file=sys.stderr)
    return 0


def _account_list(args) -> int:
    from sync.hub.web import accounts

    hub = _hub(args)
    try:
        for a in accounts.list_accounts(hub.db):
            print(json.dumps({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in a.items()}))
    finally:
        hub.close()
    return 0
