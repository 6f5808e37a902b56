"""``scc-desktop sync``: replicate from the hub from the command line.

``--once`` runs one cycle and prints it as JSON; without it the same engine the
app uses runs until Ctrl+C or SIGTERM (exit 130 or 143), one line per cycle that
changed something.  The hub, its token and the replica default to what
``scc-desktop connect`` (or the first-run dialog) saved.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

HUB_ENV = "SCC_HUB_URL"
TOKEN_ENV = "SCC_HUB_TOKEN"


def register(subparsers) -> None:
    parser = subparsers.add_parser("sync", help="push the outbox and pull the feed from the hub")
    parser.add_argument("--once", action="store_true",
                        help="run one cycle, print it as JSON and exit (default: keep syncing until Ctrl+C)")
    parser.add_argument("--hub", default=os.environ.get(HUB_ENV),
                        help=f"hub address, e.g. https://hub.example.nhs.uk (or {HUB_ENV}; "
                             "default: the one saved by 'scc-desktop connect')")
    parser.add_argument("--path", type=Path, default=None, help="replica file")
    parser.add_argument("--ca-bundle", default=None, help="CA certificates to trust for the hub's TLS")
    parser.add_argument("--wait", type=float, default=0, help="long-poll up to this many seconds")
    parser.add_argument("--batch-limit", type=int, default=None,
                        help="feed items per request (default: the hub's maximum; each batch commits with its cursor)")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="a new replica replays the whole feed instead of joining from the hub's snapshot")
    parser.set_defaults(handler=_sync)


def _sync(args) -> int:
    from scc_desktop import hub_access, unlock
    from scc_desktop import settings as settings_mod
    from sync.address import hub_url_problem
    from sync.client import HubClient
    from sync.engine import SyncEngine

    settings = settings_mod.load()
    hub = args.hub or settings.hub_url
    if not hub:
        raise UserError(f"no hub address: pass --hub, set {HUB_ENV}, or save one with 'scc-desktop connect'", 2)
    problem = hub_url_problem(hub)
    if problem:
        raise UserError(f"--hub {hub}: {problem}", 2)
    if args.wait < 0:
        raise UserError(f"--wait {args.wait:g}: must be 0 or more seconds", 2)
    if args.batch_limit is not None and args.batch_limit < 1:
        raise UserError(f"--batch-limit {args.batch_limit}: must be 1 or more", 2)
    saved_hub = hub == settings.hub_url
    path = args.path or (Path(settings.replica) if settings.replica else paths.default_replica())
    ca = args.ca_bundle or (settings.ca_bundle if saved_hub else None)
    with contextlib.ExitStack() as opened:
        store = opened.enter_context(unlock.open_store(path))
        # The token kept in the replica goes only to the hub it was saved for.
        token = hub_access.load_token(store) if saved_hub else os.environ.get(TOKEN_ENV)
        if not token:
            raise UserError(f"no hub token: set {TOKEN_ENV} or save one with 'scc-desktop connect' "
                            "(tokens are never passed on the command line)", 2)
        client = HubClient(hub, token, verify=ca or True)
        if not args.no_snapshot:
            store = opened.enter_context(_join_if_new(store, client))
        engine = SyncEngine(store, client, batch_limit=args.batch_limit)
        if not args.once:
            return _continuously(engine, hub)
        result = engine.run_once(wait=args.wait)
        if _behind_horizon(client) and not args.no_snapshot:
            # 410 feed_pruned: the outbox was pushed first (every cycle pushes before it pulls).
            store = opened.enter_context(_join_if_new(store, client, rejoin=True))
            engine = SyncEngine(store, client, batch_limit=args.batch_limit)
            result = engine.run_once(wait=args.wait)
        state = result.connectivity
        print(json.dumps({
            "state": state.state.value, "since": _iso(state.since),
            "last_good_sync": _iso(state.last_good_sync),
            "last_provider_data_at": _iso(state.last_provider_data_at),
            "position": engine.position(), "applied": result.applied, "batches": result.batches,
            "pushed": result.pushed, "rejected": result.rejected,
            "outbox_pending": state.outbox_pending, "detail": state.detail,
            "push_error": getattr(result, "push_error", None),
            "feed_restored": getattr(result, "feed_restored", None),
            "replica_problem": result.replica_problem.line() if result.replica_problem else None,
            "hub_escalation": _escalation_json(result.escalation)}, indent=2))
    _fail_on(result, client, hub)
    return 0


def _escalation_json(said) -> dict | None:
    """What the hub's /health said of escalation by e-mail (sync.hub_escalation): None when not asked
    (the hub not reached); ``email`` None when the hub says nothing of it (one older than this desktop)."""
    if said is None:
        return None
    return {"told": said.told, "email": ("on" if said.on else "off") if said.told else None, "reason": said.reason}


def _behind_horizon(client) -> bool:
    from sync.client import HubRefused

    fault = client.last_fault
    return isinstance(fault, HubRefused) and fault.error is not None and fault.error.code == "feed_pruned"


def _join_if_new(store, client, *, rejoin: bool = False):
    """A new replica (or with ``rejoin``, one behind the feed's retention horizon) joins from the
    hub's snapshot (sync/snapshot_join.py); returns the store to use."""
    import sys

    from models.replica.store import Store
    from sync import snapshot_join
    from sync.client import HubRefused, HubUnreachable

    with store.reading() as conn:
        if not rejoin and not snapshot_join.is_new(conn):
            return store
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    try:
        outcome = snapshot_join.join(path, key, cipher, client, rejoin=rejoin)
        print(outcome.line, file=sys.stderr, flush=True)
    except (snapshot_join.JoinFailed, HubUnreachable, HubRefused) as exc:
        print(f"no join from the hub's snapshot ({exc}); " + (
              "the replica is unchanged" if rejoin else "replaying the feed from position 0"),
              file=sys.stderr, flush=True)
    return Store(path, key, cipher)


def _fail_on(result, client, hub: str) -> None:
    from sync.client import HubRefused

    if result.replica_problem:   # not the hub's fault: say what to do about the replica
        raise UserError(result.replica_problem.line(), 1)
    if result.error:
        fault = client.last_fault
        if isinstance(fault, HubRefused) and fault.token_refused:
            raise UserError(f"the hub at {hub} refused the token (HTTP {fault.status}: {fault}); "
                            f"set {TOKEN_ENV} to a valid token; the replica is unchanged", 1)
        if isinstance(fault, HubRefused):
            raise UserError(f"the hub at {hub} refused the request (HTTP {fault.status}: {fault}); "
                            "the replica is unchanged and still usable", 1)
        if fault is None:
            raise UserError(f"sync failed: {result.error}; the replica is still usable", 1)
        raise UserError(f"the hub at {hub} could not be reached: {result.error}; "
                        "the replica is unchanged and still usable", 1)
    if getattr(result, "push_error", None):   # the feed came; this desktop's records did not go
        raise UserError(f"the feed synced, but {result.push_error}; the records wait in the outbox", 1)


def _continuously(engine, hub: str) -> int:
    """Sync until Ctrl+C or SIGTERM: one line per cycle that brought or sent something, or changed state."""
    import signal
    import sys
    import threading

    stop = threading.Event()
    caught: list[int] = []

    def on_signal(signum, _frame):
        caught.append(signum)
        stop.set()
        engine.client.close()   # cuts a long-poll in flight

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    last_state: list[str] = []

    def report(result) -> None:
        if stop.is_set():
            return
        if getattr(result, "feed_restored", None):   # said once, the cycle it happened
            print(result.feed_restored, flush=True)
        state = result.connectivity.state.value
        if result.applied or result.pushed or result.rejected or [state] != last_state:
            detail = f": {result.error}" if result.error else (
                f"; records not sent: {result.push_error}" if getattr(result, "push_error", None) else "")
            print(f"{state}{detail}; applied {result.applied}, pushed {result.pushed}, rejected "
                  f"{result.rejected}, position {engine.position()}", flush=True)
            last_state[:] = [state]

    print(f"syncing from {hub} until Ctrl+C", file=sys.stderr, flush=True)
    try:
        engine.run(stop, on_cycle=report)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 + caught[0] if caught else 0


def _iso(value):
    return value.isoformat() if value else None
