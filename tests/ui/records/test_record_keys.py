"""Keyboard only, in the real window offscreen: the Contacts, Transfers and Decision log tabs underline no
letter the window already takes (a tab's Alt letter, a menu's), and none twice; what they offer instead works.
A review found Alt+W on "New case…" opened the Week ahead tab, Alt+S on "Cancel case" the System picture,
Alt+E on "Edit…" and "Mark accepted" the Actions tab, Alt+L on "Delete" the File menu."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from tests.ui.feeds import NOW
from tests.ui.records.conftest import settle
from tests.ui.records.seed import seed_contacts, seed_transfers
from ui.choices import VIEWS
from ui.main_window import MainWindow


def _letter(text: str) -> str | None:
    i = text.replace("&&", "").find("&")
    return text.replace("&&", "")[i + 1].lower() if i >= 0 else None


def _window_letters(w: MainWindow) -> set[str]:
    letters = {_letter(title) for _k, title, _c in VIEWS}
    letters |= {_letter(a.text()) for a in w.menuBar().actions()}
    return letters - {None}


def _view_letters(view: QWidget) -> list[tuple[str, str]]:
    found = []
    for widget in view.findChildren(QWidget):
        if not widget.isVisibleTo(view):
            continue
        if isinstance(widget, QAbstractButton) or (isinstance(widget, QLabel) and widget.buddy() is not None):
            letter = _letter(widget.text())
            if letter:
                found.append((letter, widget.text()))
    return found


@pytest.fixture
def window(qtbot, store):
    seed_contacts(store)
    uids = seed_transfers(store)
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    w.uids = uids
    return w


@pytest.mark.parametrize("key", ["contacts", "transfers", "decisions"])
def test_a_records_tab_underlines_no_letter_the_window_takes(window, key):
    window.show_view(key)
    settle()
    taken = _window_letters(window)
    found = _view_letters(window.views[key])
    clashes = [text for letter, text in found if letter in taken]
    assert not clashes, f"{key}: {clashes} (the window takes {sorted(taken)})"
    letters = [letter for letter, _t in found]
    assert len(letters) == len(set(letters)), found


def test_a_case_moves_on_and_opens_by_keyboard(window, qtbot):
    window.show_view("transfers")
    settle()
    view = window.views["transfers"]
    view.select_uuid(window.uids["T-2611"])
    settle()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_K, Qt.KeyboardModifier.AltModifier)   # "Mar&k accepted"
    qtbot.wait(300)   # a mnemonic clicks as a press shown for a moment (animateClick)
    settle()
    assert view.selected_line().transfer.status == "accepted" and window.current_key() == "transfers"
    qtbot.keyClick(view.table, Qt.Key.Key_Insert)
    assert view.dialog is not None and view.dialog.isVisible()
    view.dialog.reject()


def test_a_contact_is_added_and_edited_by_keyboard(window, qtbot):
    window.show_view("contacts")
    settle()
    view = window.views["contacts"]
    view.table.setFocus()
    view.table.selectRow(0)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert view.dialog is not None and view.dialog.isVisible() and view.dialog.contact is not None
    view.dialog.reject()
    qtbot.keyClick(view.table, Qt.Key.Key_Insert)
    assert view.dialog.isVisible() and view.dialog.contact is None
    view.dialog.reject()


def test_a_decision_is_opened_by_keyboard(window, qtbot):
    window.show_view("decisions")
    settle()
    view = window.views["decisions"]
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Insert)
    assert view.dialog is not None and view.dialog.isVisible()
    view.dialog.reject()
