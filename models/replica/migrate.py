"""Schema migrations (Alembic), run on every open.

The scripts live in ``models/replica/migrations/versions``; each is a numbered,
reviewed change.  A replica made by an older version upgrades in place, every
revision it lacks in one transaction (a kill or a full disk part-way leaves it at
its old revision, whole: ``tests/models/test_upgrade_faults.py``), without losing rows.

Each upgrade records the version of SCC Desktop that made the schema (``replica_meta`` key
``schema_written_by``), so an older version given the replica can name the version it needs
(``newer_replica_problem``) instead of running on a schema it does not know.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import apsw

if TYPE_CHECKING:   # SQLAlchemy is loaded only when a connection through it is made
    from sqlalchemy.engine import Connection, Engine

SCRIPTS = Path(__file__).resolve().parent / "migrations"
# How long an upgrade waits for the write lock: another SCC Desktop starting at the same time may be
# upgrading a year's replica (39 s on a quiet machine, over 2 minutes on a busy one).
UPGRADE_WAIT_MS = 5 * 60 * 1000
WRITTEN_BY = "schema_written_by"   # replica_meta: the version of SCC Desktop that made the schema
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([^'\"\s]+)['\"]?", re.M)


def _config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    return cfg


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision, read from the scripts' own ``revision``/``down_revision`` lines.

    Alembic is imported only when there is something to upgrade: it costs most
    of a second at every start otherwise (a test checks this equals Alembic's head).
    """
    revisions, parents = set(), set()
    for script in (SCRIPTS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(script.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"migration scripts must have one head, found {sorted(heads)}")
    return heads.pop()


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every revision this version's scripts know (a replica at another one is from a newer version)."""
    return frozenset(dict(_REVISION.findall(script.read_text(encoding="utf-8"))).get("revision")
                     for script in (SCRIPTS / "versions").glob("*.py")) - {None}


def newer_replica_problem(conn: apsw.Connection, path) -> str | None:
    """None when this version knows the replica's schema (or it has none yet); else the sentence that
    says which version of SCC Desktop the replica needs.  A replica from a newer version is never
    migrated, written or read as if it were this version's (nothing in it is changed)."""
    revision = raw_revision(conn)
    if revision is None or revision in known_revisions():
        return None
    from models.version import VERSION

    needed = _written_by(conn)
    need = (f"SCC Desktop {needed} or newer" if needed else "the newer version of SCC Desktop it was used with")
    return (f"the replica {path} was last used by a newer version of SCC Desktop (its schema is {revision}; "
            f"this is SCC Desktop {VERSION}, which knows schemas up to {head_revision()}): install {need} "
            "and open it with that; nothing in the replica was changed")


def _written_by(conn: apsw.Connection) -> str | None:
    try:
        found = conn.execute("SELECT value FROM replica_meta WHERE key = ?", (WRITTEN_BY,)).fetchall()
    except apsw.SQLError:
        return None
    return found[0][0] if found else None


def raw_revision(conn: apsw.Connection) -> str | None:
    """The stored revision, read over a plain keyed connection (no SQLAlchemy needed)."""
    try:
        found = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except apsw.SQLError:   # a new, empty replica: no version table yet
        return None
    return found[0][0] if found else None


def current_revision(conn: "Connection") -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError:   # a new, empty replica: no version table yet
        conn.rollback()
        return None


def upgrade(engine: "Engine", revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there.

    The upgrade's transaction takes the write lock before it reads the revision: a second process
    upgrading at the same time waits for the first (up to ``UPGRADE_WAIT_MS``), then finds the work done.
    Read first, it took the lock on its first write with a snapshot the first had moved past, and
    failed at once ("database is locked")."""
    with engine.connect() as conn:
        if revision == "head" and current_revision(conn) == head_revision():
            return
    from alembic import command
    from sqlalchemy import text

    with engine.begin() as conn:
        raw = conn.connection.driver_connection.raw
        raw.set_busy_timeout(UPGRADE_WAIT_MS)   # another start's upgrade of a year's replica takes minutes
        try:
            conn.connection.driver_connection.begin(immediate=True)
        finally:
            from models.replica.store import BUSY_TIMEOUT_MS

            raw.set_busy_timeout(BUSY_TIMEOUT_MS)
        versioned = conn.execute(text("SELECT 1 FROM sqlite_schema WHERE type = 'table' "
                                      "AND name = 'alembic_version'")).first()
        if (revision == "head" and versioned
                and conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()):
            return   # another process upgraded it while this one waited
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        _record_writer(conn)


def _record_writer(conn: "Connection") -> None:
    """``schema_written_by``: this version, in the upgrade's own transaction (once ``replica_meta``
    exists: revision 0005)."""
    from sqlalchemy import text

    from models.version import VERSION

    if conn.execute(text("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'replica_meta'")).first():
        conn.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value"), {"k": WRITTEN_BY, "v": VERSION})
