"""Views redraw from "what changed" notices, the same for this desktop's writes as for a sync batch.

A decision recorded here used to redraw only the decision log (its dialog's own callback): the
actions view, already built, kept showing the actions as they were until the minute's redraw.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.service import decisions
from sync.connectivity import Connectivity, State
from sync.engine import CycleResult
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, fill_system
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.main_window import MainWindow
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


@pytest.fixture
def window(qtbot, store):
    fill_system(store)
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    return w


def _shown(window, key):
    view = window.show_view(key)
    assert tasks.manager().wait_idle()
    return view


def _actions(view) -> list[str]:
    return [r[0] for r in table_text(view.actions_table)] if view.actions_table.isVisible() else []


def test_a_decision_saved_in_its_dialog_redraws_the_log_and_marks_the_actions_view(window):
    actions = _shown(window, "actions")
    assert _actions(actions) == []
    log = _shown(window, "decisions")
    log.author = "Room support"
    dialog = log.new_decision()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from Alpha to Beta for two hours")
    dialog.rationale.setPlainText("Alpha queue over 45 minutes")
    assert dialog.add_action("Tell the EOC of the divert", "Room support", NOW + timedelta(minutes=30))
    dialog.save()
    assert tasks.manager().wait_idle()
    assert dialog.saved is not None and not dialog.isVisible()
    assert "Divert from Alpha to Beta for two hours" in [r[2] for r in table_text(log.table)]
    assert "actions" in window._dirty                      # out of date: drawn again when shown
    assert _actions(_shown(window, "actions")) == ["Tell the EOC of the divert"]


def test_a_write_redraws_the_visible_view_and_marks_the_others_as_a_sync_batch_does(window, store):
    actions = _shown(window, "actions")
    _shown(window, "decisions")
    _shown(window, "overview")
    window.show_view("actions")
    assert tasks.manager().wait_idle() and not window._dirty & {"actions", "decisions"}
    new = decisions.NewDecision(decision_maker="Mei Chen", decision_maker_role="SCC room lead",
                                decision="Open 6 escalation beds at Beta", rationale="Admissions above capacity",
                                recorded_by="Mei Chen", decided_at=NOW)
    tasks.CollectionOp(None, lambda: decisions.record_decision(
        store, new, [decisions.NewAction("Confirm nurse staffing", "Mei Chen", NOW + timedelta(hours=1))],
        snapshot_at=NOW)).run_in_background()
    assert tasks.manager().wait_idle()
    assert _actions(actions) == ["Confirm nurse staffing"]   # the visible view, by the notice alone
    built = set(window.views.built)
    local = window._dirty & built
    window._dirty.clear()
    window.on_cycle(CycleResult(Connectivity(State.ONLINE, NOW, NOW), kinds={"record": 1}))
    assert tasks.manager().wait_idle()
    assert local == window._dirty & built == {"decisions"}   # the overview shows no records
