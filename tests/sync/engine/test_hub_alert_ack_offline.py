"""An alert acknowledged on one desktop while it is off the network, the level flapping meanwhile,
and another desktop syncing all along: after both sync, both show the same alerts, the
acknowledgement on both (two real encrypted replicas, a real hub on loopback)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.service import alert_centre
from models.service import alerts as alert_service
from tests.sync.engine.conftest import submit
from tests.support.hub import shown_as


def _reap(level, minutes_ago):
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    return [{"type": "ambulance_status", "declared_at": at.isoformat(), "reap_level": level}]


def _shown(desk):
    now = datetime.now(timezone.utc)
    out = {}
    for state in ("open", "acknowledged", "cleared"):
        out[state] = sorted((a.uuid, a.acknowledged_by, a.summary) for a in alert_centre.centre(
            desk.store, now, state, rule="reap_4").alerts)
    return out


def test_an_acknowledgement_made_offline_shows_the_same_on_both_desktops_after_a_flap(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, _reap(4, 30), org="RAMB1", role="admin")
    assert a.run_once().error is None and b.run_once().error is None
    first = next(x for x in alert_centre.banner(a.store, datetime.now(timezone.utc)).open_alerts
                 if x.rule == "reap_4")
    # A is off the network: its acknowledgement waits in its outbox.
    done = alert_service.acknowledge(a.store, first.uuid, "Room lead A", "calling the EOC",
                                     datetime.now(timezone.utc))
    assert done.applied
    # Meanwhile the level drops and rises again: the hub clears the first alert and raises a second.
    submit(sqlite_hub, _reap(2, 20), org="RAMB1", role="admin")
    submit(sqlite_hub, _reap(4, 10), org="RAMB1", role="admin")
    assert b.run_once().error is None     # B folds the first (cleared, unacknowledged there) into the second
    assert a.run_once().error is None     # A back: its acknowledgement reaches the hub, then B
    assert b.run_once().error is None and a.run_once().error is None
    on_a, on_b = _shown(a), _shown(b)
    assert on_a == on_b
    assert [(uid, by) for uid, by, _ in on_b["cleared"]] == [(first.uuid, shown_as("Room lead A"))]
    assert len(on_b["open"]) == 1 and on_b["open"][0][2] is None   # the second alone: nothing folded into it
