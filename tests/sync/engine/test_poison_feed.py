"""Poison items through a real hub: every desktop keeps syncing past them.

The items are put into the hub's feed with the hub's own writer, as a hub that stored them
before its intake refused such values (or an older hub) would serve them; the desktop must
not depend on any hub having refused them.  Before, the first of them stopped every
desktop's sync for good (``OverflowError``, pydantic's "Maximum serialization depth
exceeded"), each cycle failing on the same item.  Text with a lone surrogate cannot be
stored by a hub on SQLite or PostgreSQL at all; it is covered with built batches in
tests/sync/test_apply_poison.py.

The 1.0 (items) feed of today's hub answers 500 for a batch holding data nested deeper than
pydantic serialises (about 255 levels), so that format is tried with 200 levels: still far
beyond what the desktop keeps.
"""

from __future__ import annotations

import json

import pytest

from tests.sync.replica_space import plant
from tests.sync.test_apply_poison import ASSESSMENT, DECISION, HANDOVER, YEAR_1, deep, record

T0 = "2026-01-12T09:00:00+00:00"
FIXED = "2026-01-12T09:00:00.000000+00:00"

# (kind, data, words the quarantine reason must hold; "a|b": either: the 1.0 feed serves an item
# nested too deep as the hub's notice, which names the nesting instead of the field)
POISON = [
    ("critcon", {"org_code": "RTEST1", "reported_at": T0, "level": 2, "staffed_beds": 10**20}, "staffed_beds"),
    ("response_times", {"org_code": "RAMB1", "category": "C1", "period_start": T0, "period_end": T0,
                        "incidents": 2**63}, "incidents"),
    ("ambulance_status", {"org_code": "RAMB1", "declared_at": T0, "reap_level": 10**20}, "reap_level"),
    ("opel_assessment", {**ASSESSMENT, "org_code": "RTEST1", "level": 10**20}, "level"),
    ("opel_assessment", {**ASSESSMENT, "org_code": "RTEST1",
                         "parameters": [{"key": "mean_handover_minutes", "points": 2**64}]}, "points"),
    ("handover", {**HANDOVER, "arrived_at": YEAR_1}, "arrived_at"),
    ("observation", {"org_code": "RTEST1", "metric": "ga_bed_occupancy_pct", "observed_at": FIXED,
                     "value": "DEEP", "source": "provider", "received_at": FIXED}, "value|nested"),
    ("observation", {"org_code": "RTEST1", "metric": "ga_bed_occupancy_pct", "observed_at": FIXED,
                     "value": 10**400, "source": "provider", "received_at": FIXED}, "value"),
    ("observation", {"org_code": "RTEST1", "metric": "ga_bed_occupancy_pct", "observed_at": FIXED,
                     "value": 180.0, "source": "provider", "received_at": FIXED}, "outside the valid range"),
    ("record", record("decision", "DEEP"), "nested"),   # a hub serves it as a notice naming the nesting
    ("record", record("decision", {**DECISION, "device_seq": 2**63}), "device_seq"),
    ("record", record("transfer_event", {"transfer_uuid": "t-1", "field": "created", "at": YEAR_1}), "at"),
    ("record", record("alert_ack", {"alert_uuid": "al-1", "acknowledged_at": 12, "acknowledged_by": "x"}),
     "acknowledged_at"),
]


def _nest(poison, nested):
    kind, data, words = poison
    if data.get("value") == "DEEP":
        data = {**data, "value": nested}
    elif data.get("data") == "DEEP":
        data = {**data, "data": nested}
    return kind, data, words


def _good(n: int) -> list[tuple[str, dict]]:
    return [("critcon", {"org_code": "RTEST2", "reported_at": T0, "level": 1 + n % 4, "staffed_beds": 20 + n}),
            ("observation", {"org_code": "RTEST2", "metric": "ga_bed_occupancy_pct", "observed_at": FIXED,
                             "value": 80.0 + n / 10, "source": "provider", "received_at": FIXED})]


@pytest.mark.parametrize("columnar", [True, False], ids=["columnar", "items"])
def test_every_desktop_syncs_past_poison_a_hub_holds(sqlite_hub, make_desktop, columnar):
    nested = deep(900 if columnar else 200)
    poisons = [_nest(p, nested) for p in POISON]
    items = []
    for n, poison in enumerate(poisons):
        items += _good(n) + [poison[:2]]
    items += _good(len(POISON))
    first, last = plant(sqlite_hub.db_url, items)
    poison_at = {first + items.index(p[:2]) for p in poisons}
    desks = [make_desktop(sqlite_hub, f"desk-{k}", columnar=columnar, batch_limit=7) for k in range(2)]
    for desk in desks:
        results = [desk.run_once() for _ in range(2)]
        assert all(r.error is None for r in results), [r.error for r in results]
        assert desk.position() == last
        with desk.store.raw() as raw:
            good = raw.execute("SELECT count(*) FROM critcon_status WHERE org_code = 'RTEST2'").fetchall()
            obs = raw.execute("SELECT count(*) FROM observation WHERE org_code = 'RTEST2'").fetchall()
            quarantined = raw.execute("SELECT source, payload, errors FROM quarantined_record "
                                      "ORDER BY id").fetchall()
        assert good == obs == [(len(POISON) + 1,)]
        seqs = [json.loads(p)[6] if src == "feed" else json.loads(p)["seq"] for src, p, _ in quarantined]
        assert sorted(seqs) == sorted(poison_at)
        reasons = {seq: " ".join(json.loads(e)) for seq, (_, _, e) in zip(seqs, quarantined)}
        for kind, data, words in poisons:
            seq = first + items.index((kind, data))
            assert any(w in reasons[seq] for w in words.split("|")), (kind, reasons[seq])
