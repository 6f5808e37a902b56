"""Schema migrations (Alembic), run on every open.

The scripts live in ``models/replica/migrations/versions``; each is a numbered,
reviewed change.  A replica made by an older version upgrades in place, in
one transaction per revision, without losing rows.
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
    """Bring the schema to ``revision``; a no-op when it is already there."""
    with engine.connect() as conn:
        if revision == "head" and current_revision(conn) == head_revision():
            return
    from alembic import command

    with engine.begin() as conn:
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
