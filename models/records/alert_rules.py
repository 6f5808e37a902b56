"""The room's alert rules in the replica: one ``room_alert_rule`` row per rule the room changed
(record kind ``alert_rule``), folded in feed order like the hub folds them, over the shipped
defaults.  Functions take a ``Session`` or ``Connection``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from models.replica.orm import RoomAlertRule
from models.replica.orm.types import from_utc_text, to_utc_text
from models.rules.alert_rules import Rule, effective_rule, fold_rule_record


@dataclass(frozen=True)
class RuleRow:
    rule: Rule                      # as the room has it (enabled state included)
    source: str                     # "default" (shipped, unchanged), "changed" (a default the room changed), "room"
    changed_by: str | None = None   # who last changed it, and when
    changed_at: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.rule.enabled


def _entry(row) -> dict[str, Any]:
    return {"rule": row.rule, "enabled": row.enabled, "op": row.op, "author": row.author, "at": row.at}


def overlay(session) -> dict[str, dict[str, Any]]:
    """The room's entries by rule id, as :func:`models.rules.alert_rules.effective_rules` takes them."""
    return {row.rule_id: _entry(row) for row in session.execute(select(RoomAlertRule.__table__))}


def fold(conn, data: dict[str, Any], feed_seq: int | None) -> None:
    """Fold one checked ``alert_rule`` record's data into its rule's row."""
    row = conn.execute(select(RoomAlertRule.__table__).where(RoomAlertRule.rule_id == data["rule_id"])).first()
    entry = fold_rule_record(_entry(row) if row is not None else None, data)
    values = {"rule": entry["rule"], "enabled": entry["enabled"], "op": entry["op"], "author": entry["author"],
              "at": to_utc_text(datetime.fromisoformat(entry["at"])), "feed_seq": feed_seq}
    conn.execute(insert(RoomAlertRule).values(rule_id=data["rule_id"], **values)
                 .on_conflict_do_update(index_elements=[RoomAlertRule.rule_id], set_=values))


def listing(session, base: list[Rule]) -> list[RuleRow]:
    """Every rule the room has: the base in its order, then the room's own by id."""
    room = overlay(session)
    rows = []
    for rule in base:
        entry = room.get(rule.id)
        if entry is None:
            rows.append(RuleRow(rule, "default"))
            continue
        mine = effective_rule(rule, entry)
        rows.append(RuleRow(mine, "default" if mine == rule else "changed", entry["author"], _aware(entry["at"])))
    known = {r.id for r in base}
    for rid in sorted(set(room) - known):
        mine = effective_rule(None, room[rid])
        if mine is not None:
            rows.append(RuleRow(mine, "room", room[rid]["author"], _aware(room[rid]["at"])))
    return rows


def _aware(value) -> datetime:
    return value if isinstance(value, datetime) else from_utc_text(value)
