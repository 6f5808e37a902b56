"""The window's chain watch compares the decision log's heads with the hub it syncs with (session 27): a real
hub process, another desktop's real replica, the window offscreen over its own new replica syncing as the app
does.  Another desktop's newest decision deleted here with SQL (no later link names it) raises the chain alert
on the banner, naming it; with the hub stopped, nothing is raised for that part."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from models.replica.orm import DecisionEntry
from models.service import housekeeping
from sync import authoring
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.ui.desk_hub import desk_hub  # noqa: F401
from ui import tasks

pytestmark = pytest.mark.timeout(300)
SHOTS = os.environ.get("SCC_SHOTS")


def _held(store, uid) -> bool:
    with store.session() as s:
        return s.get(DecisionEntry, uid) is not None


def _check_now(desk) -> None:
    housekeeping.chain_watch_of(desk.store).checked_at = None   # due now, not 5 minutes on
    desk.window.housekeeping_later()
    assert tasks.manager().wait_idle(60_000)


def test_another_desktops_newest_decision_deleted_here_raises_the_windows_chain_alert(desk_hub, tmp_path, qtbot):
    hub = desk_hub.hub()
    other = fresh_replica(tmp_path / "other" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    try:
        engine = SyncEngine(other, HubClient(hub.url, hub.tokens["room_lead"]))
        made = [authoring.record_decision(other, decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                          decision=f"Open escalation ward {n}", rationale="OPEL 4",
                                          recorded_by="Room support").uuid for n in range(2)]
        assert engine.run_once().error is None
    finally:
        other.close()
    desk = desk_hub.desk(hub)
    qtbot.waitUntil(lambda: _held(desk.store, made[1]), timeout=60_000)
    _check_now(desk)
    qtbot.waitUntil(lambda: housekeeping.chain_watch_of(desk.store).checked_at is not None, timeout=60_000)
    assert desk.window.alert_banner.count == 0   # a normal run: nothing false

    with desk.store.raw() as conn:   # outside the app: the other desktop's newest decision removed
        conn.execute("DELETE FROM decision_entry WHERE uuid = ?", (made[1],))
    _check_now(desk)
    qtbot.waitUntil(lambda: desk.window.alert_banner.count == 1, timeout=60_000)
    with desk.store.session() as s:
        from models.records import chain_watch
        from models.replica.orm import AlertEvent
        (alert,) = s.scalars(select(AlertEvent).where(AlertEvent.rule_code == chain_watch.RULE_CODE)).all()
    assert "held by the hub is missing here" in alert.detail and made[1] in alert.detail, alert.detail
    assert "The decision log's hash chain is broken" in desk.window.alert_banner.text()
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        desk.window.grab().save(str(Path(SHOTS) / "chain_alert_hub_window.png"))
