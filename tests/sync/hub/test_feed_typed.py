"""Schema 2: observations also as typed rows (``feed_observation``), read by the columnar feed.

A version-1 database (made here the way a 1.x hub left it: the same tables
without ``feed_observation``, observations as JSON only) must still open,
upgrade itself, and serve its old observations exactly as before, alongside
new ones, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text

from sync.hub import schema as s
from sync.hub.db import fixed_utc, observation_row
from sync.protocol import MAX_COLUMNAR_BATCH, MAX_FEED_BATCH, OBSERVATION_COLUMNS, FeedBatch
from tests.sync.hub.helpers import feed, obs, submit


def columnar(hub, after: int = 0, limit: int = MAX_COLUMNAR_BATCH) -> FeedBatch:
    r = hub.request("GET", "/v1/feed", role="room_lead",
                    params={"after": after, "limit": limit, "format": "columnar"})
    assert r.status_code == 200, r.text
    return FeedBatch.model_validate(r.json())


def fixed(t: str) -> str:
    return t[:19] + ".000000+00:00" if len(t) == 25 else t


def as_rows(batch: FeedBatch) -> list[tuple]:
    block = batch.observations
    return list(zip(block.seq, *(getattr(block, c) for c in OBSERVATION_COLUMNS)))


def expected_rows(items) -> list[tuple]:
    return [(i.seq, i.data["org_code"], i.data["metric"], fixed(i.data["observed_at"]), i.data["value"],
             i.data["source"], fixed(i.data["received_at"])) for i in items if i.kind == "observation"]


def typed_seqs(db_url: str) -> list[int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT seq FROM feed_observation ORDER BY seq"))]
    finally:
        engine.dispose()


def make_version_1(db_url: str) -> None:
    """What a hub before schema 2 left: no feed_observation table, schema version 1."""
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE feed_observation"))
            conn.execute(text("DELETE FROM schema_version WHERE version > 1"))
            conn.execute(text("INSERT INTO schema_version (version, applied_at) "
                              "SELECT 1, '2026-01-01T00:00:00.000000+00:00' WHERE NOT EXISTS "
                              "(SELECT 1 FROM schema_version WHERE version = 1)"))
    finally:
        engine.dispose()


def schema_versions(db_url: str) -> list[int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version FROM schema_version ORDER BY version"))]
    finally:
        engine.dispose()


def test_every_submitted_observation_gets_its_typed_row(hub):
    assert submit(hub, [obs("ga_bed_occupancy_pct", 91.25, minutes=1),
                        obs("ed_four_hour_performance_pct", 70.0)]).status_code == 200
    items = feed(hub, 0, MAX_FEED_BATCH).items
    observations = [i.seq for i in items if i.kind == "observation"]
    assert len(observations) == 2 and typed_seqs(hub.db_url) == observations


def test_a_version_1_database_opens_upgrades_and_serves_old_and_new_observations(hub):
    first = [obs("ga_bed_occupancy_pct", 0.1 + 0.2, minutes=1), obs("ed_four_hour_performance_pct", 71.5),
             {"type": "critcon", "reported_at": obs("x", 0)["observed_at"], "level": 2}]
    assert submit(hub, first).status_code == 200
    hub.stop()
    make_version_1(hub.db_url)
    hub.start()  # the hub upgrades the database as it opens it
    assert schema_versions(hub.db_url) == [1, s.SCHEMA_VERSION]
    assert typed_seqs(hub.db_url) == []  # old observations stay JSON-only
    assert submit(hub, [obs("ga_bed_occupancy_pct", 93.0, minutes=2)]).status_code == 200
    items = feed(hub, 0, MAX_FEED_BATCH).items
    old_and_new = expected_rows(items)
    assert len(old_and_new) == 3 and typed_seqs(hub.db_url) == [old_and_new[-1][0]]
    whole = columnar(hub)  # one batch across the upgrade: JSON rows and typed rows, in seq order
    assert as_rows(whole) == old_and_new and old_and_new[0][4] == 0.1 + 0.2  # exact float
    assert whole.items == [i for i in items if i.kind != "observation"]
    assert whole.next_after == items[-1].seq
    # Small batches, each position exactly once, whatever mix each holds.
    seen, after = [], 0
    while after < whole.head:
        part = columnar(hub, after, limit=2)
        seen += sorted([i.seq for i in part.items] + part.observations.seq)
        assert part.next_after == max([after] + [i.seq for i in part.items] + part.observations.seq)
        after = part.next_after
    assert seen == [i.seq for i in items]
    hub.stop()
    hub.start()  # opening an upgraded database again changes nothing
    assert schema_versions(hub.db_url) == [1, s.SCHEMA_VERSION]


def test_a_database_newer_than_the_hub_is_refused(tmp_path):
    from sync.hub.db import DatabaseError, HubDB

    url = f"sqlite:///{tmp_path / 'hub.db'}"
    db = HubDB(url)
    db.init_schema()
    with db.plain() as conn:
        conn.execute(text(f"INSERT INTO schema_version (version, applied_at) VALUES "
                          f"({s.SCHEMA_VERSION + 1}, '2030-01-01T00:00:00.000000+00:00')"))
    db.dispose()
    again = HubDB(url)
    try:
        try:
            again.init_schema()
        except DatabaseError as exc:
            assert f"schema version {s.SCHEMA_VERSION + 1}" in str(exc)
        else:
            raise AssertionError("a newer schema was accepted")
    finally:
        again.dispose()


def test_typed_rows_hold_the_stored_time_form_and_odd_items_get_none():
    data = {"org_code": "RXX", "metric": "m", "observed_at": "2026-01-12T09:00:00+00:00", "value": 1.5,
            "source": "provider", "received_at": "2026-01-12T09:01:00.250000+00:00"}
    row = observation_row(7, data)
    assert row == {"seq": 7, "org_code": "RXX", "metric": "m", "observed_at": "2026-01-12T09:00:00.000000+00:00",
                   "value": 1.5, "source": "provider", "received_at": "2026-01-12T09:01:00.250000+00:00"}
    assert observation_row(7, {k: v for k, v in data.items() if k != "source"})["source"] == "provider"
    assert fixed_utc("2026-01-12T10:00:00+01:00") == "2026-01-12T09:00:00.000000+00:00"
    for odd in ({"value": "1.5"}, {"value": True}, {"value": float("nan")}, {"value": -0.0}, {"metric": None},
                {"observed_at": "yesterday"}, {"received_at": "2026-01-12T09:00:00"}, {"org_code": "X" * 13}):
        assert observation_row(7, {**data, **odd}) is None, odd  # served from its JSON instead


def test_columns_equal_the_items_for_any_text_and_float(hub_db_url):
    """Odd text (quotes, escapes, non-ASCII) and floats needing 17 digits come through the
    columnar read exactly as in the item form, on both databases (SQLite builds the text
    arrays itself)."""
    import json

    from sync.hub import feed as hub_feed
    from sync.hub.core import Hub, HubConfig

    hub = Hub(HubConfig(db_url=hub_db_url))
    try:
        metrics = ['quote"d', "back\\slash", "new\nline", "caf\u00e9 \u2014 \u00fc", "tab\there", "plain"]
        values = [0.1 + 0.2, 1e-300, 123456789.123456789, -0.0, 5.0, 2.0 ** 60]
        with hub.db.write() as w:
            for n, (metric, value) in enumerate(zip(metrics, values)):
                w.emit("observation", {"org_code": f"R\u00c9{n}", "metric": metric, "value": value,
                                       "observed_at": f"2026-01-12T09:0{n}:00+00:00", "source": "provider",
                                       "received_at": f"2026-01-12T09:0{n}:30.500000+00:00"}, "RX")
            w.emit("critcon", {"org_code": "RX", "level": 1}, "RX")
        items = hub_feed.read_batch(hub, 0, MAX_FEED_BATCH).items
        batch = FeedBatch.model_validate(json.loads(hub_feed.read_columnar(hub, 0, MAX_COLUMNAR_BATCH).body))
        assert as_rows(batch) == expected_rows(items) and len(as_rows(batch)) == len(metrics)
        assert [r[4] for r in as_rows(batch)] == values and str(as_rows(batch)[3][4]) == "-0.0"
        assert batch.items == [i for i in items if i.kind != "observation"]
    finally:
        hub.close()
