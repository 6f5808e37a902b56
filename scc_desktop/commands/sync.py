"""``scc-desktop sync``: replicate from the hub from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

HUB_ENV = "SCC_HUB_URL"
TOKEN_ENV = "SCC_HUB_TOKEN"


def register(subparsers) -> None:
    parser = subparsers.add_parser("sync", help="push the outbox and pull the feed from the hub")
    parser.add_argument("--once", action="store_true", required=True,
                        help="run one cycle and exit (the app runs the same engine continuously)")
    parser.add_argument("--hub", default=os.environ.get(HUB_ENV),
                        help=f"hub address, e.g. https://hub.example.nhs.uk (or {HUB_ENV})")
    parser.add_argument("--path", type=Path, default=None, help="replica file")
    parser.add_argument("--ca-bundle", default=None, help="CA certificates to trust for the hub's TLS")
    parser.add_argument("--wait", type=float, default=0, help="long-poll up to this many seconds")
    parser.add_argument("--batch-limit", type=int, default=None,
                        help="feed items per request (default: the hub's maximum; each batch commits with its cursor)")
    parser.set_defaults(handler=_sync)


def _sync(args) -> int:
    from scc_desktop import unlock
    from sync.address import hub_url_problem
    from sync.client import HubClient, HubRefused
    from sync.engine import SyncEngine

    if not args.hub:
        raise UserError(f"no hub address: pass --hub or set {HUB_ENV}", 2)
    problem = hub_url_problem(args.hub)
    if problem:
        raise UserError(f"--hub {args.hub}: {problem}", 2)
    if args.wait < 0:
        raise UserError(f"--wait {args.wait:g}: must be 0 or more seconds", 2)
    if args.batch_limit is not None and args.batch_limit < 1:
        raise UserError(f"--batch-limit {args.batch_limit}: must be 1 or more", 2)
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise UserError(f"no hub token: set {TOKEN_ENV} (tokens are never passed on the command line)", 2)
    path = args.path or paths.default_replica()
    with unlock.open_store(path) as store:
        client = HubClient(args.hub, token, verify=args.ca_bundle or True)
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
            "replica_problem": result.replica_problem.line() if result.replica_problem else None}, indent=2))
    if result.replica_problem:   # not the hub's fault: say what to do about the replica
        raise UserError(result.replica_problem.line(), 1)
    if result.error:
        fault = client.last_fault
        if isinstance(fault, HubRefused) and fault.token_refused:
            raise UserError(f"the hub at {args.hub} refused the token (HTTP {fault.status}: {fault}); "
                            f"set {TOKEN_ENV} to a valid token; the replica is unchanged", 1)
        if isinstance(fault, HubRefused):
            raise UserError(f"the hub at {args.hub} refused the request (HTTP {fault.status}: {fault}); "
                            "the replica is unchanged and still usable", 1)
        if fault is None:
            raise UserError(f"sync failed: {result.error}; the replica is still usable", 1)
        raise UserError(f"the hub at {args.hub} could not be reached: {result.error}; "
                        "the replica is unchanged and still usable", 1)
    return 0


def _iso(value):
    return value.isoformat() if value else None
