"""The system picture's "Alerts and actions" tile: its alerts count the overdue actions' own alerts, so it says
how many, and "6 alerts / 3 actions overdue" never reads as nine things. An overdue action does not always have an
unacknowledged alert: an acknowledged one leaves the count while the action stays overdue, and an action only
gets its alert when the chase next runs; so the tile counts the overlap, never assumes it."""

from __future__ import annotations

from datetime import timedelta

from models.records import actions_due
from models.service import system_picture as door
from sync import authoring
from sync.hub.schema import utcnow
from tests.models.conftest import store, store_path  # noqa: F401
from ui import system_texts


def _room(store, now):
    page = door.system_picture(store, now)
    return page.room, system_texts.tiles(page)["room"]


def test_the_alerts_say_how_many_are_for_overdue_actions_and_the_actions_are_counted_in_all(store):
    now = utcnow().replace(microsecond=0)
    made = [authoring.add_action(store, description=f"Call site {n}", owner="Room lead", author="t",
                                 due_at=now - timedelta(hours=n + 1)) for n in range(3)]
    with store.writing() as s:
        actions_due.chase_overdue(s, now)   # three alerts, one per overdue action
    assert authoring.ack_alert(store, actions_due.alert_uuid(made[0]), by="Room lead", at=now)
    authoring.add_action(store, description="Call site 9", owner="Room lead", author="t",
                         due_at=now - timedelta(minutes=5))   # overdue, not chased yet: no alert
    room, tile = _room(store, now)
    assert (room.unacknowledged_alerts, room.overdue_action_alerts, room.overdue_actions) == (2, 2, 4)
    assert tile.figure == "2 alerts"
    assert tile.lines == ("not yet acknowledged, 2 for overdue actions", "4 actions overdue in all")


def test_with_no_overdue_action_alert_the_tile_reads_as_before(store):
    now = utcnow().replace(microsecond=0)
    room, tile = _room(store, now)
    assert (tile.figure, tile.lines) == ("0 alerts", ("not yet acknowledged", "0 actions overdue"))
