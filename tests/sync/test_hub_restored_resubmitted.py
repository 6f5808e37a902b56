"""Figures the hub lost with a restore and that providers send again, at other positions (r2 finding 3): the
desktop that had read them held its set-aside copy (negative ``feed_seq``) and the hub's for good: 960 figures
twice (7,682 rows against a fresh desktop's 6,722). Now a batch that brings a figure removes its set-aside copy
(sync/set_aside.py). A real hub (40 providers, three days of hourly figures), real encrypted replicas.
"""
from __future__ import annotations

from sqlalchemy import text

from tests.sync.test_hub_restored import DAYS, _days, _desktop, _submit, restored  # noqa: F401


def _doubled(desk) -> tuple[int, int]:
    with desk.store.session() as s:
        total = s.execute(text("SELECT count(*) FROM observation")).scalar()
        twice = s.execute(text("SELECT count(*) FROM (SELECT 1 FROM observation GROUP BY org_code, metric_code, "
                               "observed_at HAVING count(*) > 1)")).scalar()
    return total, twice


def test_figures_sent_again_after_the_restore_are_held_once(restored):  # noqa: F811
    hub, a = restored["hub"], restored["a"]
    _submit(hub, "RP039", range(DAYS * 24 + 12, DAYS * 24 + 13))   # one new figure first: positions shift by 2
    _days(hub, DAYS * 24, 12, salt=0.5)     # the fourth morning again, the same values the hub lost
    assert a.run_once().error is None
    assert a.run_once().error is None
    fresh = _desktop(hub, restored["folder"], "fresh")
    try:
        assert fresh.run_once().error is None
        print(f"\ndesktop a: {_doubled(a)} (rows, figures held twice); fresh desktop: {_doubled(fresh)}")
        assert _doubled(a)[1] == 0, "desktop a holds figures twice"
        assert _doubled(a) == _doubled(fresh)
    finally:
        fresh.client.close()
        fresh.store.close()
