"""Who is writing: the one name this desktop signs its records with. No Qt.

Decisions, actions done, acknowledgements, checklist ticks, contact and rota edits, transfer steps: every
writer asks :func:`current_author`, so one desktop never signs a decision and an acknowledgement with two
names.  In order:

1. ``SCC_USER``, when a room's desktops share a login and each names the person there;
2. the name the person gave in File > Settings ("Your name"), handed here at start by the composition root
   (:func:`choose`; a change is used from the next start, so one run never signs with two names);
3. the login name, when it is a person's: a system or administrator account (``root``, ``Administrator``)
   names nobody, so it is never used; the demo gives a demo identity instead (``choose(..., instead=...)``);
4. ``FALLBACK``: a record is never signed with nothing.
"""

from __future__ import annotations

import getpass
import os

ENV = "SCC_USER"
FALLBACK = "unknown user"  # a record is never signed with nothing
MAX_CHARS = 120            # a record's author on the hub (sync.hub.schema.record.author)
# Login names that are an account, not a person: a container's or a service's, an administrator's.
NOT_A_PERSON = frozenset({"root", "administrator", "admin", "system", "nobody", "guest", "user", "default"})

_chosen: dict[str, str | None] = {"name": None, "instead": None}


def choose(name: str | None, *, instead: str | None = None) -> None:
    """``name``: the person's name from the settings (None or blank: not given). ``instead``: the name used
    in place of the login name when neither ``SCC_USER`` nor ``name`` is given (the demo's identity)."""
    _chosen["name"] = (name or "").strip() or None
    _chosen["instead"] = (instead or "").strip() or None


def login_name() -> str | None:
    """The login name if it is a person's (not a system or administrator account), trimmed; else None."""
    try:
        name = getpass.getuser().strip()
    except (OSError, KeyError, ImportError):  # no login name (services, containers): getpass's own failures
        return None
    return name if name and name.casefold() not in NOT_A_PERSON else None


def source() -> str:
    """Where :func:`current_author` finds the name: "env", "settings", "instead", "login" or "fallback"."""
    if os.environ.get(ENV, "").strip():
        return "env"
    if _chosen["name"]:
        return "settings"
    if _chosen["instead"]:
        return "instead"
    return "login" if login_name() else "fallback"


def current_author() -> str:
    """The name that signs this desktop's records (the order above); trimmed, never empty."""
    where = source()
    if where == "env":
        return os.environ[ENV].strip()
    if where in ("settings", "instead"):
        return _chosen["name"] or _chosen["instead"]
    return login_name() or FALLBACK
