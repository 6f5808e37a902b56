"""/m/ answers within its read bound however long another session holds the hub's database, saying what it
could not read and since when, and shows the figures as read last (sync.hub.web.board.READ_SECONDS).

PostgreSQL, a real lock: another session holds ``feed_observation`` in ACCESS EXCLUSIVE mode (what ``VACUUM
FULL``, ``CLUSTER`` or an ``ALTER TABLE`` of it takes) while it sleeps, after new data moved the feed's head,
so the board's next read meets the lock at the hospitals' handover figures.  Before the bound the page
waited the hub's 30 s ``lock_timeout`` and then answered 503.

SQLite, a real lock: another program holds the database's write lock (a transaction begun IMMEDIATE, as a
second hub process, ``hub prune`` or the ``sqlite3`` shell writing takes it).  Readers never wait for it (WAL),
but the session's touch (a write, once a minute) did: the page waited SQLite's 30 s busy wait, then answered
503.  And SQLite slow in itself on the board's own read (injected on the read's own connection, as
``tests/sync/hub/test_escalation_doubt_slow.py`` does for the figures check): SQLite's progress handler ends it.

Real hub processes on loopback; the phone's requests over HTTP with a logged-in session.
"""

from __future__ import annotations

import html
import re
import sqlite3
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, event, text

from sync.hub.web.board import READ_SECONDS, BoardReader
from tests.support.hub import start_hub
from tests.sync.engine.conftest import submit
from tests.web.support import add_account, login

pytestmark = pytest.mark.timeout(180)
LATE_BY = 2.0   # what a page may take beyond the bound: rendering it on 2 shared cores
HEAVY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000000) "
         "SELECT count(*) FROM c")


def _waiting(hub, count: int, minutes_ago: int = 5) -> None:
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    submit(hub, [{"type": "observation", "metric": "ambulances_waiting_count", "observed_at": at.isoformat(),
                  "value": count}], org="RTEST1", role="admin")


def _critcon(hub) -> None:
    at = datetime.now(timezone.utc) - timedelta(minutes=2)
    submit(hub, [{"type": "critcon", "reported_at": at.isoformat(), "level": 2, "staffed_beds": 20,
                  "occupied_beds": 17}], org="RTEST2", role="admin")


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _timed(session, url: str):
    start = time.monotonic()
    page = session.get(url + "/m/", timeout=90)
    return page, time.monotonic() - start


def _phone(hub):
    add_account(hub.db_url, "director", "director_on_call")
    session, answer = login(hub.url, "director")
    assert answer.status_code == 303, answer.text
    page, _took = _timed(session, hub.url)
    assert page.status_code == 200 and 'id="unread"' not in page.text
    assert "No critical care unit has reported yet." in page.text
    return session


def _read_again(session, url: str, within: float = 20.0) -> str:
    """The page once it no longer says it could not read (the lock gone, the hub reads on)."""
    deadline = time.monotonic() + within
    while True:
        page = session.get(url + "/m/", timeout=30)
        if page.status_code == 200 and 'id="unread"' not in page.text:
            return page.text
        assert time.monotonic() < deadline, _text(page.text)[:600]
        time.sleep(0.3)


def test_a_table_locked_by_another_session_never_holds_the_phone_page(tmp_path, postgres_cluster):
    hub = start_hub(tmp_path, postgres_cluster.create_database())
    other = create_engine(hub.db_url)
    locked, held = threading.Event(), {}

    def hold() -> None:   # another session: the table locked while it sleeps, as a long VACUUM FULL
        with other.connect() as conn:
            held["pid"] = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            conn.execute(text("LOCK TABLE feed_observation IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            try:
                conn.execute(text("SELECT pg_sleep(120)"))
            except Exception:  # noqa: BLE001 - ended by pg_cancel_backend below
                pass
            conn.rollback()

    locker = threading.Thread(target=hold, daemon=True)
    try:
        _waiting(hub, 3)
        session = _phone(hub)
        _critcon(hub)   # the head moves: the next page reads again, and meets the lock at the handover figures
        locker.start()
        assert locked.wait(10)
        for n in range(3):   # each answers within the bound: the first meets the lock, the next the read behind it
            page, took = _timed(session, hub.url)
            assert page.status_code == 200, (took, _text(page.text)[:400])
            assert took < READ_SECONDS + LATE_BY, f"/m/ waited {took:.1f} s for a locked table (request {n + 1})"
            said = _text(page.text)
            assert "The hub's database has not answered since" in said
            assert "the hospitals' handover figures could not be read within 3 s" in said, said[:800]
            assert "The page shows the figures as the hub read them at" in said
            assert "No critical care unit has reported yet." in said   # the figures as read before the lock
        assert "could not read the hospitals' handover figures within 3.0 s" in hub.log()
        assert locker.is_alive()   # held throughout
        with other.connect() as conn:
            conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": held["pid"]})
        locker.join(10)
        fresh = _text(_read_again(session, hub.url))
        assert "CRITCON 2" in fresh and "No critical care unit has reported yet." not in fresh
    finally:
        if locker.is_alive():
            with other.connect() as conn:
                conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": held["pid"]})
            locker.join(10)
        other.dispose()
        hub.stop()


def test_another_programs_write_lock_never_holds_the_phone_page_on_sqlite(tmp_path):
    hub = start_hub(tmp_path)
    path = hub.db_url.removeprefix("sqlite:///")
    try:
        _waiting(hub, 3)
        session = _phone(hub)
        _critcon(hub)
        writer = sqlite3.connect(path, isolation_level=None, timeout=5)
        try:
            # The session last seen over a minute ago: this request touches it (a write).
            writer.execute("UPDATE web_session SET seen_at = ?",
                           ((datetime.now(timezone.utc) - timedelta(minutes=2)).isoformat(sep=" "),))
            writer.execute("BEGIN IMMEDIATE")   # another program's write, not yet committed
            writer.execute("UPDATE hub_meta SET value = value")
            page, took = _timed(session, hub.url)
            assert page.status_code == 200, (took, _text(page.text)[:400])
            assert took < READ_SECONDS + LATE_BY, f"/m/ waited {took:.1f} s for another program's write lock"
            said = _text(page.text)
            assert 'id="unread"' not in page.text   # read well: readers never wait for a writer
            assert "CRITCON 2" in said
            assert "not touched" in hub.log()
            writer.execute("ROLLBACK")
        finally:
            writer.close()
        page, took = _timed(session, hub.url)
        assert page.status_code == 200 and took < READ_SECONDS
    finally:
        hub.stop()


def test_sqlite_slow_in_itself_on_the_boards_read_never_holds_the_page(tmp_path):
    """In process (the slowness is injected on the board's own connection); the page's words as the phone's."""
    from sync.hub.core import Hub, HubConfig
    from tests.support.hub import seed

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = Hub(HubConfig(db_url=url))
    slow = {"on": False, "ran": 0}

    def heavy_first(conn, cursor, statement, *_args):
        # The board's handover read alone, once: the only statement joining both tables (the OPEL reads join
        # phoned_in_value to latest_value; one of them taking the slowness left the board's read fast and the
        # page whole, as in the clean-clone run of 666753c).
        if slow["on"] and "phoned_in_value" in statement and "feed_observation" in statement:
            slow["on"], slow["ran"] = False, slow["ran"] + 1
            cursor.execute(HEAVY)

    event.listen(hub.db.engine, "before_cursor_execute", heavy_first)
    try:
        board = BoardReader(hub)
        assert board.read(bound=READ_SECONDS).unread is None
        with hub.db.write() as w:   # the head moves
            w.emit("critcon", {"org_code": "RTEST2", "reported_at": datetime.now(timezone.utc).isoformat(),
                               "level": 2, "staffed_beds": 20, "occupied_beds": 17}, "RTEST2")
        slow["on"] = True
        start = time.monotonic()
        page = board.read(bound=1.0)
        took = time.monotonic() - start
        assert slow["ran"] == 1 and took < 1.0 + LATE_BY, took
        assert page.unread is not None and page.unread.what == "the hospitals' handover figures"
        assert page.unread.shown_from is not None and not page.nothing_read
        deadline = time.monotonic() + 20
        while board.read(bound=1.0).unread is not None:   # the read carried on in the background, then again
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert board.read().critcon_units
        with hub.db.read() as conn:   # the pooled connection as it was: SQLite's own busy wait
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", heavy_first)
        hub.close()


def test_the_phone_in_chromium_at_night_says_so_at_the_top(tmp_path, postgres_cluster):
    """360x640, dark, the page refreshing in place every 2 s: the lock's warning is at the top of the first
    screen and axe finds nothing serious.  Screenshot to $SCC_REVIEW_SHOTS when set (looked at)."""
    import os
    from pathlib import Path

    from tests.web.test_browser import ARGS, AXE, CHROMIUM, PHONE, _axe
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail(f"Chromium ({CHROMIUM}) and axe-core ({AXE}) are needed")
    from playwright.sync_api import sync_playwright

    hub = start_hub(tmp_path, postgres_cluster.create_database(), env={"SCC_WEB_REFRESH_SECONDS": "2"})
    other = create_engine(hub.db_url)
    try:
        _waiting(hub, 3)
        add_account(hub.db_url, "director", "director_on_call")
        with sync_playwright() as pw, other.connect() as conn:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                ctx = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True, color_scheme="dark")
                tab = ctx.new_page()
                tab.goto(hub.url + "/m/")
                tab.fill("#user", "director")
                tab.fill("#password", "a long test passphrase")
                tab.click("form.login button")
                tab.wait_for_url(hub.url + "/m/")
                _critcon(hub)
                conn.execute(text("BEGIN"))
                conn.execute(text("LOCK TABLE feed_observation IN ACCESS EXCLUSIVE MODE"))
                warning = tab.locator("#unread")
                warning.wait_for(timeout=20_000)   # the page's own refresh in place
                box = warning.bounding_box()
                assert box is not None and box["y"] + box["height"] <= PHONE["height"], box
                assert "the hospitals' handover figures could not be read within 3 s" in warning.inner_text()
                # Not "Updated" over figures read before the lock: when it asked, and when they were read.
                assert re.match(r"Asked \d\d:\d\d; figures as read \d\d:\d\d;", tab.locator("#status").inner_text())
                assert _axe(tab, AXE.read_text()) == []
                shots = os.environ.get("SCC_REVIEW_SHOTS")
                if shots:
                    tab.screenshot(path=str(Path(shots) / "m-unread-360x640-dark.png"))
                conn.execute(text("ROLLBACK"))
                warning.wait_for(state="detached", timeout=20_000)   # read again once the lock goes
                ctx.close()
            finally:
                chromium.close()
    finally:
        other.dispose()
        hub.stop()


def test_a_page_asked_during_the_first_read_says_it_is_still_reading(tmp_path):
    """The warm-up's first read (2.9 to 5 s on a loaded machine) holds the reader: a page asked meanwhile answers
    within the bound saying the hub is still reading, not that its database failed to answer."""
    from sync.hub.core import Hub, HubConfig
    from sync.hub.web.pages import _environment
    from tests.support.hub import seed

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    hub = Hub(HubConfig(db_url=url))
    try:
        board = BoardReader(hub)
        with board._lock:   # as the warm-up holds it through its read
            board._reading = "the providers' levels behind the chances of OPEL 3+"
            start = time.monotonic()
            page = board.read(bound=0.5)
            assert time.monotonic() - start < 0.5 + LATE_BY
        assert page.nothing_read and page.unread.busy
        said = _text(_environment().get_template("m.html").render(board=page, session=None, refresh=30))
        assert ("The hub is still reading its database (since" in said and "now the providers' levels behind the "
                "chances of OPEL 3+): no figures can be shown until its first read since it started ends" in said)
        assert "has not answered" not in said and "System OPEL" not in said
        assert not board.read(bound=0.5).unread   # read once the lock was free
    finally:
        hub.close()
