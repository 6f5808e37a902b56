"""A message to partners states the system's level ("System now at OPEL 3"): written at 03:00 with the feed six
hours down, the dialog said nothing of the level being the 20:53 roll-up's (found rendering
``tests.ui.night_world``). It now says how old that level is, above the message as it will go; with the roll-up in
time it says nothing. Real replica (the night world's 40 providers), real dialog offscreen."""

from __future__ import annotations

from datetime import timedelta

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.night_world import DATA_END, NIGHT, seed_night
from ui.message_dialog import MessageDialog


def _dialog(qtbot, store, now) -> MessageDialog:
    dialog = MessageDialog(store, lambda: now)
    qtbot.addWidget(dialog)
    dialog.resize(980, 720)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=20_000)
    return dialog


def test_with_the_feed_down_the_dialog_says_how_old_the_systems_level_is(qtbot, store):
    seed_night(store)
    late = _dialog(qtbot, store, NIGHT)
    said = late.old_level.text()
    assert late.old_level.isVisible()
    assert said.startswith("STALE: the system's level in this message is from Mon 20:53 (6 h ago)"), said
    assert "OPEL 3" in late.subject.text()
    assert late.old_level.geometry().bottom() < late.body.geometry().top()   # read before the message itself


def test_with_the_roll_up_in_time_the_dialog_says_nothing_of_its_age(qtbot, store):
    seed_night(store)
    in_time = _dialog(qtbot, store, DATA_END + timedelta(minutes=10))
    assert not in_time.old_level.isVisible() and in_time.old_level.text() == ""
