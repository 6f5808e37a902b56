"""Who is writing: the one name this desktop signs its records with. No Qt.

Decisions, actions done, acknowledgements, checklist ticks, contact and rota edits, transfer steps: every
writer asks :func:`current_author`, so one desktop never signs a decision and an acknowledgement with two
names.  ``SCC_USER`` names the person when a room's desktops share a login; otherwise the login name.
"""

from __future__ import annotations

import getpass
import os

ENV = "SCC_USER"
FALLBACK = "unknown user"  # a record is never signed with nothing


def current_author() -> str:
    """``SCC_USER`` if set and not blank, else the login name, else ``FALLBACK``; trimmed, never empty."""
    name = os.environ.get(ENV, "").strip()
    if name:
        return name
    try:
        name = getpass.getuser().strip()
    except (OSError, KeyError, ImportError):  # no login name (services, containers): getpass's own failures
        name = ""
    return name or FALLBACK
