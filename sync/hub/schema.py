"""The hub's own database schema (SQLAlchemy Core), portable to SQLite and PostgreSQL.

This is not the desktop replica's schema (``models/orm``): the hub keeps the
feed, what providers and desktops sent, and what it needs to score OPEL.

The feed's positions come from ``feed_counter``: one row, advanced in the
same transaction as the feed rows it numbers, under a lock every writer must
take first (see :mod:`sync.hub.db`). So a committed ``feed_counter.value`` of
N means every position 1..N is committed: a reader never skips a late commit.

Times are stored as fixed-width UTC text (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``):
sortable as text, identical on both databases, explicit about the offset.
JSON documents are stored as text.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (BigInteger, Boolean, Column, Float, Index, Integer, MetaData, String, Table,
                        Text)

from models.replica.orm.types import UTCDateTime, to_utc_text, utcnow  # noqa: F401  (re-exported)

# 2: feed_observation (observation feed items as typed columns, for the columnar feed).
# A version-1 database is upgraded in place (HubDB.init_schema): the table is added;
# the observations already on its feed stay JSON-only and are read from their JSON.
# 3: a submission is keyed on (org_code, submission_id) and keeps its content's hash; tokens
# expire and may be rotated (expires_at, replaced_by). sync.hub.schema_upgrade does it in place.
SCHEMA_VERSION = 3
# One stored time format for replica and hub: fixed-width UTC text, naive times refused.
UTCText = UTCDateTime
utc_text = to_utc_text


def iso(value: datetime | None) -> str | None:
    """Wire form: ISO 8601 in UTC with an explicit ``+00:00``."""
    return None if value is None else value.astimezone(timezone.utc).isoformat()


metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", UTCText, nullable=False),
)

# hub_id (a random id made when the database is created: a desktop whose
# cursor came from another database can tell).
hub_meta = Table(
    "hub_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)

feed_counter = Table(
    "feed_counter", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("value", BigInteger, nullable=False),  # newest committed feed position
)

feed = Table(
    "feed", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), nullable=False),
    Column("org_code", String(12)),
    Column("data", Text, nullable=False),
    Column("created_at", UTCText, nullable=False),
    # The items of a kind by position: a reader that follows a few kinds from the feed's start (the
    # phone board's ambulance services and critical care, the room's alerts, its eight weeks of levels)
    # seeks them instead of scanning every item (session 29: a year of feed is 13.9 million positions).
    # Made on a hub from before it when it starts (HubDB.init_schema); the schema version does not change.
    Index("ix_feed_kind_seq", "kind", "seq"),
)

# Each observation feed item again as typed columns (schema 2), written with its feed
# row in the same transaction: the columnar feed reads these instead of parsing each
# item's JSON. Times in the fixed-width UTC text form, exactly what the replica stores.
# An observation without a row here (written before schema 2) is read from its JSON.
feed_observation = Table(
    "feed_observation", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # = feed.seq
    Column("org_code", String(12), nullable=False),
    Column("metric", String(80), nullable=False),
    Column("observed_at", String(32), nullable=False),
    Column("value", Float, nullable=False),
    Column("source", String(20), nullable=False),
    Column("received_at", String(32), nullable=False),
    # A provider's figures by parameter and time: the parameters as they stood when a backfilled
    # OPEL declaration was made (sync.hub.opel_as_of), one seek each. Made on a hub from before
    # it when it starts (HubDB.init_schema); the schema version does not change.
    Index("ix_feed_observation_org_metric_time", "org_code", "metric", "observed_at"),
)

organisation = Table(
    "organisation", metadata,
    Column("ods_code", String(12), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sector", String(20), nullable=False),
    Column("size", Float),  # roll-up weight, e.g. G&A beds for acute trusts
    Column("region", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    Column("updated_at", UTCText, nullable=False),
)

# Keyed on (organisation, id) since schema 3: ids are the provider's own, so another organisation
# using the same id first must not block it. ``content_hash``: SHA-256 of what was sent (its items,
# sync.hub.intake.content_hash), so a resend of the id with other content is a conflict, not a
# silent duplicate; None for rows from before schema 3 and for the web form (its resends are
# duplicates whatever they hold).
submission = Table(
    "submission", metadata,
    Column("org_code", String(12), primary_key=True),
    Column("submission_id", String(64), primary_key=True),
    Column("source", String(8), nullable=False),  # "json" or "csv"
    Column("submitted_at", UTCText, nullable=False),
    Column("received_at", UTCText, nullable=False),
    Column("submitted_by", String(120), nullable=False),
    Column("receipt", Text, nullable=False),  # the SubmissionReceipt sent back, as JSON
    Column("content_hash", String(64)),
    Index("ix_submission_received_at", "received_at"),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("received_at", UTCText, nullable=False),
    Column("source", String(8), nullable=False),  # "json", "csv" or "record"
    Column("submission_id", String(64)),
    Column("org_code", String(12)),
    Column("item_index", Integer),
    Column("row", Integer),  # CSV: spreadsheet row number (header = 1)
    Column("submitted_by", String(120)),
    Column("raw", Text, nullable=False),
    Column("errors", Text, nullable=False),  # JSON list of {field, reason}
    Index("ix_quarantine_org", "org_code"),
)

record = Table(
    "record", metadata,
    Column("uuid", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("device_id", String(36), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("received_at", UTCText, nullable=False),
    Column("author", String(120), nullable=False),
    Column("hub_seq", BigInteger, unique=True),  # decisions: position in the hub's chain, 1..n
    Column("hub_hash", String(64)),
)

# Latest value of each OPEL parameter per provider (by observed_at; ties: later receipt).
latest_value = Table(
    "latest_value", metadata,
    Column("org_code", String(12), primary_key=True),
    Column("metric", String(80), primary_key=True),
    Column("value", Float, nullable=False),
    Column("observed_at", UTCText, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

# Observations phoned in (record kind phoned_in, 1.5): feed position -> the record. Scoring a provider
# looks up its latest values here, so an assessment marks each parameter that was phoned in.
# A new table only: the schema version does not change, and an older hub leaves it alone.
phoned_in_value = Table(
    "phoned_in_value", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("record_uuid", String(36), nullable=False),
)

opel_declaration = Table(
    "opel_declaration", metadata,
    Column("org_code", String(12), primary_key=True),
    Column("pillar", String(20), primary_key=True),
    Column("declared_level", Integer, nullable=False),
    Column("reason", Text),
    Column("assessed_at", UTCText, nullable=False),
)

# The current OPEL position of each provider / pillar / the system, as last put on the feed.
opel_current = Table(
    "opel_current", metadata,
    Column("scope", String(10), primary_key=True),
    Column("key", String(20), primary_key=True),  # org code, pillar, or "system"
    Column("data", Text, nullable=False),
)

token = Table(
    "token", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(120), nullable=False),
    Column("role", String(24), nullable=False),
    Column("org_code", String(12)),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256 hex of the token
    Column("created_at", UTCText, nullable=False),
    Column("revoked_at", UTCText),
    # Schema 3 (sync.hub.auth): when it stops working (every token made since has one), and
    # the token that replaced it when it was rotated (it then works only until its overlap ends).
    Column("expires_at", UTCText),
    Column("replaced_by", Integer),
)

# Escalation emails (sync.hub.escalation), one row per alert: the primary key is the alert's id,
# so of two hub processes that find the same alert due only one inserts the row and sends.
# ``state``: pending (being sent, or waiting for ``next_attempt_at`` after a transient failure),
# sent, failed (given up: the error says why), cancelled (acknowledged or cleared before it went).
# A new table only: the schema version does not change, and an older hub leaves it alone.
alert_escalation = Table(
    "alert_escalation", metadata,
    Column("alert_uuid", String(36), primary_key=True),
    Column("rule_id", String(60), nullable=False),
    Column("org_code", String(12)),
    Column("to_address", String(200), nullable=False),
    Column("to_name", String(200), nullable=False),
    Column("contact_uuid", String(36)),   # None: the fallback address
    Column("rota", String(60), nullable=False),
    Column("fallback_reason", Text),      # why the fallback address, when it was used
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCText, nullable=False),
    Column("created_at", UTCText, nullable=False),
    Column("sent_at", UTCText),
    Column("error", Text),                # the last attempt's error
    Column("attempt_log", Text, nullable=False),   # JSON list of {at, error}: every attempt
    Column("alert", Text, nullable=False),         # the alert as emailed (JSON), for retries
    Index("ix_alert_escalation_state", "state", "next_attempt_at"),
)

# The second escalation channel (sync.hub.escalation_page): one row per alert paged through the deploying
# organisation's paging gateway (HTTPS), its primary key the alert's id so of two hub processes one pages.
# ``state`` as alert_escalation's; ``reason`` why it was paged (the e-mail failed, or had not gone in time, or
# every escalation is paged); ``idempotency_key`` the same on every attempt.  A new table only, as above.
alert_page = Table(
    "alert_page", metadata,
    Column("alert_uuid", String(36), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("idempotency_key", String(80), nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCText, nullable=False),
    Column("created_at", UTCText, nullable=False),
    Column("sent_at", UTCText),
    Column("error", Text),
    Column("attempt_log", Text, nullable=False),   # JSON list of {n, at, status, error}
    Index("ix_alert_page_state", "state", "next_attempt_at"),
)

# Which process took each escalation's latest attempt (sync.hub.lease_holder names it): a hub killed mid-send
# is taken over at once by a process on its machine that can tell it is dead, not after the lease.  Written
# with the take; ``attempts`` the attempt it took (a row for an older attempt names nobody now).
# A new table only: the schema version does not change, and an older hub leaves it alone (its leases are
# waited out, as before).
def _holder_table(name: str, key: str) -> Table:
    """A mailer's holder table (escalation's, the SPoC messages'): one shape, read and written by
    ``sync.hub.lease_holder.hold`` / ``orphaned`` (its key column first)."""
    return Table(name, metadata,
                 Column(key, String(36), primary_key=True),
                 Column("attempts", Integer, nullable=False),
                 Column("holder", String(200), nullable=False),
                 Column("taken_at", UTCText, nullable=False))


escalation_holder = _holder_table("escalation_holder", "alert_uuid")

# The paging gateway's last outcome across every hub process on this database, for /health
# (sync.hub.escalation_page.health): one row, written with each page's record. A new table only, as above.
page_health = Table(
    "page_health", metadata,
    Column("key", String(10), primary_key=True),    # "gateway"
    Column("last_sent_at", UTCText),                # the last page the gateway took
    Column("last_error", Text),                     # the last failure's reason, and when
    Column("last_error_at", UTCText),
)

# /m/'s week ahead as the hub process that worked it out last left it (sync.hub.web.week_shared), one row:
# every process shows the same week, worked out once.  A new table only, as above.
week_ahead_shared = Table(
    "week_ahead_shared", metadata,
    Column("key", String(10), primary_key=True),
    Column("worked_at", UTCText),
    Column("cursor", BigInteger),
    Column("data", Text),                           # JSON of the door's dataclasses
    Column("worked_by", String(200)),
    Column("works", Integer, nullable=False),       # how many times it was worked out (measured in tests)
    Column("claimed_until", UTCText, nullable=False),
    Column("claimed_by", String(200)),
)

# People who log in to the hub's web pages (sync/hub/web, docs/web.md): the roles are the tokens'.
# ``password``: "scrypt$N$r$p$salt$hash" (salt and hash base64). New tables only, as above.
web_account = Table(
    "web_account", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_name", String(120), nullable=False, unique=True),
    Column("role", String(24), nullable=False),
    Column("org_code", String(12)),
    Column("password", String(300), nullable=False),
    Column("created_at", UTCText, nullable=False),
    Column("password_set_at", UTCText, nullable=False),
    Column("disabled_at", UTCText),
)

# Server-side sessions: the cookie holds a random secret, the row its SHA-256 (a copied database
# opens no session). ``csrf``: the synchroniser token every form of the session carries.
web_session = Table(
    "web_session", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("account_id", Integer, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", UTCText, nullable=False),
    Column("seen_at", UTCText, nullable=False),
    Column("ended_at", UTCText),
    Index("ix_web_session_account", "account_id"),
)

# Failed authentications (sync.hub.throttle): one row per failure and per thing it counts against
# (``kind`` login-user, login-client or token-client; ``key`` the user name folded, or the client's
# address), so every hub process on the database throttles together. Rows past the window are
# deleted as new failures come. A new table only, as above.
auth_failure = Table(
    "auth_failure", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("at", UTCText, nullable=False),
    Index("ix_auth_failure_key", "kind", "key", "at"),
    Index("ix_auth_failure_at", "at"),
)

# Each device numbers its decisions once (``device_seq``, the desktop's per-device chain): a second
# decision with a device's number (a replica restored from a backup and used on, or copied to another
# computer) is refused at intake (sync.hub.records), since every desktop's store refuses it and the gap
# it then leaves in the hub's chain reads as tampering on every desktop. A new table only; a hub with
# decisions from before fills it from its feed when it starts (sync.hub.db.init_schema).
decision_number = Table(
    "decision_number", metadata,
    Column("device_id", String(64), primary_key=True),
    Column("device_seq", BigInteger, primary_key=True),
    Column("uuid", String(36), nullable=False),
    Column("content_hash", String(64), nullable=False),   # what the device's next decision must chain to
)

# Whose each handover is, and where (sync.hub.handover_owner): the first report of an ``event_uuid``
# claims it for its ambulance service and hospital, so another organisation cannot close it and it cannot
# move hospital unseen (found by an adversarial review). A new table only, as above: a hub with handovers
# from before it learns each event's owner from its next report.
handover_owner = Table(
    "handover_owner", metadata,
    Column("event_uuid", String(36), primary_key=True),
    Column("ambulance_org", String(12), nullable=False),
    Column("hospital_code", String(12), nullable=False),
    Column("claimed_at", UTCText, nullable=False),   # let go with the handovers' feed items (sync.hub.retention)
)

# Single point of contact messages (record kind spoc_message, 1.6; sync.hub.messages), one row per
# message, added in the record's transaction: the primary key is the message's uuid, so it is emailed
# once.  ``state``: pending (being sent, or waiting for ``next_attempt_at``), sent, failed.
# A new table only: the schema version does not change, and an older hub leaves it alone.
spoc_delivery = Table(
    "spoc_delivery", metadata,
    Column("message_uuid", String(36), primary_key=True),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCText, nullable=False),
    Column("created_at", UTCText, nullable=False),
    Column("sent_at", UTCText),
    Column("error", Text),                         # the last attempt's error
    Column("attempt_log", Text, nullable=False),   # JSON list of {at, error}: every attempt
    Column("message", Text, nullable=False),       # the record's data (JSON): what to send, for retries
    Index("ix_spoc_delivery_state", "state", "next_attempt_at"),
)

# Which process took each SPoC message's latest attempt: as ``escalation_holder`` (the same shape and code,
# sync.hub.lease_holder), so a hub killed mid-send is taken over at once, not after the lease.  New table only.
spoc_holder = _holder_table("spoc_holder", "message_uuid")
