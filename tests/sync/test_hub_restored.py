"""A hub's database put back from a backup (same ``hub_id``, its feed's head gone back): nothing lost, nothing
stuck (docs/reliability.md, "The hub's database put back from a backup"; sync/feed_restore.py).

A real hub on loopback with 40 providers and three days of hourly figures (about 8,000 feed positions), its
database backed up while it serves (SQLite's backup API; PostgreSQL's pg_dump); real desktops (the sync engine
on encrypted replicas) record decisions after the backup; then the hub is stopped, the backup put in its place,
and started again on the same address. The cases the session-30 brief named:

1. a desktop whose cursor is beyond the restored head is not stopped (409 ``cursor_ahead`` every cycle before);
2. once providers have submitted again past its cursor, it reads what the restored hub holds at the positions
   it had read before (before: never fetched, silently);
3. its decisions and actions the hub took after the backup are sent again, so every desktop and the hub hold
   them (before: counted as sent, gone from the hub); the decision log verifies whole;
and a desktop that last synced before the backup is not affected at all.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, make_url, select, text

from models.records import verify
from models.replica.orm import Action, DecisionEntry, Observation, OutboxItem
from models.replica.store import Store
from sync import authoring
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import TEST_ORGS, HubProcess, connection, start_hub
from tests.support.postgres import find_bindir
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(autouse=True)
def _info(caplog):
    caplog.set_level(logging.INFO, logger="sync.feed_restore")

PROVIDERS = tuple({"ods_code": f"RP{n:03d}", "name": f"Provider {n}", "sector": "acute", "size": 500.0}
                  for n in range(40))
METRICS = ("ga_bed_occupancy_pct", "ed_four_hour_performance_pct")
DAYS = 3
START = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(days=DAYS + 1)


def _submit(hub, org: str, hours: range, salt: float = 0.0) -> None:
    items = [{"type": "observation", "metric": m, "observed_at": (START + timedelta(hours=h)).isoformat(),
              "value": round(50 + (h * 7 + i * 13 + salt) % 40, 1)}
             for h in hours for i, m in enumerate(METRICS)]
    body = {"submission_id": f"sub-{uuid.uuid4().hex}", "org_code": org,
            "submitted_at": datetime.now(timezone.utc).isoformat(), "items": items}
    r = hub.request("POST", "/v1/submissions", role="admin", json=body)
    assert r.status_code == 200, r.text


def _days(hub, first_hour: int, hours: int, salt: float = 0.0) -> None:
    for org in PROVIDERS:
        for day in range(first_hour, first_hour + hours, 24):
            _submit(hub, org["ods_code"], range(day, min(day + 24, first_hour + hours)), salt)


def _desktop(hub, folder: Path, name: str) -> SyncEngine:
    store = fresh_replica(folder / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    return SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), max_batches_per_cycle=100_000)


def _backup(db_url: str, to: Path) -> None:
    """The night's backup taken while the hub serves (docs/deployment.md): SQLite's backup API; on PostgreSQL
    ``pg_dump`` (a consistent snapshot of the database, as a base backup restored to that point would be)."""
    if db_url.startswith("sqlite"):
        source, target = sqlite3.connect(db_url.removeprefix("sqlite:///")), sqlite3.connect(to)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return
    url = make_url(db_url)
    subprocess.run([str(find_bindir() / "pg_dump"), "-h", url.host, "-p", str(url.port), "-U", url.username,
                    "-Fc", "-f", str(to), url.database], check=True, timeout=120, capture_output=True)


def _put_back(hub, backup: Path, *, start: bool = True) -> None:
    """The hub stopped, its database replaced by the backup (SQLite: the file, its log files with it;
    PostgreSQL: the database dropped and restored), started again on the same address (unless ``start`` is
    false: a copy of the database is then started by each test, ``restored_story``)."""
    hub.stop()
    if hub.db_url.startswith("sqlite"):
        live = Path(hub.db_url.removeprefix("sqlite:///"))
        for extra in ("-wal", "-shm"):
            Path(str(live) + extra).unlink(missing_ok=True)
        live.write_bytes(backup.read_bytes())
    else:
        url = make_url(hub.db_url)
        with psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname=postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE "{url.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{url.database}"')
        subprocess.run([str(find_bindir() / "pg_restore"), "-h", url.host, "-p", str(url.port), "-U",
                        url.username, "-d", url.database, str(backup)], check=True, timeout=120, capture_output=True)
    if start:
        hub.start()


def _decide(desk: SyncEngine, what: str) -> str:
    return authoring.record_decision(desk.store, decision_maker="Dr Patel", decision_maker_role="Director on-call",
                                     decision=what, rationale="Handover waits over 60 minutes",
                                     recorded_by="Room support").uuid


def _observations(desk: SyncEngine) -> set[tuple]:
    with desk.store.session() as s:
        return {(o, m, t.isoformat(), v) for o, m, t, v in s.execute(
            select(Observation.org_code, Observation.metric_code, Observation.observed_at, Observation.value))}


def _decisions(desk: SyncEngine) -> set[str]:
    with desk.store.session() as s:
        return set(s.scalars(select(DecisionEntry.uuid)))


def _hub_records(hub) -> list[str]:
    """The uuid of every record the hub holds, once per copy (its own database, read directly)."""
    with connection(hub.db_url) as conn:
        return [r[0] for r in conn.execute(text("SELECT uuid FROM record"))]


@pytest.fixture
def restored(request, tmp_path, hub_db_url):
    """The story up to the restore: returns the hub (put back), the desktops and what each did."""
    with restored_story(request, tmp_path, hub_db_url) as story:
        yield story


def _nothing(*_story) -> None:
    return None


def _plain(_folder: Path) -> dict:
    return {}


# Each story built once per (story, database) in this process (an xdist worker), then copied for each test.
_BUILT: dict[tuple[str, str], dict] = {}


@contextmanager
def restored_story(request, tmp_path, hub_db_url, *, name: str = "plain", setup=_plain):
    """The story up to the restore (``_build``), given to this test as copies of its own: the hub's database
    (the SQLite file; on PostgreSQL ``CREATE DATABASE ... TEMPLATE``), the desktops' encrypted replicas and any
    files the story wrote (the snapshots folder), a hub process started on the copy (as the story's own hub was
    started again on the restored database) and the desktops opened again on theirs. No test sees another's
    writes. The story is built once per (``name``, database) in this process: ``setup(folder)`` gives
    ``_build``'s ``hub_args``, ``days_stored`` and ``before_backup`` for a build under ``folder``, and ``extra()``
    what the story adds to what it yields. Yields the hub (put back), the desktops and what each did."""
    backend = "sqlite" if hub_db_url.startswith("sqlite") else "postgresql"
    built = _BUILT.get((name, backend))
    if built is None:
        folder = request.getfixturevalue("tmp_path_factory").mktemp(f"restored-{name}-{backend}")
        db_url = (f"sqlite:///{folder / 'hub.db'}" if backend == "sqlite"
                  else request.getfixturevalue("postgres_cluster").create_database())
        parts = setup(folder)
        built = _build(folder, db_url, hub_args=parts.get("hub_args", ()),
                       days_stored=parts.get("days_stored", _nothing),
                       before_backup=parts.get("before_backup", _nothing))
        built["story"].update(parts.get("extra", dict)())
        _BUILT[(name, backend)] = built
    source: Path = built["folder"]
    shutil.copytree(source, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log", "hub-backup.db"))
    if backend == "sqlite":
        assert hub_db_url == f"sqlite:///{tmp_path / 'hub.db'}", hub_db_url
    else:
        url, template = make_url(hub_db_url), make_url(built["db_url"])
        with psycopg.connect(f"host={url.host} port={url.port} user={url.username} dbname=postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE "{url.database}"')
            conn.execute(f'CREATE DATABASE "{url.database}" TEMPLATE "{template.database}"')
    args = tuple(a.replace(str(source), str(tmp_path)) for a in built["hub_args"])
    hub = HubProcess(hub_db_url, tmp_path, dict(built["tokens"]), args=args).start()
    desks = []
    try:
        for n in ("a", "b", "d", "e"):
            store = Store.unlock(tmp_path / n / "scc.db", PASSPHRASE)
            desks.append(SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]),
                                    max_batches_per_cycle=100_000))
        a, b, d, e = desks
        yield {**built["story"], "hub": hub, "a": a, "b": b, "d": d, "e": e, "folder": tmp_path}
    finally:
        for desk in desks:
            desk.client.close()
            desk.store.close()
        hub.stop()


def _build(folder: Path, hub_db_url: str, *, hub_args: tuple[str, ...] = (), days_stored=_nothing,
           before_backup=_nothing) -> dict:
    """The story up to the restore, the hub serving with ``hub_args``; ``days_stored(hub)`` runs once the three
    days are stored (before desktops a, b and d read them; e read the first two), ``before_backup(hub, desks)``
    once a, b and d have synced, before the backup (``desks``: a, b, d, e). Ends with the hub stopped on its
    database put back from the backup and the desktops closed (their replicas under ``folder/<name>``); returns
    what ``restored_story`` copies and opens again for each test."""
    hub = start_hub(folder, hub_db_url, orgs=TEST_ORGS + PROVIDERS, args=hub_args)
    desks = []
    try:
        a, b, d, e = (_desktop(hub, folder, n) for n in ("a", "b", "d", "e"))
        desks += [a, b, d, e]
        _days(hub, 0, (DAYS - 1) * 24)                   # three days of 40 providers' figures ...
        e_early = _decide(e, "Open the discharge lounge at Trust Two")
        assert e.run_once().error is None                # (e last syncs here, then after the backup)
        _days(hub, (DAYS - 1) * 24, 24)                  # ... the third
        days_stored(hub)
        early = _decide(a, "Open the escalation ward at Trust One")
        for desk in (a, b, d):
            assert desk.run_once().error is None
        before_backup(hub, (a, b, d, e))
        backup = folder / "hub-backup.db"
        _backup(hub.db_url, backup)                      # the night's backup, the hub serving
        backup_head = d.position()
        # After the backup: a fourth morning of figures, decisions and an action from two desktops.
        _days(hub, DAYS * 24, 12, salt=0.5)
        lost = [_decide(a, "Divert ambulances from Trust One for 2 hours"),
                _decide(b, "Request mutual aid from neighbouring ICS"),
                _decide(a, "Stand down the divert")]
        action = authoring.add_action(a.store, description="Call the on-call director at 14:00",
                                      owner="Room lead", author="Room support", decision_uuid=lost[0])
        for desk in (a, b, a, e):
            assert desk.run_once().error is None
        assert a.position() > backup_head and lost[0] in _hub_records(hub) and e.position() == a.position()
        _put_back(hub, backup, start=False)              # the disk failed: last night's backup put back
        return {"folder": folder, "db_url": hub.db_url, "tokens": dict(hub.tokens), "hub_args": tuple(hub_args),
                "story": {"e_early": e_early, "lost": lost, "early": early, "action": action,
                          "backup_head": backup_head}}
    finally:
        for desk in desks:
            desk.client.close()
            desk.store.close()
        hub.stop()


def _probes(caplog) -> str:
    return "; ".join(found.group(0) for r in caplog.records if r.name == "sync.feed_restore"
                     and (found := re.search(r"\d+ row\(s\) set aside(, \d+ probe\(s\)| came back)",
                                             r.getMessage())))


def test_a_desktop_beyond_the_restored_head_is_not_stopped_and_resends_what_the_hub_lost(restored, caplog):
    """Gap 1 and 3: every cycle was refused (409 cursor_ahead) and the decisions the hub took after its
    backup were nowhere but on the desktops that wrote them."""
    hub, a, b = restored["hub"], restored["a"], restored["b"]
    assert a.position() > restored["backup_head"]
    started = time.monotonic()
    first = a.run_once()
    took = time.monotonic() - started
    assert first.error is None, first.error
    assert first.feed_restored and "put back to" in first.feed_restored and "re-sent 3 record(s)" in first.feed_restored
    print(f"\nrecovery cycle on desktop a: {took:.2f} s ({_probes(caplog)}); {first.feed_restored}")
    assert a.run_once().feed_restored is None                  # told once
    assert b.run_once().error is None and a.run_once().error is None
    held = _hub_records(hub)
    assert set(restored["lost"]) <= set(held) and restored["action"] in held and restored["early"] in held
    fresh = _desktop(hub, restored["folder"], "fresh")
    try:
        assert fresh.run_once().error is None
        for desk in (a, b, fresh):
            assert set(restored["lost"]) <= _decisions(desk)
            with desk.store.session() as s:
                assert verify.verify(s).intact, verify.verify(s).summary()
                assert s.get(Action, restored["action"]) is not None
        with a.store.session() as s:
            assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))) == 0
    finally:
        fresh.client.close()
        fresh.store.close()


def test_a_desktop_reads_what_the_restored_hub_wrote_past_its_cursor(restored, caplog):
    """Gap 2: providers submit to the restored hub until its head passes the desktop's cursor; the desktop
    asked after its cursor and never read the new items at the positions in between."""
    hub, a, d = restored["hub"], restored["a"], restored["d"]
    _days(hub, DAYS * 24, 24, salt=0.25)           # the fourth day again, other values, and more
    assert hub.request("GET", "/v1/feed", role="room_lead",
                       params={"after": 0, "limit": 1}).json()["head"] > a.position()
    result = a.run_once()
    assert result.error is None and result.feed_restored
    assert a.run_once().error is None
    fresh = _desktop(hub, restored["folder"], "fresh")
    try:
        assert fresh.run_once().error is None
        missing = _observations(fresh) - _observations(a)
        assert not missing, f"{len(missing)} observation(s) the hub holds never reached desktop a"
        # What the hub lost was kept on the desktop that read it, until the hub holds the same hours again (here
        # with other values): then the hub's figure stands, once (sync/set_aside.py; r2 finding 3).
        assert _observations(a) == _observations(fresh)
        # The desktop that last synced before the backup is not affected: no recovery, the same feed.
        assert d.run_once().feed_restored is None
        assert _observations(d) == _observations(fresh)
        # One whose last mark before the restored head is a day earlier re-reads from there: what the hub
        # kept comes back once, not twice; what it lost stays.
        e = restored["e"]
        started = time.monotonic()
        result = e.run_once()
        print(f"\nrecovery cycle on desktop e: {time.monotonic() - started:.2f} s ({_probes(caplog)}); "
              f"{result.feed_restored}")
        assert result.error is None and result.feed_restored
        assert _observations(e) == _observations(a)
        with e.store.session() as s:
            assert s.scalar(select(func.count()).select_from(Observation)) == len(_observations(e))
    finally:
        fresh.client.close()
        fresh.store.close()


def test_a_replica_without_marks_rereads_the_whole_feed_and_resends_what_the_hub_holds_as_duplicates(restored):
    """A replica that kept no marks (synced only by a version before them, or joined from a snapshot since)
    agrees with the hub on nothing it can show: it re-reads from 0 and sends all its records again; the hub
    answers "duplicate" for the one it still holds, and nothing is doubled on either side."""
    hub, e = restored["hub"], restored["e"]
    with e.store.writing() as s:
        s.execute(text("DELETE FROM replica_meta WHERE key IN ('feed_mark', 'feed_marks')"))
    started = time.monotonic()
    result = e.run_once()
    took = time.monotonic() - started
    print(f"\nrecovery cycle from 0 on desktop e ({e.position()} positions): {took:.2f} s; {result.feed_restored}")
    assert result.error is None and "re-sent 1 record(s)" in result.feed_restored
    assert result.pushed == 0   # the hub still held it: a duplicate, not stored twice
    assert _hub_records(hub).count(restored["e_early"]) == 1
    fresh = _desktop(hub, restored["folder"], "fresh")
    try:
        assert fresh.run_once().error is None
        assert _observations(fresh) <= _observations(e)
        with e.store.session() as s:
            assert s.scalar(select(func.count()).select_from(Observation)) == len(_observations(e))
            assert verify.verify(s).intact, verify.verify(s).summary()
            assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))) == 0
        assert _decisions(fresh) <= _decisions(e)
    finally:
        fresh.client.close()
        fresh.store.close()


def test_a_join_from_the_snapshot_leaves_the_old_replicas_marks_behind(tmp_path):
    """The marks and a recovery under way name the old rows' positions: a replica joining again from the hub's
    snapshot (behind its retention) carries its own facts into the copy, but not these."""
    from sync import snapshot_join

    store = fresh_replica(tmp_path / "old" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    with store.writing() as s:
        for key, value in (("feed_mark", "8092 1796558400123456"), ("feed_marks", "[[8092, 1796558400123456]]"),
                           ("feed_rewound", '{"position": 4647, "cursor_before": 8092, "offset": 1}'),
                           ("device_id", "kept-device")):
            s.execute(text("INSERT OR REPLACE INTO replica_meta (key, value) VALUES (:k, :v)"), {"k": key, "v": value})
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    own = snapshot_join._old_replica(path, key, cipher, rejoin=True)
    carried = dict(own.meta)
    assert carried.get("device_id") == "kept-device"
    assert not {"feed_mark", "feed_marks", "feed_rewound"} & set(carried)


def test_another_hub_at_the_address_gets_nothing_and_the_refusal_stands(restored):
    """The recovery is for the hub this replica follows: pointed at another (another hub_id: a training hub
    at the same address, say) a desktop neither re-reads its feed nor sends it its records."""
    a = restored["a"]
    with a.store.writing() as s:
        s.execute(text("INSERT OR REPLACE INTO replica_meta (key, value) VALUES ('hub_id', 'another-hub')"))
    before = a.position()
    result = a.run_once()
    assert result.error and "beyond this hub's newest position" in result.error and not result.feed_restored
    assert a.position() == before
    with a.store.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.sent_at.is_(None))) == 0
