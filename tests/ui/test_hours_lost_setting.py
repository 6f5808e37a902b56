"""The basis for handover hours lost is a room's setting (15, 30 or 60 minutes, the handover table's
bases): declared once, chosen in File > Settings, and passed into the offload page's read."""

from __future__ import annotations

import json

import pytest

from scc_desktop import settings as settings_mod
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW, Feed, fill_system
from ui import tasks
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog


def test_the_setting_takes_the_tables_bases_and_names_itself_when_refused(tmp_path):
    s = settings_mod.load(tmp_path / "settings.json")
    assert s.handover_hours_lost_beyond is None          # the handover table's default basis (15)
    for beyond in (15, 30, 60):
        s.set("handover_hours_lost_beyond", beyond)
    with pytest.raises(ValueError, match="handover_hours_lost_beyond: 20 must be one of 15, 30, 60"):
        s.set("handover_hours_lost_beyond", 20)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"handover_hours_lost_beyond": 45}))
    bad = settings_mod.load(path)
    assert bad.handover_hours_lost_beyond is None and "handover_hours_lost_beyond" in bad.problems[0]


def test_the_dialog_offers_each_basis_with_who_uses_it(qtbot, tmp_path):
    s = settings_mod.load(tmp_path / "settings.json")
    dialog = SettingsDialog(None, s)
    qtbot.addWidget(dialog)
    combo = dialog.lost_basis
    assert [combo.itemData(i) for i in range(combo.count())] == [15, 30, 60]
    assert combo.currentData() == 15 and "monthly" in combo.itemText(1)
    combo.setCurrentIndex(1)
    dialog.save()
    assert settings_mod.load(tmp_path / "settings.json").handover_hours_lost_beyond == 30


def test_the_offload_view_reads_hours_lost_on_the_rooms_basis(qtbot, store, tmp_path):
    fill_system(store)
    s = settings_mod.load(tmp_path / "settings.json")
    s.set("handover_hours_lost_beyond", 30)
    window = MainWindow(store, clock=lambda: NOW, settings=s)
    qtbot.addWidget(window)
    view = window.show_view("offload")
    assert tasks.manager().wait_idle()
    assert view.page.lost_basis == 30
    heads = [view.board.horizontalHeaderItem(i).text() for i in range(view.board.columnCount())]
    assert any("beyond 30 min" in h for h in heads)
    # RAA's handovers today took 12, 22, 38, 47 and 70 min: beyond 30 that is 8 + 17 + 40 = 65 min.
    row = next(r for r in range(view.board.rowCount()) if view.board.item(r, 0).data(256) == "RAA")
    lost = heads.index(next(h for h in heads if "lost" in h))
    assert view.board.item(row, lost).text() == "1.1 h"


def test_a_decision_made_in_the_app_snapshots_hours_lost_on_the_rooms_basis_and_names_it(qtbot, store, tmp_path):
    from sqlalchemy import select

    from models.queries import situation_snapshot
    from models.replica.orm import DecisionEntry

    fill_system(store)
    s = settings_mod.load(tmp_path / "settings.json")
    s.set("handover_hours_lost_beyond", 30)
    window = MainWindow(store, clock=lambda: NOW, settings=s)
    qtbot.addWidget(window)
    view = window.show_view("decisions")
    assert tasks.manager().wait_idle()
    dialog = view.new_decision()
    assert "hours lost beyond 30 min" in dialog.snapshot_note.text()    # the room is told which basis is kept
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert from Alpha to Beta for two hours")
    dialog.rationale.setPlainText("Alpha queue over 45 minutes")
    dialog.save()
    assert tasks.manager().wait_idle() and dialog.saved is not None, dialog.error.text()
    with store.session() as session:
        snap = session.scalars(select(DecisionEntry.situation_snapshot)).one()
    off = snap["offload"]
    # RAA beyond 30: 8 + 17 + 40 = 65 min = 1.1 h (beyond 15 it would have been 1.9 h).
    assert off["hours_lost_beyond_minutes"] == 30 and off["hospitals"]["RAA"]["hours_lost_today"] == 1.1
    assert any(ln.endswith("1.1 hours lost beyond 30 min") for ln in situation_snapshot.describe(snap))
