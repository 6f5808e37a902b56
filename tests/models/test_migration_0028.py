"""Migration 0028 (``intake_notice.unchecked``: the declarations the hub took without checking them, session 29)
on a real encrypted replica holding real-sized data: 40 providers' observations, assessments and a notice for
every provider's submission each 15 minutes.  Upgraded in place as a user's would be: every row kept, every
notice held before lists nothing unchecked; a new notice keeps what it lists; downgraded, the column goes and
the rest is as it was.  The suite runs a week; SCC_MIGRATION_DAYS=365 runs a year."""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from models.replica import migrate
from models.replica.store import Store
from sync.apply_intake import apply_intake_notice
from sync.protocol import FeedIntakeNotice
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE
from tests.models.test_migration_0024 import _notices

BEFORE = "0027"
DAYS = int(os.environ.get("SCC_MIGRATION_DAYS", "7"))
PROVIDERS = 40


def test_0028_on_a_replica_with_real_sized_data_upgrades_and_downgrades(tmp_path):
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
            assert s.execute(text("SELECT count(*), count(unchecked) FROM intake_notice")).one() == (held, 0)
            code = s.execute(text("SELECT ods_code FROM organisation ORDER BY ods_code LIMIT 1")).scalar()
        with store.writing() as w:   # a notice of this hub's keeps what it lists
            apply_intake_notice(w.connection(), 99_000_000, FeedIntakeNotice.model_validate({
                "submission_id": "after-0028", "org_code": code, "source": "json", "submitted_at": "2031-01-01T00:00Z",
                "received_at": "2031-01-01T00:00Z", "accepted": 1, "unchecked": [{
                    "index": 0, "type": "opel_declaration", "pillar": "acute", "declared_level": 2,
                    "assessed_at": "2030-12-30T09:00Z", "history_from": "2030-12-31T09:00Z",
                    "parameters": ["ga_bed_occupancy_pct"], "cause": "the hub's retention deleted them"}]}))
        with store.session() as s:
            (kept,) = s.execute(text("SELECT unchecked FROM intake_notice WHERE submission_id = 'after-0028'")).one()
            assert '"declared_level": 2' in kept and '"ga_bed_occupancy_pct"' in kept, kept
    after = old_replica.fingerprint(path)
    assert old_replica.without_revision(after) == old_replica.without_revision(before)

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        with store.engine.connect() as conn:
            columns = {r[1] for r in conn.execute(text("PRAGMA table_info(intake_notice)"))}
            assert "unchecked" not in columns
            assert conn.execute(text("SELECT count(*) FROM intake_notice")).scalar() == held + 1
    assert old_replica.without_revision(old_replica.fingerprint(path)) == old_replica.without_revision(before)
    print(f"\n0028 on {DAYS} days x {PROVIDERS} providers ({held} notices, {path.stat().st_size / 1e6:.0f} MB): "
          f"built {built:.1f} s, upgrade on open {upgraded:.3f} s, downgrade {downgraded:.2f} s")
