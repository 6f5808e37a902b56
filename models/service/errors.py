"""Any failure of a use case as one sentence a room user can act on (the traceback is logged)."""

from __future__ import annotations

import apsw

from models.replica import store

_LOCKED = ("database is locked", "database table is locked")
_FULL = ("database or disk is full",)
_IO = ("disk i/o error",)


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__


def explain(exc: BaseException, *, write: bool = True) -> str:
    """What went wrong, in words: a refused input as its own "field: reason", a replica fault
    by what it means for the user, anything else by its type (details in the log).  ``write``:
    the failed work was a write (one transaction: so nothing of it was recorded)."""
    if isinstance(exc, (ValueError, store.StoreError)) and str(exc):   # written for the user already
        return str(exc)
    nothing = "; nothing was recorded" if write else ""
    for e in _chain(exc):
        text = str(e).lower()
        if isinstance(e, (apsw.BusyError, apsw.LockedError)) or any(w in text for w in _LOCKED):
            return (f"the replica stayed busy for over {store.BUSY_TIMEOUT_MS / 1000:g} s (the sync or another "
                    f"program was writing to it){nothing}: try again")
        if isinstance(e, apsw.FullError) or any(w in text for w in _FULL):
            return f"the disk holding the replica is full{nothing}: free some space and try again"
        if isinstance(e, apsw.IOError) or any(w in text for w in _IO):
            return f"the replica's disk could not be written or read (an I/O error){nothing}"
    return f"an unexpected error ({type(exc).__name__}){nothing}; the details are in the log"
