"""``/m/``'s first read after a start seeks what it needs rather than reading the whole feed (session 29).

On a year-sized hub (13.9 million feed positions, 9.7 million observations) the first read after every restart
took 10 to 30 s, the phone saying "The hub is still reading its database" meanwhile: the ambulance services',
critical care's and the room's alerts were selected by kind from every position, and the hospitals' handover
figures read from every ``feed_observation`` row.  Now the kind reads seek ``ix_feed_kind_seq`` (kind,
position) and the first read's handover figures are, for each organisation and handover metric, only the rows
at its newest time (``ix_feed_observation_org_metric_time``).

The statements a first read sends are caught and each is explained by the database itself (SQLite's
``EXPLAIN QUERY PLAN``; PostgreSQL's ``EXPLAIN`` after ``ANALYZE``, as autovacuum leaves a long-running hub):
the plan names the index.  Wall time is asserted nowhere.  The handover figures the seeks give are those the
fold of every row gives, ties included (the provider's feed before a call; among provider figures the later
position; among calls the first).  A real hub database, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select, text

from models.forecast import opel_chance

from sync.hub import orgs as hub_orgs
from sync.hub import schema as s
from sync.hub.core import Hub, HubConfig
from sync.hub.web import board as m_board
from sync.hub.web.board import ICS, BoardReader, _Followed
from tests.support.fixtures import hub_db_url, postgres_cluster  # noqa: F401

pytestmark = pytest.mark.timeout(300)

PROVIDERS = 40
DAYS = 63   # nine weeks: one more than the board keeps of levels, so its first read starts within the feed
HANDOVER = ("ambulances_waiting_count", "longest_handover_wait_minutes", "handovers_over_60_count")
AMBULANCE = "RAMB1"
UNITS = ("RY000", "RY001", "RY002")


def _fill(hub: Hub) -> None:
    """Nine weeks of 40 providers, hour by hour, positions in time order: each provider's assessment and two
    figures (one a handover figure), an ambulance service's status, a critical care report every six hours and
    an alert raised and cleared every day (about 200,000 positions)."""
    codes = [f"RY{i:03d}" for i in range(PROVIDERS)]
    hub_orgs.upsert(hub, [hub_orgs.OrgSpec(c, f"Plan Trust {i}", "acute" if i < 22 else "community", 500.0)
                          for i, c in enumerate(codes)] + [hub_orgs.OrgSpec(AMBULANCE, "Plan Ambulance", "ambulance",
                                                                            1.0)])
    now = s.utcnow().replace(minute=0, second=0, microsecond=0)
    for day in range(DAYS, 0, -1):
        with hub.db.write() as w:
            for hour in range(24):
                w.now = at = now - timedelta(days=day, hours=-hour)
                iso = at.isoformat()
                for i, code in enumerate(codes):
                    for metric in (HANDOVER[(hour + i) % 3], "ed_attendances_count"):
                        w.emit("observation", {"org_code": code, "metric": metric, "value": float((hour + i) % 7),
                                               "observed_at": iso, "received_at": iso, "source": "provider",
                                               "submission_id": f"s{day}-{hour}-{code}"}, code)
                    w.emit("opel_assessment", {"scope": "provider", "org_code": code, "assessed_at": iso,
                                               "level": 2 + (hour + i) % 9 // 8, "declared_level": None,
                                               "complete": True, "total": 20.0}, code)
                    if i % 4 == 0:   # a second in the hour: at 4, or declared 1 (the hour's worst shown: 2 or 3)
                        w.emit("opel_assessment", {
                            "scope": "provider", "org_code": code, "level": 4, "complete": True, "total": 30.0,
                            "assessed_at": (at + timedelta(minutes=30)).isoformat(),
                            "declared_level": 1 if (day + hour) % 2 else None}, code)
                for scope in ("system", "acute"):   # the system's levels are kept (key "(system)"), a pillar's not
                    w.emit("opel_assessment", {"scope": scope if scope == "system" else "pillar", "org_code": None,
                                               "pillar": scope, "assessed_at": iso, "level": 2 + hour % 3 // 2,
                                               "declared_level": None, "complete": True, "total": 50.0})
                w.emit("ambulance_status", {"org_code": AMBULANCE, "declared_at": iso, "received_at": iso,
                                            "reap_level": 2, "csp_level": None}, AMBULANCE)
                if hour % 6 == 0:
                    for unit in UNITS:
                        w.emit("critcon", {"org_code": unit, "reported_at": iso, "received_at": iso, "level": 1,
                                           "staffed_beds": 10, "occupied_beds": 7}, unit)
                if hour == 12:
                    uid = str(uuid.uuid4())
                    base = {"alert_uuid": uid, "rule_id": "opel_provider_4", "rule_name": "OPEL 4",
                            "severity": "critical", "kind": "level", "direction": "above", "scope": "provider",
                            "subject": codes[day % PROVIDERS], "org_code": codes[day % PROVIDERS],
                            "metric": "opel_level", "value": 4.0, "threshold": 4.0, "since": iso,
                            "escalate_after_minutes": 60, "detail": "OPEL 4"}
                    w.emit("alert", {**base, "change": "raised", "at": iso}, base["org_code"])
                    w.emit("alert", {**base, "change": "cleared", "at": iso}, base["org_code"])


class Statements:
    """Every statement (with its parameters) the hub's engine sends on this thread."""

    def __init__(self, engine) -> None:
        self.seen: list[tuple[str, object]] = []
        self.thread = threading.get_ident()
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if threading.get_ident() == self.thread and not executemany:
            self.seen.append((statement, parameters))


def _plan(hub: Hub, statement: str, parameters) -> str:
    """The database's own plan for ``statement`` with its parameters, as one text."""
    raw = hub.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if hub.db.kind == "postgresql":
            cur.execute("EXPLAIN " + statement, parameters)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())
    finally:
        raw.close()


def _reads(statement: str, table: str) -> bool:
    return re.search(rf"\bFROM {table}\b", statement) is not None


def test_the_first_read_seeks_the_kinds_and_the_newest_handover_figures(hub_db_url):  # noqa: F811
    hub = Hub(HubConfig(db_url=hub_db_url))
    try:
        _fill(hub)
        if hub.db.kind == "postgresql":   # the statistics autovacuum keeps on a long-running hub
            with hub.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("ANALYZE"))
    finally:
        hub.close()
    hub = Hub(HubConfig(db_url=hub_db_url))   # the restart: nothing read yet
    try:
        caught = Statements(hub.db.engine)
        board = BoardReader(hub)
        board.week.latest = lambda now: None   # the week ahead reads in a thread of its own
        shown = board.read()
        sent = list(caught.seen)   # the first read's (the checks below send their own)
        assert {a.org_code for a in shown.ambulance} == {AMBULANCE}
        assert {c.org_code for c in shown.critcon_units} == set(UNITS)
        assert len(board._f.handover) == PROVIDERS * len(HANDOVER)
        # The levels the database grouped by hour are each hour's worst, item by item.
        worst: dict[str, dict[int, int]] = {}
        with hub.db.read() as conn:
            for data, in conn.execute(select(s.feed.c.data).where(s.feed.c.kind == "opel_assessment")):
                d = json.loads(data)
                if d["scope"] == "pillar":
                    continue
                hours = worst.setdefault(d["org_code"] or ICS, {})
                hour = opel_chance.hour_of(datetime.fromisoformat(d["assessed_at"]))
                shown = d["level"] if d["declared_level"] is None else d["declared_level"]
                hours[hour] = max(hours.get(hour, 0), shown)
        assert set(board._f.levels) == set(worst) and ICS in worst
        for org, hours in board._f.levels.items():
            assert len(hours) > 24 * 7 * 8, org
            first = min(hours)   # once: within the comprehension it was worked out again for every hour (10 s)
            assert hours == {h: lv for h, lv in worst[org].items() if h >= first}, org
        assert {lv for hours in board._f.levels.values() for lv in hours.values()} == {2, 3, 4}
        by_kind = [(sql, p) for sql, p in sent if _reads(sql, "feed") and "feed.kind" in sql]
        handover = [(sql, p) for sql, p in sent if _reads(sql, "feed_observation")]
        # the ambulance services and critical care, response times, eight weeks of levels, the room's alerts
        assert len(by_kind) >= 4 and handover
        for sql, parameters in by_kind:
            if hub.db.kind == "postgresql" and "GROUP BY" in sql:
                continue   # the levels: a stretch of eight weeks' positions, a third of them assessments, which
                # PostgreSQL may read by position as well (its choice by its statistics); never the whole feed
            plan = _plan(hub, sql, parameters)
            assert "ix_feed_kind_seq" in plan, f"read by kind without the index:\n{sql}\n{plan}"
        for sql, parameters in handover:
            plan = _plan(hub, sql, parameters)
            assert "ix_feed_observation_org_metric_time" in plan, f"handover figures read whole:\n{sql}\n{plan}"
    finally:
        hub.close()


def test_the_first_reads_handover_figures_are_the_fold_of_every_row(hub_db_url):  # noqa: F811
    """Ties at the newest time, each way round, folded as every row in position order folds them."""
    hub = Hub(HubConfig(db_url=hub_db_url))
    try:
        hub_orgs.upsert(hub, [hub_orgs.OrgSpec(c, c, "acute", 500.0) for c in ("RA1", "RB1", "RC1", "RD1")])
        base = s.utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        calls = iter(str(uuid.uuid4()) for _ in range(20))

        def figure(w, org, metric, at, value, call=None):
            iso = at.isoformat()
            seq = w.emit("observation", {"org_code": org, "metric": metric, "value": float(value),
                                         "observed_at": iso, "received_at": iso,
                                         "source": "phoned_in" if call else "provider"}, org)
            if call:
                w.conn.execute(s.phoned_in_value.insert().values(seq=seq, record_uuid=call))

        newest = base + timedelta(hours=2)
        with hub.db.write() as w:
            # RA1: a call, then the provider at the same time, then a call again: the provider's figure.
            figure(w, "RA1", HANDOVER[0], newest, 1, next(calls))
            figure(w, "RA1", HANDOVER[0], newest, 2)
            figure(w, "RA1", HANDOVER[0], newest, 3, next(calls))
            figure(w, "RA1", HANDOVER[0], base, 9)
            # RB1: two provider figures at the newest time: the later position's.
            figure(w, "RB1", HANDOVER[1], newest, 4)
            figure(w, "RB1", HANDOVER[1], newest, 5)
            # RC1: two calls at the newest time, nothing from the provider then: the first call's.
            figure(w, "RC1", HANDOVER[2], base, 8)
            figure(w, "RC1", HANDOVER[2], newest, 6, next(calls))
            figure(w, "RC1", HANDOVER[2], newest, 7, next(calls))
            # RD1: an older figure at a later position does not replace the newer one.
            figure(w, "RD1", HANDOVER[0], newest, 10)
            figure(w, "RD1", HANDOVER[0], base, 11)
            figure(w, "RD1", "ed_attendances_count", newest + timedelta(hours=1), 12)
        with hub.db.read() as conn:
            head = hub.db.head(conn)
            sought = _fold(m_board._handover_rows(conn, 0, head))
            every = _fold(m_board._handover_rows(conn, -1, head))   # any cursor but 0: every row after it, in order
        assert {k: v[2] for k, v in sought.items()} == {
            ("RA1", HANDOVER[0]): 2.0, ("RB1", HANDOVER[1]): 5.0, ("RC1", HANDOVER[2]): 6.0, ("RD1", HANDOVER[0]): 10.0}
        assert sought == every
        assert sought[("RC1", HANDOVER[2])][1] is not None and sought[("RA1", HANDOVER[0])][1] is None
        # Up to a head before the newest figures: those after it are not read.
        with hub.db.read() as conn:
            early = _fold(m_board._handover_rows(conn, 0, head - 11))   # the first figure only
        assert {k: v[2] for k, v in early.items()} == {("RA1", HANDOVER[0]): 1.0}
    finally:
        hub.close()


def _fold(rows) -> dict:
    """The board's fold (``BoardReader._follow``), on these rows."""
    board = BoardReader.__new__(BoardReader)
    board._f = _Followed()
    board._fold_handover(rows)
    return dict(board._f.handover)


def test_a_hub_from_before_the_index_makes_it_when_it_starts(hub_db_url):  # noqa: F811
    """The index is made by the hub's start on an existing database (``HubDB.init_schema``), the schema
    version unchanged; a hub already holding it starts as before."""
    from sqlalchemy import inspect

    from sync.hub.db import HubDB

    db = HubDB(hub_db_url)
    try:
        db.init_schema()
        with db.plain() as conn:
            conn.exec_driver_sql("DROP INDEX ix_feed_kind_seq")
        with db.read() as conn:
            version = conn.execute(text("SELECT max(version) FROM schema_version")).scalar()
        db.init_schema()   # as a hub from before it starts
        db.init_schema()   # and again, the index already there
        with db.read() as conn:
            assert "ix_feed_kind_seq" in {i["name"] for i in inspect(conn).get_indexes("feed")}
            assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar() == version
    finally:
        db.dispose()
