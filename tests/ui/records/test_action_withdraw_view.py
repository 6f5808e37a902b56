"""Withdrawing an action from its row in real widgets offscreen, on two desktops' real replicas through a
real hub on loopback: the dialog asks why and the withdrawer's role (refused, naming the field, without),
the action leaves the list on both desktops, and a withdrawn member of a reassign clash settles it. The
view and the dialog are drawn at 1366x768 in the dark theme (SCC_SCREENSHOT_DIR keeps the PNGs)."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from models.replica.orm import Action, DecisionEntry
from models.replica.orm.types import utcnow
from models.service import actions as door
from models.service import decisions
from tests.records.conftest import synced
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme
from ui.actions_view import ActionsView
from ui.records.decisions_view import DecisionsView
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")
ROLE = "Director on-call"


def _snap(widget, name, key="dark"):
    out = os.environ.get("SCC_SCREENSHOT_DIR")
    if not out:
        return
    t = theme.set_current(key)
    try:
        widget.setPalette(theme.palette(t))
        widget.setStyleSheet(theme.stylesheet(t))
        if hasattr(widget, "refresh"):   # drawn again in the theme's metrics, as the window does on a change
            widget.refresh()
            settle()
        QApplication.processEvents()
        widget.grab().save(os.path.join(out, name))
    finally:
        theme.set_current("light")


def _gave(desk, now):
    return decisions.record_decision(desk.store, decisions.NewDecision(
        "Dr Lead", ROLE, "Open the discharge lounge early", "Corridor care at RAA", "Dr Lead",
        now - timedelta(hours=1)),
        [decisions.NewAction("Find a bed at RBB for the patient in bay 3", "Sam Site", now - timedelta(minutes=20)),
         decisions.NewAction("Call RAA site manager", "Sam Wrong", now + timedelta(minutes=40)),
         decisions.NewAction("Tell the ambulance service", "Alex Room", now + timedelta(hours=2))])


def test_an_action_made_moot_is_withdrawn_from_its_row_and_leaves_both_desktops_lists(qtbot, sqlite_hub,
                                                                                       make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave = _gave(a, now)
    moot, wrong, _tell = gave.uuids
    synced(a, b)
    # Call RAA site manager was reassigned on both desktops offline: a clash, both marked.
    to_pat = door.reassign_action(a.store, wrong, "Pat Right", "Sam is off today", "Dr Lead", ROLE, now)
    to_jo = door.reassign_action(b.store, wrong, "Jo Other", "Jo covers RAA", "Dr Night", ROLE, now)
    synced(a, b)
    view = open_view(qtbot, ActionsView, a.store, now=now + timedelta(minutes=1))
    view.resize(1366, 768)
    view.user_edit.setText("Dr Lead")
    settle()
    rows = table_text(view.actions_table)
    assert sorted(r[1] for r in rows) == ["Alex Room", "Jo Other ⚠ CLASH", "Pat Right ⚠ CLASH", "Sam Site"], rows
    assert set(view.withdraw_buttons) == {moot, to_pat.uuids[0], to_jo.uuids[0], _tell}
    _snap(view, "actions-withdraw-before.png")

    view.withdraw_buttons[moot].click()
    dialog = view.withdraw_dialog
    assert dialog.isVisible() and "Find a bed at RBB" in dialog.findChildren(type(dialog.layout().itemAt(0).widget()))[0].text()
    dialog.resize(560, dialog.height())
    _snap(dialog, "actions-withdraw-dialog.png")
    dialog.reason.setText("The patient was moved to RCC overnight")
    dialog.accept()   # no role: refused, naming the field, nothing written
    settle()
    assert "role: say your role" in view.message.text()
    view.withdraw_buttons[moot].click()
    view.withdraw_dialog.reason.setText("The patient was moved to RCC overnight")
    view.withdraw_dialog.role.setText(ROLE)
    view.withdraw_dialog.accept()
    settle()
    assert moot not in view.withdraw_buttons and moot not in view.done_buttons
    # Withdrawing Jo's side of the clash settles it: Pat's is no longer marked.
    view.withdraw_buttons[to_jo.uuids[0]].click()
    view.withdraw_dialog.reason.setText("Pat owns it: settled at the 10:00 call")
    view.withdraw_dialog.role.setText(ROLE)
    view.withdraw_dialog.accept()
    settle()
    assert [r[:2] for r in table_text(view.actions_table)] == [
        ["Call RAA site manager", "Pat Right"], ["Tell the ambulance service", "Alex Room"]]
    assert not view.clash_label.isVisible()
    _snap(view, "actions-withdraw-after.png")
    with a.store.session() as s:
        assert s.get(Action, moot).done_at is None
        [entry] = [e for e in s.scalars(select(DecisionEntry).where(DecisionEntry.amends_uuid == gave.uuid))
                   if {"kind": "action_withdrawn", "action_uuid": moot} in e.links]
        assert entry.decision_maker == "Dr Lead" and entry.rationale == "The patient was moved to RCC overnight"

    synced(a, b)
    other = open_view(qtbot, ActionsView, b.store, now=now + timedelta(minutes=2))
    assert [r[1] for r in table_text(other.actions_table)] == ["Pat Right", "Alex Room"]
    log = open_view(qtbot, DecisionsView, b.store, now=now + timedelta(minutes=2))
    log.select_uuid(gave.uuid)
    settle()
    said = log.detail.toPlainText()
    assert "withdrawn" in said and "by Dr Lead" in said and "reason: The patient was moved to RCC overnight" in said, said
    log.select_uuid(entry.uuid)
    settle()
    assert f"withdraws action {moot}" in log.detail.toPlainText()
    _snap(log, "decisions-withdrawn.png")


def test_an_action_withdrawn_on_one_desktop_and_reassigned_on_the_other_is_a_clash_in_the_log(
        qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave = _gave(a, now)
    moot = gave.uuids[0]
    synced(a, b)
    pulled = door.withdraw_action(a.store, moot, "The patient was moved to RCC overnight", "Dr Lead", ROLE, now)
    moved = door.reassign_action(b.store, moot, "Pat Right", "Sam is off", "Dr Night", ROLE, now)
    synced(a, b)
    for desk in (a, b):
        view = open_view(qtbot, ActionsView, desk.store, now=now + timedelta(minutes=1))
        rows = {r[1]: r for r in table_text(view.actions_table)}
        assert "Pat Right ⚠ CLASH" in rows and "also withdrawn" in view.clash_label.text()
        assert "reason: The patient was moved to RCC overnight" in view.clash_label.text()
        log = open_view(qtbot, DecisionsView, desk.store, now=now + timedelta(minutes=1))
        marks = {r[2]: r[4] for r in table_text(log.table)}
        assert marks["Action reassigned from Sam Site to Pat Right: Find a bed at RBB for the patient in bay 3"] \
            == "amends · ⚠ clash"
        assert marks["Action withdrawn (owner Sam Site): Find a bed at RBB for the patient in bay 3"] == \
            "amends · ⚠ clash"
        log.select_uuid(moved.uuid)
        settle()
        mine = log.detail.toPlainText()
        assert "⚠ Clash The same action was also withdrawn" in mine and "by Dr Lead" in mine, mine
        assert "The new action stands until the room withdraws it or marks it done" in mine
        log.select_uuid(pulled.uuid)
        settle()
        assert "⚠ Clash The same action was also reassigned to Pat Right" in log.detail.toPlainText()
    _snap(log, "decisions-withdraw-reassign-clash.png")
