"""Helpers for tests of a replica that runs out of space: a page limit, real-sized feed batches,
and the positions a replica holds (stored or quarantined).

``PageLimit`` makes SQLite itself answer ``SQLITE_FULL`` (``PRAGMA max_page_count`` on every
connection the store hands out), exactly as on a full disk, without needing one; tests on a
real small filesystem are in tests/sync/engine/test_replica_full.py.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import event

from sync.protocol import FeedBatch, FeedItem

T0 = int(datetime(2026, 1, 12, tzinfo=timezone.utc).timestamp())
NO_LIMIT = 1_073_741_823   # SQLite's default max_page_count


class PageLimit:
    """Every connection the store's engine hands out may grow the file by ``spare`` pages at most."""

    def __init__(self, store, spare: int) -> None:
        self.store = store
        with store.raw() as raw:
            self.pages = raw.execute("PRAGMA page_count").fetchall()[0][0]
        self.limit = self.pages + spare
        event.listen(store.engine, "checkout", self._checkout)

    def _checkout(self, dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.raw.execute(f"PRAGMA max_page_count = {self.limit}")

    def lift(self) -> None:
        """Space returns."""
        self.limit = NO_LIMIT

    def remove(self) -> None:
        """Space returns, for good: pooled connections that kept the limit are closed."""
        self.lift()
        event.remove(self.store.engine, "checkout", self._checkout)
        self.store.engine.dispose()


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


def snapshot(at: str, providers: int = 40) -> dict:
    """A decision's situation snapshot of ``providers`` providers (about 0.5 KB each, as recorded)."""
    return {"format": 1, "taken_at": at, "system": {"level": 3, "calculated_level": 3, "assessed_at": at},
            "providers": {f"BA{i:03d}": {"name": f"Benchmark Acute Trust {i:02d}", "pillar": "acute",
                                         "level": 2 + i % 3,
                                         "calculated_level": 2 + i % 3, "declared_level": None, "at_least_level": None,
                                         "assessed_at": at, "edition": "2024-26", "verified": False,
                                         "override_reason": "Declared after the system call: staffing gaps"}
                          for i in range(providers)},
            "ambulance": {}, "offload": {"hospitals": {}, "waiting": 0}, "missing": []}


def other_kinds(seq: int, t: int, tick: int) -> list[FeedItem]:
    """Every item kind besides observations and assessments, from position ``seq + 1``: decisions
    with their 40-provider snapshots, transfers, handovers, critical care, response times, REAP;
    and one item that cannot be applied (a critcon bed count too large for SQLite)."""
    at = _iso(t)
    data = [("critcon", {"org_code": "BA002", "reported_at": at, "level": 3, "staffed_beds": 10**20})]   # poison
    for k in range(3):
        n = f"{tick:04d}{k}"
        decision = {"device_seq": tick * 3 + k + 1, "decided_at": at, "decision_maker": "Dr A",
                    "decision_maker_role": "Director on-call", "decision": f"Decision {n}",
                    "rationale": "OPEL 3 at two acute trusts and handover delays over 60 minutes",
                    "recorded_by": "Room support", "recorded_at": at, "content_hash": f"{int(n):064d}",
                    "situation_snapshot": snapshot(at)}
        created = json.dumps({"local_ref": f"TR-{n}", "kind": "inter_hospital", "from_code": "BA001",
                              "to_code": "BA002", "priority": "urgent", "status": "requested", "requested_at": at})
        data += [
            ("critcon", {"org_code": f"BA00{k}", "reported_at": at, "level": 2, "staffed_beds": 30,
                         "occupied_beds": 27}),
            ("response_times", {"org_code": "BM001", "category": f"C{k + 1}", "period_start": at,
                                "period_end": _iso(t + 900), "incidents": 41, "mean_seconds": 1900.0,
                                "p90_seconds": 4100.0}),
            ("ambulance_status", {"org_code": "BM001", "declared_at": at, "reap_level": 3, "csp_level": "2"}),
            ("handover", {"ambulance_org": "BM001", "event_uuid": f"amb-{n}", "hospital_code": "BA001",
                          "vehicle_ref": f"A{n}", "state": "arrived", "arrived_at": at, "updated_at": at}),
            ("record", {"uuid": f"00000000-0000-0000-0000-{int(n):012d}", "kind": "decision", "device_id": "dev-b",
                        "author": "lead", "authored_at": at, "data": decision}),
            ("record", {"uuid": f"00000000-0000-0000-0001-{int(n):012d}", "kind": "transfer_event",
                        "device_id": "dev-b", "author": "lead", "authored_at": at,
                        "data": {"transfer_uuid": f"t-{n}", "field": "created", "new_value": created, "at": at}}),
        ]
    return [FeedItem(seq=seq + i + 1, kind=kind, data=d) for i, (kind, d) in enumerate(data)]


def real_batches(count: int, providers: int = 40) -> list[FeedBatch]:
    """``count`` consecutive 15-minute batches of ``providers`` providers, as a hub sends them
    (observations as columns, about 120 assessments with their scores) plus every other kind."""
    from benchmarks import desktop_fixture as fixture

    feed = fixture.Feed(fixture.Scale(1, providers))
    batches, seq = [], 0
    for tick in range(count):
        t = T0 + tick * fixture.STEP_S
        batch, seq, _, _ = fixture.feed_batch(feed, t, seq, seq)
        extra = other_kinds(seq, t, tick)
        seq = extra[-1].seq
        batches.append(batch.model_copy(update={"items": batch.items + extra, "next_after": seq, "head": seq}))
    return [b.model_copy(update={"head": seq}) for b in batches]


def positions(batch: FeedBatch) -> set[int]:
    return {i.seq for i in batch.items} | set(batch.observations.seq if batch.observations else [])


_STORED = " UNION ".join(f"SELECT {col} FROM {table} WHERE {col} IS NOT NULL" for table, col in (
    ("observation", "feed_seq"), ("opel_assessment", "feed_seq"), ("critcon_status", "feed_seq"),
    ("response_times", "feed_seq"), ("ambulance_status", "feed_seq"), ("handover_event", "feed_seq"),
    ("decision_entry", "hub_seq"), ("transfer_event", "feed_seq")))


def accounted(raw) -> tuple[set[int], set[int], int]:
    """``(stored, quarantined, cursor)``: the feed positions the replica holds in a table, those it
    quarantined, and its cursor (on an APSW connection)."""
    stored = {r[0] for r in raw.execute(_STORED)}
    quarantined = set()
    for source, payload in raw.execute("SELECT source, payload FROM quarantined_record"):
        doc = json.loads(payload)
        quarantined.add(doc[6] if source == "feed" else doc["seq"])
    cursor = raw.execute("SELECT position FROM feed_cursor WHERE feed = 'main'").fetchall()
    return stored, quarantined, cursor[0][0] if cursor else 0


def check_no_gap(raw, feed_positions: set[int]) -> int:
    """Every position up to the cursor is stored or quarantined (never neither, never both);
    nothing beyond the cursor is.  Returns the cursor."""
    stored, quarantined, cursor = accounted(raw)
    upto = {p for p in feed_positions if p <= cursor}
    assert not stored & quarantined, sorted(stored & quarantined)[:10]
    missing = upto - stored - quarantined
    assert not missing, f"{len(missing)} position(s) up to the cursor {cursor} neither stored nor quarantined: " \
                        f"{sorted(missing)[:10]}"
    beyond = {p for p in stored | quarantined if p > cursor}
    assert not beyond, f"positions beyond the cursor {cursor} already stored: {sorted(beyond)[:10]}"
    return cursor



def feed_items(batches: list[FeedBatch]) -> list[tuple[str, dict]]:
    """The batches' items as ``(kind, data)`` in feed order (observations out of their columns)."""
    out = []
    for b in batches:
        rows = [(i.seq, i.kind, i.data) for i in b.items]
        cols = b.observations
        if cols is not None:
            names = ("org_code", "metric", "observed_at", "value", "source", "received_at")
            rows += [(seq, "observation", {n: getattr(cols, n)[k] for n in names}) for k, seq in enumerate(cols.seq)]
        out += [(kind, data) for _, kind, data in sorted(rows, key=lambda r: r[0])]
    return out


def plant(db_url: str, items: list[tuple[str, dict]]) -> tuple[int, int]:
    """Append ``items`` to a hub's feed through the hub's own writer, as its intake would have (also
    items a hardened intake refuses: a hub that stored them before, or an older hub).  Returns the
    first and last position."""
    from sync.hub.db import HubDB

    db = HubDB(db_url)
    try:
        with db.write() as writer:
            first = writer.next_seq
            for kind, data in items:
                writer.emit(kind, data, data.get("org_code") if kind != "record" else None)
            last = writer.next_seq - 1
    finally:
        db.dispose()
    return first, last
