"""A decision snapshot's feed part on one clock (r3 review, session 31, finding 1): the replica's last sync
(FeedCursor.last_sync_at: this computer's clock, sync.apply._set_cursor's utcnow) is put on the snapshot's clock
(the dialog's: the window's HubClock, the hub's) by the clock's offset, so a desktop two hours behind its hub,
synced one minute ago, does not write into the hashed, permanent record that the feed was down for 2 h.
Real dialog with a real HubClock, real encrypted replica, a whole ICS (seed_ics)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import records as rq
from models.queries import situation_snapshot
from models.replica.orm import FeedCursor
from tests.records.ics_seed import seed_ics
from sync.hub_clock import HubClock
from ui import tasks
from ui.records.decision_dialog import DecisionDialog

SYNCED = datetime(2026, 12, 6, 18, 30, tzinfo=timezone.utc)   # this computer's clock at the last sync
OFFSET = timedelta(hours=2)                                  # the hub's clock is 2 h ahead (HubClock.offset)


def test_a_desktop_behind_its_hub_does_not_record_the_feed_as_down_just_after_a_sync(qtbot, store):
    seed_ics(store, SYNCED + OFFSET)
    with store.writing() as s:
        s.get(FeedCursor, "main").last_sync_at = SYNCED   # as sync.apply writes it: utcnow(), this computer
    clock = HubClock(base=lambda: SYNCED + timedelta(minutes=1))   # this computer's clock, a minute after the sync
    clock.observe(OFFSET)                                           # a cycle measured the hub 2 h ahead
    dialog = DecisionDialog(store, clock, "Night Lead")
    qtbot.addWidget(dialog)
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert conveyances from RA01 to RA02 overnight")
    dialog.rationale.setPlainText("Queues at RA01")
    dialog.save()
    assert tasks.manager().wait_idle(30_000)
    assert dialog.saved is not None, dialog.error.text()
    with store.session() as s:
        snap = rq.decisions(s)[0].entry.situation_snapshot
    said = situation_snapshot.feed_sentence(snap)
    assert snap["feed"]["sync_stale"] is False, said
    assert snap["feed"]["clock_offset_seconds"] == 7200
    assert said.startswith("Feed: synced 20:30;"), said   # the hub's clock, as the snapshot's time (20:31)
