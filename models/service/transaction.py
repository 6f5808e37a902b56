"""One transaction for a use case that combines several authoring functions.

``sync.authoring``'s functions (the record and its outbox row, written together) each take a
store and open ``store.writing()`` themselves, so a use case made of two of them (a decision,
then each of its actions) was several transactions: a crash between them left a decision
without its actions.  :func:`one_transaction` opens the write transaction once and hands out
a view of it that those functions accept as their store: their ``writing()`` and ``session()``
are the open transaction, so everything commits together or rolls back together.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.orm import Session


class InTransaction:
    """A store whose every session is one open write transaction (commit is the owner's)."""

    def __init__(self, session: Session) -> None:
        self.session_in_progress = session

    @contextlib.contextmanager
    def writing(self) -> Iterator[Session]:
        yield self.session_in_progress

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        yield self.session_in_progress


@contextlib.contextmanager
def one_transaction(store) -> Iterator[InTransaction]:
    """``store.writing()`` (the write lock from its start), shared by all that runs in the block."""
    with store.writing() as s:
        yield InTransaction(s)
