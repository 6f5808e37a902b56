"""Upgrading an older hub database in place, one schema version at a time.

:meth:`sync.hub.db.HubDB.init_schema` calls :func:`upgrade` inside its schema transaction (under
PostgreSQL's advisory lock, or SQLite's write lock), after ``create_all`` has added any new
table: a step here changes the tables that already exist. The whole upgrade commits with the
new version row, or not at all, so a hub killed half-way starts again from the old version.
Each step looks before it changes anything (a column already there is not added again), so a
database whose tables are already partly at the new shape is finished rather than refused.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection, inspect, text, update

from sync.hub import schema as s

# The submission table's columns as of schema 2, in the order copied.
_SUBMISSION_V2 = "submission_id, org_code, source, submitted_at, received_at, submitted_by, receipt"


def upgrade(conn: Connection, kind: str, version: int) -> None:
    """Bring a database at ``version`` (below :data:`schema.SCHEMA_VERSION`) up to date."""
    if version < 3:
        _submission_per_organisation(conn, kind)
        _tokens_expire(conn)


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _submission_per_organisation(conn: Connection, kind: str) -> None:
    """3: key submissions on (org_code, submission_id) and add ``content_hash`` (None for the
    rows already there: a retry of one of those is a duplicate whatever it holds, as before)."""
    keyed = inspect(conn).get_pk_constraint("submission")["constrained_columns"] == ["org_code", "submission_id"]
    hashed = "content_hash" in _columns(conn, "submission")
    if keyed and hashed:
        return
    if kind == "postgresql":
        if not hashed:
            conn.execute(text("ALTER TABLE submission ADD COLUMN content_hash VARCHAR(64)"))
        if not keyed:
            conn.execute(text("ALTER TABLE submission DROP CONSTRAINT submission_pkey"))
            conn.execute(text("ALTER TABLE submission ADD PRIMARY KEY (org_code, submission_id)"))
        return
    # SQLite cannot change a primary key: the table is made again and its rows copied.
    conn.execute(text("DROP INDEX IF EXISTS ix_submission_received_at"))
    conn.execute(text("ALTER TABLE submission RENAME TO submission_v2"))
    s.submission.create(conn)
    copied = _SUBMISSION_V2 + (", content_hash" if hashed else "")
    conn.execute(text(f"INSERT INTO submission ({copied}) SELECT {copied} FROM submission_v2"))
    conn.execute(text("DROP TABLE submission_v2"))


def _tokens_expire(conn: Connection) -> None:
    """3: tokens expire and may be rotated. The tokens already there get the default lifetime
    from the upgrade (not from when they were made: an upgrade must not lock a room out)."""
    from sync.hub.auth import DEFAULT_LIFETIME_DAYS

    have = _columns(conn, "token")
    if "expires_at" not in have:
        conn.execute(text("ALTER TABLE token ADD COLUMN expires_at VARCHAR(32)"))
    if "replaced_by" not in have:
        conn.execute(text("ALTER TABLE token ADD COLUMN replaced_by INTEGER"))
    conn.execute(update(s.token).where(s.token.c.expires_at.is_(None))
                 .values(expires_at=s.utcnow() + timedelta(days=DEFAULT_LIFETIME_DAYS)))
