"""Set-aside rows the hub has sent again at another position (r2 finding 3, session 30).

After a hub's database is put back from a backup, the rows this replica read from beyond the agreed point are
set aside (``feed_seq`` < 0, :mod:`sync.feed_restore`), and :func:`sync.feed_restore.settle` removes those the
re-read brings back at the same position. A provider (or its system) that sends the lost figures again gets
new positions once anything else was written first; the set-aside copy then stayed beside the hub's for good:
counts and averages read both, and a corrected value was averaged with the lost one on this desktop only.

Here, in each batch's transaction: a set-aside row with the same natural key as a row this batch brought is
removed; the hub's copy stands. No time limit (figures sent again hours later are covered too). Cheap: one
seek on the unique ``feed_seq`` index per table while nothing is set aside; otherwise one seek on the table's
(org, time) index per set-aside row.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# Table: the columns that say which figure or status a row is (its natural key).
NATURAL_KEYS = {
    "observation": ("org_code", "metric_code", "observed_at", "source"),
    "ambulance_status": ("org_code", "declared_at"),
    "response_times": ("org_code", "period_end", "category"),
    "critcon_status": ("org_code", "reported_at"),
}


def replaced(conn: Connection, after: int, upto: int) -> int:
    """Remove the set-aside rows whose natural key a row at a position in ``(after, upto]`` holds; the count."""
    if upto <= after:
        return 0
    removed = 0
    for table, key in NATURAL_KEYS.items():
        if conn.execute(text(f'SELECT 1 FROM "{table}" WHERE feed_seq < 0 LIMIT 1')).first() is None:
            continue
        same = " AND ".join(f'n."{c}" = "{table}"."{c}"' for c in key)
        removed += conn.execute(text(
            f'DELETE FROM "{table}" WHERE feed_seq < 0 AND EXISTS (SELECT 1 FROM "{table}" n '
            f'WHERE {same} AND n.feed_seq > :after AND n.feed_seq <= :upto)'),
            {"after": after, "upto": upto}).rowcount
    return removed
