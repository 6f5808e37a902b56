"""Migration 0026 (``on_call_shift.added_by``) on a real encrypted replica at real size: a year of rota slots
for 40 providers (two 12-hour slots a day on each provider's rota, 29,200 slots) beside a week of 40 providers'
data.  Opened as a user's would be (upgraded in place): a slot this desktop made is given its author from its
outbox's create record, a slot it received (no create record here) keeps none and the rota still says "another
desktop" for it, a create record whose author is not text gives none; a slot received after the upgrade keeps
its author; downgraded, the column goes and every slot is as it was."""

from __future__ import annotations

import json
import time
from datetime import timedelta

from sqlalchemy import text

from benchmarks import desktop_fixture as fx
from models.records import on_call
from models.replica import migrate
from models.replica.store import Store
from tests.models import old_replica
from tests.models.conftest import PASSPHRASE

BEFORE = "0025"
PROVIDERS, DAYS = 40, 365
SLOTS = PROVIDERS * DAYS * 2


def _uid(prefix: int, n: int) -> str:
    return f"{prefix:08d}-0000-4000-8000-{n:012d}"


def _author(n: int):
    """Who made slot ``n`` as this desktop's outbox says: None for a received slot (every third)."""
    if n % 3 == 0:
        return None
    return 42 if n == 1 else f"Rota Lead {n % 5}"


def _rota(path) -> int:
    """Contacts and a year of slots as a replica before 0026 holds them, with the outbox's create records."""
    start = int(fx.END.timestamp()) - DAYS * 86400
    with old_replica.held(path) as store:
        with store.raw() as raw, raw:
            raw.executemany(
                "INSERT INTO contact (uuid, name, organisation, role, service, cover, notes, deleted, updated_at,"
                " device_id) VALUES (?, ?, ?, 'Site manager', 'acute', 'both', '', 0, ?, 'dev-old')",
                [(_uid(1, p), f"Site manager {p:02d}", f"Trust {p} NHS Trust", fx.utc_text(start))
                 for p in range(PROVIDERS)])
            slots, made = [], []
            for n in range(SLOTS):
                p, half = n % PROVIDERS, n // PROVIDERS
                begins = start + half * 43_200
                slots.append((_uid(2, n), f"Site manager on-call {p:02d}", _uid(1, p), fx.utc_text(begins),
                              fx.utc_text(begins + 43_200)))
                if (author := _author(n)) is not None:
                    made.append((_uid(3, n), json.dumps({
                        "uuid": _uid(3, n), "kind": "on_call_shift", "device_id": "dev-old",
                        "authored_at": fx.utc_text(begins - 86_400), "data": {
                            "op": "create", "shift_uuid": _uid(2, n), "rota": slots[-1][1], "contact_uuid": _uid(1, p),
                            "starts_at": slots[-1][3], "ends_at": slots[-1][4], "author": author}}),
                        fx.utc_text(begins - 86_400)))
            raw.executemany("INSERT INTO on_call_shift (uuid, rota, contact_uuid, starts_at, ends_at)"
                            " VALUES (?, ?, ?, ?, ?)", slots)
            raw.executemany("INSERT INTO outbox (uuid, kind, payload, created_at, attempts)"
                            " VALUES (?, 'on_call_shift', ?, ?, 0)", made)
            raw.execute("INSERT INTO outbox (uuid, kind, payload, created_at, attempts) VALUES (?, 'on_call_shift', ?,"
                        " ?, 0)", (_uid(4, 0), json.dumps({"data": {"op": "cancel", "shift_uuid": _uid(2, 3),
                                                                     "author": "Not the maker"}}),
                                   fx.utc_text(start)))
    return len(made)


def _slots(path) -> list[tuple]:
    with old_replica.held(path) as store, store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT uuid, rota, contact_uuid, starts_at, ends_at FROM on_call_shift ORDER BY uuid"))]


def test_0026_on_a_year_of_rota_slots_for_40_providers_upgrades_and_downgrades(tmp_path):
    path = tmp_path / "scc.db"
    old_replica.before(path, BEFORE, providers=PROVIDERS)
    made = _rota(path)
    slots_before = _slots(path)
    held = old_replica.without_revision(old_replica.fingerprint(path))
    assert len(slots_before) == SLOTS

    t0 = time.perf_counter()
    with Store.unlock(path, PASSPHRASE) as store:
        upgraded = time.perf_counter() - t0
        assert store.schema_revision() == migrate.head_revision()
        with store.session() as s:
            got = dict(s.execute(text("SELECT uuid, added_by FROM on_call_shift")).all())
        assert len(got) == SLOTS
        expected = {_uid(2, n): (a if isinstance(a, str) else None) for n in range(SLOTS) for a in [_author(n)]}
        assert got == expected
        kept = sum(1 for v in got.values() if v)
        assert kept == made - 1                       # every create record's author but the one not text
        # The rota as the view reads it: a made slot names its maker, a received one says nothing (shown
        # "another desktop"), also for the slot a cancel record names (a cancel is not who made it).
        day = fx.END - timedelta(days=DAYS) + timedelta(hours=1)
        with store.session() as s:
            shown = {x.uuid: x.added_by for x in on_call.shifts_between(s, day, day + timedelta(hours=1))}
        assert len(shown) == PROVIDERS and shown[_uid(2, 2)] == "Rota Lead 2" and shown[_uid(2, 3)] is None
    after = old_replica.without_revision(old_replica.fingerprint(path))
    assert after == held                              # the feed's data, the outbox and the rest as they were

    with old_replica.held(path) as store:
        downgraded = old_replica.downgrade(store, BEFORE)
        with store.engine.connect() as conn:
            assert "added_by" not in {r[1] for r in conn.execute(text("PRAGMA table_info(on_call_shift)"))}
    assert _slots(path) == slots_before              # every slot as it was
    print(f"\n0026 on {SLOTS} rota slots ({made} made here, {kept} authors kept) beside 7 days x {PROVIDERS} "
          f"providers: upgrade on open {upgraded:.3f} s, downgrade {downgraded:.2f} s")
