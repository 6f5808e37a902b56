"""What the window says when the hub scores with other OPEL tables than this desktop holds
(``sync.hub_tables.Said``): words in the status bar, the detail in its tooltip.

Shown only when the hub said which tables it scores with and they differ from this desktop's (an edition,
or whether it is verified, for a pillar or the roll-up). Nothing is shown when they are the same, before the
hub has answered, or when the hub says nothing of its tables (one older than this desktop): nothing is
claimed either way. Example: "OPEL tables differ from the hub's: acute 2024-26 here, 2025-27 at the hub".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel

from models.rules.tabledata import UNVERIFIED_MARKER
from ui import format as fmt

if TYPE_CHECKING:   # annotations only: the window's first paint loads no pydantic or requests
    from sync.hub_tables import Difference, Edition, Said

STYLE = "background:#f2b705;color:#111111;font-weight:bold;padding:1px 6px;"   # amber, as the stale banner
LEAD = "OPEL tables differ from the hub's: "
MAX_WORDS = 96   # characters in the status bar (fits beside the others at 1366 wide); the rest: tooltip
SCOPE_WORDS = {"acute": "acute", "community": "community", "mental_health": "mental health", "nhs111": "NHS 111",
               "system": "roll-up"}


def _scope(scope: str) -> str:
    return SCOPE_WORDS.get(scope, scope.replace("_", " "))


def _short(table: Edition | None, other: Edition | None) -> str:
    """An edition in the status bar: its verified flag only when that is what differs from the other side,
    and the edition said once when only that differs ("2024-26 unverified here, verified at the hub")."""
    if table is None:
        return "no table"
    if other is None or other.verified == table.verified:
        return table.edition
    return table.edition + (" verified" if table.verified else " unverified")


def _full(table: Edition | None) -> str:
    if table is None:
        return "no table"
    return f"{table.edition} ({'verified' if table.verified else UNVERIFIED_MARKER})"


def _groups(said: Said) -> list[str]:
    """Scopes with the same two editions said once: "acute, community 2024-26 here, 2025-27 at the hub";
    every scope either side has: "every table ..."."""
    groups: dict[tuple[str, str], list[str]] = {}
    for d in said.differences:
        here, hub = _short(d.here, d.hub), _short(d.hub, d.here)
        if d.here is not None and d.hub is not None and d.here.edition == d.hub.edition:
            hub = hub.removeprefix(d.hub.edition + " ")   # only the verified flag differs
        groups.setdefault((here, hub), []).append(d.scope)
    every = {e.scope for e in said.here} | {e.scope for e in said.hub}
    return [f"{'every table' if set(scopes) == every else ', '.join(_scope(s) for s in scopes)} "
            f"{here} here, {hub} at the hub" for (here, hub), scopes in groups.items()]


def word(said: Said | None) -> str:
    if said is None or not said.differ:
        return ""
    groups = _groups(said)
    text = LEAD + "; ".join(groups)
    if len(text) > MAX_WORDS and len(groups) > 1:
        text = f"{LEAD}{groups[0]}; +{len(groups) - 1} more (hover)"
    if len(text) > MAX_WORDS:   # a long edition name: the tooltip has it whole
        text = text[:MAX_WORDS - 1] + "…"
    return text


def tooltip(said: Said | None) -> str:
    if said is None or not said.differ:
        return ""
    lines = [f"{_scope(d.scope)}: here {_full(d.here)}, at the hub {_full(d.hub)}" for d in said.differences]
    as_of = f" (as the hub said at {fmt.local_time(said.learned_at)})" if said.learned_at else ""
    return ("The hub scores every level with its own OPEL tables; this desktop draws its next-band thresholds, "
            "'pts to OPEL N' and 'opel score' from its own copies, and these are not the same"
            + as_of + ":\n" + "\n".join(lines) + "\n\nLevels shown are the hub's. Put the same table files on the "
            "hub (hub serve --tables) and on every desktop (resources/opel/); see docs/opel-tables.md.")


def show_in(label: QLabel, said: Said | None) -> None:
    """The status bar's tables warning: hidden unless the hub said its tables and they differ."""
    text = word(said)
    label.setText(text)
    label.setToolTip(tooltip(said))
    label.setAccessibleName(f"OPEL tables: {text}" if text else "OPEL tables")
    label.setStyleSheet(STYLE if text else "")
    label.setVisible(bool(text))
