"""The Contacts tab says how long since each contact was checked (hazard H-05), real widgets offscreen over a
real encrypted replica: "checked 3 days ago" beside the numbers, "⚠ not checked for 120 days" marked in
orange; "Not checked in 90 days" lists only the overdue ones, the longest unchecked first; "Checked now" is
one click, recorded with the user, and reaches another desktop's tab through a real hub on loopback.
Rendered at 1366x768 in light and dark.  Before, the tab showed an out-of-date number as current as a fresh one."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import select, text

from models.replica.orm import OutboxItem
from models.replica.orm.types import utcnow
from models.replica.utc import to_utc_text
from tests.support.hub import shown_as
from tests.ui.records.conftest import open_view, settle
from tests.ui.records.seed import seed_contacts
from tests.ui.ui_probe import settled  # noqa: F401
from ui import theme
from ui.records.contacts_view import CHECKED, ContactsView
from ui.widgets import STATUS_ROLE, table_text

pytestmark = pytest.mark.usefixtures("settled")
AGES = {"Tom Okafor": 120, "Sarah Lindqvist": 400, "Crisis team duty line": 95, "James Achebe": 3, "Zoë Hartmann": 30}


def _age(store, uids: dict[str, str], now) -> None:
    with store.writing() as w:
        for name, days in AGES.items():
            w.execute(text("UPDATE contact SET checked_at = :at, checked_by = 'Jo Lead' WHERE uuid = :u"),
                      {"at": to_utc_text(now - timedelta(days=days, hours=2)), "u": uids[name]})


def _rows(view) -> dict[str, list[str]]:
    return {r[0].splitlines()[0]: r for r in table_text(view.table)}


def _tip(view, name: str) -> str:
    r = next(i for i in range(view.table.rowCount()) if view.table.item(i, 0).text().startswith(name))
    return view.table.item(r, CHECKED).toolTip().replace("\xa0", " ")


def _shots(tmp_path) -> Path:
    return Path(os.environ.get("SCC_SHOTS_DIR") or tmp_path)


def test_each_contact_shows_its_age_since_checked_and_the_overdue_ones_are_marked(qtbot, store, tmp_path):
    # 20:00 UTC today: the seeded rota has Tom Okafor on call from 18:00 to 08:00 (the test assumed it), and the
    # ages less 2 hours stay on their UK day (before 02:00 'checked 3 days ago' read '4 days').
    now = utcnow().replace(hour=20, minute=0, second=0, microsecond=0)
    uids = seed_contacts(store, now)
    _age(store, uids, now)
    view = open_view(qtbot, ContactsView, store, now=now)
    rows = _rows(view)
    assert rows["Tom Okafor"][CHECKED] == "⚠ not checked for 120 days"
    assert rows["Sarah Lindqvist"][CHECKED] == "⚠ not checked for 400 days"
    assert rows["James Achebe"][CHECKED] == "checked 3 days ago"
    assert rows["Dr Priya Raman"][CHECKED] == "checked today"          # added just now: its first check
    marked = {view.table.item(r, 0).text().splitlines()[0] for r in range(view.table.rowCount())
              if view.table.item(r, CHECKED).data(STATUS_ROLE)}
    assert marked == {"Tom Okafor", "Sarah Lindqvist", "Crisis team duty line"}
    assert "by Jo Lead" in _tip(view, "Tom Okafor")
    assert view.count_label.text().endswith("; ⚠ 3 not checked in 90 days")
    app = QApplication.instance()
    palette, sheet = app.palette(), app.styleSheet()
    try:
        for key in ("light", "dark"):   # as the window themes itself: the application's palette and style sheet
            t = theme.set_current(key)
            app.setPalette(theme.palette(t))
            app.setStyleSheet(theme.stylesheet(t))
            view.setAutoFillBackground(True)
            view.resize(1366, 768)
            view.refresh()
            settle()
            qtbot.wait(50)
            assert view.grab().save(str(_shots(tmp_path) / f"contacts-checked-{key}-1366x768.png"))
    finally:
        theme.set_current("light")
        app.setPalette(palette)
        app.setStyleSheet(sheet)

    # Only the overdue ones, the longest unchecked first (the Director on-call now, overdue too, stays pinned first).
    view.overdue_only.setChecked(True)
    assert [r[0] for r in table_text(view.table)] == ["Tom Okafor\n★ DIRECTOR ON-CALL NOW", "Sarah Lindqvist",
                                                      "Crisis team duty line"]
    assert view.count_label.text().startswith("3 of 12 contacts not checked in 90 days, the longest unchecked first")
    assert view.overdue_only.text() == "Not checked in 90 days (3)"
    view.table.selectRow(0)
    assert view.selected().name == "Tom Okafor"
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)   # one click
    settle()
    assert [r[0] for r in table_text(view.table)] == ["Sarah Lindqvist", "Crisis team duty line"]
    assert "Tom Okafor checked now by Test User" in view.status.text()
    view.overdue_only.setChecked(False)
    assert _rows(view)["Tom Okafor"][CHECKED] == "checked today"
    with store.session() as s:
        sent = [p["data"] for p in s.scalars(select(OutboxItem.payload).where(OutboxItem.kind == "contact"))
                if p["data"].get("checked")]
    assert [(d["contact_uuid"], d["author"], d["changes"]) for d in sent] == [(uids["Tom Okafor"], "Test User", {})]


def test_a_check_made_on_one_desktop_shows_on_the_other(qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    uids = seed_contacts(a.store, now)
    for desk in (a, b):
        assert desk.run_once().error is None
    _age(b.store, uids, now)            # B's copy as a directory months old
    _age(a.store, uids, now)
    other = open_view(qtbot, ContactsView, b.store, now=now)
    assert _rows(other)["Sarah Lindqvist"][CHECKED] == "⚠ not checked for 400 days"
    view = open_view(qtbot, ContactsView, a.store, now=now, author="Sam Checker")
    view.search.setText("lindqvist")
    view.table.selectRow(0)
    assert view.check_selected()
    settle()
    for desk in (a, b):
        assert desk.run_once().error is None
    other.refresh()
    settle()
    row = _rows(other)["Sarah Lindqvist"]
    assert row[CHECKED] == "checked today"
    assert f"by {shown_as('Sam Checker')}" in _tip(other, "Sarah Lindqvist")
    assert other.count_label.text().endswith("; ⚠ 2 not checked in 90 days")
