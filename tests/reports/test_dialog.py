"""File > Reports…: the dialog builds a report off the UI thread and says where it wrote it; a
folder it cannot write is named with the reason.  Real widgets offscreen over the seeded replica."""

from __future__ import annotations

import pytest

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
    import os
    os.makedirs(SHOTS, exist_ok=True)
    assert dialog.grab().save(f"{SHOTS}/written.png")


def test_a_folder_it_cannot_write_is_named(dialog, tmp_path):
    (tmp_path / "a-file").write_text("x")
    dialog.folder.setText(str(tmp_path / "a-file" / "below"))
    dialog.build_button.click()
    settle()
    assert dialog.status.text().startswith(f"Folder: cannot write into {tmp_path / 'a-file' / 'below'}")
    assert dialog.build_button.isEnabled()
