"""r3 review (session 31), FAILING test (no fix): f58f3775's decision snapshot compares the replica's last sync
(FeedCursor.last_sync_at: this computer's clock, sync.apply._set_cursor's utcnow) with the snapshot's time (the
dialog's clock: the window's HubClock, the hub's), so a desktop two hours behind its hub, synced one minute ago,
writes into the hashed, permanent record that the feed was down for 2 h.  Real dialog, real encrypted replica,
a whole ICS (seed_ics)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.queries import records as rq
from models.queries import situation_snapshot
from models.replica.orm import FeedCursor
from tests.records.ics_seed import seed_ics
from ui import tasks
from ui.records.decision_dialog import DecisionDialog

SYNCED = datetime(2026, 12, 6, 18, 30, tzinfo=timezone.utc)   # this computer's clock at the last sync
OFFSET = timedelta(hours=2)                                  # the hub's clock is 2 h ahead (HubClock.offset)


def test_a_desktop_behind_its_hub_does_not_record_the_feed_as_down_just_after_a_sync(qtbot, store):
    seed_ics(store, SYNCED + OFFSET)
    with store.writing() as s:
        s.get(FeedCursor, "main").last_sync_at = SYNCED   # as sync.apply writes it: utcnow(), this computer
    dialog = DecisionDialog(store, lambda: SYNCED + timedelta(minutes=1) + OFFSET, "Night Lead")   # HubClock()
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
