"""Two desktops that each reassigned the same action offline (real encrypted replicas, a real hub on
loopback): the room sees it in real widgets offscreen. On the Actions tab both new actions stand, each
owner marked '⚠ CLASH' and the clash said in words under the table; in the decision log the entry that gave
the action says whom it was reassigned to, by which entries, and each reassigning entry names the other.
Before, the list showed two owners of one action with nothing to say why."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from models.replica.orm.types import utcnow
from models.service import actions as door
from models.service import decisions
from tests.records.conftest import synced
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui.actions_view import ActionsView
from ui.records.decisions_view import DecisionsView
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


def _snap(widget, name):
    out = os.environ.get("SCC_SCREENSHOT_DIR")
    if out:
        widget.grab().save(os.path.join(out, name))


def test_an_action_reassigned_on_two_desktops_offline_shows_both_owners_marked_as_a_clash(
        qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave = decisions.record_decision(a.store, decisions.NewDecision(
        "Dr Lead", "Director on-call", "Open the discharge lounge early", "Corridor care at RAA",
        "Dr Lead", now - timedelta(hours=1)),
        [decisions.NewAction("Call RAA site manager", "Sam Wrong", now + timedelta(minutes=30))])
    [old] = gave.uuids
    synced(a, b)
    to_pat = door.reassign_action(a.store, old, "Pat Right", "Sam is off today", "Dr Lead", "Director on-call", now)
    to_jo = door.reassign_action(b.store, old, "Jo Other", "Jo covers RAA", "Dr Night", "Tactical commander",
                                 now + timedelta(minutes=1))
    synced(a, b)

    view = open_view(qtbot, ActionsView, b.store, now=now + timedelta(minutes=2))
    rows = table_text(view.actions_table)
    assert sorted(r[1] for r in rows) == ["Jo Other ⚠ CLASH", "Pat Right ⚠ CLASH"], rows
    assert view.clash_label.isVisible()
    words = view.clash_label.text()
    assert "also reassigned to Jo Other" in words and "also reassigned to Pat Right" in words
    _snap(view, "actions-reassign-clash.png")

    log = open_view(qtbot, DecisionsView, b.store, now=now + timedelta(minutes=2))
    marks = {r[2]: r[4] for r in table_text(log.table)}
    assert marks["Action reassigned from Sam Wrong to Pat Right: Call RAA site manager"] == "amends · ⚠ clash"
    assert marks["Action reassigned from Sam Wrong to Jo Other: Call RAA site manager"] == "amends · ⚠ clash"
    log.select_uuid(gave.uuid)
    settle()
    original = log.detail.toPlainText()
    assert "⚠ CLASH: reassigned to Pat Right" in original and "and reassigned to Jo Other" in original, original
    assert "by Dr Night" in original
    _snap(log, "decisions-reassign-clash.png")
    log.select_uuid(to_jo.uuid)
    settle()
    mine = log.detail.toPlainText()
    assert "⚠ Clash The same action was also reassigned to Pat Right" in mine and "Jo Other" not in mine.split(
        "⚠ Clash")[1].split("Both new actions")[0], mine
    assert f"reassigns action {old}" in mine   # the link in words, not its JSON
    _snap(log, "decisions-reassign-clash-entry.png")
