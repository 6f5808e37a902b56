"""File > Reports…: the dialog builds a report off the UI thread and says where it wrote it; a
folder it cannot write is named with the reason.  Real widgets offscreen over the seeded replica."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QTime

from tests.reports.world import NOW
from ui import tasks
from ui.main_window import MainWindow
from ui.reports_dialog import ReportsDialog

SHOTS = "/tmp/scc-reports-dialog"


def settle() -> None:
    assert tasks.manager().wait_idle(30_000), "work off the UI thread did not finish"


@pytest.fixture
def dialog(qtbot, world, tmp_path):
    _path, store = world
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.reports_action.trigger()   # File > Reports…
    settle()
    found = window.findChild(ReportsDialog)
    assert found is not None and found.isVisible()
    found.folder.setText(str(tmp_path / "out"))
    yield found
    settle()   # every read asked is delivered before the module's replica closes


def test_the_dialog_builds_a_handover_and_says_where(dialog, tmp_path):
    dialog.report.setCurrentIndex(dialog.report.findData("handover"))
    dialog.then.setChecked(True)   # as at the room's clock, so the files are named for it
    dialog.build_button.click()
    settle()
    text = dialog.status.text()
    assert "Wrote handover-2025-07-14-1000.pdf" in text and str(tmp_path / "out") in text, text
    assert (tmp_path / "out" / "handover-2025-07-14-1000.json").is_file()
    assert dialog.open_button.isEnabled()
    os.makedirs(SHOTS, exist_ok=True)
    assert dialog.grab().save(f"{SHOTS}/written.png")


def test_a_folder_it_cannot_write_is_named(dialog, tmp_path):
    (tmp_path / "a-file").write_text("x")
    dialog.folder.setText(str(tmp_path / "a-file" / "below"))
    dialog.build_button.click()
    settle()
    assert dialog.status.text().startswith(f"Folder: cannot write into {tmp_path / 'a-file' / 'below'}")
    assert dialog.build_button.isEnabled()


# Sun 25 Oct 2026: the clocks went back at 02:00 BST; 01:40 UTC is the second 01:40 (GMT).
AUTUMN_SECOND = datetime(2026, 10, 25, 1, 40, tzinfo=timezone.utc)


def _opened(qtbot, world, now: datetime) -> ReportsDialog:
    _path, store = world
    dialog = ReportsDialog(store, lambda: now)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.then.setChecked(True)
    return dialog


def test_an_as_at_time_edited_in_the_second_pass_of_the_repeated_hour_keeps_the_reading_shown(qtbot, world):
    """Opened at 01:40 GMT and set to 01:35, the report was built as at 01:35 BST (00:35 UTC), an hour
    earlier than the time shown; the edit now says which reading it holds."""
    dialog = _opened(qtbot, world, AUTUMN_SECOND)
    assert dialog.chosen_time() == AUTUMN_SECOND   # left as offered
    dialog.at.setTime(QTime(1, 35))
    assert dialog.at.zone.text() == "GMT, the second 01:35"
    assert dialog.chosen_time() == AUTUMN_SECOND - timedelta(minutes=5)
    os.makedirs(SHOTS, exist_ok=True)
    assert dialog.grab().save(f"{SHOTS}/repeated-hour.png")


def test_an_as_at_time_the_clocks_skip_is_refused_by_name(qtbot, world, tmp_path):
    """01:30 on Sun 29 Mar 2026 never happened in the UK: the report was built as at 02:30 BST."""
    dialog = _opened(qtbot, world, datetime(2026, 3, 29, 2, 0, tzinfo=timezone.utc))
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.at.setTime(QTime(1, 30))
    dialog.build_button.click()
    settle()
    assert dialog.status.text() == ("As at: 01:30 on Sun 29 Mar 2026 does not exist in UK time (the clocks go "
                                    "forward from 01:00 to 02:00)")
    assert not (tmp_path / "out").exists() and dialog.build_button.isEnabled()
