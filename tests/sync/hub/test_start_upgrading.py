"""A hub whose start takes a one-off step on its database (an index a new version adds: on a year of feed
9.9 to 17.3 s, docs/web.md) listens first and answers every request 503 'upgrading' meanwhile, saying what it
makes and since when; a desktop says "Hub upgrading", not "unreachable" (session 30).

Real hub processes (``scc-desktop hub serve``) on loopback, SQLite and PostgreSQL. The step is the real one
(``ix_feed_kind_seq`` dropped, as on a database from before session 29); on a test's small feed it takes
milliseconds, so the test-only hook ``SCC_HUB_FAULT_SCHEMA_STEP_DELAY`` holds it, its work done and not
committed, until the test's checks are done and it releases the step (``SCC_HUB_FAULT_SCHEMA_STEP_RELEASE``,
sync/hub/schema_start.py); the delay only bounds it. Without the change the hub made the index before it
listened: its first /health answered 200, and with a slow step nothing answered until it was done.
"""

from __future__ import annotations

import time

import pytest
import requests

from sync import protocol as p
from sync.hub.schema_start import FAULT_STEP_DELAY_ENV, FAULT_STEP_RELEASE_ENV
from tests.support.hub import HubProcess, connection, seed
from tests.support.hub_starting import Starting

pytestmark = pytest.mark.timeout(120)
HELD_S = 60   # at most: each test releases the step once its checks are done (a fixed 10 s cost 60 s a run)
RELEASE = "release-the-step"   # the file, in the test's folder, whose appearing ends a held step


def _from_before_the_index(db_url: str) -> dict[str, str]:
    """A seeded hub database as a hub from before ``ix_feed_kind_seq`` left it; its tokens by role."""
    tokens = seed(db_url)
    with connection(db_url, write=True) as conn:
        conn.exec_driver_sql("DROP INDEX ix_feed_kind_seq")
    return tokens


def _has_index(db_url: str) -> bool:
    from sqlalchemy import inspect

    with connection(db_url) as conn:
        return "ix_feed_kind_seq" in {i["name"] for i in inspect(conn).get_indexes("feed")}


def _start(tmp_path, db_url: str, tokens: dict[str, str], held: float = HELD_S) -> Starting:
    return Starting(db_url, tmp_path, tokens, {FAULT_STEP_DELAY_ENV: str(held),
                                               FAULT_STEP_RELEASE_ENV: str(tmp_path / RELEASE)}).start()


def _release(tmp_path) -> float:
    """Ends the held step of every hub started in ``tmp_path`` (the test's checks while it upgrades are done);
    returns when (``time.monotonic()``)."""
    (tmp_path / RELEASE).touch()
    return time.monotonic()


def _step_begun(hub: HubProcess, within: float = 20) -> None:
    """Until the hub's log says its one-off step has begun (it listens first: its answers name the step's start
    only from then)."""
    deadline = time.monotonic() + within
    while "(a one-off step" not in hub.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "(a one-off step" in hub.log()


def _until_served(hub: HubProcess, within: float = 60) -> requests.Response:
    deadline = time.monotonic() + within
    while True:
        r = requests.get(hub.url + "/health", timeout=5)
        if r.status_code == 200 or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def test_a_start_making_an_index_answers_upgrading_at_once_and_a_desktop_says_so(tmp_path, hub_db_url):
    from sync.client import HubClient
    from sync.connectivity import State
    from sync.engine import SyncEngine
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica

    tokens = _from_before_the_index(hub_db_url)
    hub = _start(tmp_path, hub_db_url, tokens)
    store = client = None
    try:
        r = requests.get(hub.url + "/health", timeout=2)   # first, as it listens (the desktop's replica after)
        assert time.monotonic() - hub.listening_at < 2
        store = fresh_replica(tmp_path / "desk.db", "pass", kdf=FAST_KDF)
        client = HubClient(hub.url, tokens["room_lead"])
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"] == "5" and r.headers["SCC-Protocol"] == p.PROTOCOL_VERSION
        body = p.ErrorBody.model_validate(r.json())
        assert body.code == "upgrading" and "upgrading its database" in body.message
        assert body.upgrading is not None and body.upgrading.step == "index ix_feed_kind_seq"
        assert "ix_feed_kind_seq" in body.message and "(kind, position)" in body.message
        # Every other endpoint says the same, the feed a desktop reads and the phone's page.
        feed = hub.request("GET", "/v1/feed?after=0", role="room_lead", timeout=2)
        assert feed.status_code == 503 and feed.json()["code"] == "upgrading"
        phone = requests.get(hub.url + "/m/", timeout=2, allow_redirects=False)
        assert phone.status_code == 503 and "Hub upgrading" in phone.text and "ix_feed_kind_seq" in phone.text
        assert "text/html" in phone.headers["content-type"] and "Content-Security-Policy" in phone.headers

        # The first start's connection test: it answers, upgrading, not "cannot reach".
        from sync.connection_check import connection_problem
        said = connection_problem(hub.url, tokens["room_lead"])
        assert said.startswith(f"the hub at {hub.url} answers but is upgrading its database (making the index")

        # A desktop's sync: not "unreachable", the hub upgrading and why (and since when, once the step began).
        _step_begun(hub)
        engine = SyncEngine(store, client)
        result = engine.run_once()
        assert result.error and "upgrading its database" in result.error
        state = engine.tracker.current
        assert state.state == State.OFFLINE and state.upgrading is not None
        assert state.upgrading.startswith("making the index ix_feed_kind_seq on the feed (kind, position), started")

        # It said 'upgrading' through the step: still, after every check above, and it serves once the step ends.
        assert requests.get(hub.url + "/health", timeout=2).status_code == 503
        released = _release(tmp_path)
        done = _until_served(hub)
        assert done.status_code == 200 and done.json()["status"] == "ok"
        assert time.monotonic() - released < HELD_S / 2   # the step ended when released, not at its bound
        assert _has_index(hub_db_url)
        log = hub.log()
        assert "making the index ix_feed_kind_seq on the feed (kind, position) (a one-off step" in log
        assert "making the index ix_feed_kind_seq on the feed (kind, position): done in" in log
        result = engine.run_once()
        assert result.error is None and engine.tracker.current.upgrading is None
    finally:
        if client is not None:
            client.close()
        if store is not None:
            store.close()
        hub.stop()


def test_a_hub_killed_while_making_the_index_makes_it_again_at_its_next_start(tmp_path):
    """SQLite: the index made and not committed when the process is killed (SIGKILL); nothing of it stays, and
    the next start makes it (held again, answering 'upgrading'), then serves."""
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = _from_before_the_index(db_url)
    hub = _start(tmp_path, db_url, tokens, held=30)
    _step_begun(hub)
    time.sleep(0.5)   # well inside the held step: the index made, not committed
    hub.kill()
    assert not _has_index(db_url)
    again = _start(tmp_path, db_url, tokens)
    try:
        r = requests.get(again.url + "/health", timeout=2)
        assert r.status_code == 503 and r.json()["code"] == "upgrading"
        _release(tmp_path)
        assert _until_served(again).status_code == 200
        assert _has_index(db_url)
    finally:
        again.stop()


def test_two_hub_processes_on_one_postgresql_database_make_the_index_once_the_other_waiting(
        tmp_path, postgres_cluster):
    db_url = postgres_cluster.create_database()
    tokens = _from_before_the_index(db_url)
    first = _start(tmp_path, db_url, tokens, held=HELD_S)
    deadline = time.monotonic() + 20
    while "(a one-off step" not in first.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = _start(tmp_path, db_url, tokens, held=HELD_S)
    try:
        said = None
        for _ in range(40):   # the second looks for the lock, finds it held, and says it waits
            r = requests.get(second.url + "/health", timeout=2)
            assert r.status_code == 503 and r.json()["code"] == "upgrading", r.text
            said = r.json()["message"]
            if "another hub process" in said:
                break
            time.sleep(0.1)
        assert "another hub process on this database is taking its one-off steps" in said
        _release(tmp_path)
        assert _until_served(first).status_code == 200
        assert _until_served(second).status_code == 200
        assert _has_index(db_url)
        assert first.log().count("): done in") == 1
        assert "): done in" not in second.log()   # the first made it; the second found it made
        assert "another hub process" in second.log()
    finally:
        second.stop()
        first.stop()
