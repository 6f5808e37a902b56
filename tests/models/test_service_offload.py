"""The offload view's page through the door (``models.service.offload``): one read of a real replica
at real size (40 acute trusts, a queue at each, a day of completed handovers)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.rules.handover_bands import load_handover
from models.service import offload as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.records.test_service_door import _plain
from tests.ui.feeds import NOW, Feed, forty_acute_providers

TABLE = load_handover()
SINCE = NOW - timedelta(hours=12)   # before UK midnight (NOW is 10:00 in winter): the chart spans two days


@pytest.fixture
def forty(store):
    forty_acute_providers(store)
    f = Feed(first_seq=10_000)
    for n in range(40):
        code = f"R{n:02d}"
        for k in range(n % 4):          # 0-3 ambulances waiting, the longest 20 + n minutes
            f.waiting(f"amb-w{n:02d}{k}", code, 20 + n - 5 * k)
        for hours in (14, 11, 6, 2):    # one handover before the chart starts, one before midnight
            f.handed_over(f"amb-d{n:02d}{hours:02d}", code, NOW - timedelta(hours=hours), 10 + n)
    f.apply(store)
    return store


def test_the_board_has_every_hospital_with_its_queue_and_today(forty):
    page = door.offload_page(forty, NOW, SINCE, TABLE)
    assert [h.hospital_code for h in page.board] == [f"R{n:02d}" for n in range(40)]
    for n, h in enumerate(page.board):
        assert len(h.waiting) == n % 4
        assert [round(w.wait_minutes) for w in h.waiting] == [20 + n - 5 * k for k in range(n % 4)]
        assert h.today.count == 2                        # handed over since UK midnight only


def test_each_hospital_has_the_time_of_its_newest_update(forty):
    page = door.offload_page(forty, NOW, SINCE, TABLE)
    assert set(page.updated) == {f"R{n:02d}" for n in range(40)}
    # The newest update is the last arrival still waiting, else the handovers' (each stamped an hour ago).
    for n in range(40):
        newest = NOW - timedelta(minutes=20 + n - 5 * (n % 4 - 1)) if n % 4 else NOW - timedelta(hours=1)
        assert page.updated[f"R{n:02d}"] == newest, n


def test_the_chart_holds_every_hospitals_handovers_from_since(forty):
    page = door.offload_page(forty, NOW, SINCE, TABLE)
    assert page.since == SINCE and len(page.done) == 40 * 3    # 11, 6 and 2 hours ago: not 14
    assert all(c.handed_over_at >= SINCE for c in page.done)
    assert [c.handed_over_at for c in page.done] == sorted(c.handed_over_at for c in page.done)
    assert len(page.waiting) == sum(n % 4 for n in range(40))
    assert [w.wait_minutes for w in page.waiting] == sorted((w.wait_minutes for w in page.waiting), reverse=True)


def test_an_empty_replica_gives_an_empty_page(store):
    page = door.offload_page(store, NOW, SINCE, TABLE)
    assert (page.board, page.updated, page.done, page.waiting) == ((), {}, (), ())


def test_the_page_is_plain_data(forty):
    assert _plain(door.offload_page(forty, NOW, SINCE, TABLE))
