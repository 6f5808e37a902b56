"""Plain SQL over either kind of replica connection, for read paths that must stay light.

``db`` is an ``apsw.Connection`` (the store's reader: no SQLAlchemy loaded)
or an SQLAlchemy ``Session``/``Connection`` over the store (a caller already
in a transaction).  Parameters are positional (``?``), as SQLite takes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw


def rows(db, sql: str, params: Sequence = ()) -> list[tuple]:
    """Every row of ``sql`` as tuples; the statement is finished when this returns."""
    if isinstance(db, apsw.Connection):
        return db.execute(sql, tuple(params)).fetchall()
    conn = db if hasattr(db, "exec_driver_sql") else db.connection()   # Connection or Session
    return [tuple(r) for r in conn.exec_driver_sql(sql, tuple(params))]


def placeholders(n: int) -> str:
    return ", ".join("?" * n)
