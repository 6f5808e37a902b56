"""An action's Done, Reassign and Withdraw buttons with nobody named in "Recording as": each asks for the
name, opens no dialog, keeps its button and writes nothing (a real replica, real widgets offscreen); named,
Done is off until its write lands. Pins ``ActionsView._act`` and ``_ask``, which the three share."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.replica.orm import DecisionEntry
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.test_actions_view import _view, one_action, settle
from tests.ui.ui_probe import settled  # noqa: F401

pytestmark = pytest.mark.usefixtures("settled")


def test_no_name_no_dialog_no_write_and_a_named_done_is_off_until_it_lands(qtbot, store):
    [uid] = one_action(store).uuids
    view = _view(qtbot, store)
    view.user_edit.setText("  ")
    for buttons in (view.reassign_buttons, view.withdraw_buttons, view.done_buttons):
        view._say("")
        buttons[uid].click()
        assert "Recording as" in view.message.text()
        assert buttons[uid].isEnabled()
    assert not hasattr(view, "reassign_dialog") and not hasattr(view, "withdraw_dialog")
    settle()
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionEntry)) == 1
    view.user_edit.setText("Sam Lead")
    view.done_buttons[uid].click()
    assert not view.done_buttons[uid].isEnabled()
    settle()
    assert uid not in view.done_buttons   # done: off the list
