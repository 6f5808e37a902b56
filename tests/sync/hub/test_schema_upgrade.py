"""A hub database of schema version 2 is upgraded in place, on SQLite and PostgreSQL.

The version-2 database is made here as a version-2 hub made it: every table of today's schema
but the ones schema 3 changed, which are created as they were (their definitions copied from
schema 2), with rows in them; then a real hub process starts on it.
"""

from __future__ import annotations

import json
import uuid

import pytest
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Index, MetaData, String, Table, Text, create_engine, insert, inspect, select

from sync.hub import auth
from sync.hub import schema as s
from sync.hub.db import HubDB
from tests.support.fixtures import new_db_url
from tests.support.hub import HubProcess, seed
from tests.sync.hub.helpers import obs, submission

UTC = s.UTCText
V2 = MetaData()
# schema 2's submission table: the id alone was the key.
SUBMISSION_V2 = Table(
    "submission", V2,
    Column("submission_id", String(64), primary_key=True),
    Column("org_code", String(12), nullable=False),
    Column("source", String(8), nullable=False),
    Column("submitted_at", UTC, nullable=False),
    Column("received_at", UTC, nullable=False),
    Column("submitted_by", String(120), nullable=False),
    Column("receipt", Text, nullable=False),
    Index("ix_submission_received_at", "received_at"),
)
# schema 2's token table: today's without the columns schema 3 added (no expiry, no rotation).
TOKEN_V2 = Table("token", V2, *(c._copy() for c in s.token.columns if c.name not in ("expires_at", "replaced_by")))
CHANGED_IN_3 = {"submission", "token"}
OLD_TOKEN = "scc_made-by-a-version-2-hub-two-years-ago-0000000"


def make_v2(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            s.metadata.create_all(conn, tables=[t for t in s.metadata.sorted_tables if t.name not in CHANGED_IN_3])
            V2.create_all(conn)
            conn.execute(insert(s.schema_version).values(version=2, applied_at=s.utcnow()))
            conn.execute(insert(SUBMISSION_V2), [{
                "submission_id": f"old-{n:04d}", "org_code": "RTEST2", "source": "json", "submitted_at": s.utcnow(),
                "received_at": s.utcnow(), "submitted_by": "test-admin",
                "receipt": json.dumps({"submission_id": f"old-{n:04d}", "accepted": 1, "rejected": [],
                                       "duplicate": False})} for n in range(50)])
            conn.execute(insert(TOKEN_V2).values(user_name="old-lead", role="room_lead", token_hash=auth.hash_token(
                OLD_TOKEN), created_at=datetime.now(timezone.utc) - timedelta(days=730)))
    finally:
        engine.dispose()


@pytest.fixture(params=("sqlite", "postgresql"))
def old_hub(request, tmp_path):
    db_url = new_db_url(request, tmp_path, request.param)
    make_v2(db_url)
    tokens = seed(db_url)          # opens the database as today's hub does: the upgrade runs here
    process = HubProcess(db_url, tmp_path, tokens).start()
    yield process
    process.stop()


def test_a_version_2_database_is_upgraded_and_keeps_its_submissions(old_hub):
    hub = old_hub
    db = HubDB(hub.db_url)
    try:
        with db.read() as conn:
            assert conn.execute(select(s.schema_version.c.version).order_by(s.schema_version.c.version)
                                ).scalars().all() == [2, s.SCHEMA_VERSION]
            rows = conn.execute(select(s.submission.c.org_code, s.submission.c.submission_id,
                                       s.submission.c.content_hash)).all()
        assert len(rows) == 50 and {r.content_hash for r in rows} == {None}
        # A token made before tokens expired gets the default lifetime from the upgrade (not from
        # when it was made, two years ago: the upgrade must not lock a room out) and works.
        (old,) = [t for t in auth.list_tokens(db) if t["user_name"] == "old-lead"]
        left = old["expires_at"] - datetime.now(timezone.utc)
        assert timedelta(days=auth.DEFAULT_LIFETIME_DAYS) - timedelta(minutes=5) < left <= timedelta(
            days=auth.DEFAULT_LIFETIME_DAYS)
        assert old["replaced_by"] is None
        # The upgraded tables are keyed and indexed as a new database's.
        found = inspect(db.engine)
        assert sorted(found.get_pk_constraint("submission")["constrained_columns"]) == ["org_code", "submission_id"]
        assert "ix_submission_received_at" in {i["name"] for i in found.get_indexes("submission")}
        assert {"expires_at", "replaced_by"} <= {c["name"] for c in found.get_columns("token")}
    finally:
        db.dispose()
    assert hub.request("GET", "/v1/feed", token=OLD_TOKEN).status_code == 200
    # An old id stays a duplicate for its organisation, whatever the resend holds (as before) ...
    again = hub.request("POST", "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 70.0)],
                                                                    "RTEST2", "old-0007"))
    # (a receipt of before session 31 is answered with the CSV's columns ignored, none)
    assert again.status_code == 200 and again.json() == {"submission_id": "old-0007", "accepted": 1,
                                                         "rejected": [], "duplicate": True, "ignored": []}
    # ... and another organisation may now use it.
    mine = hub.request("POST", "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 71.0)],
                                                                   "RTEST1", "old-0007"))
    assert mine.status_code == 200 and mine.json()["duplicate"] is False and mine.json()["accepted"] == 1
    sid = f"new-{uuid.uuid4().hex}"
    body = submission([obs("ga_bed_occupancy_pct", 72.0)], "RTEST1", sid)
    assert hub.request("POST", "/v1/submissions", json=body).json()["duplicate"] is False
    assert hub.request("POST", "/v1/submissions", json=body).json()["duplicate"] is True
    changed = hub.request("POST", "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 1.0)],
                                                                      "RTEST1", sid))
    assert changed.status_code == 409
    # Starting again on the upgraded database changes nothing more.
    hub.restart()
    db = HubDB(hub.db_url)
    try:
        db.init_schema()
        with db.read() as conn:
            assert len(conn.execute(select(s.schema_version)).all()) == 2
    finally:
        db.dispose()
    assert hub.request("GET", "/v1/feed", role="viewer").status_code == 200
