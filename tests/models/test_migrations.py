"""Schema migrations: an older replica upgrades on open without loss; no drift."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text

from models.replica import keyfile
from models.replica import migrate
from models.replica.orm import Base, Observation, Organisation
from models.replica.store import Store
from tests.models.conftest import FAST_KDF, PASSPHRASE


def _make_old_replica(path, revision):
    """A replica as an older release left it: schema at ``revision``, with data."""
    key = keyfile.create(path, PASSPHRASE, "chacha20", FAST_KDF)
    old = Store(path, key, "chacha20", upgrade=False)
    migrate.upgrade(old.engine, revision)
    with old.engine.begin() as conn:
        conn.execute(text("INSERT INTO organisation (ods_code, name, sector, size, active) "
                          "VALUES ('RXX', 'Old Trust', 'acute', 650, 1)"))
        conn.execute(text(
            "INSERT INTO observation (org_code, metric_code, observed_at, value, source, "
            "received_at, feed_seq) VALUES ('RXX', 'ga_bed_occupancy_pct', "
            "'2025-01-06T09:00:00.000000+00:00', 95.5, 'sitrep', "
            "'2025-01-06T09:05:00.000000+00:00', 41)"))
        conn.execute(text("INSERT INTO feed_cursor (feed, position, updated_at) VALUES "
                          "('main', 41, '2025-01-06T09:05:00.000000+00:00')"))
    old.close()


def test_older_schema_opens_and_upgrades_without_loss(tmp_path):
    path = tmp_path / "old.db"
    _make_old_replica(path, "0001")
    with Store.unlock(path, PASSPHRASE) as store:
        assert store.schema_revision() == migrate.head_revision()
        with store.session() as s:
            assert s.get(Organisation, "RXX").size == 650
            obs = s.scalars(select(Observation)).one()
            assert (obs.value, obs.feed_seq, obs.observed_at.hour) == (95.5, 41, 9)
            assert s.execute(text("SELECT position FROM feed_cursor")).scalar() == 41
        tables = set(inspect(store.engine).get_table_names())
        assert {"opel_assessment", "decision_entry", "quarantined_record"} <= tables


def _older_revisions():
    from alembic.script import ScriptDirectory
    scripts = ScriptDirectory.from_config(migrate._config())
    return [s.revision for s in scripts.walk_revisions() if s.revision != migrate.head_revision()]


def test_every_revision_upgrades_in_turn(tmp_path):
    assert len(_older_revisions()) >= 3
    for rev in _older_revisions():
        path = tmp_path / f"r{rev}.db"
        _make_old_replica(path, rev)
        with Store.unlock(path, PASSPHRASE) as store:
            assert store.schema_revision() == migrate.head_revision()


def test_migrated_schema_matches_the_models(store):
    # Any model change without a migration shows here as a difference.
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_reopening_at_head_runs_no_migration(store, store_path):
    store.close()
    with Store.unlock(store_path, PASSPHRASE) as again:
        assert again.schema_revision() == migrate.head_revision()


def test_head_read_from_the_scripts_is_alembics_head():
    from alembic.script import ScriptDirectory
    assert migrate.head_revision() == ScriptDirectory.from_config(migrate._config()).get_current_head()


def test_opening_a_current_replica_does_not_load_alembic(store, store_path, tmp_path):
    import subprocess
    import sys

    from models.replica import keyfile
    store.close()
    key, _ = keyfile.unlock(store_path, PASSPHRASE)
    code = ("import sys; from models.replica.store import Store; "
            f"s = Store.open_with_key({str(store_path)!r}, bytes.fromhex({key.hex()!r})); "
            "print(s.schema_revision(), 'alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=str(migrate.SCRIPTS.parent.parent))
    assert done.stdout.split() == [migrate.head_revision(), "False"], done.stderr
