"""A hub whose database is full, read-only or failing answers 503 with the reason, and recovers.

Before (issue 15, finding 2): every write answered 500 ``internal`` with no reason
while ``/health`` said ``ok``. Now a write that fails because of the database's
storage answers 503 ``unavailable`` naming the cause, with ``Retry-After``;
``/health`` answers 503 ``degraded`` with the reason until a write succeeds
again; and once space returns the next write simply succeeds.

Three real faults: SQLite's own page limit (``PRAGMA max_page_count``, set on
every connection the hub takes from its pool), a real small filesystem (tmpfs;
needs root to mount, skipped with the reason otherwise) under an SQLite hub and
under a PostgreSQL tablespace, and a PostgreSQL database made read-only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import event

from sync import protocol as p
from sync.client import HubClient, HubUnreachable
from sync.hub.server import start_in_thread
from tests.support.hub import seed, start_hub
from tests.sync.hub.helpers import obs, submission
from tests.sync.hub.test_intake_bounds import full_decision

ROLE_TOKEN = "admin"


def items(n: int = 200, start: float = 0) -> list[dict]:
    """A real-sized submission: every acute parameter a trust sends, many times over."""
    return [obs("ga_bed_occupancy_pct", 80 + (i % 150) / 10, minutes=start - i / 10) for i in range(n)]


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.session = url, requests.Session()
        self.session.headers.update({p.VERSION_HEADER: p.PROTOCOL_VERSION, "Authorization": f"Bearer {token}"})

    def submit(self, n: int = 200, org: str = "RTEST1") -> requests.Response:
        return self.session.post(self.url + "/v1/submissions", json=submission(items(n), org=org), timeout=60)

    def health(self) -> requests.Response:
        return self.session.get(self.url + "/health", timeout=10)

    def close(self) -> None:
        self.session.close()


def assert_unavailable(r: requests.Response, *words: str) -> None:
    assert r.status_code == 503, r.text
    body = p.ErrorBody.model_validate(r.json())
    assert body.code == "unavailable" and all(w in body.message for w in words), body.message
    assert int(r.headers["Retry-After"]) > 0


def assert_degraded(r: requests.Response, *words: str) -> None:
    assert r.status_code == 503, r.text
    health = p.Health.model_validate(r.json())
    assert health.status == "degraded" and all(w in (health.reason or "") for w in words), health
    assert int(r.headers["Retry-After"]) > 0


def fill_until_refused(client: Client, limit: int = 400) -> tuple[int, requests.Response]:
    """Submit until the hub refuses; returns how many were accepted and the refusal."""
    for accepted in range(limit):
        r = client.submit()
        if r.status_code != 200:
            return accepted, r
    raise AssertionError(f"the hub accepted {limit} submissions; the database never filled")


def test_a_full_sqlite_database_answers_503_naming_it_and_recovers_when_space_returns(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(db_url)
    handle = start_in_thread(db_url)
    limit = {"pages": None}

    def cap(dbapi_conn, _record, _proxy):  # the hub's pool hands this connection out: apply the cap
        if limit["pages"] is not None:
            dbapi_conn.execute(f"PRAGMA max_page_count = {limit['pages']}")
        else:
            dbapi_conn.execute("PRAGMA max_page_count = 1073741823")

    event.listen(handle.hub.db.engine, "checkout", cap)
    client = Client(handle.url, tokens[ROLE_TOKEN])
    try:
        before = client.health().json()["head"]
        assert client.submit().status_code == 200
        head = client.health().json()["head"]
        per_submission = head - before  # 200 observations and the OPEL rescoring they cause
        with handle.hub.db.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        limit["pages"] = pages + 64  # room for a little more, then full
        accepted, refused = fill_until_refused(client)
        assert_unavailable(refused, "full")
        assert_degraded(client.health(), "full")
        # Records are refused the same way (a real batch: decisions with a 40-provider snapshot);
        # reading the feed still works.
        records = [full_decision(f"while full {i}") for i in range(50)]
        r = client.session.post(client.url + "/v1/records", json={"records": records})
        assert_unavailable(r, "full")
        # A desktop's client says why, not just "hub error HTTP 503" (the banner and sync --once show it).
        desk = HubClient(handle.url, tokens[ROLE_TOKEN])
        with pytest.raises(HubUnreachable, match=r"HTTP 503.*full"):
            desk.push(p.RecordBatch(records=[p.RecordPush.model_validate(rec) for rec in records]))
        with pytest.raises(HubUnreachable, match=r"HTTP 503.*full"):
            desk.health()
        desk.close()
        feed = client.session.get(client.url + "/v1/feed", params={"after": head, "limit": 10})
        assert feed.status_code == 200
        # Nothing half-stored. Alerts the submissions raised go on the feed with them, but only
        # the first breach of a rule raises one, so they are counted apart from the data.
        after = client.session.get(client.url + "/v1/feed", params={"after": before, "limit": 5000}).json()["items"]
        alerts = [sum(1 for i in after if i["kind"] == "alert" and lo < i["seq"] <= hi)
                  for lo, hi in ((before, head), (head, head + 10**9))]
        assert feed.json()["head"] == head + accepted * (per_submission - alerts[0]) + alerts[1]

        limit["pages"] = None  # space returns
        assert client.submit().status_code == 200
        assert client.health().status_code == 200 and client.health().json()["status"] == "ok"
    finally:
        client.close()
        handle.stop()


def _root_reason() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root; run as root to test a real full filesystem"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@pytest.fixture
def small_fs():
    """A real filesystem of a few MB (tmpfs), unmounted afterwards. Mounted under /tmp itself,
    not pytest's per-user folder, so the postgres user can reach it for a tablespace."""
    reason = _root_reason()
    if reason:
        pytest.skip(reason)
    mnt = Path(tempfile.mkdtemp(prefix="scc-small-fs-"))
    mnt.chmod(0o755)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0777", "tmpfs", str(mnt)],
                          capture_output=True, text=True, timeout=30)
    if made.returncode != 0:
        mnt.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30)
        mnt.rmdir()


def fill_disk(folder: Path, leave: int) -> Path:
    """A file taking all but ``leave`` bytes of ``folder``'s filesystem."""
    filler = folder / "filler.bin"
    free = shutil.disk_usage(folder).free
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        remaining = max(0, free - leave)
        while remaining > 0:
            remaining -= f.write(chunk[:min(len(chunk), remaining)])
        f.flush()
        os.fsync(f.fileno())
    return filler


def test_a_full_filesystem_under_an_sqlite_hub_answers_503_and_recovers(small_fs, tmp_path):
    # A real hub process with its database on the small filesystem (its log elsewhere).
    hub = start_hub(tmp_path, f"sqlite:///{small_fs / 'hub.db'}")
    client = Client(hub.url, hub.tokens[ROLE_TOKEN])
    try:
        assert client.submit().status_code == 200
        filler = fill_disk(small_fs, leave=256 * 1024)
        accepted, refused = fill_until_refused(client)
        assert_unavailable(refused, "full")
        assert_degraded(client.health(), "full")
        assert hub.proc.poll() is None, "the hub keeps running"
        filler.unlink()  # space returns
        assert client.submit().status_code == 200
        assert client.health().json()["status"] == "ok"
    finally:
        client.close()
        hub.stop()


def assert_degraded_until_full(client: Client, cluster, wait: float = 30) -> None:
    """/health says degraded at every ask and names the full disk within ``wait`` seconds.

    Its own read may first find the server unreachable (a CI run once saw "cannot reach its
    database server" just after the refusal); that is degraded too, and once the read succeeds
    the reason is the write that failed. PostgreSQL's log is in the message if it never says so."""
    deadline = time.monotonic() + wait
    while True:
        r = client.health()
        try:
            assert_degraded(r)              # every answer: 503 "degraded", with Retry-After
            assert_degraded(r, "full")      # and, once its own read succeeds, the reason
            return
        except AssertionError as exc:
            degraded = r.status_code == 503 and r.json().get("status") == "degraded"
            if not degraded or time.monotonic() > deadline:
                log = (cluster.data / "server.log").read_text(errors="replace")[-3000:]
                raise AssertionError(f"{exc}\nPostgreSQL's log ends:\n{log}") from None
        time.sleep(0.5)


def test_a_full_postgresql_tablespace_answers_503_and_recovers(small_fs, postgres_cluster, tmp_path):
    space = small_fs / "pg"
    space.mkdir()
    shutil.chown(space, "postgres", "postgres")
    name = f"full_{uuid.uuid4().hex[:8]}"
    admin = postgres_cluster.url("postgres").replace("postgresql+psycopg", "postgresql")
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{space}'")
        conn.execute(f'CREATE DATABASE "{name}" TABLESPACE {name}')
    hub = start_hub(tmp_path, postgres_cluster.url(name))
    client = Client(hub.url, hub.tokens[ROLE_TOKEN])
    try:
        assert client.submit().status_code == 200
        filler = fill_disk(small_fs, leave=256 * 1024)
        accepted, refused = fill_until_refused(client)
        assert_unavailable(refused, "full")
        assert_degraded_until_full(client, postgres_cluster)
        filler.unlink()
        assert client.submit().status_code == 200
        assert client.health().json()["status"] == "ok"
    finally:
        client.close()
        hub.stop()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


def test_a_read_only_postgresql_database_answers_503_naming_it(postgres_cluster, tmp_path):
    db_url = postgres_cluster.create_database()
    hub = start_hub(tmp_path, db_url)
    client = Client(hub.url, hub.tokens[ROLE_TOKEN])
    name = db_url.rsplit("/", 1)[1]
    admin = postgres_cluster.url("postgres").replace("postgresql+psycopg", "postgresql")
    import psycopg

    try:
        assert client.submit().status_code == 200
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            # Sessions read the setting when they start: end the hub's pooled ones.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        refused = client.submit()
        assert_unavailable(refused, "read-only")
        # /health's own pooled connection may be one the termination ended: degraded then too, "shutting
        # down" (a clean-clone CI run, session 22); the next one it opens meets the read-only database. The
        # pool may hold several ended ones (three in a row said "shutting down" on a clean-clone run, session
        # 24): each is dropped as it is met, so ask until one that is not (bounded).
        for _ in range(12):
            health = client.health()
            assert health.status_code == 503 and health.json()["status"] == "degraded", health.text
            if "read-only" in (health.json().get("reason") or ""):
                break
        assert_degraded(health, "read-only")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        for _ in range(3):  # the pool may hand out a connection that was ended: one 503, then fine
            r = client.submit()
            if r.status_code == 200:
                break
        assert r.status_code == 200, r.text
        assert client.health().json()["status"] == "ok"
    finally:
        client.close()
        hub.stop()


def test_a_full_filesystem_under_a_hub_loses_nothing_and_a_desktop_catches_up(small_fs, tmp_path):
    """Issue 22 (faults): the same real full filesystem, end to end with a desktop. Every submission
    acknowledged before and after the disk filled is on the feed once; each refused one (503 naming
    the cause) is resent with its id once space returns and stored once; the desktop's decisions,
    refused while full, stay in its outbox and reach the hub once; its replica equals the feed."""
    from collections import Counter
    from datetime import datetime, timedelta, timezone

    from sync import authoring, outbox
    from sync.engine import SyncEngine
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.support.replica import fresh_replica
    from tests.sync.engine.exactly_once import check_exact, hub_feed
    from tests.sync.replica_space import snapshot

    DECISIONS = 60

    hub = start_hub(tmp_path, f"sqlite:///{small_fs / 'hub.db'}")
    client = Client(hub.url, hub.tokens[ROLE_TOKEN])
    base = datetime.now(timezone.utc) - timedelta(days=3)
    minute = iter(range(10**6))

    def body() -> dict:   # 200 observations at minutes no other submission uses
        sub = submission([{"type": "observation", "metric": "ga_bed_occupancy_pct", "value": 91.5,
                           "observed_at": (base + timedelta(minutes=next(minute))).isoformat()}
                          for _ in range(200)])
        return sub

    def post(sub: dict) -> requests.Response:
        return client.session.post(client.url + "/v1/submissions", json=sub, timeout=60)

    store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]), batch_limit=500)
    try:
        acked = [sub for sub in (body() for _ in range(3)) if post(sub).status_code == 200]
        assert len(acked) == 3 and engine.run_once().error is None
        filler = fill_disk(small_fs, leave=256 * 1024)
        refused = []
        for _ in range(400):
            sub = body()
            r = post(sub)
            if r.status_code == 200:
                acked.append(sub)
                continue
            assert_unavailable(r, "full")
            refused.append(sub)
            if len(refused) == 3:
                break
        assert len(refused) == 3, "the database never filled"
        assert_degraded(client.health(), "full")
        last = small_fs / "last-bytes.bin"   # a few small records would still fit: take the rest too
        fd = os.open(last, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        for i in range(DECISIONS):   # real-sized: each with its 40-provider situation snapshot
            authoring.record_decision(store, decision_maker="Lead", decision_maker_role="Room lead",
                                      decision=f"while the hub is full {i}", rationale="disk", recorded_by="Lead",
                                      situation_snapshot=snapshot(datetime.now(timezone.utc).isoformat()))
        cycle = engine.run_once()
        assert cycle.error and "full" in cycle.error, cycle.error   # the desktop is told why
        assert outbox.pending_count(store) == DECISIONS              # and keeps its records
        before = Counter(i["data"]["observed_at"] for i in hub_feed(hub) if i["kind"] == "observation")
        assert len(before) == 200 * len(acked) and set(before.values()) == {1}   # nothing half-stored

        filler.unlink()   # space returns
        for sub in refused:
            r = post(sub)
            assert r.status_code == 200 and r.json()["duplicate"] is False, r.text
            assert post(sub).json()["duplicate"] is True   # a second resend changes nothing
        assert client.health().json()["status"] == "ok"
        done = engine.run_once()
        assert done.error is None and done.pushed == DECISIONS
        n_obs, n_records = check_exact(hub, store)
        times = Counter(datetime.fromisoformat(i["data"]["observed_at"]) for i in hub_feed(hub)
                        if i["kind"] == "observation")
        sent = {datetime.fromisoformat(item["observed_at"]) for sub in acked + refused for item in sub["items"]}
        assert set(times) == sent and set(times.values()) == {1}
        assert n_obs == 200 * (len(acked) + len(refused)) and n_records == DECISIONS
        print(f"hub full: {len(acked)} submissions acknowledged, {len(refused)} refused with 503 and resent; "
              f"{n_obs} observations and {n_records} records checked, 0 lost, 0 duplicated")
    finally:
        store.close()
        client.close()
        hub.stop()
