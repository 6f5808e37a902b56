"""Runs of checked status items of a feed batch written together: one ``executemany`` per table.

A desktop catching up applies tens of thousands of these (28 days of 40 acute sites' ambulance
handovers are about 50,000 items); written one by one through SQLAlchemy, each inside its own
savepoint, compiling each statement's parameters cost most of the apply.  Here a run of them goes
in on the raw APSW connection, in the caller's transaction:

- ``handover``: the same upsert as ``sync.apply._handover`` (a later report of an earlier state fills
  in times it carries but never moves the state back; an item at or below the stored ``feed_seq`` of
  its event changes nothing), executed for the run's handovers in feed order, so each sees the one
  before it exactly as one by one;
- ``ambulance_status``, ``response_times``, ``critcon``: inserts a repeated ``feed_seq`` adds nothing to;
- ``opel_assessment``: ``sync.apply_opel``.

Each kind writes one table that no other kind here reads or writes, so a run is written table by
table, each table's items in feed order: the rows (and the ids SQLite gives them) are those the items
store one by one.  Stored forms are the ORM's: times as fixed-width UTC text (``to_utc_text``), other
values as the model holds them.  Any error leaves the rows written to the caller, who rolls them back
(``sync.apply`` runs this inside a savepoint and, on any error but a replica fault, applies the same
items one by one instead).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from models.replica.orm import AmbulanceStatus, CritconStatus, HandoverEvent, ResponseTimes
from models.replica.orm.types import to_utc_text, utcnow
from sync import apply_opel
from sync.protocol import FeedAmbulanceStatus, FeedCritcon, FeedHandover, FeedResponseTimes

# An ambulance's states in the order it goes through them (``sync.apply._handover_upsert`` too).
STATE_RANK = {"en_route": 0, "arrived": 1, "handed_over": 2, "cleared": 3, "cancelled": 4}
TIMES = ("eta_at", "arrived_at", "handed_over_at", "cleared_at")


def _fields(table, model) -> tuple[str, ...]:
    """A model's fields, each a column of ``table``: checked at import, so a model and its table that
    drifted apart fail every test at once, not each item on a desktop."""
    fields = tuple(model.model_fields)
    missing = set(fields) - set(table.__table__.c.keys())
    if missing:
        raise RuntimeError(f"{model.__name__} has fields {sorted(missing)} that {table.__tablename__} has no column for")
    return fields


_HANDOVER_FIELDS = _fields(HandoverEvent, FeedHandover)


def _rank(state: str) -> str:
    whens = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in STATE_RANK.items())
    return f"CASE {state} {whens} ELSE -1 END"


_FORWARD = f"{_rank('excluded.state')} >= {_rank('handover_event.state')}"
_UPSERT_HANDOVER = (
    f"INSERT INTO handover_event ({', '.join(_HANDOVER_FIELDS)}, feed_seq) "
    f"VALUES ({', '.join('?' * (len(_HANDOVER_FIELDS) + 1))}) "
    "ON CONFLICT (event_uuid) DO UPDATE SET "
    "vehicle_ref = coalesce(excluded.vehicle_ref, handover_event.vehicle_ref), "
    f"state = CASE WHEN {_FORWARD} THEN excluded.state ELSE handover_event.state END, "
    + "".join(f"{t} = coalesce(excluded.{t}, handover_event.{t}), " for t in TIMES)
    + f"updated_at = CASE WHEN {_FORWARD} THEN excluded.updated_at ELSE handover_event.updated_at END, "
    "feed_seq = excluded.feed_seq "
    "WHERE handover_event.feed_seq < excluded.feed_seq")


def _stored(value):
    return to_utc_text(value) if isinstance(value, datetime) else value


def upsert_handovers(raw, run: list[tuple[int, FeedHandover]]) -> None:
    """Upsert ``(feed_seq, handover)`` pairs, in order, on an APSW connection."""
    raw.executemany(_UPSERT_HANDOVER, [tuple(_stored(getattr(d, f)) for f in _HANDOVER_FIELDS) + (seq,)
                                       for seq, d in run])


def _insert_once(table, model) -> Callable:
    """The writer of a table whose rows are a model's fields, ``received_at`` and ``feed_seq`` (``sync.apply._simple``)."""
    fields = _fields(table, model)
    sql = (f"INSERT INTO {table.__tablename__} ({', '.join(fields)}, received_at, feed_seq) "
           f"VALUES ({', '.join('?' * (len(fields) + 2))}) ON CONFLICT (feed_seq) DO NOTHING")

    def write(raw, run: list[tuple[int, object]]) -> None:
        now = to_utc_text(utcnow())
        raw.executemany(sql, [tuple(_stored(getattr(d, f)) for f in fields) + (now, seq) for seq, d in run])
    return write


WRITERS: dict[str, Callable] = {
    "opel_assessment": apply_opel.insert_assessments,
    "handover": upsert_handovers,
    "ambulance_status": _insert_once(AmbulanceStatus, FeedAmbulanceStatus),
    "response_times": _insert_once(ResponseTimes, FeedResponseTimes),
    "critcon": _insert_once(CritconStatus, FeedCritcon),
}


def write_run(raw, run: list) -> None:
    """Write a run of checked ``(FeedItem, data)`` pairs of the kinds in :data:`WRITERS`, table by table,
    each table's in feed order."""
    by_kind: dict[str, list] = {}
    for item, data in run:
        by_kind.setdefault(item.kind, []).append((item.seq, data))
    for kind, pairs in by_kind.items():
        WRITERS[kind](raw, pairs)
