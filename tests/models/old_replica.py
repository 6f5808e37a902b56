"""A replica as an older release left it: schema at an old revision, holding real-sized data.

``build(path, revision, days, providers)`` makes a real encrypted replica (key header, fast KDF)
at ``revision`` (0010 or later; from ``TEMPLATE_REVISION`` on, a copy of one filled once in the process at that
revision and upgraded in place) and fills it with the benchmark's feed (``benchmarks/desktop_fixture``:
observations, OPEL assessments and their parameter scores, in feed order), some alert events
(migration 0012 rebuilds that table), unsent outbox records and the feed cursor, so the later
migrations take real time (0015 rebuilds the observation index).  ``fingerprint`` is what must
survive any upgrade: row counts, a checksum of every row of the tables filled here, the cursor.
A migration's own test (tests/models/test_migration_00NN.py) builds one at the revision before it
(``before``), fills the tables the migration changes while ``held`` open as that release holds it,
opens it as the app does (upgraded in place), and ``downgrade``s it again.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.replica import keyfile
from models.replica import migrate
from models.replica.store import Store
from tests.models.conftest import FAST_KDF, PASSPHRASE

KEPT = ("organisation", "observation", "opel_assessment", "opel_parameter_score", "alert_rule", "alert_event",
        "outbox", "feed_cursor")
# Columns present at 0010 and after, in a fixed order (later revisions add columns, which the check ignores).
_COLUMNS = {
    "organisation": "ods_code, name, sector, size, active",
    "observation": "id, org_code, metric_code, observed_at, value, source, received_at, feed_seq",
    "opel_assessment": "id, scope, org_code, pillar, assessed_at, total_score, calculated_level, declared_level, feed_seq",
    "opel_parameter_score": "assessment_id, parameter_key, value, band, points",
    "alert_rule": "code, name, comparison, threshold, sustained_minutes, severity, enabled",
    "alert_event": "uuid, rule_code, org_code, raised_at, cleared_at, detail, escalation_outcome",
    "outbox": "seq, uuid, kind, payload, created_at, attempts, sent_at",
    "feed_cursor": "feed, position, updated_at",
}
_ORDER = {"organisation": "ods_code", "opel_parameter_score": "assessment_id, parameter_key",
          "alert_rule": "code", "alert_event": "uuid", "outbox": "seq", "feed_cursor": "feed"}


# A replica at TEMPLATE_REVISION or later is a copy of one filled once per (days, providers) at TEMPLATE_REVISION in
# this process, upgraded in place to ``revision`` (as a user's replica filled by an older release is): filling a
# week of 40 providers' feed (the OPEL scoring of every tick) took ~25 s per migration test.  Earlier revisions
# are filled anew.
TEMPLATE_REVISION = "0023"
_templates: dict[tuple[int, int], Path] = {}
_lock = threading.Lock()
_folder: Path | None = None


def _template(days: int, providers: int) -> Path:
    global _folder
    with _lock:
        if (days, providers) not in _templates:
            if _folder is None:
                _folder = Path(tempfile.mkdtemp(prefix="scc-old-replica-"))
                atexit.register(shutil.rmtree, _folder, True)
            path = _folder / f"{days}x{providers}" / "scc.db"
            _fill(path, TEMPLATE_REVISION, days, providers, fingerprinted=False)
            _templates[(days, providers)] = path
        return _templates[(days, providers)]


def build(path: Path | str, revision: str = "0010", *, days: int = 3, providers: int = 10) -> dict:
    """Make the replica at ``path`` at ``revision`` and return its ``fingerprint``."""
    path = Path(path)
    if revision < TEMPLATE_REVISION:
        return _fill(path, revision, days, providers)
    template = _template(days, providers)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.stat().st_size > 0:
        raise FileExistsError(f"{path} already exists")
    for source in template.parent.iterdir():   # the database and its key header (closed: no -wal, -shm)
        if source.name.startswith(template.name):
            shutil.copy2(source, path.parent / (path.name + source.name[len(template.name):]))
    key, _ = keyfile.unlock(path, PASSPHRASE)
    store = Store(path, key, "aegis", upgrade=False)
    try:
        migrate.upgrade(store.engine, revision)
    finally:
        store.close()
    return fingerprint(path, key)


def _fill(path: Path, revision: str, days: int, providers: int, *, fingerprinted: bool = True) -> dict | None:
    from benchmarks import desktop_fixture as fx
    from models.replica import ingest

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = keyfile.create(path, PASSPHRASE, "aegis", FAST_KDF)
    store = Store(path, key, "aegis", upgrade=False)
    try:
        migrate.upgrade(store.engine, revision)
        feed = fx.Feed(fx.Scale(days, providers))
        end = int(fx.END.timestamp())
        t, seq, next_id = end - days * 86400 + fx.STEP_S, 0, 1
        with store.raw() as raw:
            with raw:
                raw.executemany("INSERT INTO organisation (ods_code, name, sector, region, size, active) "
                                "VALUES (?, ?, ?, ?, ?, ?)", fx._organisation_rows(feed))
                raw.execute("INSERT INTO alert_rule (code, name, metric_code, comparison, threshold, "
                            "sustained_minutes, severity, enabled) VALUES ('occ', 'Occupancy over 95%', "
                            "'ga_bed_occupancy_pct', '>', 95, 60, 'warning', 1)")
            while t <= end:
                with raw:
                    for _ in range(96):   # a day a transaction
                        if t > end:
                            break
                        obs, assess, seq = feed.tick(t, seq)
                        raw.executemany(ingest._INSERT, obs)
                        next_id = fx._insert_assessments(raw, assess, next_id)
                        t += fx.STEP_S
                    ingest.set_cursor(raw, "main", seq)
            with raw:
                for i in range(200):
                    raw.execute("INSERT INTO alert_event (uuid, rule_code, org_code, raised_at, cleared_at, "
                                "detail, escalation_outcome) VALUES (?, 'occ', ?, ?, ?, ?, ?)",
                                (f"00000000-0000-4000-8000-{i:012d}", feed.providers[i % providers].code,
                                 fx.utc_text(end - i * 3600), None if i % 3 else fx.utc_text(end - i * 3600 + 900),
                                 f"occupancy {90 + i % 10}%", "sent" if i % 2 else None))
                for i in range(25):
                    raw.execute("INSERT INTO outbox (uuid, kind, payload, created_at, attempts) "
                                "VALUES (?, 'decision', ?, ?, ?)",
                                (f"10000000-0000-4000-8000-{i:012d}", json.dumps({"n": i, "text": "unsent"}),
                                 fx.utc_text(end - i * 60), i % 4))
    finally:
        store.close()
    return fingerprint(path, key) if fingerprinted else None


def fingerprint(path: Path | str, key: bytes | None = None) -> dict:
    """Counts and a checksum of every row kept (columns of 0010), the cursor, and the revision."""
    from models.replica.store import connect_raw

    if key is None:
        key, _ = keyfile.unlock(path, PASSPHRASE)
    conn = connect_raw(path, key, readonly=True)
    try:
        out = {"revision": migrate.raw_revision(conn)}
        for table in KEPT:
            digest, n = hashlib.sha256(), 0
            for row in conn.execute(f"SELECT {_COLUMNS[table]} FROM {table} "
                                    f"ORDER BY {_ORDER.get(table, 'id')}"):
                digest.update(repr(row).encode())
                n += 1
            out[table] = (n, digest.hexdigest()[:16])
        out["cursor"] = conn.execute("SELECT position FROM feed_cursor WHERE feed = 'main'").fetchall()[0][0]
        out["integrity"] = conn.execute("PRAGMA integrity_check").fetchall()[0][0]
    finally:
        conn.close()
    return out


def without_revision(found: dict) -> dict:
    return {k: v for k, v in found.items() if k != "revision"}


def before(path: Path | str, revision: str, *, days: int = 7, providers: int = 40) -> dict:
    """A real-sized replica at ``revision`` (a week of 40 providers' data unless told): its ``fingerprint``."""
    found = build(path, revision, days=days, providers=providers)
    assert found["revision"] == revision
    return found


@contextmanager
def held(path: Path | str) -> Iterator[Store]:
    """The replica opened as the release before the migration holds it: unlocked, not upgraded."""
    key, _ = keyfile.unlock(path, PASSPHRASE)
    store = Store(path, key, "aegis", upgrade=False)
    try:
        yield store
    finally:
        store.close()


def downgrade(store: Store, revision: str) -> float:
    """Alembic's downgrade of ``store`` to ``revision`` in one transaction; the seconds it took."""
    from alembic import command

    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        cfg = migrate._config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return time.perf_counter() - t0
