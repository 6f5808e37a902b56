"""Migration 0024 (``intake_notice.sent_by``) on a real encrypted replica holding real-sized data: 40 providers'
observations, assessments and a notice for every provider's submission each 15 minutes.  Upgraded in place as a
user's would be: every row kept, every notice held before says "sender not recorded", a new notice keeps its
sender; downgraded, the column goes and the rest is as it was.  The suite runs a week; SCC_MIGRATION_DAYS=365
runs a year (the report's measurement)."""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from benchmarks import desktop_fixture as fx
from models.replica import migrate
from models.replica.store import Store
from models.service import submission_sender
from sync.apply_intake import apply_intake_notice
from sync.protocol import FeedIntakeNotice
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

BEFORE = "0023"
DAYS = int(os.environ.get("SCC_MIGRATION_DAYS", "7"))
PROVIDERS = 40


def _notices(path, days: int) -> int:
    """A notice per provider per 15 minutes over ``days``, as a hub before senders sent them."""
    n = 0
    with old_replica.held(path) as store:
        codes = [c for (c,) in store.engine.connect().execute(text("SELECT ods_code FROM organisation"))]
        end = int(fx.END.timestamp())
        with store.raw() as raw:
            for day in range(days):
                with raw:
                    rows = []
                    for step in range(96):
                        t = end - (day * 96 + step) * fx.STEP_S
                        for code in codes:
                            n += 1
                            rows.append((f"sub-{n:09d}", code, "json", fx.utc_text(t - 20), fx.utc_text(t), 9,
                                         '["observation:ga_bed_occupancy_pct"]', "[]", 0, 10_000_000 + n))
                    raw.executemany("INSERT INTO intake_notice (submission_id, org_code, source, submitted_at, "
                                    "received_at, accepted, accepted_keys, rejected, rejected_count, feed_seq) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return n


def test_0024_on_a_replica_with_real_sized_data_upgrades_and_downgrades(tmp_path):
    path = tmp_path / "scc.db"
    t0 = time.perf_counter()
    before = old_replica.before(path, BEFORE, days=DAYS, providers=PROVIDERS)
    held = _notices(path, DAYS)
    built = time.perf_counter() - t0
    assert held == DAYS * 96 * PROVIDERS

    t0 = time.perf_counter()
    with Store.unlock(path, PASSPHRASE) as store:   # opened as the app opens it: upgraded in place
        upgraded = time.perf_counter() - t0
        assert store.schema_revision() == migrate.head_revision()
        with store.session() as s:
            assert s.execute(text("SELECT count(*), count(sent_by) FROM intake_notice")).one() == (held, 0)
            code = s.execute(text("SELECT ods_code FROM organisation ORDER BY ods_code LIMIT 1")).scalar()
            _at, sender, *_ = submission_sender.newest(s, code)
            assert submission_sender.line(sender).startswith("Sender not recorded")
        # A new hub's notice keeps its sender.
        with store.writing() as w:
            apply_intake_notice(w.connection(), 99_000_000, FeedIntakeNotice.model_validate({
                "submission_id": "after-0024", "org_code": code, "source": "csv", "submitted_at": "2031-01-01T00:00Z",
                "received_at": "2031-01-01T00:00Z", "accepted": 1,
                "sent_by": {"user": "flow.lead", "door": "web_upload"}}))
        with store.session() as s:
            _at, sender, *_ = submission_sender.newest(s, code)
            assert sender.words() == "a CSV upload on the provider web form, account 'flow.lead'"
    after = old_replica.fingerprint(path)
    assert old_replica.without_revision(after) == old_replica.without_revision(before)

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        with store.engine.connect() as conn:
            columns = {r[1] for r in conn.execute(text("PRAGMA table_info(intake_notice)"))}
            assert "sent_by" not in columns
            assert conn.execute(text("SELECT count(*) FROM intake_notice")).scalar() == held + 1
    assert old_replica.without_revision(old_replica.fingerprint(path)) == old_replica.without_revision(before)
    print(f"\n0024 on {DAYS} days x {PROVIDERS} providers ({held} notices, {before['observation'][0]} observations, "
          f"{path.stat().st_size / 1e6:.0f} MB): built {built:.1f} s, upgrade on open {upgraded:.3f} s, "
          f"downgrade {downgraded:.2f} s")
