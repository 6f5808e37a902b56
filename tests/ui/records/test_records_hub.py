"""Record views on two desktops syncing through a real hub on loopback."""

from __future__ import annotations

from models.records import verify as records_verify
from models.replica.orm.types import utcnow
from tests.ui.records.conftest import open_view, settle
from ui.records.decisions_view import DecisionsView
from ui.records.transfers_view import TransfersView
from ui.widgets import table_text


def test_a_case_and_a_decision_made_on_one_desktop_show_on_another(qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    assert a.run_once().error is None and b.run_once().error is None
    now = utcnow()
    tracker = open_view(qtbot, TransfersView, a.store, now=now, author="Lead on A")
    dialog = tracker.new_case()
    dialog.local_ref.setText("T-4001")
    dialog.from_code.setCurrentText("RTEST1")  # the hub's test organisations arrived with the feed
    dialog.to_code.setCurrentText("RTEST2")
    dialog.save()
    settle()
    uid = dialog.saved.uuid
    assert tracker.change_status("accepted")
    settle()
    log = open_view(qtbot, DecisionsView, a.store, now=now, author="Lead on A")
    decision = log.new_decision()
    decision.decision_maker.setText("Dr A")
    decision.decision.setPlainText("Accept T-4001 at Trust Two")
    decision.rationale.setPlainText("Bed confirmed")
    decision.providers.setText("RTEST2")
    decision.add_action("Book transport", "Room support")
    decision.save()                     # off the UI thread: recorded once it has landed
    settle()
    saved = decision.saved
    pushed = a.run_once()
    assert pushed.error is None and pushed.pushed == 5  # case, status, its time, decision, action

    cycle = b.run_once()
    assert cycle.error is None and "record" in cycle.kinds
    other = open_view(qtbot, TransfersView, b.store, now=now)
    assert TransfersView.KINDS & set(cycle.kinds)  # the window would redraw it
    rows = table_text(other.table)
    assert [r[1] for r in rows] == ["T-4001"] and rows[0][4] == "accepted"
    other.select_uuid(uid)
    settle()
    history = [r[1] for r in table_text(other.history)]
    assert history[0].startswith("opened the case (inter hospital, urgent, RTEST1 → RTEST2)")
    assert "status: requested → accepted" in history
    other_log = open_view(qtbot, DecisionsView, b.store, now=now)
    other_log.set_provider("RTEST2")
    settle()
    assert [r[2] for r in table_text(other_log.table)] == ["Accept T-4001 at Trust Two"]
    assert other_log.selected_row().entry.uuid == saved.uuid and len(other_log.selected_row().actions) == 1
    with b.store.session() as s:
        report = records_verify.verify(s)
    assert report.intact and report.hub_head.entries == 1


def test_an_entry_that_reached_the_hub_late_says_when(qtbot, sqlite_hub, make_desktop):
    """A decision recorded on a desktop that was offline reaches the others only when it syncs: the
    entry says when the hub took it, and how long after it was recorded (a records review's finding)."""
    from datetime import timedelta

    from sqlalchemy import update

    from models.replica.orm import DecisionEntry
    from sync import authoring

    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.record_decision(a.store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                    decision="Open the escalation ward", rationale="Trust One at OPEL 4",
                                    recorded_by="Lead on A")
    uid = getattr(uid, "uuid", uid)
    assert a.run_once().error is None and b.run_once().error is None
    log = open_view(qtbot, DecisionsView, b.store, now=utcnow())
    log.select_uuid(uid)
    settle()
    text = log.detail.toPlainText()
    assert "at the hub (seq " in text and "after it was recorded" not in text   # synced at once
    with b.store.session() as s:   # as if it had been recorded 7 h 10 min before A was back online
        taken = s.get(DecisionEntry, uid).device_sent_at   # A's clock when it sent it (protocol 1.8)
        s.execute(update(DecisionEntry).where(DecisionEntry.uuid == uid)
                  .values(recorded_at=taken - timedelta(hours=7, minutes=10)))
        s.commit()
    log.refresh()
    settle()
    log.select_uuid(uid)
    settle()
    text = log.detail.toPlainText()
    assert "7 h 10 min after it was recorded: others could not see it before then" in text, text
