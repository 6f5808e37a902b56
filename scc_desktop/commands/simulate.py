"""``scc-desktop simulate``: a simulated ICS submitting provider data to a feed hub.

    scc-desktop simulate --hub http://127.0.0.1:8765 --token-file admin.token [--seed 7]
        [--start 2025-01-06T08:00Z] [--speed 60] [--tick-minutes 5]
        [--ticks N | --duration SECONDS] [--backfill-days 7 [--backfill-only]]
        [--config my-ics.toml] [--no-faults] [--dry-run [--paced] [--annotate]]
    scc-desktop simulate --write-orgs ics.csv     # organisations for 'hub serve --orgs'

The hub must know the organisations, and the token must be allowed to submit
for them: an admin token, or one provider_submitter token per organisation
(``--org-token RX1=T``).

Simulated time starts at ``--start`` (aware ISO 8601; default now, rounded
down to the tick) and runs ``--speed`` times faster than real time; when
posting, it never runs ahead of real time (the hub refuses future-stamped
figures), so a fast replay needs a start in the past. With
``--backfill-days`` the days before the start are sent first, as fast as the
hub takes them; ``--backfill-only`` then exits instead of running live (for one
terminal: fill the hub, then sync). ``--dry-run`` prints each submission as one JSON line on
stdout instead of posting (at once, unless ``--paced``); logs go to stderr.
Ctrl-C stops cleanly after the submission in flight and prints a summary.
The token is read from ``--token-file`` or the environment variable
SCC_HUB_TOKEN (SCC_SIM_TOKEN also works); ``--token T`` still works but
shows the token to anyone listing processes (``ps``).
See docs/simulator.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scc_desktop.errors import UserError

TOKEN_ENV = "SCC_HUB_TOKEN"
OLD_TOKEN_ENV = "SCC_SIM_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("simulate", help="run the feed simulator against a hub (or print with --dry-run)",
                              description=__doc__.split("\n\n")[0],
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog=__doc__.split("\n\n", 2)[2])
    p.add_argument("--hub", metavar="URL", help="feed hub base URL, e.g. http://127.0.0.1:8765")
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help=f"file holding the hub token for every organisation: an admin token, or see "
                        f"--org-token (default: ${TOKEN_ENV})")
    p.add_argument("--token", metavar="T",
                   help="the token itself (shows in the process list: prefer --token-file or "
                        f"${TOKEN_ENV})")
    p.add_argument("--org-token", action="append", default=[], metavar="ORG=T",
                   help="a provider_submitter token for one organisation (repeatable)")
    p.add_argument("--write-orgs", type=Path, metavar="FILE",
                   help="write the simulated organisations as a hub org file (CSV) and exit; "
                        "load it with 'scc-desktop hub serve --orgs FILE'")
    p.add_argument("--allow-future", action="store_true",
                   help="let simulated time run ahead of real time when posting (hubs refuse "
                        "figures stamped in their future)")
    p.add_argument("--seed", type=int, default=1, help="random seed; same seed, same data (default: 1)")
    p.add_argument("--start", metavar="ISO", help="simulated start, with offset (default: now, UTC)")
    p.add_argument("--speed", type=float, default=60.0,
                   help="simulated seconds per real second (default: 60)")
    p.add_argument("--tick-minutes", type=float, help="simulated minutes per tick (default: from config, 5)")
    p.add_argument("--ticks", type=int, metavar="N", help="stop after N ticks")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after this many real seconds")
    p.add_argument("--backfill-days", type=float, default=0.0, metavar="D",
                   help="first send the D simulated days before --start, fast (default: 0)")
    p.add_argument("--backfill-only", action="store_true",
                   help="exit after the backfill instead of running live (needs --backfill-days)")
    p.add_argument("--backfill-batch-minutes", type=int, default=240, metavar="M",
                   help="backfill: one submission per organisation per M simulated minutes "
                        "(far fewer requests; 0 = as live; default: 240)")
    p.add_argument("--config", type=Path, metavar="FILE", help="simulator TOML overriding the bundled default")
    p.add_argument("--no-faults", action="store_true", help="no late, missing or malformed data")
    p.add_argument("--dry-run", action="store_true", help="print JSON lines instead of posting")
    p.add_argument("--paced", action="store_true", help="with --dry-run: wait for the simulated clock")
    p.add_argument("--annotate", action="store_true",
                   help="with --dry-run: add a 'sim_faults' key naming the deliberate faults")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="HTTP read timeout (default: 10)")
    p.add_argument("--retries", type=int, default=5, help="retries per submission on network errors (default: 5)")
    p.add_argument("-v", "--verbose", action="count", default=0, help="log each receipt (-vv: rejections too)")
    _plant_options(p)
    p.set_defaults(handler=_simulate)


def _parse_start(text: str | None, tick: timedelta) -> datetime:
    if text is None:
        now = datetime.now(timezone.utc)
        step = int(tick.total_seconds())
        return datetime.fromtimestamp(int(now.timestamp()) // step * step, timezone.utc)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UserError(f"--start {text!r} is not an ISO 8601 time, e.g. 2025-01-06T08:00Z", 2) from None
    if when.tzinfo is None:
        raise UserError(f"--start {text!r} has no UTC offset; add one, e.g. {text}Z or {text}+00:00", 2)
    return when.astimezone(timezone.utc)


def _logging(verbose: int) -> None:
    import logging   # here, as csv below: every command's parser is built, --help included

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger = logging.getLogger("sync.simulator")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


def _simulate(args: argparse.Namespace) -> int:
    from sync.simulator import ConfigError, Sender, Simulator, backfill, load_config, run
    from sync.simulator.data import DataError

    _logging(args.verbose)
    token = _token(args)
    org_tokens = _org_tokens(args.org_token)
    posting = not args.dry_run and args.write_orgs is None
    if posting and (not args.hub or not (token or org_tokens)):
        raise UserError(f"give --hub URL and --token-file FILE (or set {TOKEN_ENV}, or --org-token ORG=T), "
                        "or use --dry-run", 2)
    if posting:
        from sync.address import hub_url_problem

        problem = hub_url_problem(args.hub)
        if problem:
            raise UserError(f"--hub {args.hub}: {problem}", 2)
    if args.timeout <= 0 or args.retries < 0:
        raise UserError("--timeout must be above 0 and --retries not negative", 2)
    for name in ("ticks", "duration", "tick_minutes", "speed", "backfill_days", "timeout"):
        value = getattr(args, name)
        if value is not None and not math.isfinite(value):
            raise UserError(f"--{name.replace('_', '-')} {value}: must be a number", 2)
    for name in ("ticks", "duration", "tick_minutes"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise UserError(f"--{name.replace('_', '-')} must be above 0", 2)
    if args.speed <= 0 or args.backfill_days < 0:
        raise UserError("--speed must be above 0 and --backfill-days not negative", 2)
    if args.backfill_only and not args.backfill_days:
        raise UserError("--backfill-only: give --backfill-days D too (there is nothing else to send)", 2)
    if args.backfill_batch_minutes < 0 or (args.backfill_batch_minutes and 1440 % args.backfill_batch_minutes):
        raise UserError("--backfill-batch-minutes must be 0 or a number of minutes that divides a day", 2)
    try:
        config = load_config(args.config)
        if args.no_faults:
            config = config.without_faults()
        sim = Simulator(config, args.seed)
    except (ConfigError, DataError) as exc:
        raise UserError(str(exc), 2) from None
    if args.write_orgs is not None:
        return _write_orgs(sim, args.write_orgs)
    tick = timedelta(minutes=args.tick_minutes or config.timing.tick_minutes)
    start = _parse_start(args.start, tick)
    real_now = datetime.now(timezone.utc)
    if posting and not args.allow_future and start > real_now + tick:
        raise UserError(f"--start {start.isoformat()} is in the future; a hub refuses figures stamped "
                        "ahead of its clock. Start at or before now, or add --allow-future", 2)

    if posting and args.token and args.token_file is None:
        print(f"scc-desktop simulate: warning: --token shows in the process list (ps) to every user of "
              f"this computer; use --token-file FILE or {TOKEN_ENV}", file=sys.stderr, flush=True)
    stop = threading.Event()
    restore = _on_interrupt(stop)
    sender = None
    token_refused: list = []  # the first submission refused with HTTP 401
    if args.dry_run:
        def sink(sub):
            print(json.dumps(sub.annotated() if args.annotate else sub.payload, separators=(",", ":")),
                  flush=True)
    else:
        sender = Sender(args.hub, token, org_tokens=org_tokens, timeout=(3.05, args.timeout),
                        retries=args.retries, stop=stop)

        def sink(sub):
            result = sender.send(sub.payload, deliberate=len(sub.faults))
            if result.http_status == 401 and not token_refused:
                # A token the hub does not know will not work on the next submission either.
                token_refused.append(result)
                stop.set()

    planted = _plant(args, sim, sink, start - tick) if args.plant else None
    try:
        if args.backfill_days:
            report = backfill(sim, sink, start - timedelta(days=args.backfill_days), start - tick,
                              batch_minutes=args.backfill_batch_minutes, stop=stop)
            _progress(f"backfill: {report.submissions} submissions, {report.items} items", sender)
        if not stop.is_set() and not args.backfill_only:
            paced = args.paced or not args.dry_run
            hold = None if (args.dry_run or args.allow_future) else (lambda: datetime.now(timezone.utc))
            report = run(sim, sink, start=start, tick=tick, speed=args.speed, ticks=args.ticks,
                         duration=args.duration, paced=paced, stop=stop, not_after=hold)
            until = report.simulated_until.isoformat() if report.simulated_until else "-"
            _progress(f"live: {report.ticks} ticks to {until}, {report.submissions} submissions, "
                      f"{report.items} items" + (" (stopped)" if report.stopped else ""), sender)
        if planted and args.plant_correct and not stop.is_set():
            for p in planted:
                sink(p.correction)
            _progress(f"planted faults corrected: {len(planted)}", sender)
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    finally:
        restore()
        if sender is not None:
            sender.close()
    if sender is not None:
        _outcome(sender.stats, args.hub, token_refused[0] if token_refused else None)
    return 0


def _outcome(stats, hub: str, token_refused) -> None:
    """Exit 1 with one line when the hub refused the token, nothing was accepted, or sends failed."""
    if token_refused is not None:
        raise UserError(f"the hub at {hub} refused the token (HTTP 401: {token_refused.error}); "
                        f"check --token-file, {TOKEN_ENV} or --org-token; stopped", 1)
    if stats.submissions and stats.submissions == stats.refused + stats.failed:  # not one receipt
        raise UserError(f"the hub at {hub} accepted nothing: {stats.summary()}", 1)
    if stats.failed:
        raise UserError(f"{stats.failed} submission(s) could not be delivered to {hub}: {stats.summary()}", 1)


def _token(args) -> str | None:
    """The token from --token-file, --token or the environment."""
    if args.token_file is not None:
        try:
            token = args.token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--token-file {args.token_file}: cannot be read "
                            f"({getattr(exc, 'strerror', None) or exc})", 2) from None
        if not token:
            raise UserError(f"--token-file {args.token_file}: is empty", 2)
        return token
    if args.token:
        return args.token   # warned about once the options are checked
    return os.environ.get(TOKEN_ENV) or os.environ.get(OLD_TOKEN_ENV)


def _org_tokens(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        org, sep, tok = pair.partition("=")
        if not sep or not org.strip() or not tok.strip():
            raise UserError(f"--org-token {pair!r} must be ORG=TOKEN, e.g. RX1=scc_...", 2)
        out[org.strip().upper()] = tok.strip()
    return out


def _write_orgs(sim, path: Path) -> int:
    import csv

    rows = sim.organisations()
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"scc-desktop simulate: wrote {len(rows)} organisations to {path}", file=sys.stderr)
    return 0


def _progress(line: str, sender) -> None:
    if sender is not None:
        line += f"; hub: {sender.stats.summary()}"
    print(f"scc-desktop simulate: {line}", file=sys.stderr, flush=True)


def _on_interrupt(stop: threading.Event):
    """First Ctrl-C asks for a clean stop; a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        print("scc-desktop simulate: stopping after the submission in flight (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    return lambda: signal.signal(signal.SIGINT, previous)


# --- deliberate data-quality faults (--plant); kept apart from the run options above ---------------
PLANT_WINDOW = timedelta(hours=4)   # enough history for a jump to stand out and a series to fall silent


def _plant_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plant", metavar="KINDS", default=None,
                   help="plant data-quality faults on purpose, logged as deliberate: comma-separated from "
                        "late, missing, incomplete-opel, jump, duplicate, clock-skew, impossible, level-mismatch, "
                        "malformed, or 'all'; sent with the four hours before --start")
    p.add_argument("--plant-correct", action="store_true",
                   help="with --plant: send each fault's correction after the live run ends")


def _plant(args: argparse.Namespace, sim, sink, until: datetime):
    """Send the four hours before ``until`` with the faults planted in them, then the faults;
    returns what was planted (its corrections are sent by ``--plant-correct`` after the run)."""
    from collections import defaultdict

    from sync.simulator.plant import parse_kinds, plant

    try:
        kinds = parse_kinds(args.plant)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    orgs = defaultdict(list)
    for o in sim.config.organisations:
        orgs[o.kind].append(o.code)
    try:
        window, planted = plant(sim.submissions(until - PLANT_WINDOW, until), kinds, until, dict(orgs))
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    for sub in window + [p.fault for p in planted if p.fault is not None]:
        sink(sub)
    _progress(f"planted (deliberate): {', '.join(f'{p.kind} at {p.org_code}' for p in planted)}", None)
    return planted
