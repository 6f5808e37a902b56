"""The savepoints a piece of work leaves open, from the statements SQLite itself ran (``trace_v2``).

SQLAlchemy's ``begin_nested()`` ends a failed savepoint with ``ROLLBACK TO`` alone, which leaves it open
to the end of the transaction; every later savepoint then nests in it and each ``RELEASE`` walks a
sub-journal of every page changed since (the feed's apply: 10 us to 2 ms a ``RELEASE`` within a batch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import apsw
from sqlalchemy import event

OPEN = re.compile(r"^\s*SAVEPOINT\s+(\w+)", re.I)
END = re.compile(r"^\s*(RELEASE|ROLLBACK\s+TO)\s+(?:SAVEPOINT\s+)?(\w+)", re.I)


@contextmanager
def traced(store) -> Iterator[list[str]]:
    """The SQL of every statement run on ``store``'s pooled connections inside the block, in order."""
    statements: list[str] = []

    def watch(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.raw.trace_v2(apsw.SQLITE_TRACE_STMT, lambda info: statements.append(info["sql"]),
                                      id="savepoints")

    store.engine.dispose()   # every connection made anew, so each is traced from its checkout
    event.listen(store.engine, "checkout", watch)
    try:
        yield statements
    finally:
        event.remove(store.engine, "checkout", watch)


@dataclass
class Replayed:
    open_at_end: list[str]   # savepoints open when the last transaction ended (asserted empty at each end)
    rolled_back: int         # ROLLBACK TO statements
    deepest: int             # savepoints open at once, at most
    commits: int             # transactions ended by COMMIT


def replay(statements: list[str]) -> Replayed:
    """The statements as a stack of savepoints; a transaction that ends with one still open fails."""
    stack: list[str] = []
    rolled_back = deepest = commits = 0
    for sql in statements:
        if (m := OPEN.match(sql)):
            stack.append(m.group(1))
            deepest = max(deepest, len(stack))
        elif (m := END.match(sql)):
            name = m.group(2)
            assert name in stack, f"{sql!r} ends a savepoint that is not open"
            if m.group(1).upper() == "RELEASE":
                del stack[stack.index(name):]
            else:
                rolled_back += 1
                del stack[stack.index(name) + 1:]
        elif sql.strip().upper().startswith(("COMMIT", "ROLLBACK", "END")):
            commits += sql.strip().upper().startswith(("COMMIT", "END"))
            assert stack == [], f"the transaction ended with {len(stack)} savepoint(s) still open: {stack[:3]}"
    return Replayed(stack, rolled_back, deepest, commits)
