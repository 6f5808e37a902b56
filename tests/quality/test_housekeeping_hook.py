"""The data-quality pass rides the housekeeping chores (after each sync batch, on the window's timer):
it raises findings there, and a fault in it never stops the other chores."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from models.replica.orm.types import to_utc_text, utcnow
from models.service import housekeeping, quality
from sync import authoring
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica


def _notice(s, rejected: str, sid: str = "sub-00000001") -> None:
    now = to_utc_text(utcnow())
    s.execute(text("INSERT INTO organisation (ods_code, name, sector, active) VALUES ('RA01', 'One', 'acute', 1)"))
    s.execute(text("INSERT INTO intake_notice (submission_id, org_code, source, submitted_at, received_at, accepted,"
                   " accepted_keys, rejected, rejected_count, feed_seq) VALUES (:sid, 'RA01', 'json', :now, :now, 0,"
                   " '[]', :rejected, 1, 9)"), {"sid": sid, "now": now, "rejected": rejected})


def test_housekeeping_raises_findings(tmp_path):
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        with store.writing() as s:
            _notice(s, '[{"index": 0, "type": "observation", "metric": "ga_bed_occupancy_pct",'
                       ' "errors": [{"field": "items.0.value", "reason": "180 is outside the valid range"}]}]')
        done = housekeeping.run(store, utcnow())
        assert "data_quality" in done.changes.records
        (f,) = quality.open_findings(store, check="intake_quarantine")
        assert (f.check, f.org_code, f.submission) == ("intake_quarantine", "RA01", "sub-00000001")


def test_a_fault_in_the_quality_pass_does_not_stop_the_chores(tmp_path, caplog):
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        authoring.add_action(store, description="Ring the site lead", owner="Room support", author="Lead",
                             due_at=utcnow() - timedelta(minutes=30))
        with store.writing() as s:
            _notice(s, "{this is not JSON")   # a row no check foresaw
        done = housekeeping.run(store, utcnow())
        assert done.open_alerts == 1 and "alert" in done.changes.records
        assert "data-quality checks failed" in caplog.text


def test_the_checks_read_without_the_write_lock(tmp_path, monkeypatch):
    """On a year of data the checks read for 2-8 s; inside the write lock they held the sync's next batch
    past its busy timeout ('database is locked' in the desktop benchmark).  Only storing the findings writes."""
    from models.records import quality as records_quality
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        with store.writing() as s:
            _notice(s, '[{"index": 0, "type": "observation", "metric": "ga_bed_occupancy_pct",'
                       ' "errors": [{"field": "items.0.value", "reason": "180 is outside the valid range"}]}]')
        read_facts = records_quality.read_facts
        other_writer_got_in = []

        def read_while_another_writes(*args, **kwargs):
            with store.raw() as raw:          # a second connection: the sync's, say
                raw.set_busy_timeout(0)       # no waiting: the lock is free or this fails
                raw.execute("BEGIN IMMEDIATE")
                raw.execute("ROLLBACK")
                other_writer_got_in.append(True)
            return read_facts(*args, **kwargs)
        monkeypatch.setattr(records_quality, "read_facts", read_while_another_writes)
        done = housekeeping.run(store, utcnow())
        assert other_writer_got_in == [True]
        assert "data_quality" in done.changes.records
        assert len(quality.open_findings(store, check="intake_quarantine")) == 1
