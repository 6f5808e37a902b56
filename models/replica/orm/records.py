"""The room's own records: contacts, transfers and the decision log.

Records authored on a desktop carry a client-generated UUID (the idempotency
key for the hub) and the authoring ``device_id``.  Transfers keep every change
as an event, so two offline edits never overwrite each other.  Decision log
entries are append-only and hash-chained twice: per authoring device
(``prev_device_hash``) and in the hub's receipt order (``hub_prev_hash``).
No patient names anywhere: a transfer holds a local reference only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.replica.orm.base import Base, new_uuid
from models.replica.orm.types import UTCDateTime, utcnow


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        CheckConstraint("cover IN ('in_hours', 'out_of_hours', 'both')", name="cover"),
    )

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200))
    org_code: Mapped[str | None] = mapped_column(String(12))
    role: Mapped[str] = mapped_column(String(200), default="")
    service: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    cover: Mapped[str] = mapped_column(String(12), default="both")
    notes: Mapped[str] = mapped_column(Text, default="")
    deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(120))
    device_id: Mapped[str | None] = mapped_column(String(36))
    # 0025: when someone last confirmed the contact is current, and who: "Checked now" on the Contacts
    # tab, or any edit (``sync.authoring``); the latest (time, then name) wins on every desktop.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_by: Mapped[str | None] = mapped_column(String(120))


class OnCallShift(Base):
    """A rota slot: who is Director on-call (or another rota) between two times."""

    __tablename__ = "on_call_shift"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    rota: Mapped[str] = mapped_column(String(60))
    contact_uuid: Mapped[str] = mapped_column(ForeignKey("contact.uuid"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who added it: the login name on the desktop that made it, kept from the slot record's ``author``
    # (migration 0026); None for a slot received before 0026, or from a record without an author.
    added_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


TRANSFER_KINDS = ("inter_hospital", "intra_hospital", "repatriation", "mh_out_of_area")
TRANSFER_STATES = ("requested", "accepted", "departed", "arrived", "cancelled")


class Transfer(Base):
    """A transfer case: the minimum dataset, no names. Current state is folded from events."""

    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint(f"kind IN {TRANSFER_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {TRANSFER_STATES!r}", name="status"),
    )

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    local_ref: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    from_code: Mapped[str] = mapped_column(String(12))
    to_code: Mapped[str | None] = mapped_column(String(12))
    clinical_need: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(12), default="routine")
    status: Mapped[str] = mapped_column(String(12), default="requested")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    departed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    has_conflict: Mapped[bool] = mapped_column(default=False)
    # The fields with a conflict nobody has settled, comma-separated in the fold's order (empty: none).
    conflict_fields: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list["TransferEvent"]] = relationship(
        back_populates="transfer", order_by="TransferEvent.at")


class TransferEvent(Base):
    """One change to a transfer: who, when, which field, from what to what."""

    __tablename__ = "transfer_event"
    __table_args__ = (Index("ix_transfer_event_transfer_at", "transfer_uuid", "at"),)

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    transfer_uuid: Mapped[str] = mapped_column(ForeignKey("transfer.uuid"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(120))
    device_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    feed_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # JSON list of the clashing events its author's desktop showed (a settlement: the pair it settles; else
    # []).  NULL: a change from a desktop before session 24, which settles a conflict the old way.
    seen: Mapped[str | None] = mapped_column(Text)

    transfer: Mapped[Transfer] = relationship(back_populates="events")


class DecisionEntry(Base):
    """A decision log entry: append-only, corrections amend by reference."""

    __tablename__ = "decision_entry"
    __table_args__ = (
        Index("ix_decision_entry_device_seq", "device_id", "device_seq", unique=True),
        Index("ix_decision_entry_decided_at", "decided_at"),
    )

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    device_id: Mapped[str] = mapped_column(String(36))
    device_seq: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision_maker: Mapped[str] = mapped_column(String(120))
    decision_maker_role: Mapped[str] = mapped_column(String(120))
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    options_considered: Mapped[str] = mapped_column(Text, default="")
    information_available: Mapped[str] = mapped_column(Text, default="")
    # The system picture (OPEL, REAP, offload) at the moment of decision.
    situation_snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    review_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    amends_uuid: Mapped[str | None] = mapped_column(ForeignKey("decision_entry.uuid"))
    links: Mapped[list] = mapped_column(JSON, default=list)
    content_hash: Mapped[str] = mapped_column(String(64))
    prev_device_hash: Mapped[str | None] = mapped_column(String(64))
    hub_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    hub_prev_hash: Mapped[str | None] = mapped_column(String(64))
    hub_hash: Mapped[str | None] = mapped_column(String(64))
    # When the hub took it (None: not yet at the hub, or synced before the hub's time was kept).
    hub_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The recording desktop's own clock when it sent the entry to the hub (protocol 1.8; None: not yet at the
    # hub, or sent before desktops and hubs kept it): with recorded_at, how long it waited there on one clock.
    device_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The user of the token that pushed it, as the hub stamped it (feed ``author``; revision 0029): outside the
    # content hash, so "Room lead (signed "Sam Patel")" can be shown when it is not the name recorded_by signs.
    # None: not yet at the hub, or synced before it was kept.
    hub_author: Mapped[str | None] = mapped_column(String)


class Action(Base):
    """An action a decision created: an owner and a due time; overdue ones are chased."""

    __tablename__ = "action"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    decision_uuid: Mapped[str | None] = mapped_column(ForeignKey("decision_entry.uuid"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[str | None] = mapped_column(String(120))


class OpelChecklistItem(Base):
    """One action card brought up by a change of OPEL level (provider, pillar or system).

    Raised from the replica's ``opel_assessment`` history (``models.records.opel_checklist``),
    the card's words copied so a later edit of the card file does not rewrite a
    checklist already shown.  The UUID is derived from the change and the card,
    so every desktop with the same feed raises the same item; ticking it is a
    decision-log entry whose ``links`` name the item (who and when, synced).
    """

    __tablename__ = "opel_checklist_item"
    __table_args__ = (
        CheckConstraint("scope IN ('provider', 'pillar', 'system')", name="scope"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        Index("ix_opel_checklist_item_open", "superseded_at", "changed_at"),
    )

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    org_code: Mapped[str | None] = mapped_column(String(12))
    pillar: Mapped[str] = mapped_column(String(20))
    from_level: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the assessment that changed the level
    card_id: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    owner_role: Mapped[str] = mapped_column(String(120), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    cards_edition: Mapped[str] = mapped_column(String(200), default="")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a later change of the same series
