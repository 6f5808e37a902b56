"""``scc-desktop connect``: remember the hub this desktop syncs from.

The address and CA file go into the settings file; the access token into the
encrypted replica (never a plain file).  Plain ``scc-desktop``, ``scc-desktop
sync`` and the Settings dialog then use them.  The connection is tested first,
so a typo is caught now rather than as "unreachable" later.
"""

from __future__ import annotations

import os
from pathlib import Path

from scc_desktop import paths
from scc_desktop.errors import UserError

TOKEN_ENV = "SCC_HUB_TOKEN"


def register(subparsers) -> None:
    p = subparsers.add_parser("connect", help="remember the hub to sync from (address, token, CA file)")
    p.add_argument("--hub", required=True, metavar="URL", help="the hub's address, e.g. https://hub.example.nhs.uk")
    p.add_argument("--token-file", type=Path, metavar="FILE",
                   help=f"file holding the access token (default: ${TOKEN_ENV}, else asked for)")
    p.add_argument("--ca-bundle", type=Path, default=None, metavar="PEM",
                   help="CA certificates to trust for the hub (a hub with a private certificate)")
    p.add_argument("--path", type=Path, default=None, help="replica file (default: the per-user data folder)")
    p.add_argument("--no-check", action="store_true",
                   help="save without testing the connection (the hub is not up yet)")
    p.set_defaults(handler=_connect)


def read_token(token_file: Path | None) -> str:
    """The token from ``token_file``, else ``SCC_HUB_TOKEN``, else a hidden prompt on a terminal."""
    import getpass
    import sys

    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--token-file {token_file}: cannot be read "
                            f"({getattr(exc, 'strerror', None) or exc})", 2) from None
        if not token:
            raise UserError(f"--token-file {token_file}: is empty", 2)
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        return token
    if not sys.stdin.isatty():
        raise UserError(f"no access token: give --token-file FILE or set {TOKEN_ENV}", 2)
    token = getpass.getpass("Hub access token: ").strip()
    if not token:
        raise UserError("no access token given; nothing was saved", 2)
    return token


def _connect(args) -> int:
    from scc_desktop import hub_access, unlock
    from scc_desktop import settings as settings_mod
    from sync.address import hub_url_problem
    from sync.connection_check import connection_problem

    hub = args.hub.strip().rstrip("/")
    problem = hub_url_problem(hub)
    if problem:
        raise UserError(f"--hub {hub}: {problem}", 2)
    ca = str(args.ca_bundle.resolve()) if args.ca_bundle else None
    if ca and not Path(ca).is_file():
        raise UserError(f"--ca-bundle {args.ca_bundle}: no such file", 2)
    token = read_token(args.token_file)
    if not args.no_check:
        problem = connection_problem(hub, token, ca)
        if problem:
            raise UserError(f"{problem}; nothing was saved (check the address and token, "
                            "or add --no-check to save it anyway)")
    path = (args.path or paths.default_replica()).resolve()
    settings = settings_mod.load()
    with unlock.open_store(path) as store:
        hub_access.save_token(store, token)
    settings.update(hub_url=hub, ca_bundle=ca, replica=None if path == paths.default_replica() else str(path))
    checked = "not tested (--no-check)" if args.no_check else "connection tested"
    print(f"This desktop now syncs from {hub} ({checked}); the token is kept inside the encrypted replica "
          f"{path}. Start it with 'scc-desktop' (the window) or 'scc-desktop sync'.")
    return 0
