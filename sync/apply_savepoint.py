"""A savepoint around writes of one item (or one run of items) of a feed batch, shared by ``sync.apply`` and
``sync.transfer_refolds``: a failure for the data's sake undoes just those writes and is returned, so the item is
quarantined and the batch goes on; a fault of the replica itself (full, I/O error, busy, damaged, or a transaction
SQLite rolled back) raises, so the whole batch stops and its cursor does not move."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection


def driver(conn: Connection):
    """The adapter's connection (``models.replica.dbapi.Connection``) under an SQLAlchemy one."""
    return conn.connection.driver_connection


def savepoint(conn: Connection, name: str, write: Callable[[], object]) -> tuple[bool, object]:
    """Run ``write`` (statements on the raw connection) inside savepoint ``name``.

    Returns ``(True, its result)``, or ``(False, the exception)`` with its writes undone
    when it failed for the data's sake.  A fault of the replica (or a transaction SQLite
    rolled back) raises instead: the whole batch stops there."""
    db = driver(conn)
    try:
        db.raw.execute(f"SAVEPOINT {name}")
        try:
            result = write()
        except Exception as exc:  # noqa: BLE001 - told apart below: the replica's or the data's
            db.raise_if_replica_fault(exc)
            db.raw.execute(f"ROLLBACK TO {name}")
            db.raw.execute(f"RELEASE {name}")
            return False, exc
        db.raw.execute(f"RELEASE {name}")
        return True, result
    except Exception as exc:
        db.raise_if_replica_fault(exc)   # the savepoint statements themselves
        raise


def why(exc: BaseException) -> str:
    """An exception as a reason: the driver's own error if SQLAlchemy wrapped one."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner)
    return text if isinstance(inner, (ValueError, LookupError)) and text else f"{type(inner).__name__}: {text}"
