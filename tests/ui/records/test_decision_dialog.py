"""Saving a decision from its dialog: one transaction off the UI thread, a failure in words, and a dialog
that goes away while its entry is landing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import shiboken6
from PySide6.QtCore import QDate, QTime
from sqlalchemy import func, select

from models.replica.orm import Action, DecisionEntry, OutboxItem
from tests.records.test_service_door import _fail_the_kth_action
from tests.ui.feeds import NOW, fill_system
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import LockHolder, settled  # noqa: F401
from ui import tasks
from ui.records.decisions_view import DecisionsView

pytestmark = pytest.mark.usefixtures("settled")


def _count(store, model) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _filled(qtbot, store, actions: int = 3):
    fill_system(store)
    view = open_view(qtbot, DecisionsView, store)
    dialog = view.new_decision()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from Alpha to Beta for two hours")
    dialog.rationale.setPlainText("Alpha queue over 45 minutes")
    for n in range(actions):
        assert dialog.add_action(f"Action {n}", "Room support", NOW + timedelta(minutes=30 + n))
    return view, dialog


def test_when_an_action_cannot_be_written_the_dialog_stays_open_and_nothing_is_recorded(qtbot, store):
    view, dialog = _filled(qtbot, store)
    _fail_the_kth_action(store, 2)
    dialog.save()
    assert tasks.manager().wait_idle()
    assert dialog.isVisible() and dialog.saved is None and dialog.buttons.isEnabled()
    assert dialog.error.text() == ("Not saved. an unexpected error (IntegrityError); nothing was recorded; "
                                   "the details are in the log")
    assert _count(store, DecisionEntry) == 0 and _count(store, Action) == 0 and _count(store, OutboxItem) == 0
    assert view.stack.is_empty                                   # the log still has nothing to show
    dialog.close()


def test_while_saving_the_dialog_cannot_be_cancelled_and_says_it_is_waiting(qtbot, store):
    view, dialog = _filled(qtbot, store, actions=1)
    with LockHolder(store, 1.0) as holder:
        dialog.save()
        assert not dialog.buttons.isEnabled() and dialog.saving.isVisible()
        dialog.reject()                                          # Escape: the entry is landing regardless
        assert dialog.isVisible()
        qtbot.waitUntil(holder.released.is_set, timeout=5000)
    assert tasks.manager().wait_idle()
    assert not dialog.isVisible() and dialog.saved is not None and _count(store, Action) == 1
    assert "Decision recorded with a situation snapshot and 1 action(s)" in view.status.text()


def test_a_dialog_destroyed_before_its_entry_lands_does_not_stop_it_landing(qtbot, store):
    view, dialog = _filled(qtbot, store, actions=2)
    announced = []
    tasks.manager().changed.connect(announced.append)
    with LockHolder(store, 0.5) as holder:
        dialog.save()
        shiboken6.delete(dialog)                                 # its view (or the window) closed meanwhile
        qtbot.waitUntil(holder.released.is_set, timeout=5000)
    assert tasks.manager().wait_idle()
    assert _count(store, DecisionEntry) == 1 and _count(store, Action) == 2
    assert [c.records for c in announced] == [{"decision", "action"}]
    tasks.manager().changed.disconnect(announced.append)


# The second 01:40 of Sun 25 Oct 2026: the clocks went back at 02:00 BST, so 01:40 GMT is 01:40 UTC.
AUTUMN_SECOND = datetime(2026, 10, 25, 1, 40, tzinfo=timezone.utc)


def test_a_decision_recorded_in_the_repeated_hour_keeps_the_time_it_was_made(qtbot, store):
    """Saved as offered at 01:40 GMT (the second 01:40 of the autumn change), the entry was decided at
    00:40 UTC, 01:40 BST: an hour before it was made, before the alert it answered. The time offered, left
    as it is, is the instant offered; an amendment keeps its entry's time the same way."""
    fill_system(store)
    view = open_view(qtbot, DecisionsView, store, now=AUTUMN_SECOND)
    dialog = view.new_decision()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from Alpha to Beta for two hours")
    dialog.rationale.setPlainText("Alpha queue over 45 minutes")
    dialog.has_review.setChecked(True)
    assert dialog.add_action(description="Ring Alpha's site lead", owner="Room support")
    dialog.save()
    assert tasks.manager().wait_idle()
    with store.session() as s:
        entry = s.scalars(select(DecisionEntry)).one()
        assert entry.decided_at == AUTUMN_SECOND
        assert entry.review_at == AUTUMN_SECOND + timedelta(hours=2)
        assert s.scalars(select(Action)).one().due_at == AUTUMN_SECOND + timedelta(hours=1)
        uid = entry.uuid
    view.refresh()
    settle()
    view.select_uuid(uid)
    amend = view.amend_selected()
    assert amend is not None
    amend.rationale.setPlainText("Alpha queue over 45 minutes; Beta agreed")
    amend.save()
    assert tasks.manager().wait_idle()
    with store.session() as s:
        second = s.scalars(select(DecisionEntry).where(DecisionEntry.uuid != uid)).one()
        assert second.decided_at == AUTUMN_SECOND and second.review_at == AUTUMN_SECOND + timedelta(hours=2)


def _type(edit, wall: datetime) -> None:
    """The date and the time typed into the edit, as the user sets them."""
    edit.setDate(QDate(wall.year, wall.month, wall.day))
    edit.setTime(QTime(wall.hour, wall.minute))


def test_a_time_edited_in_the_second_pass_of_the_repeated_hour_keeps_the_reading_shown(qtbot, store):
    """Opened at 01:40 GMT and set back to 01:35 (when it was decided), the entry was saved as 01:35 BST,
    00:35 UTC: the earlier reading, an hour before the decision. The reading nearer the time offered is
    kept, and the edit says which it is."""
    fill_system(store)
    view = open_view(qtbot, DecisionsView, store, now=AUTUMN_SECOND)
    dialog = view.new_decision()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from Alpha to Beta for two hours")
    dialog.rationale.setPlainText("Alpha queue over 45 minutes")
    dialog.decided_at.setTime(QTime(1, 35))
    assert dialog.decided_at.zone.text() == "GMT, the second 01:35"
    dialog.save()
    assert tasks.manager().wait_idle()
    with store.session() as s:
        assert s.scalars(select(DecisionEntry)).one().decided_at == AUTUMN_SECOND - timedelta(minutes=5)


def test_a_typed_time_the_clocks_skip_is_refused_by_name_and_nothing_is_recorded(qtbot, store):
    """01:30 on Sun 29 Mar 2026 never happened in the UK: it was saved as 02:30 BST without a word (on a
    UK machine Qt moved it, elsewhere the reading did); the test passes whatever the machine's zone."""
    view, dialog = _filled(qtbot, store, actions=0)
    _type(dialog.decided_at, datetime(2026, 3, 29, 1, 30))
    dialog.save()
    assert dialog.error.text().endswith("decided at: 01:30 on Sun 29 Mar 2026 does not exist in UK time (the clocks "
                                        "go forward from 01:00 to 02:00)")
    _type(dialog.action_due, datetime(2026, 3, 29, 1, 15))
    assert not dialog.add_action(description="Ring Alpha", owner="Room support") and not dialog.actions
    assert "new action due at: 01:15 on Sun 29 Mar 2026 does not exist" in dialog.error.text()
    assert tasks.manager().wait_idle()
    assert _count(store, DecisionEntry) == 0 and dialog.isVisible()
    dialog.close()
