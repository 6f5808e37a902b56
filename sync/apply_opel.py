"""OPEL assessments of a feed batch in bulk: two ``executemany`` on the raw connection.

A 15-minute batch of a 40-provider system carries about 120 assessments
(provider, pillar and system), each with its parameter scores.  Inserted one
by one through SQLAlchemy, each inside its own savepoint, they cost most of
the batch's apply time; here they go in with one statement each for the
assessments and for their scores, in the caller's transaction.

This writes exactly the rows ``sync.apply._opel`` writes for the same items in
the same order (same columns and stored forms, same ids: SQLite gives each new
row the next id in turn either way; an item whose ``feed_seq`` is already
stored adds nothing, its scores included).  Any error leaves the rows it wrote
to the caller, who rolls them back (``sync.apply`` runs this inside a
savepoint and, on any error, applies the same items one by one instead).
"""

from __future__ import annotations

from models.replica.orm.types import to_utc_text, utcnow
from sync.protocol import FeedOpelAssessment

_INSERT_ASSESSMENT = (
    "INSERT INTO opel_assessment (scope, org_code, pillar, assessed_at, table_edition, table_verified, "
    "total_score, calculated_level, at_least_level, complete, declared_level, override_reason, "
    "received_at, feed_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (feed_seq) DO NOTHING RETURNING id, feed_seq")
_INSERT_SCORE = ("INSERT INTO opel_parameter_score (assessment_id, parameter_key, value, band, points, "
                 "weight, problem, phoned_in_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def insert_assessments(raw, run: list[tuple[int, FeedOpelAssessment]]) -> None:
    """Insert ``(feed_seq, assessment)`` pairs, in order, on an APSW connection."""
    rows = [(d.scope, d.org_code, d.pillar, to_utc_text(d.assessed_at), d.edition, _bool(d.verified),
             d.total, d.level, d.at_least_level, _bool(d.complete), d.declared_level, d.override_reason,
             to_utc_text(utcnow()), seq) for seq, d in run]
    new_ids: dict[int, int] = {}
    for new_id, seq in raw.cursor().executemany(_INSERT_ASSESSMENT, rows):
        new_ids[seq] = new_id
    scores = []
    for seq, d in run:
        # pop: of two items with one feed_seq only the first was inserted (the
        # second hit the conflict), so only the first gets its scores.
        new_id = new_ids.pop(seq, None)
        if new_id is not None:
            scores += [(new_id, p.key, p.value, p.band, p.points, p.weight, p.problem, p.phoned_in_uuid)
                       for p in d.parameters]
    if scores:
        raw.executemany(_INSERT_SCORE, scores)


def _bool(value: bool) -> int:
    # SQLAlchemy's Boolean on SQLite stores 1/0; refuse what it would refuse.
    if type(value) is not bool:
        raise TypeError(f"not a boolean value: {value!r}")
    return int(value)
