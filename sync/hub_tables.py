"""Whether this desktop's OPEL tables are the hub's, as a desktop learns it at sync.

The hub scores every provider, pillar and the system with its tables (``hub serve --tables``) and says
which in its ``/health`` (``Health.opel_tables``: each pillar's and the roll-up's edition and whether it is
verified, read at its start). This desktop draws its next-band thresholds, "N pts to OPEL 3" and
``opel score`` from its own copies under ``resources/opel/``. A score's own edition was already compared
(hazard H-02.C2); this compares the tables themselves, so a room that installed new tables on the hub but
not on this desktop (or the other way round) is told before a score says so.

Asked after a cycle that reached the hub, at most once every ``every`` (a minute). A hub whose ``/health``
says nothing of its tables (one older than this desktop) has told nothing: :attr:`Said.told` False, and
nothing is claimed either way. Until the first answer there is no :class:`Said` at all.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync import hub_health

log = logging.getLogger(__name__)
EVERY = hub_health.EVERY
SYSTEM_SCOPE = "system"   # the roll-up file (system.toml)


@dataclass(frozen=True)
class Edition:
    """One table: a pillar's (or the roll-up's, scope "system") edition and whether it is verified."""

    scope: str
    edition: str
    verified: bool


@dataclass(frozen=True)
class Difference:
    """A scope whose table here is not the hub's (None: that side has no table for it)."""

    scope: str
    here: Edition | None
    hub: Edition | None


@dataclass(frozen=True)
class Said:
    """The hub's last word on its OPEL tables, compared with this desktop's."""

    told: bool                                 # False: its /health says nothing of its tables (an older hub)
    hub: tuple[Edition, ...] = ()
    here: tuple[Edition, ...] = ()
    differences: tuple[Difference, ...] = ()
    learned_at: datetime | None = None         # when this desktop asked (its clock)

    @property
    def differ(self) -> bool:
        return self.told and bool(self.differences)


@functools.lru_cache(maxsize=1)
def desktop_editions() -> tuple[Edition, ...]:
    """This desktop's own tables (resources/opel/), read once: each pillar's, then the roll-up's."""
    from models.rules.opel_rollup import load_system
    from models.rules.opel_table import shipped_or_none, shipped_pillars
    out = []
    for pillar in shipped_pillars():
        table = shipped_or_none(pillar)
        if table is not None:
            out.append(Edition(pillar, table.edition, table.verified))
    try:
        header = load_system().header
        out.append(Edition(SYSTEM_SCOPE, header.edition, header.verified))
    except (ValueError, OSError) as exc:   # a broken roll-up file: said as "none here" beside the hub's
        log.warning("this desktop's OPEL roll-up file could not be read: %s", exc)
    return tuple(out)


def compare(hub: tuple[Edition, ...], here: tuple[Edition, ...]) -> tuple[Difference, ...]:
    """Every scope either side has whose edition or verified flag is not the same, in a stable order."""
    theirs, ours = {e.scope: e for e in hub}, {e.scope: e for e in here}
    order = [e.scope for e in here] + [e.scope for e in hub if e.scope not in ours]
    return tuple(Difference(s, ours.get(s), theirs.get(s)) for s in order
                 if _key(ours.get(s)) != _key(theirs.get(s)))


def _words(table: Edition | None) -> str:
    return "no table" if table is None else f"{table.edition} ({'verified' if table.verified else 'unverified'})"


def _key(table: Edition | None) -> tuple[str, bool] | None:
    return None if table is None else (table.edition, table.verified)


def said_from(answer, now: datetime, here: tuple[Edition, ...] | None = None) -> Said:
    """What a ``Health`` answer says of the hub's tables, against this desktop's."""
    here = desktop_editions() if here is None else here
    tables = getattr(answer, "opel_tables", None)
    if tables is None:
        return Said(told=False, here=here, learned_at=now)
    hub = tuple(Edition(t.scope, t.edition, t.verified) for t in tables)
    return Said(told=True, hub=hub, here=here, differences=compare(hub, here), learned_at=now)


class Watch:
    """Asks the hub's ``/health`` through ``asker`` (shared with what else a desktop learns there,
    ``sync.hub_health``; its own when none is given); keeps the last answer, compared."""

    def __init__(self, every: timedelta = EVERY, here: tuple[Edition, ...] | None = None,
                 asker: hub_health.Asker | None = None) -> None:
        self.asker = asker or hub_health.Asker(every)
        self.here = here   # None: this desktop's own tables (desktop_editions)
        self.current: Said | None = None
        self._taken = 0   # the asker's generation this was read from

    def refresh(self, client, now: datetime) -> Said | None:
        answer = self.asker.refresh(client, now)
        if answer is None or self.asker.generation == self._taken:
            return self.current
        self._taken = self.asker.generation
        before = self.current.differences if self.current is not None else ()
        self.current = said_from(answer, now, self.here)
        if self.current.differences != before and self.current.differ:   # logged when it changes, not each minute
            log.warning("OPEL tables differ from the hub's: %s", "; ".join(
                f"{d.scope} {_words(d.here)} here, {_words(d.hub)} at the hub" for d in self.current.differences))
        return self.current
