"""A replica that runs out of space mid-batch: no feed position is ever skipped.

On ``SQLITE_FULL`` SQLite may roll the whole transaction back.  Before, ``apply_batch``
took the error for bad data, the adapter began a new transaction under it, and the rest
of the batch and the new cursor committed: over 12 batches, 19 of 60 positions were
neither stored nor quarantined.  Here the replica is limited with ``PRAGMA
max_page_count`` (SQLite answers exactly as on a full disk) over 12 real-sized batches
(40 providers: observations as columns, about 120 assessments, every other kind, one
item in each that cannot be applied); a real small filesystem is in
tests/sync/engine/test_replica_full.py.
"""

from __future__ import annotations

import pytest

from models.replica.dbapi import replica_fault
from models.replica.store import Store
from sync.apply import apply_batch
from sync.engine import catalogue_validator
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.sync.replica_space import PageLimit, accounted, check_no_gap, positions, real_batches

BATCHES = 12


@pytest.fixture(scope="module")
def batches():
    return real_batches(BATCHES)


@pytest.fixture(scope="module")
def validator():
    return catalogue_validator()


@pytest.mark.parametrize("spare_pages", [20, 29, 47, 56, 173])   # full in different places
def test_the_cursor_never_passes_an_item_a_full_replica_did_not_apply(tmp_path, batches, validator, spare_pages):
    feed = set().union(*map(positions, batches))
    poison = {i.seq for b in batches for i in b.items if i.data.get("staffed_beds") == 10**20}
    store = Store.create(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    limit = PageLimit(store, spare_pages)
    try:
        def on_full(full: int) -> None:
            if full == 3:
                limit.lift()   # space returns: the next cycles go on by themselves

        full, cursors = _apply_all(store, batches, validator, BATCHES + 6, on_full)
        assert full == 3
        assert cursors == sorted(cursors)
        _assert_all_accounted(store, feed, poison)
    finally:
        limit.remove()
        store.close()


def _apply_all(store, batches, validator, cycles: int, on_full, on_applied=lambda: None) -> tuple[int, list[int]]:
    """Apply ``batches`` one cycle at a time from the replica's cursor, as the engine does, checking
    before each that no position is skipped; a replica fault must leave the cursor where it was.
    Returns how many cycles the replica refused and the cursor before each cycle."""
    feed = set().union(*map(positions, batches))
    by_start = {min(positions(b)): b for b in batches}
    full, cursors = 0, []
    for _cycle in range(cycles):
        with store.raw() as raw:
            cursor = check_no_gap(raw, feed)
        cursors.append(cursor)
        if cursor == max(feed):
            break
        try:
            apply_batch(store, by_start[cursor + 1], validator)
        except Exception as exc:  # noqa: BLE001 - asserted just below
            assert replica_fault(exc), repr(exc)
            full += 1
            with store.raw() as raw:
                assert check_no_gap(raw, feed) == cursor   # the cursor did not move
            on_full(full)
            continue
        on_applied()
    return full, cursors


def _assert_all_accounted(store, feed: set[int], poison: set[int]) -> None:
    with store.raw() as raw:
        stored, quarantined, cursor = accounted(raw)
    assert cursor == max(feed)
    assert quarantined == poison and stored == feed - poison


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_day_of_batches_with_the_replica_filling_again_and_again(tmp_path, validator):
    """The long run: a day of real-sized 15-minute batches (96), the replica capped again a few
    batches after each time space returned, so it fills at many different points of the feed."""
    import random

    day = real_batches(96)
    feed = set().union(*map(positions, day))
    poison = {i.seq for b in day for i in b.items if i.data.get("staffed_beds") == 10**20}
    rng = random.Random(96)
    store = Store.create(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    limit = PageLimit(store, rng.randint(10, 200))
    since_lift = [None]

    def on_full(_full: int) -> None:
        limit.lift()
        since_lift[0] = 0

    def on_applied() -> None:
        if since_lift[0] is None:
            return
        since_lift[0] += 1
        if since_lift[0] == 4:   # full again, somewhere else
            with store.raw() as raw:
                pages = raw.execute("PRAGMA page_count").fetchall()[0][0]
            limit.limit = pages + rng.randint(10, 200)
            since_lift[0] = None

    try:
        fills, cursors = _apply_all(store, day, validator, 96 * 3, on_full, on_applied)
        print(f"96 batches, {len(feed)} positions: the replica filled {fills} times; 0 lost, 0 doubled")
        assert fills >= 10 and cursors == sorted(cursors)
        _assert_all_accounted(store, feed, poison)
    finally:
        limit.remove()
        store.close()
