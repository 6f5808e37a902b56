"""The escalation email goes within its figures check's budget however slow the check's read is, and the
check ends soon after on its own, giving its connection back: no thread or connection left waiting per send.

PostgreSQL: a real lock.  Another session holds ``feed_observation`` in ACCESS EXCLUSIVE mode (what
``VACUUM FULL``, ``CLUSTER`` or an ``ALTER TABLE`` of it takes) while it sleeps (``pg_sleep``), so the check's
read of the observations waits on the server for real.  Before the bound the email waited for the hub's
30 s ``lock_timeout``.

SQLite: injected, and only the slowness.  SQLite's locks are database-wide and, in WAL mode, readers never
wait for a writer: a lock that stops the check's read stops the escalation's own reads and writes too, so
no bound on the check could help there; and a read slow from its size alone needs millions of positions in
one day (1 million extra positions: 0.3-0.47 s).  So the test has the check's own connection run real
SQLite work first (a recursive count of 40 million, about 20 s here) when it reads the observations:
SQLite's progress handler must stop it, on the connection the check uses.

/m/'s board (made under its lock) gives its marks up past the same budget; the SQLite slowness as above.

A real hub on its database, a real SMTP server (aiosmtpd, STARTTLS, AUTH).  Before the bound: the email
waited 30.0 s (PostgreSQL, the hub's lock timeout) and 13.8 s (SQLite), /m/ 13.0 s; with a deadline on the
caller only (no bound on the read's connection) the first two fail too, the check's thread and connection
still held past the budget.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import create_engine, event, text

from sync.hub import figures_doubt
from sync.hub.escalation_room import open_alerts_for_escalation
from sync.hub.web.board import BoardReader
from tests.sync.hub.test_escalation import escalations, make_hub, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_doubt import RAISED, due, no_beds, report, twelve_hours

pytestmark = pytest.mark.timeout(120)
BUDGET = 1.0          # the test's budget (the hub's is figures_doubt.CHECK_SECONDS, 3 s)
LATE_BY = 2.0         # what the email may take beyond the budget: composing and sending it on 2 shared cores
HEAVY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000000) "
         "SELECT count(*) FROM c")


def workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "figures-doubt"]


def wait_ended(hub, within: float) -> float:
    """Seconds until no check is running and every connection is back in the pool (fails past ``within``)."""
    start = time.monotonic()
    while workers() or hub.db.engine.pool.checkedout():
        assert time.monotonic() - start < within, (workers(), hub.db.engine.pool.checkedout())
        time.sleep(0.02)
    return time.monotonic() - start


def alert_in_doubt(hub):
    rota(hub)
    twelve_hours(hub, "RTEST1")
    report(hub, "RTEST1", RAISED, 20, 190)   # 190 occupied of 20 staffed: impossible
    [uid] = no_beds(hub).values()
    return uid, [a for a in open_alerts_for_escalation(hub.db) if a.id == uid], due(hub)


def budgeted_hub(make_hub, smtpd):  # noqa: F811
    """A hub whose escalation checks the figures within BUDGET, an alert due on figures in doubt, and what a
    timely check says of them (one impossible sequence)."""
    hub = make_hub(settings(smtpd))
    hub.escalation.doubt_seconds = BUDGET
    uid, alerts, when = alert_in_doubt(hub)
    timely = figures_doubt.doubted(hub.db, alerts, when)
    assert [d.check for d in timely[uid]] == ["impossible"]
    return hub, uid, alerts, when, timely


def sent_in_time(hub, smtpd, uid, when):  # noqa: F811
    """The check, timed: the email goes, says the figures could not be checked in time, and the attempt
    records why."""
    start = time.monotonic()
    assert hub.escalation.check(now=when).sent == [uid]
    took = time.monotonic() - start
    assert took < BUDGET + LATE_BY, f"the email waited {took:.1f} s for its figures check"
    [mail] = smtpd.wait_for(1)
    body = mail.message.get_content()
    assert "could not check these figures for data-quality problems in time" in body, body
    assert "figures in doubt" not in mail.message["Subject"]
    [attempt] = json.loads(escalations(hub)[uid]["attempt_log"])
    assert attempt["error"] is None
    assert attempt["doubt_unchecked"].startswith("not checked in time: not checked within 1 s"), attempt
    return took


@pytest.mark.parametrize("hub_db_url", ["postgresql"], indirect=True)
def test_a_table_locked_by_another_session_never_holds_the_email(make_hub, smtpd):  # noqa: F811
    hub, uid, alerts, when, timely = budgeted_hub(make_hub, smtpd)
    other = create_engine(hub.db.url)
    locked, held = threading.Event(), {}

    def hold() -> None:   # another session: the table locked while it sleeps, as a long VACUUM FULL
        with other.connect() as conn:
            held["pid"] = conn.execute(text("SELECT pg_backend_pid()")).scalar()   # in its one transaction
            conn.execute(text("LOCK TABLE feed_observation IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            try:
                conn.execute(text("SELECT pg_sleep(60)"))
            except Exception:  # noqa: BLE001 - ended by pg_cancel_backend below
                pass
            conn.rollback()

    locker = threading.Thread(target=hold, daemon=True)
    locker.start()
    try:
        assert locked.wait(10)
        with other.connect() as watch:
            sent_in_time(hub, smtpd, uid, when)
            # The check's read ends on the server within its budget once more (lock_timeout): no session of
            # the hub's left waiting on the lock, its connection back in the pool, its thread gone.
            wait_ended(hub, within=BUDGET + LATE_BY)
            waiting = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND datname = current_database()")).scalar()
            assert waiting == 0
            # Sends after sends: never more than WORKERS checks at once, each caller back within its budget.
            for _ in range(5):
                start = time.monotonic()
                with pytest.raises(figures_doubt.NotInTime):
                    figures_doubt.doubted_within(hub.db, alerts, when, BUDGET)
                assert time.monotonic() - start < BUDGET + 0.5
                assert len(workers()) <= figures_doubt.WORKERS
            wait_ended(hub, within=BUDGET + LATE_BY)
            assert locker.is_alive()   # the lock was held throughout
            watch.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": held["pid"]})
            locker.join(10)
        # The lock gone: what a timely check says, unchanged.
        assert figures_doubt.doubted_within(hub.db, alerts, when, BUDGET) == timely
    finally:
        if locker.is_alive():
            with other.connect() as conn:
                conn.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": held["pid"]})
            locker.join(10)
        other.dispose()


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_check_slow_in_sqlite_itself_never_holds_the_email(make_hub, smtpd):  # noqa: F811
    hub, uid, alerts, when, timely = budgeted_hub(make_hub, smtpd)
    slow = {"on": True, "ran": 0}

    def heavy_first(conn, cursor, statement, *_args):
        if slow["on"] and "feed_observation" in statement:   # read by the figures check alone
            slow["ran"] += 1
            cursor.execute(HEAVY)   # on the check's own connection: the injected slowness (see the module doc)

    event.listen(hub.db.engine, "before_cursor_execute", heavy_first)
    try:
        sent_in_time(hub, smtpd, uid, when)
        assert slow["ran"] == 1
        # Stopped by SQLite's progress handler on the check's connection, not after the 20 s of work.
        wait_ended(hub, within=BUDGET + LATE_BY)
        with hub.db.read() as conn:   # the pooled connection as it was: SQLite's own busy wait
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        slow["on"] = False
        assert figures_doubt.doubted_within(hub.db, alerts, when, BUDGET) == timely
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", heavy_first)


@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)
def test_a_slow_check_never_holds_the_phone_page(make_hub, smtpd):  # noqa: F811
    """/m/ is made under its board's lock: a slow check would hold every phone's refresh.  Its marks are
    given up past the same budget (the hub's own, 3 s); the page comes without them."""
    hub = make_hub(settings(smtpd))
    uid, _alerts, _when = alert_in_doubt(hub)
    slow = {"ran": 0}

    def heavy_first(conn, cursor, statement, *_args):
        # The figures check's read, not the board's own nor its week-ahead worker's.
        if "feed_observation.received_at" in statement and threading.current_thread().name != "week-ahead":
            slow["ran"] += 1
            cursor.execute(HEAVY)

    event.listen(hub.db.engine, "before_cursor_execute", heavy_first)
    try:
        start = time.monotonic()
        board = BoardReader(hub)
        page = board.read()
        took = time.monotonic() - start
        assert slow["ran"] == 1
        assert took < figures_doubt.CHECK_SECONDS + LATE_BY, f"/m/ waited {took:.1f} s for the figures check"
        assert uid in {a.id for a in page.alerts} and not board._snap.doubts
        wait_ended(hub, within=figures_doubt.CHECK_SECONDS + LATE_BY)
    finally:
        event.remove(hub.db.engine, "before_cursor_execute", heavy_first)
