"""OPEL action cards: the room's checklist per OPEL level, from ``resources/records/action_cards.toml``.

The bundled cards are the project's own summary (``verified = false``); a room
replaces the file with its agreed cards.  :func:`load_cards` checks a file and
reports every problem at once (``models.rules.tabledata.TableError``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import resources
from models.rules.tabledata import Collector, Header, read_toml

LEVELS = (1, 2, 3, 4)
SCOPES = ("provider", "pillar", "system")
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_TITLE = 120


@dataclass(frozen=True)
class ActionCard:
    id: str
    level: int
    title: str
    detail: str
    owner_role: str
    applies_to: tuple[str, ...]


@dataclass(frozen=True)
class ActionCards:
    header: Header
    cards: tuple[ActionCard, ...]  # in file order

    def for_level(self, level: int, scope: str | None = None) -> list[ActionCard]:
        """The cards for ``level`` (1-4), optionally only those for a provider, pillar or system change."""
        if level not in LEVELS:
            raise ValueError(f"level: OPEL levels are 1 to 4, not {level!r}")
        if scope is not None and scope not in SCOPES:
            raise ValueError(f"scope: one of {', '.join(SCOPES)}, not {scope!r}")
        return [c for c in self.cards if c.level == level and (scope is None or scope in c.applies_to)]

    def by_id(self, card_id: str) -> ActionCard:
        for card in self.cards:
            if card.id == card_id:
                return card
        raise KeyError(card_id)


def _card(c: Collector, raw, i: int, seen: set[str]) -> ActionCard | None:
    where = f"card[{i}]"
    card_id = c.field(raw, "id", str, where)
    if card_id is not None:
        where = f"card[{i}] ({card_id})"
        if not _ID.match(card_id):
            c.add(where, "id must be lower-case letters and digits joined by '-'")
        if card_id in seen:
            c.add(where, f"a second card with id '{card_id}'")
        seen.add(card_id)
    level = c.field(raw, "level", int, where)
    if level is not None and level not in LEVELS:
        c.add(where, f"level must be 1, 2, 3 or 4, got {level}")
    title = c.field(raw, "title", str, where)
    if title is not None and not title.strip():
        c.add(where, "title must not be empty")
    elif title is not None and len(title) > MAX_TITLE:
        c.add(where, f"title is {len(title)} characters; at most {MAX_TITLE} (put the rest in detail)")
    detail = c.field(raw, "detail", str, where, required=False, default="")
    owner = c.field(raw, "owner_role", str, where, required=False, default="")
    applies = c.field(raw, "applies_to", list, where, required=False, default=list(SCOPES))
    bad = [s for s in applies or [] if s not in SCOPES]
    if bad:
        c.add(where, f"applies_to has {', '.join(map(repr, bad))}; use {', '.join(SCOPES)}")
    if isinstance(raw, dict):
        for name in sorted(set(raw) - {"id", "level", "title", "detail", "owner_role", "applies_to"}):
            c.add(where, f"unknown field '{name}'")
    if None in (card_id, level, title):
        return None
    return ActionCard(card_id, level, title.strip(), (detail or "").strip(), (owner or "").strip(),
                      tuple(s for s in applies if s in SCOPES))


def load_cards(path: Path | str | None = None) -> ActionCards:
    """Read and check an action-card file (the bundled one when ``path`` is None)."""
    if path is None:
        return _bundled()
    path = Path(path)
    data = read_toml(path)
    c = Collector(path)
    c.top_level(data, ("table", "card"))
    header = c.header(data)
    raw_cards = data.get("card", [])
    if not isinstance(raw_cards, list):
        c.add("card", "must be an array of tables ([[card]])")
        raw_cards = []
    seen: set[str] = set()
    cards = [card for i, raw in enumerate(raw_cards) if (card := _card(c, raw, i, seen)) is not None]
    for level in LEVELS:
        if not any(card.level == level for card in cards):
            c.add(f"level {level}", "no card for this level: every OPEL level needs at least one")
    c.raise_if_any()
    return ActionCards(header, tuple(cards))


@functools.lru_cache(maxsize=1)
def _bundled() -> ActionCards:
    return load_cards(resources.path("records", "action_cards.toml"))
