"""The housekeeping pass ends the savepoint it stores the data-quality findings in, also when the findings
table refuses them.

SQLAlchemy's ``begin_nested()`` undoes a failed savepoint with ``ROLLBACK TO`` alone, which leaves it open to
the end of the transaction: whatever the pass wrote after it (the other chores) was then nested in it, as the
feed's apply was (tests/sync/test_apply_savepoints.py: a ``RELEASE`` grew from 10 us to 2 ms a batch).  The
refusal here is real: a trigger on the replica's findings table aborts every insert, as a constraint would.
SQLite shows the statements it runs (``trace_v2``); the test replays them as a stack."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from models.replica.orm.types import utcnow
from models.service import housekeeping, quality
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.quality.test_housekeeping_hook import _notice
from tests.support.replica import fresh_replica
from tests.support.savepoints import replay, traced

REJECTED = ('[{"index": 0, "type": "observation", "metric": "ga_bed_occupancy_pct",'
            ' "errors": [{"field": "items.0.value", "reason": "180 is outside the valid range"}]}]')


def _pass_traced(store, now) -> tuple[object, list[str]]:
    with traced(store) as statements:
        return housekeeping.run(store, now), statements


def _open_at_the_end(statements: list[str]) -> tuple[list[str], int]:
    """The savepoints still open when the pass committed, and how many were rolled back to."""
    replayed = replay(statements)
    return replayed.open_at_end, replayed.rolled_back


def test_a_refused_finding_ends_its_savepoint_and_the_other_chores_still_write(tmp_path, caplog):
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        authoring.add_action(store, description="Ring the site lead", owner="Room support", author="Lead",
                             due_at=utcnow() - timedelta(minutes=30))
        with store.writing() as s:
            _notice(s, REJECTED)
            s.execute(text("CREATE TRIGGER refuse_findings BEFORE INSERT ON data_quality_finding "
                           "BEGIN SELECT RAISE(ABORT, 'finding refused'); END"))
        done, statements = _pass_traced(store, utcnow())
        stack, rolled_back = _open_at_the_end(statements)
        assert rolled_back == 1, statements   # the findings' savepoint was undone ...
        assert stack == [], f"savepoint(s) {stack} left open: {statements}"   # ... and ended
        assert "data-quality checks failed" in caplog.text and "finding refused" in caplog.text
        assert done.open_alerts == 1 and "alert" in done.changes.records   # the overdue action still chased
        assert quality.open_findings(store, check="intake_quarantine") == []

        with store.writing() as s:   # the table takes them again: the next pass stores them, nothing left open
            s.execute(text("DROP TRIGGER refuse_findings"))
        done, statements = _pass_traced(store, utcnow())
        assert _open_at_the_end(statements) == ([], 0), statements
        assert "data_quality" in done.changes.records
        assert len(quality.open_findings(store, check="intake_quarantine")) == 1
