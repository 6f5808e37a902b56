"""An outage that ends in a 410 (docs/reliability.md, behind the hub's retention): a desktop that could not reach the
hub for hours, and was away longer than the hub keeps its feed, gets 410 ``feed_pruned`` as the hub's first answer.
Before, no cycle told the outage: the 410 cycle is a failed one (the engine told an outage only on a cycle that
ended well), and the cycle after the rejoin followed a 410, which is not offline. Now the 410 cycle, the first to
reach the hub, tells it once, ending at the 410, with the rejoin that follows; the 410s after it tell nothing.

Lost again before the rejoin (a network blip, a rejoin that failed) and then answered with the 410 again, the
desktop told the same outage a second time, from the same start, although the hub had answered since (review r1,
session 33): the second outage starts at the 410 the hub last answered with. And a 410 cycle says what its push
did as a cycle that ends well does: the records refused with ``rejected``, a refused push with ``push_error``.

Real window offscreen, real encrypted replicas, a real hub on loopback serving ``--snapshots`` whose retention is
the real ``hub snapshot make --prune-keep-days 0`` (a few records, not 40 providers: the 410 needs only a horizon
past this desktop's cursor), a dead port for the outage, and the real snapshot rejoin after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models.replica.orm import FeedCursor
from models.replica.store import Store
from models.replica.utc import utcnow
from sync import authoring, snapshot_join
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.outbox import OutboxItem
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import start_hub
from tests.support.postgres import free_port
from tests.support.replica import fresh_replica
from tests.sync.snapshot_world import hub_command
from ui import format as fmt
from ui import tasks
from ui.main_window import MainWindow

pytestmark = pytest.mark.timeout(120)


def _records(store, hub, name: str, n: int) -> int:
    """``n`` actions written on ``store`` and sent to ``hub``; the desktop's feed position after."""
    for i in range(n):
        authoring.add_action(store, description=f"{name} {i}", owner="Night lead", author="Night lead")
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
    try:
        result = engine.run_once()
        assert result.error is None and result.pushed == n, result
        return engine.position()
    finally:
        engine.client.close()


def test_an_outage_whose_first_answer_is_410_is_told_once_with_the_rejoin(qtbot, tmp_path):
    snapshots = tmp_path / "snapshots"
    hub = start_hub(tmp_path / "hub", args=("--snapshots", str(snapshots)))
    a = fresh_replica(tmp_path / "a" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    b = fresh_replica(tmp_path / "b" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    engine = None
    try:
        read = _records(a, hub, "before", 1)
        last = utcnow() - timedelta(hours=6, minutes=2)
        with a.writing() as s:   # a last reached the hub 6 h 02 min ago, at position ``read``
            s.get(FeedCursor, "main").last_sync_at = last
        _records(b, hub, "meanwhile", 2)   # the room went on; then the hub's retention ran past a's cursor
        hub_command(hub, "snapshot", "make", "--snapshots", str(snapshots), "--prune-keep-days", "0")
        assert hub.request("GET", "/v1/feed", role="room_lead", params={"after": read}).status_code == 410
        for n in range(3):   # written while the hub was out of reach
            authoring.add_action(a, description=f"Offline {n}", owner="Night lead", author="Night lead")

        window = MainWindow(a, clock=utcnow)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        token = hub.tokens["room_lead"]
        engine = SyncEngine(a, HubClient(f"http://127.0.0.1:{free_port()}", token))   # the hub out of reach
        down = engine.run_once()
        assert down.error and down.outage is None
        window.on_cycle(down)
        assert window.banner.text().startswith("Hub not reached since the last sync")

        # one more, its payload as a damaged file left it: refused (here, not by the hub) as the 410 cycle pushes
        bad = authoring.add_action(a, description="Damaged", owner="Night lead", author="Night lead")
        with a.writing() as s:
            item = s.scalars(select(OutboxItem).where(OutboxItem.uuid == bad)).one()
            s.execute(update(OutboxItem).where(OutboxItem.uuid == bad).values(
                payload={**item.payload, "kind": "not-a-kind"}))
        engine.client.close()
        engine.client = HubClient(hub.url, token)   # the hub answers again: 410, away past its retention
        pruned = engine.run_once()
        assert pruned.error and "behind the oldest feed position" in pruned.error, pruned.error
        assert pruned.connectivity.behind_retention and (pruned.pushed, pruned.rejected) == (3, 1), pruned
        assert pruned.outage is not None and pruned.outage[0] == last, pruned.outage
        window.on_cycle(pruned)
        end = pruned.outage[1]
        told = window.outage_notice.text()
        assert window.outage_notice.isVisibleTo(window) and told == (
            f"This desktop did not reach the hub from {fmt.local_time_near(end, last)} to {fmt.local_time(end)} "
            f"({fmt.since(end, last)}); SCC Desktop was not running for part of that: it started at "
            f"{fmt.local_time_near(end, engine.started_at)} and reached the hub {fmt.since(end, engine.started_at)} "
            "later; longer than the hub keeps its feed, so this desktop joins again from the hub's snapshot; "
            f"3 records waited and were sent at {fmt.local_time(end)}."), told
        assert "not reached" not in window.banner.text()   # the 410 is the hub answering, never said as offline
        assert tasks.manager().wait_idle()
        window.grab().save(str(tmp_path / "outage-410.png"))

        before_again = utcnow()
        again = engine.run_once()   # told once: the 410 stands until the rejoin, and is no outage
        assert again.error and again.outage is None
        after_again = utcnow()
        window.on_cycle(again)
        assert window.outage_notice.isVisibleTo(window) and window.outage_notice.text() == told

        # Lost again before the rejoin, then the hub's 410 again (with a token that may read, not write): told
        # again, from the 410 the hub last answered with, not from the sync before the first outage.
        engine.client.close()
        engine.client = HubClient(f"http://127.0.0.1:{free_port()}", token)
        down2 = engine.run_once()
        assert down2.error and down2.outage is None
        window.on_cycle(down2)
        assert not window.outage_notice.isVisibleTo(window)   # lost again: the banner says it, the notice goes
        authoring.add_action(a, description="Offline again", owner="Night lead", author="Night lead")
        engine.client.close()
        engine.client = HubClient(hub.url, hub.tokens["viewer"])
        pruned2 = engine.run_once()
        assert pruned2.error and pruned2.connectivity.behind_retention, pruned2.error
        assert pruned2.outage is not None, pruned2   # from the 410 of ``again``, the hub's last answer
        assert before_again <= pruned2.outage[0] <= after_again, (pruned2.outage, last)
        assert pruned2.outage_run_started is None and pruned2.pushed == 0, pruned2
        assert pruned2.push_error and "refused" in pruned2.push_error, pruned2   # said, as a good cycle says it
        window.on_cycle(pruned2)
        told2 = window.outage_notice.text()
        assert window.outage_notice.isVisibleTo(window) and told2.startswith(
            f"This desktop did not reach the hub from {fmt.local_time_near(pruned2.outage[1], pruned2.outage[0])} "
            f"to {fmt.local_time(pruned2.outage[1])} "), told2
        assert "not running" not in told2 and "1 still waits in the outbox" in told2, told2
        assert tasks.manager().wait_idle()
        window.grab().save(str(tmp_path / "outage-410-again.png"))
        engine.client.close()
        engine.client = HubClient(hub.url, token)   # the room lead's token again: its record goes, nothing more told
        sent = engine.run_once()
        assert sent.error and sent.outage is None and (sent.pushed, sent.push_error) == (1, None), sent

        # The rejoin that follows (as the window's ui.hub_join makes it on the 410), then the feed's tail.
        path, key, cipher = a.path, a.key, a.cipher
        window.stop_background()
        assert tasks.manager().wait_idle()
        window.close()
        engine.client.close()
        a.close()
        outcome = snapshot_join.join(path, key, cipher, HubClient(hub.url, token), rejoin=True)
        assert outcome.joined, outcome.line
        a = Store(path, key, cipher)
        engine = SyncEngine(a, HubClient(hub.url, token))
        after = engine.run_once()
        assert after.error is None and after.outage is None, after.error
    finally:
        if engine is not None:
            engine.client.close()
        a.close()
        b.close()
        hub.stop()
