"""Handovers, REAP, response times and critical care go in together (``sync.apply_status``), and store
exactly what applying item by item stores.

A new desktop's first sync of 28 days of 40 acute sites is about 50,000 handovers; each took its own
savepoint and an SQLAlchemy statement (22 s of CPU for the whole sync under load, most of it there).
Now a run of checked items of these kinds is written with one ``executemany`` per table inside one
savepoint; if the replica refuses any row, the savepoint rolls back and the same items go one by one,
so the refused one is quarantined alone with its reason.  A fault of the replica itself (full) still
stops the batch with its cursor where it was.  Each test applies the same batches both ways
(``apply_batch(..., bulk=False)``: one savepoint per item) and compares every row of every table.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import datetime, timedelta, timezone

import pytest

from models.replica.dbapi import replica_fault
from models.replica.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.engine import catalogue_validator
from sync.protocol import FeedBatch, FeedItem
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.support.savepoints import traced
from tests.sync.replica_space import PageLimit, real_batches
from tests.sync.test_apply_bulk import APPLY_TIME as OPEL_APPLY_TIME
from tests.sync.test_apply_bulk import FALLBACK, assessment

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
VALIDATOR = ObservationValidator({})
BULKED = ("handover", "ambulance_status", "response_times", "critcon")
APPLY_TIME = OPEL_APPLY_TIME | {("ambulance_status", "received_at"), ("response_times", "received_at")}


@pytest.fixture
def replicas(tmp_path):
    stores = {bulk: fresh_replica(tmp_path / f"bulk-{bulk}" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
              for bulk in (True, False)}
    yield stores
    for s in stores.values():
        s.close()


def rows(store) -> dict:
    """Every row of every table, each value as SQLite's ``quote()`` (so 1, 1.0 and '1' differ), the
    times set when applied aside (one by one: each item's; together: the run's)."""
    out = {}
    with store.raw() as raw:
        tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_schema WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            cols = [r[1] for r in raw.execute(f"PRAGMA table_info({table})") if (table, r[1]) not in APPLY_TIME]
            quoted = ", ".join(f'quote("{c}")' for c in cols)
            out[table] = raw.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid').fetchall()
    return out


def same_rows(replicas) -> None:
    assert rows(replicas[True]) == rows(replicas[False])


def apply_both(replicas, batches, validator=VALIDATOR, caplog=None) -> tuple[list, list, bool]:
    """Apply ``batches`` to both replicas; (bulk reports, item-by-item reports, a bulk run fell back)."""
    if caplog is not None:
        caplog.clear()
    bulk = [apply_batch(replicas[True], b, validator) for b in batches]
    fell_back = caplog is not None and any(FALLBACK in r.getMessage() for r in caplog.records)
    each = [apply_batch(replicas[False], b, validator, bulk=False) for b in batches]
    for b, e in zip(bulk, each):
        assert b == e and list(b.kinds) == list(e.kinds)   # same order: views redraw in it
    same_rows(replicas)
    return bulk, each, fell_back


def batch(items) -> FeedBatch:
    items = [FeedItem(seq=s, kind=k, data=d) for s, k, d in items]
    return FeedBatch(items=items, observations=None, next_after=items[-1].seq, head=items[-1].seq,
                     server_time=T0, last_provider_data_at=T0)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def handover(k: int, state: str, minutes: float, **extra) -> dict:
    data = {"ambulance_org": "RX9", "event_uuid": f"amb-{k:06d}", "hospital_code": f"RXX0{k % 3}",
            "state": state, "updated_at": at(minutes)}
    data.update({"arrived": {"arrived_at": at(minutes)}, "handed_over": {"handed_over_at": at(minutes)},
                 "cleared": {"cleared_at": at(minutes)}, "en_route": {"eta_at": at(minutes + 10)},
                 "cancelled": {}}[state])
    data.update(extra)
    return data


def status(kind: str, n: int, **extra) -> dict:
    data = {"ambulance_status": {"org_code": "RX9", "declared_at": at(n), "reap_level": 1 + n % 4,
                                 "csp_level": str(n % 3)},
            "response_times": {"org_code": "RX9", "category": f"C{1 + n % 4}", "period_start": at(n),
                               "period_end": at(n + 60), "incidents": 40 + n, "mean_seconds": 400.0 + n,
                               "p90_seconds": 900.5},
            "critcon": {"org_code": f"RXX0{n % 3}", "reported_at": at(n), "level": n % 4, "staffed_beds": 20,
                        "occupied_beds": 17}}[kind]
    data.update(extra)
    return data


def mixed_run(length: int = 40) -> list[tuple[str, dict]]:
    """Items of every bulk kind, interleaved, all good: arrivals and then their handovers, levels, figures."""
    out = []
    for n in range(length):
        kind = ("handover", "handover", "ambulance_status", "response_times", "critcon", "opel_assessment")[n % 6]
        if kind == "handover":
            out.append((kind, handover(n // 2 % 5, "arrived" if n < length // 2 else "handed_over", n)))
        elif kind == "opel_assessment":
            out.append((kind, assessment(n, params=2)))
        else:
            out.append((kind, status(kind, n)))
    return out


# What each newly bulked kind can hold that the replica's own checks refuse (after the model passed it),
# with the words its reason must hold; response times have no such check, so theirs is one the model refuses.
BAD = {
    "handover": (handover(2, "handed_over", 5, arrived_at=at(90)), "handover_after_arrival"),
    "ambulance_status": (status("ambulance_status", 1, reap_level=7), "reap_level"),
    "critcon": (status("critcon", 1, level=9), "level"),
    "response_times": (status("response_times", 1, category="C9"), "data.category"),
}


@pytest.mark.parametrize("kind", BULKED)
def test_a_bad_item_in_the_middle_of_a_run_is_quarantined_alone_and_the_rest_applied(replicas, caplog, kind):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    items = mixed_run()
    bad, words = BAD[kind]
    items.insert(20, (kind, bad))
    numbered = [(seq, k, d) for seq, (k, d) in enumerate(items, start=1)]
    with traced(replicas[True]) as statements:
        (bulk,), _each, fell_back = apply_both(replicas, [batch(numbered)], caplog=caplog)
    assert (bulk.applied, bulk.quarantined, bulk.position) == (40, 1, 41)
    # Refused by the replica: the run was tried together, then went one by one.  The model refuses
    # response times' bad item before the run: the items either side of it go in together, a savepoint
    # each, and one for the quarantine.
    savepoints = sum(s.lstrip().upper().startswith("SAVEPOINT") for s in statements)
    assert fell_back == (kind != "response_times")
    assert savepoints == (1 + 41 + 1 if fell_back else 3), savepoints   # + the quarantine's
    with replicas[True].raw() as raw:
        quarantined = raw.execute("SELECT source, payload, errors FROM quarantined_record").fetchall()
        stored = {table: raw.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
                  for table in ("handover_event", "ambulance_status", "response_times", "critcon_status")}
    assert len(quarantined) == 1
    source, payload, errors = quarantined[0]
    assert source == f"feed:{kind}" and json.loads(payload)["seq"] == 21
    assert words in " ".join(json.loads(errors)), errors
    # The rest applied: 5 ambulances, every REAP, response time and critcon item of the run (7, 7, 6) with the
    # bad one's kind less its refused item.
    expected = {"handover_event": 5, "ambulance_status": 7, "response_times": 7, "critcon_status": 6}
    assert stored == expected


def test_a_run_that_goes_in_whole_takes_one_savepoint_not_one_an_item(replicas, caplog):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    numbered = [(seq, k, d) for seq, (k, d) in enumerate(mixed_run(300), start=1)]
    with traced(replicas[True]) as statements:
        bulk = apply_batch(replicas[True], batch(numbered), VALIDATOR)
    savepoints = [s for s in statements if s.lstrip().upper().startswith("SAVEPOINT")]
    assert not any(FALLBACK in r.getMessage() for r in caplog.records)
    assert (bulk.applied, bulk.quarantined) == (300, 0)
    assert list(bulk.kinds) == ["handover", "ambulance_status", "response_times", "critcon", "opel_assessment"]
    assert len(savepoints) == 1, f"{len(savepoints)} savepoints for a run of 300 items"
    assert apply_batch(replicas[False], batch(numbered), VALIDATOR, bulk=False) == bulk
    same_rows(replicas)


@pytest.mark.parametrize("seed", range(6))
def test_handovers_in_any_order_never_move_back_either_way(replicas, seed):
    """Late reports of earlier states, repeats of a state, events reported out of order, across runs
    split by other kinds and batches: the upsert sees each item after the one before it, both ways."""
    rng = random.Random(seed)
    states = ["en_route", "arrived", "handed_over", "cleared", "cancelled"]
    items = []
    for k in range(60):
        reports = [(rng.choice(states), rng.uniform(0, 300)) for _ in range(rng.randrange(1, 6))]
        for state, minutes in reports:
            extra = {"vehicle_ref": f"V{k}"} if rng.random() < 0.3 else {}
            if rng.random() < 0.05:   # refused: handed over before it arrived
                extra.update(arrived_at=at(minutes + 60), handed_over_at=at(minutes))
            items.append(("handover", handover(k, state, minutes, **extra)))
    rng.shuffle(items)
    for n in range(0, len(items), 7):   # other kinds break the runs here and there
        items.insert(n, rng.choice([("alert_escalation", {"nothing": 1}), ("critcon", status("critcon", n)),
                                    ("organisation", {"ods_code": "RX9", "name": "Ambulance", "sector": "ambulance"})]))
    numbered = [(seq, k, d) for seq, (k, d) in enumerate(items, start=1)]
    cut = sorted(rng.sample(range(1, len(numbered)), 3))
    batches = [batch(numbered[a:b]) for a, b in zip([0] + cut, cut + [len(numbered)])]
    bulk, _each, _ = apply_both(replicas, batches)
    # And the rule itself, on the bulk replica: each event's state is the furthest one applied for it.
    rank = {s: i for i, s in enumerate(states)}
    applied = {}
    with replicas[True].raw() as raw:
        refused = {json.loads(p)["seq"] for (p,) in raw.execute("SELECT payload FROM quarantined_record")}
        rows = dict(raw.execute("SELECT event_uuid, state FROM handover_event").fetchall())
    for seq, kind, data in numbered:
        if kind == "handover" and seq not in refused:
            was = applied.get(data["event_uuid"])
            applied[data["event_uuid"]] = data["state"] if was is None or rank[data["state"]] >= rank[was] else was
    assert rows == applied
    assert sum(r.applied for r in bulk) > len(numbered) / 2 and sum(r.quarantined for r in bulk) > 0


def test_real_sized_batches_of_every_kind_store_the_same_either_way(replicas):
    """Six 15-minute batches of 40 providers as a hub sends them (observations as columns, about 120
    assessments, decisions, transfers, handovers, REAP, response times, critcon, one poison item each)."""
    bulk, _each, _ = apply_both(replicas, real_batches(6), catalogue_validator())
    assert sum(r.quarantined for r in bulk) == 6
    assert {"handover", "critcon", "response_times", "ambulance_status", "record"} <= set().union(*(r.kinds for r in bulk))


@pytest.fixture(scope="module")
def ics_feed():
    """A real hub's feed for a small ICS (``tests.web.ics_world``: 12 acute sites, 3 days of handovers and
    occupancy, OPEL tables, the alerts the hub raised, intake notices, a room's records), read in batches."""
    from benchmarks.bench_apply_catch_up import read_feed

    batches, composition = read_feed(3, 12, progress=lambda _line: None, limit=1500)
    assert composition["handover"] > 1000 and len(batches) >= 3
    return batches


def test_a_first_sync_of_a_real_hubs_feed_stores_the_same_either_way(replicas, ics_feed, caplog):
    caplog.set_level(logging.DEBUG, logger="sync.apply")
    validator = catalogue_validator()
    with traced(replicas[True]) as statements:
        bulk = [apply_batch(replicas[True], b, validator) for b in ics_feed]
    each = [apply_batch(replicas[False], b, validator, bulk=False) for b in ics_feed]
    assert bulk == each
    same_rows(replicas)
    handovers = sum(r.kinds.get("handover", 0) for r in bulk)
    savepoints = sum(s.lstrip().upper().startswith("SAVEPOINT") for s in statements)
    # One a run (alerts, records and notices end runs, and take one each), not one a handover.
    assert savepoints < handovers / 3, (savepoints, handovers)


def test_a_full_replica_in_the_middle_of_a_run_stops_the_batch_with_its_cursor(tmp_path):
    """The replica fills while a run of handovers is written together: the fault is the replica's, not an
    item's, so nothing is quarantined and the run is not tried again one by one; the batch rolls back
    with its cursor, and once there is space the same batch applies whole."""
    store = fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    first = batch([(1, "handover", handover(0, "arrived", 0))])
    apply_batch(store, first, VALIDATOR)
    items = [(seq, "handover", handover(seq, "arrived", seq, vehicle_ref=f"V{seq:019d}"))
             for seq in range(2, 4002)]
    limit = PageLimit(store, 30)
    try:
        with pytest.raises(Exception) as raised:
            apply_batch(store, batch(items), VALIDATOR)
        assert replica_fault(raised.value), repr(raised.value)
        frames = [tb.tb_frame.f_code.co_name for tb in _tracebacks(raised.value)]
        assert "upsert_handovers" in frames, frames   # hit while the run was written together
        with store.raw() as raw:
            assert raw.execute("SELECT position FROM feed_cursor").fetchall() == [(1,)]
            assert raw.execute("SELECT count(*) FROM handover_event").fetchall() == [(1,)]
            assert raw.execute("SELECT count(*) FROM quarantined_record").fetchall() == [(0,)]
        limit.lift()
        report = apply_batch(store, batch(items), VALIDATOR)
        assert (report.applied, report.quarantined, report.position) == (4000, 0, 4001)
    finally:
        limit.remove()
        store.close()


def _tracebacks(exc: BaseException):
    """Every traceback entry of ``exc`` and of the exceptions it was raised from."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        tb = exc.__traceback__
        while tb is not None:
            yield tb
            tb = tb.tb_next
        exc = exc.__cause__ or exc.__context__
