"""An unexpected error in the window: a dialog saying what to do, "Copy details", a local report
without patient data, and the log file (ui/crash_dialog.py, scc_desktop/crash_report.py).

Real widgets offscreen, a real encrypted replica, real errors raised in a Qt slot and in a
thread while ``gui.run``'s event loop runs.
"""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import Qt, QThread, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit

from scc_desktop import gui, paths
from scc_desktop import settings as settings_mod
from scc_desktop.crash_report import Guard
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import fill_system
from ui.crash_dialog import CrashDialog
from ui.crash_presenter import CrashPresenter
from ui.main_window import MainWindow

PLANTED = "Mr Bob Planted-Contact, NHS 401 023 2137, transfer to ward 12"


def _open_dialogs() -> list[CrashDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]


def _raise_with_record(text: str = PLANTED) -> None:
    contact = {"name": text}
    raise KeyError(contact["name"])


@pytest.fixture
def presenter(qtbot):
    presenter = CrashPresenter()
    yield presenter
    if presenter.dialog is not None:
        presenter.dialog.close()


def test_dialog_says_what_to_do_and_copies_the_details(qtbot):
    dialog = CrashDialog("KeyError", "Traceback ...\nbuiltins.KeyError: (message withheld)", None)
    qtbot.addWidget(dialog)
    dialog.show()
    advice = dialog.findChild(QLabel, "crashAdvice").text()
    assert "quit SCC Desktop and start it again" in advice and "Copy details" in advice
    assert "no patient data" in advice
    QApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == dialog.details
    assert dialog.copy_button.text() == "Copied"


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_worker_thread_opens_one_dialog_on_the_ui_thread(qtbot, presenter, tmp_path):
    guard = Guard(presenter.report, into=tmp_path)
    try:
        for _ in range(3):
            worker = threading.Thread(target=_raise_with_record, name="worker")
            worker.start()
            worker.join(10)
        qtbot.waitUntil(lambda: presenter.dialog is not None and presenter.dialog.more == 2, timeout=5000)
    finally:
        guard.close()
    dialog = presenter.dialog
    assert dialog.thread() is QThread.currentThread() is QApplication.instance().thread()
    assert len(_open_dialogs()) == 1                     # counted on the one dialog, not stacked
    assert "2 more unexpected errors since" in dialog.findChild(QLabel, "crashMore").text()
    details = dialog.findChild(QPlainTextEdit, "crashDetails").toPlainText()
    report = next(tmp_path.glob("crash-*.txt"))
    assert str(report) in details and PLANTED not in details
    assert PLANTED not in report.read_text(encoding="utf-8")


@pytest.mark.qt_no_exception_capture
def test_an_error_in_the_running_window_shows_the_dialog_and_writes_report_and_log(qtbot, store):
    """Through gui.run as the app starts it: the error is raised in a slot inside its event loop."""
    fill_system(store)
    settings = settings_mod.load(paths.config_dir() / "settings.json")
    seen = {}

    def fail_in_a_slot():
        _raise_with_record()

    def look_then_close():
        seen["dialogs"] = [(d.windowTitle(), d.findChild(QPlainTextEdit, "crashDetails").toPlainText())
                           for d in _open_dialogs()]
        for dialog in _open_dialogs():
            dialog.close()
        next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()).close()

    QTimer.singleShot(300, fail_in_a_slot)
    QTimer.singleShot(1500, look_then_close)
    watchdog = QTimer()
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(lambda: QApplication.instance().exit(99))
    watchdog.start(20_000)
    hooks = (sys.excepthook, threading.excepthook)
    try:
        code = gui.run(store, settings=settings)
    finally:
        watchdog.stop()
    assert code == 0
    assert (sys.excepthook, threading.excepthook) == hooks          # put back when the window closed
    assert [title for title, _ in seen["dialogs"]] == ["SCC Desktop: unexpected error"]
    reports = list((paths.log_dir() / "crashes").glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "in fail_in_a_slot" in text and "builtins.KeyError" in text
    assert PLANTED not in text and PLANTED not in seen["dialogs"][0][1]
    log_text = (paths.log_dir() / "scc-desktop.log").read_text(encoding="utf-8")
    assert "window open" in log_text and "unexpected error" in log_text and PLANTED not in log_text
