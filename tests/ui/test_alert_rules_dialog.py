"""The room's alert rules dialog: opened from the window's menu, lists every rule with its enabled
state and thresholds, adds, edits and disables one through the door off the UI thread, and names each
bad field in the edit dialog.  Real widgets offscreen over a real encrypted replica."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.replica.orm import OutboxItem
from models.rules.alert_rules import default_rules
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.main_window import MainWindow
from ui.widgets import table_text

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)
SHOTS = "/tmp/scc-alert-rules"
pytestmark = pytest.mark.usefixtures("settled")


def settle() -> None:
    assert tasks.manager().wait_idle(20_000), "work off the UI thread did not finish"


def _sent(store):
    with store.session() as s:
        return [(q.payload["data"]["op"], q.payload["data"]["rule_id"]) for q in
                s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_rule").order_by(OutboxItem.seq))]


def _shot(widget, name):
    import os
    os.makedirs(SHOTS, exist_ok=True)
    assert widget.grab().save(f"{SHOTS}/{name}.png")


@pytest.fixture
def dialog(qtbot, store):
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.rules_action.trigger()   # the menu item
    settle()
    found = window.findChild(__import__("ui.alert_rules_dialog", fromlist=["x"]).AlertRulesDialog)
    assert found is not None and found.isVisible()
    found.author = lambda: "Sam Lead"
    return found


def test_the_dialog_lists_every_rule_then_adds_edits_and_disables_one(dialog, store, qtbot):
    rows = table_text(dialog.table)
    assert len(rows) == len(default_rules())
    assert rows[0][:2] == ["on", default_rules()[0].name] and rows[0][-1] == "shipped default"
    _shot(dialog, "1-defaults")

    editor = dialog.add_rule()
    f = editor.fields
    f["id"].setText("critcon_room_2")
    f["name"].setText("A unit reported CRITCON 2 or above")
    f["kind"].setCurrentText("level")
    f["metric"].setCurrentText("critcon_level")
    f["raise"].setText("2")
    f["clear"].setText("3")   # above raise: refused, named
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    settle()
    assert editor.isVisible() and "rule.clear: must not be above raise" in editor.error.text()
    _shot(editor, "2-add-refused")
    f["clear"].setText("2")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    settle()
    assert not editor.isVisible() and editor.saved.applied
    settle()
    rows = {r[1]: r for r in table_text(dialog.table)}
    added = rows["A unit reported CRITCON 2 or above"]
    assert added[0] == "on" and added[4:6] == ["2", "2"] and added[-1].startswith("the room's own by Sam Lead")

    assert dialog.select_rule("critcon_room_2")
    editor = dialog.edit_selected()
    assert editor.fields["id"].isReadOnly() and editor.fields["raise"].text() == "2"
    editor.fields["raise"].setText("3")
    editor.fields["clear"].setText("3")
    editor.buttons.button(editor.buttons.StandardButton.Save).click()
    settle()
    settle()
    assert dialog.select_rule("reap_3")
    assert dialog.toggle_button.text() == "&Disable"
    dialog.toggle_button.click()
    settle()
    settle()
    rows = {r[1]: r for r in table_text(dialog.table)}
    assert rows["A unit reported CRITCON 2 or above"][4] == "3"
    reap3 = rows[next(r.name for r in default_rules() if r.id == "reap_3")]
    assert reap3[0] == "OFF" and reap3[-1].startswith("default, changed by Sam Lead")
    assert dialog.select_rule("reap_3") and dialog.toggle_button.text() == "&Enable"
    assert "disabled" in dialog.status.text()
    assert _sent(store) == [("add", "critcon_room_2"), ("edit", "critcon_room_2"), ("disable", "reap_3")]
    _shot(dialog, "3-after-changes")
