"""What a write changed, so views redraw from notices instead of polling.

Record kinds are the names the outbox and the hub use (``decision``, ``action``, ``alert_ack``,
...) plus the replica's own derived rows (``alert``, ``checklist_item``).  Views subscribe in
the sync feed's vocabulary (``KINDS`` of each view, matched against ``CycleResult.kinds``), in
which every room record is a ``record``: :attr:`Changes.kinds` gives that, so a local write and
a sync batch reach the same dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Record kinds the replica derives or authors; all travel on the feed as kind "record".
RECORD_KINDS = frozenset({"decision", "action", "alert_ack", "alert", "checklist_item", "transfer_event",
                          "contact", "on_call_shift", "data_quality", "alert_rule",
                          "phoned_in", "spoc_message"})


@dataclass(frozen=True)
class Changes:
    records: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        unknown = set(self.records) - RECORD_KINDS
        if unknown:
            raise ValueError(f"records: unknown record kind(s) {', '.join(sorted(unknown))}")
        object.__setattr__(self, "records", frozenset(self.records))

    @property
    def kinds(self) -> frozenset[str]:
        """The feed kinds this change counts as (what a view's ``KINDS`` is matched against)."""
        return frozenset({"record"}) if self.records else frozenset()

    def __bool__(self) -> bool:
        return bool(self.records)

    def __or__(self, other: "Changes") -> "Changes":
        return Changes(self.records | other.records)


NOTHING = Changes()


@dataclass(frozen=True)
class Outcome:
    """A write's result: what it changed, whether it did anything (False: it was done already,
    here or on another desktop), and the records it wrote."""

    changes: Changes
    applied: bool = True
    uuid: str | None = None
    uuids: tuple[str, ...] = field(default=())
