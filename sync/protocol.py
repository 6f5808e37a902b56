"""The wire protocol between providers, the feed hub and desktops (version 1.x).

One module, shared by the hub, the sync engine and the simulator, so the
three cannot drift apart.  Units are in the field names or documented here:
times are ISO 8601 with an explicit offset (UTC on output), handover and
response figures in the units the field names say, percentages 0–100.

Versioning: every request carries ``SCC-Protocol: MAJOR.MINOR``.  A peer
accepts any minor version of its own major (new minor versions only add
optional fields, and unknown fields are ignored); another major gets HTTP 426
with an ``ErrorBody`` listing what the hub speaks.  See docs/sync-protocol.md.
"""

from __future__ import annotations

import re

from datetime import datetime
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_serializer, model_validator

from sync.limits import (  # noqa: F401  (MIN_YEAR...: the protocol's bounds, importable from here)
    MAX_ALERT_DETAIL_CHARS, MAX_ALERT_MINUTES, MAX_BEDS, MAX_DATA_DEPTH, MAX_INCIDENTS, MAX_NOTICE_ERRORS,
    MAX_NOTICE_KEYS, MAX_NOTICE_RAW_CHARS, MAX_NOTICE_REJECTIONS, MAX_REASON_CHARS, MAX_RESPONSE_SECONDS,
    MAX_YEAR, MIN_YEAR, Code, Count, FeedPosition, FreeText, Int64, JsonObject, Time, UnitCritcon)

PROTOCOL_MAJOR = 1
PROTOCOL_MINOR = 8  # 1.1: GET /v1/feed?format=columnar; 1.2: record kinds alert_ack (checked), on_call_shift;
# 1.3: Health.reason, 503 "unavailable" when the hub's database is full or failing, bounded values;
# 1.4: feed kinds "alert" (the hub's rule engine raising and clearing alerts) and "intake_notice"
# (each provider submission's receipt, quarantined items with reasons), "alert_escalation" (what became
# of an alert's email to whoever was on call); record kind "alert_rule" (the room's alert rules) and
# alert_ack.snooze_minutes; 1.5: record kind "phoned_in" (a provider's figures phoned in while its feed
# is down) and the optional ``phoned_in_uuid`` on the figures the hub derives from one; 1.6: record kind
# "spoc_message" (a single point of contact email to contact groups) and feed kind "message_delivery";
# 1.7: GET /v1/snapshot and /v1/snapshot/file (a new desktop joins from a compacted replica, then the
# feed's tail) and 410 "feed_pruned" for a cursor behind the positions the hub still keeps; 1.8: a push's
# ``sent_at`` (the desktop's clock as it sends) kept on each record it stored as ``device_sent_at``

PROTOCOL_VERSION = f"{PROTOCOL_MAJOR}.{PROTOCOL_MINOR}"
# The ``device_id`` and ``author`` of a record the hub writes itself (an ``alert_ack`` of a re-raise under a
# snooze, sync.hub.alerts), which a desktop shows under the name written in it (models.record_signer).
from models.record_signer import HUB_DEVICE  # noqa: E402,F401
VERSION_HEADER = "SCC-Protocol"
MAX_FEED_BATCH = 5000  # feed positions per batch, per-item format
MAX_COLUMNAR_BATCH = 50_000  # feed positions per batch with format=columnar


VERSION_FORM = re.compile(r"([0-9]+)\.([0-9]+)")


class VersionError(ValueError):
    pass


def check_version(header: str | None) -> tuple[int, int]:
    """Parse a peer's ``SCC-Protocol`` header; raise ``VersionError`` if we cannot talk to it."""
    if not header:
        raise VersionError(f"missing {VERSION_HEADER} header: send '{VERSION_HEADER}: {PROTOCOL_VERSION}' "
                           f"(this hub speaks {PROTOCOL_MAJOR}.x)")
    # Two runs of ASCII digits: int() alone also took "1.+6", "1.6_0", "1. 6" and other scripts' digits.
    found = VERSION_FORM.fullmatch(header.strip())
    if found is None:
        raise VersionError(f"{VERSION_HEADER} header {header!r} is not MAJOR.MINOR")
    major, minor = int(found[1]), int(found[2])
    if major != PROTOCOL_MAJOR:
        raise VersionError(f"protocol {header} is not supported; this side speaks {PROTOCOL_MAJOR}.x "
                           f"(up to {PROTOCOL_VERSION})")
    return major, minor


class _Msg(BaseModel):
    # Unknown fields are ignored so an older peer can read a newer minor version.
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- errors ---------------------------------------------------------------
class FieldError(_Msg):
    field: str  # dotted path, e.g. "items.3.value"
    reason: str


class Upgrading(_Msg):
    """Session 30, optional (no version change): the one-off step a starting hub is taking on its database
    (an index added since its table, a schema upgrade), in a 503 ``upgrading`` answer: ``step`` names it
    ("index ix_feed_kind_seq"), ``doing`` says it for a person ("making the index ... on the feed (kind,
    position), started 11:32:05 GMT"), ``started_at`` when it began, ``seconds`` how long so far, ``message``
    says it all (as the error's own ``message``)."""

    step: str = Field(max_length=200)
    doing: FreeText = Field(max_length=MAX_REASON_CHARS)
    started_at: Time
    seconds: float = Field(ge=0)
    message: FreeText = Field(max_length=MAX_REASON_CHARS)


class ErrorBody(_Msg):
    code: str  # machine-readable: "protocol_version", "validation", "forbidden", ...
    message: str  # a sentence for a person
    fields: list[FieldError] = []
    supported: list[str] = []
    upgrading: Upgrading | None = None   # session 30, optional: with code "upgrading" (503) only

    @model_serializer(mode="wrap")
    def _without_upgrading(self, handler):   # every other error's body stays as it was (no "upgrading": null)
        data = handler(self)
        if isinstance(data, dict) and data.get("upgrading", 0) is None:
            del data["upgrading"]
        return data


# --- provider submissions -------------------------------------------------
# Bounds (sync/limits.py): every time within MIN_YEAR..MAX_YEAR, codes without control
# characters, counts within what the domain can reach and a replica can store. The desktop
# checks feed items against the same bounded models, so a poison item is quarantined there too.
Seconds = Annotated[float, Field(ge=0, le=MAX_RESPONSE_SECONDS)]
Beds = Annotated[int, Field(ge=0, le=MAX_BEDS)]
Incidents = Annotated[int, Field(ge=0, le=MAX_INCIDENTS)]


class ObservationItem(_Msg):
    type: Literal["observation"]
    metric: Code = Field(min_length=1, max_length=80)
    observed_at: Time
    value: float


class OpelDeclarationItem(_Msg):
    """A provider's declared OPEL level; the hub scores the parameters itself."""

    type: Literal["opel_declaration"]
    pillar: Code = Field(max_length=20)
    assessed_at: Time
    declared_level: int = Field(ge=1, le=4)
    reason: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)


class AmbulanceStatusItem(_Msg):
    type: Literal["ambulance_status"]
    declared_at: Time
    reap_level: int = Field(ge=1, le=4)
    csp_level: Code | None = Field(default=None, max_length=20)


class ResponseTimesItem(_Msg):
    type: Literal["response_times"]
    category: Literal["C1", "C2", "C3", "C4"]
    period_start: Time
    period_end: Time
    incidents: Incidents | None = None
    mean_seconds: Seconds | None = None
    p90_seconds: Seconds | None = None


class HandoverItem(_Msg):
    """One ambulance at one hospital; resubmitted as it moves through its states."""

    type: Literal["handover"]
    event_uuid: Code = Field(min_length=8, max_length=36)
    hospital_code: Code = Field(min_length=3, max_length=12)
    vehicle_ref: Code | None = Field(default=None, max_length=20)
    state: Literal["en_route", "arrived", "handed_over", "cleared", "cancelled"]
    eta_at: Time | None = None
    arrived_at: Time | None = None
    handed_over_at: Time | None = None
    cleared_at: Time | None = None


class CritconItem(_Msg):
    type: Literal["critcon"]
    reported_at: Time
    level: UnitCritcon
    staffed_beds: Beds | None = None
    occupied_beds: Beds | None = None


SubmissionItem = Annotated[
    Union[ObservationItem, OpelDeclarationItem, AmbulanceStatusItem, ResponseTimesItem,
          HandoverItem, CritconItem],
    Field(discriminator="type"),
]
ITEM_TYPES = ("observation", "opel_declaration", "ambulance_status", "response_times",
              "handover", "critcon")


class Submission(_Msg):
    """What a provider sends. ``submission_id`` makes a retried submission a no-op."""

    submission_id: Code = Field(min_length=8, max_length=64)
    org_code: Code = Field(min_length=3, max_length=12)
    submitted_at: Time
    # Raw dicts: each item is validated on its own so one bad item is
    # quarantined with its reasons while the good ones are stored.
    items: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


class ItemRejection(_Msg):
    index: int  # 0-based position in ``items`` (CSV: among the data rows)
    errors: list[FieldError]
    row: int | None = None  # CSV uploads: spreadsheet row number (the header is row 1)


class SubmissionReceipt(_Msg):
    submission_id: str
    accepted: int
    rejected: list[ItemRejection] = []
    duplicate: bool = False  # this submission_id was already received
    # A CSV's columns left unread, each empty in every row: "header.<name>" and why (session 31; optional, so
    # no version change: an older peer ignores it).
    ignored: list[FieldError] = []


# --- the feed -------------------------------------------------------------
RecordKind = Literal["decision", "transfer_event", "contact", "alert_ack", "action", "on_call_shift", "alert_rule",
                     "phoned_in", "spoc_message"]   # 1.5: phoned_in; 1.6: spoc_message
PhonedInRef = Optional[Annotated[Code, Field(max_length=36)]]   # 1.5: the phoned_in record a figure came from
FEED_KINDS = ("organisation", "observation", "opel_assessment", "ambulance_status",
              "response_times", "handover", "critcon", "record", "alert", "intake_notice",
              "alert_escalation", "message_delivery")


# What ``FeedItem.data`` holds for each kind.  The hub builds these; the sync
# engine validates each item against them before applying it to the replica.
class FeedOrganisation(_Msg):
    ods_code: str
    name: str
    sector: str
    region: str | None = None
    size: float | None = None  # roll-up weight, e.g. core G&A beds
    active: bool = True


class FeedObservation(_Msg):
    org_code: Code
    metric: Code
    observed_at: Time
    value: float
    source: Code = "provider"   # "phoned_in" (1.5): from a phoned_in record, not the provider's feed
    received_at: Time
    phoned_in_uuid: PhonedInRef = None


class FeedParameterScore(_Msg):
    key: str
    value: float | None = None
    band: str | None = None  # interval notation, e.g. "[30, 45)"
    points: float | None = None
    weight: float = 1.0
    problem: str | None = None  # why it is missing or invalid
    phoned_in_uuid: PhonedInRef = None  # 1.5: the value was phoned in (the record's uuid)


class FeedOpelAssessment(_Msg):
    scope: Literal["provider", "pillar", "system"]
    org_code: Code | None = None  # None for pillar and system scope
    pillar: Code
    assessed_at: Time
    edition: str
    verified: bool
    total: float | None = None
    level: Int64 | None = None  # None when incomplete
    at_least_level: Int64 | None = None
    complete: bool = True
    declared_level: Int64 | None = None
    override_reason: str | None = None
    parameters: list[FeedParameterScore] = []


class FeedAmbulanceStatus(_Msg):
    org_code: Code
    declared_at: Time
    reap_level: Int64  # 1-4 at intake; the replica's CHECK refuses anything else
    csp_level: Code | None = None
    phoned_in_uuid: PhonedInRef = None


class FeedResponseTimes(_Msg):
    org_code: Code
    category: Literal["C1", "C2", "C3", "C4"]
    period_start: Time
    period_end: Time
    incidents: Incidents | None = None
    mean_seconds: Seconds | None = None
    p90_seconds: Seconds | None = None


class FeedHandover(_Msg):
    ambulance_org: Code  # the submitting ambulance service
    event_uuid: Code
    hospital_code: Code
    vehicle_ref: Code | None = None
    state: Literal["en_route", "arrived", "handed_over", "cleared", "cancelled"]
    eta_at: Time | None = None
    arrived_at: Time | None = None
    handed_over_at: Time | None = None
    cleared_at: Time | None = None
    updated_at: Time  # when the hub received this state


class FeedCritcon(_Msg):
    org_code: Code
    reported_at: Time
    level: Int64  # 0-3 at intake (4 before); the replica's CHECK refuses anything above 4
    staffed_beds: Beds | None = None
    occupied_beds: Beds | None = None
    phoned_in_uuid: PhonedInRef = None


class FeedRecord(_Msg):
    """A desktop-authored record as the hub stored it (kind "record")."""

    uuid: Code
    kind: RecordKind
    device_id: Code
    authored_at: Time
    data: JsonObject  # depth, 64-bit integers, storable text (sync/limits.py)
    author: str | None = None  # the token's user, as the hub saw it
    hub_prev_hash: str | None = None  # decisions only: the hub's receipt-order chain
    hub_hash: str | None = None
    received_at: Time | None = None  # when the hub stored it
    # 1.8: the pushing desktop's own clock when it sent the push that stored this record (its ``sent_at``);
    # with ``authored_at`` it times how long the record waited on the desktop on one clock.  None: sent by
    # a desktop or through a hub from before 1.8.
    device_sent_at: Time | None = None


Finite = Annotated[float, Field(allow_inf_nan=False)]


class FeedAlert(_Msg):
    """An alert the hub's rule engine raised or cleared (1.4, kind "alert"; models.rules.alert_engine).

    ``alert_uuid`` is derived from the rule, the subject and ``since``, so it is the same on every
    desktop; ``at`` is when it was raised or cleared."""

    change: Literal["raised", "cleared"]
    alert_uuid: Code = Field(min_length=36, max_length=36)
    rule_id: Code = Field(min_length=1, max_length=60)
    rule_name: FreeText = Field(min_length=1, max_length=200)
    severity: Literal["info", "warning", "critical"]
    kind: Literal["threshold", "level", "stale"] = "threshold"
    direction: Literal["above", "below"] = "above"
    scope: Literal["provider", "pillar", "system"]
    subject: Code = Field(min_length=1, max_length=30)
    org_code: Code | None = Field(default=None, max_length=12)
    metric: Code = Field(min_length=1, max_length=80)
    value: Finite | None = None   # None for a stale-data alert
    threshold: Finite
    since: Time
    at: Time
    escalate_after_minutes: float = Field(ge=0, le=MAX_ALERT_MINUTES)
    detail: FreeText = Field(max_length=MAX_ALERT_DETAIL_CHARS)
    feed_at: Time | None = None   # when the hub put it on the feed (hours after ``at`` for late data); None: older hub


class FeedNoticeError(_Msg):
    field: Code = Field(max_length=200)
    reason: FreeText = Field(max_length=MAX_REASON_CHARS)


class FeedRejectedItem(_Msg):
    """One item the hub quarantined, as an intake notice carries it."""

    index: Count                         # position in the submission's items (CSV: among the data rows)
    row: Int64 | None = None             # CSV: spreadsheet row
    type: Code | None = Field(default=None, max_length=40)    # the item's type, as sent (if readable)
    metric: Code | None = Field(default=None, max_length=80)  # an observation's metric, as sent
    errors: list[FeedNoticeError] = Field(default=[], max_length=MAX_NOTICE_ERRORS)
    raw: FreeText = Field(default="", max_length=MAX_NOTICE_RAW_CHARS)  # what was sent, as JSON text, cut down


class FeedSender(_Msg):
    """Who sent a provider submission and by which door (optional in an ``intake_notice``; a notice
    without it is from a hub before senders were recorded: the desktop says "sender not recorded")."""

    user: Code = Field(min_length=1, max_length=120)   # the web account or the API token's user name
    door: Code = Field(min_length=1, max_length=20)    # web_form, web_upload, api, api_csv (others shown as sent)
    token_id: Count | None = None                      # the API token's id (api, api_csv)


class FeedUncheckedItem(_Msg):
    """Optional, added in session 29 without a version change: an item the hub took without a check it would
    have had.  Only an OPEL declaration (``type``) so far: a backfilled one whose own time's figures the hub no
    longer holds (``sync.hub.opel_as_of``), so its level was not checked against them."""

    index: Count                                              # position in the submission's items
    type: Code = Field(max_length=40)                         # "opel_declaration"
    pillar: Code | None = Field(default=None, max_length=40)
    declared_level: Annotated[int, Field(ge=1, le=4)] | None = None
    assessed_at: Time | None = None                           # the time the declaration is of
    history_from: Time | None = None                          # the hub's figures start then
    parameters: list[Code] = Field(default=[], max_length=MAX_NOTICE_KEYS)   # with no figure kept from then
    cause: FreeText = Field(default="", max_length=MAX_REASON_CHARS)        # why they are not held, in words


class FeedIntakeNotice(_Msg):
    """1.4: the hub's receipt of one provider submission, so the room sees what was quarantined
    (with the hub's reasons) and each submission's own clock, not only an admin."""

    submission_id: Code = Field(min_length=1, max_length=64)
    org_code: Code = Field(min_length=1, max_length=12)
    source: Literal["json", "csv"]
    submitted_at: Time
    received_at: Time
    accepted: Count
    accepted_keys: list[Code] = Field(default=[], max_length=MAX_NOTICE_KEYS)
    rejected: list[FeedRejectedItem] = Field(default=[], max_length=MAX_NOTICE_REJECTIONS)
    rejected_count: Count = 0
    sent_by: FeedSender | None = None   # who sent it and by which door; None: a hub that did not record it
    unchecked: list[FeedUncheckedItem] = Field(default=[], max_length=MAX_NOTICE_REJECTIONS)   # session 29


class FeedAlertPage(_Msg):
    """Optional, added in session 27 without a version change: what became of the page the hub sent about
    the alert through the paging gateway, its second channel (``sync.hub.escalation_page``)."""

    outcome: Literal["sent", "failed"]
    at: Time                                   # when the gateway took it, or when it failed
    attempts: Annotated[int, Field(ge=0, le=1000)]
    reason: FreeText = Field(max_length=MAX_REASON_CHARS)   # why it was paged (the e-mail failed, ...)
    error: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)


class FeedAlertEscalation(_Msg):
    """1.4: what became of the email the hub sent about an alert nobody acknowledged in time
    (``sync.hub.escalation``): sent to whom, or failed and why, so every desktop shows it on the alert."""

    alert_uuid: Code = Field(min_length=36, max_length=36)
    outcome: Literal["sent", "failed"]
    at: Time                                   # when it was sent, or when it failed (the words say if
    #                                            the hub is still trying, or to another address)
    to_name: FreeText = Field(min_length=1, max_length=200)   # the person, or "the fallback address"
    to_address: Code = Field(min_length=3, max_length=320)
    contact_uuid: Code | None = Field(default=None, max_length=36)   # None: the fallback address
    rota: FreeText = Field(max_length=200)
    fallback_reason: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)
    attempts: Annotated[int, Field(ge=0, le=1000)]
    error: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)
    # Optional (session 27): set on a notice about the page; the fields above then say the e-mail as the
    # hub's row has it, so an older desktop (which ignores ``page``) shows the e-mail's state as before.
    page: FeedAlertPage | None = None


class FeedMessageDelivery(_Msg):
    """1.6: what became of a single point of contact message (record kind ``spoc_message``) the hub
    emailed (``sync.hub.messages``): sent, or failed and why, so every desktop shows it with the message."""

    message_uuid: Code = Field(min_length=36, max_length=36)
    outcome: Literal["sent", "failed"]
    at: Time                                   # when it was sent, or when the hub gave up
    recipients: Annotated[int, Field(ge=0, le=100_000)]   # addresses the email went to
    attempts: Annotated[int, Field(ge=0, le=1000)]
    error: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)


FEED_DATA = {
    "alert": FeedAlert, "alert_escalation": FeedAlertEscalation, "message_delivery": FeedMessageDelivery,
    "organisation": FeedOrganisation, "observation": FeedObservation,
    "opel_assessment": FeedOpelAssessment, "ambulance_status": FeedAmbulanceStatus,
    "response_times": FeedResponseTimes, "handover": FeedHandover, "critcon": FeedCritcon,
    "record": FeedRecord, "intake_notice": FeedIntakeNotice,
}


class FeedItem(_Msg):
    seq: FeedPosition  # hub feed position: strictly increasing, no gaps a reader could skip past
    kind: str
    data: dict[str, Any]


class FeedObservationColumns(_Msg):
    """The observations of a batch as parallel arrays (1.1, ``format=columnar``).

    Entry ``i`` of every column is one ``observation`` feed item at position
    ``seq[i]``: the ``FeedObservation`` fields the replica stores, times in the
    hub's fixed-width UTC form (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``).  Only
    ``seq`` is typed here: each row is checked on its own when it is applied
    (the store's bulk-ingest validator), so one bad value is quarantined with
    its reason instead of refusing the whole batch.
    """

    seq: list[FeedPosition]  # increasing
    org_code: list[Any]
    metric: list[Any]
    observed_at: list[Any]
    value: list[Any]
    source: list[Any]
    received_at: list[Any]

    @model_validator(mode="after")
    def _same_length(self) -> "FeedObservationColumns":
        n = len(self.seq)
        short = [name for name in OBSERVATION_COLUMNS if len(getattr(self, name)) != n]
        if short:
            raise ValueError(f"columns {', '.join(short)} do not have {n} entries like seq")
        return self


# The value columns of ``FeedObservationColumns``, in the replica's row order.
OBSERVATION_COLUMNS = ("org_code", "metric", "observed_at", "value", "source", "received_at")


class FeedBatch(_Msg):
    protocol: str = PROTOCOL_VERSION
    items: list[FeedItem]
    # 1.1, only when asked for with format=columnar: the batch's observation
    # items, taken out of ``items`` (which then holds every other kind).
    observations: FeedObservationColumns | None = None
    next_after: FeedPosition  # ask with after=next_after for the following batch
    head: FeedPosition  # the hub's newest visible position
    server_time: AwareDatetime
    last_provider_data_at: datetime | None = None  # freshest provider submission the hub holds
    hub_id: str | None = None  # identifies the hub's database; a change means cursors from before are void
    # Session 30 (optional, 1.8): when the hub wrote the item at ``next_after`` (microseconds since 1970 UTC),
    # None at 0 or from an older hub. Sent back as the feed's ``mark`` query with ``after=next_after``, it lets
    # the hub say 409 ``feed_diverged`` when the item it holds there is not that one (its database put back
    # from a backup, then written again past the desktop's cursor): docs/sync-protocol.md, "A hub put back".
    next_after_mark: int | None = Field(default=None, ge=0, le=2**63 - 1)


# --- desktop-authored records -------------------------------------------------
RECORD_KINDS = ("decision", "transfer_event", "contact", "alert_ack", "action", "on_call_shift", "alert_rule",
                "phoned_in", "spoc_message")


class RecordPush(_Msg):
    uuid: Code = Field(min_length=36, max_length=36)  # client-generated idempotency key
    kind: RecordKind
    device_id: Code = Field(min_length=1, max_length=36)
    authored_at: Time
    # Unbounded here, so authoring on a desktop never fails on it: the hub checks it
    # (sync.hub.records) and a desktop reads it back through FeedRecord, which is bounded.
    data: dict[str, Any]


class RecordBatch(_Msg):
    records: list[RecordPush] = Field(min_length=1, max_length=1000)
    # 1.8: this desktop's clock as it sends the push (an older hub ignores it). The hub keeps it on each record
    # it stores, so a delay is "sent minus recorded" on the desktop's own clock, not the hub's minus the desktop's.
    sent_at: Time | None = None


class RecordResult(_Msg):
    uuid: str
    status: Literal["stored", "duplicate", "rejected"]
    seq: int | None = None
    errors: list[FieldError] = []


class RecordReceipt(_Msg):
    results: list[RecordResult]


class HealthPage(_Msg):
    """The hub's second escalation channel (docs/escalation.md, "Paging"): configured (``gateway``: the
    host it pages through) and whether its last attempt went (``state``), with the last error and when."""

    state: Literal["ok", "failing", "off"]
    gateway: FreeText | None = Field(default=None, max_length=300)
    last_sent_at: Time | None = None
    last_error: FreeText | None = Field(default=None, max_length=MAX_REASON_CHARS)
    last_error_at: Time | None = None


class HealthEscalation(_Msg):
    """Whether this hub process e-mails whoever is on call about an alert nobody acknowledged
    (docs/escalation.md): ``on`` when it was started with escalation settings and its check is running;
    ``off`` otherwise, ``reason`` saying why for a person (started without ``--escalation``, or its check
    has stopped). ``last_check_at``: when its last check ended (None: none yet)."""

    email: Literal["on", "off"]
    reason: FreeText | None = None
    last_check_at: Time | None = None
    # Optional (session 27): the second channel, paging through a gateway. None: not configured (or an
    # older hub). ``ok``: the last page went, or none has been needed; ``failing``: the last attempt failed.
    page: HealthPage | None = None


class HealthOpelTable(_Msg):
    """One OPEL table this hub process scores with, read at its start (docs/opel-tables.md): ``scope`` is a
    pillar ("acute", ...) or "system" (the roll-up file, ``system.toml``); its ``edition`` and whether the
    file says it was checked against its source (``verified``)."""

    scope: Code = Field(min_length=1, max_length=40)
    edition: Code = Field(min_length=1, max_length=100)
    verified: bool


class Health(_Msg):
    status: Literal["ok", "degraded"]
    protocol: str = PROTOCOL_VERSION
    head: int
    database: str
    hub_id: str | None = None  # as in FeedBatch
    reason: str | None = None  # 1.3: why it is degraded (e.g. the database is full), for a person
    # Optional, added in 1.8 without a version change (an older desktop ignores it): None from an older
    # hub, which says nothing either way; a desktop then says it was not told, never that escalation is off.
    escalation: HealthEscalation | None = None
    # Optional, added in session 26 without a version change: the OPEL tables this hub scores with, each
    # pillar's and the roll-up's. None from an older hub: a desktop then claims nothing about them.
    opel_tables: list[HealthOpelTable] | None = Field(default=None, max_length=32)


class DecisionHead(_Msg):
    """One chain's newest decision as the hub holds it (``GET /v1/records/heads``, session 27, optional: no
    version change): a device's chain (``device_id``, its highest ``device_seq``) or the hub's own chain (its
    highest ``hub_seq``); ``position`` is the decision's feed position (a decision's ``hub_seq``)."""

    device_id: Code = Field(min_length=1, max_length=64)
    device_seq: FeedPosition
    uuid: Code = Field(min_length=36, max_length=36)
    content_hash: Code = Field(min_length=64, max_length=64)
    position: FeedPosition
    hub_hash: Code | None = Field(default=None, min_length=64, max_length=64)   # the hub chain's head only


class RecordHeads(_Msg):
    """``GET /v1/records/heads`` (session 27, optional; a hub before it answers 404): the head of each
    device's decision chain the hub holds, and of its own chain, so a desktop can tell an entry removed from
    its replica that no later link would show (docs/records.md)."""

    hub_id: str | None = None
    head: FeedPosition   # the hub's newest feed position as it read these
    devices: list[DecisionHead] = Field(default_factory=list, max_length=100_000)
    hub: DecisionHead | None = None


# ``GET /v1/records/transfer-seen`` (session 28, optional: no version change): the most feed positions one
# request names.
MAX_SEEN_POSITIONS = 500


class TransferSeen(_Msg):
    """One transfer event's ``seen`` as the hub holds it in its feed: ``seen`` None when the record has none
    (sent by a desktop before session 24), else the clashing changes its author was shown (``[]``: none)."""

    position: FeedPosition
    uuid: Code = Field(min_length=1, max_length=64)
    seen: list[Code] | None = Field(default=None, max_length=100)   # the hub takes no more (sync.record_shapes)


class TransfersSeen(_Msg):
    """``GET /v1/records/transfer-seen?positions=N,M,...`` (session 28, optional; a hub before it answers 404):
    the ``seen`` of the transfer events at those feed positions, for a desktop that stored them without it
    (docs/records.md, Transfers).  A position that holds no transfer event is left out."""

    hub_id: str | None = None
    events: list[TransferSeen] = Field(default_factory=list, max_length=MAX_SEEN_POSITIONS)


class SnapshotInfo(_Msg):
    """1.7: the hub's newest published snapshot (``GET /v1/snapshot``): a replica in the desktop's
    schema holding the feed up to ``position``, encrypted with a key of its own (``key``, given
    only here, over the authenticated request), served by ``GET /v1/snapshot/file?position=``."""

    position: FeedPosition
    hub_id: str = Field(min_length=1, max_length=64)
    schema_revision: str = Field(min_length=1, max_length=32)   # the replica migration it is at
    size: FeedPosition
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    cipher: str = Field(min_length=1, max_length=20)
    key: str = Field(pattern=r"^[0-9a-f]{64}$")   # the snapshot file's own database key, hex
    made_at: Time
    oldest_position: FeedPosition = 0   # the feed keeps every position after this one (docs/retention.md)
    # Session 30, optional: the feed's mark (FeedBatch.next_after_mark) of the item at ``position`` when the
    # snapshot was made; a hub serves only a snapshot whose mark its feed still holds there (a database put back
    # from a backup holds another item), and a desktop that joins keeps it as its feed mark. None: an older hub.
    mark: int | None = Field(default=None, ge=0, le=2**63 - 1)
