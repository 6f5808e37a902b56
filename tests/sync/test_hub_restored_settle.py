"""What a recovery from a hub put back from a backup leaves behind (r2 findings 5 and 6; sync/feed_restore.py)."""

from __future__ import annotations

import json

from sqlalchemy import text

from models.replica.orm import DecisionEntry, FeedCursor
from sync import feed_restore
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync.test_hub_restored import _hub_records, restored  # noqa: F401


def test_a_decision_the_hub_lost_does_not_say_the_hub_took_it(restored):  # noqa: F811
    """Another desktop's decision the hub took after its backup (a real hub put back, real encrypted replicas):
    after the recovery it kept when (and under whose token) the hub took it, so the records export said
    "reached the hub" for an entry the hub no longer held."""
    hub, a = restored["hub"], restored["a"]
    b_lost = restored["lost"][1]               # desktop b's decision; b stays off (a laptop shut for the weekend)
    assert a.run_once().error is None
    assert b_lost not in _hub_records(hub)
    with a.store.session() as s:
        e = s.get(DecisionEntry, b_lost)
        assert e.hub_seq is None and e.hub_hash is None
        assert e.hub_received_at is None and e.hub_author is None, "still says when the hub took it"
        own = s.get(DecisionEntry, restored["lost"][0])   # a's own, sent again: the hub's receipt comes back
        assert own.hub_seq is not None and own.hub_received_at is not None and own.hub_author


def test_a_second_recovery_before_the_first_has_settled_settles_both(tmp_path):
    """A second recovery (another backup put back) before the first's re-read had passed its old cursor replaced
    the first's state: the first's set-aside rows were never compared again and stayed beside the re-read copies.
    A real encrypted replica holding what two recoveries leave: a row set aside by each, each re-read unchanged."""
    store = fresh_replica(tmp_path / "r" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    off = feed_restore.OFFSET
    try:
        with store.writing() as s:
            rows = [(seq, org) for org, p, rewind in (("RA1", 7100, 1), ("RA2", 7001, 2))
                    for seq in (p, -(rewind * off + p))]
            for seq, org in rows:
                s.execute(text("INSERT INTO ambulance_status (org_code, declared_at, reap_level, received_at, "
                               "feed_seq) VALUES (:o, '2026-12-06T10:00:00.000000+00:00', 3, "
                               "'2026-12-06T10:01:00.000000+00:00', :q)"), {"o": org, "q": seq})
            s.merge(FeedCursor(feed="main", position=7200))
            s.execute(text("INSERT INTO replica_meta (key, value) VALUES ('feed_rewound', :v)"),
                      {"v": json.dumps({"position": 7000, "cursor_before": 7300, "offset": 2 * off})})
        assert feed_restore.settle(store) == 2
        with store.session() as s:
            assert s.execute(text("SELECT count(*) FROM ambulance_status WHERE feed_seq < 0")).scalar() == 0
            assert s.execute(text("SELECT count(*) FROM ambulance_status")).scalar() == 2
    finally:
        store.close()
