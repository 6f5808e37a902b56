"""The Decision log tab's "Verify chain" compares the chain heads with the hub's when the window syncs with
one (the chain watch's asker): two real replicas, a real hub on loopback, the tab offscreen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.service import housekeeping
from sync import authoring, record_heads
from tests.ui.records.conftest import open_view, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui.records.decisions_view import DecisionsView

pytestmark = [pytest.mark.usefixtures("settled"), pytest.mark.timeout(300)]
SHOTS = os.environ.get("SCC_SHOTS")


def test_verify_chain_names_another_desktops_newest_decision_deleted_here_and_says_when_it_could_not_compare(
        qtbot, sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    made = [authoring.record_decision(a.store, decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                      decision=f"Open escalation ward {n}", rationale="OPEL 4",
                                      recorded_by="Room support").uuid for n in range(2)]
    assert a.run_once().error is None and b.run_once().error is None
    housekeeping.chain_watch_of(b.store).ask_hub = record_heads.asker(b.client)   # as the window's sync start does
    view = open_view(qtbot, DecisionsView, b.store)
    view.verify_chain()
    settle()
    assert "The decision log is intact." in view.dialog.text() and "the same here" in view.dialog.text()
    view.dialog.close()

    with b.store.raw() as conn:
        conn.execute("DELETE FROM decision_entry WHERE uuid = ?", (made[1],))
    view.verify_chain()
    settle()
    assert "BROKEN" in view.dialog.text() and "held by the hub is missing here" in view.status.text()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        view.dialog.grab().save(str(Path(SHOTS) / "verify_hub_dialog.png"))
    view.dialog.close()

    sqlite_hub.stop()
    try:
        view.verify_chain()
        settle()
        said = view.dialog.text()
        assert "intact here; it could not be compared with the hub's" in said and "could not be reached" in said
        if SHOTS:
            view.dialog.grab().save(str(Path(SHOTS) / "verify_hub_offline_dialog.png"))
        view.dialog.close()
    finally:
        sqlite_hub.start()
