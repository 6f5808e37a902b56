"""The window joins the hub from its snapshot by itself (ui/hub_join.py; docs/retention.md).

Real widgets offscreen, real encrypted replicas, a real hub on loopback holding the 40-provider
simulated ICS with a snapshot published by the real ``hub snapshot make`` and a tail after it
(tests/sync/snapshot_world.py).  A new window joins, applies the tail and shows the data; a download
cut midway (a real TCP proxy that passes everything but the first snapshot download's second half) is
said in words and tried again; closing the window mid-download stops the join within 2 s; an altered snapshot is refused and the replica replays instead; a
running window the hub answers 410 ``feed_pruned`` joins again, and one whose outbox took a record
while it downloaded waits for the record to be sent first and says so.  The tests run in file order
(the last prunes the shared hub's feed).  ``SCC_JOIN_PNG`` keeps the progress picture.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from models.replica.orm.types import utcnow
from models.service.sync_status import sync_status
from scc_desktop.gui import start_syncing
from sync import snapshot_join
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.support.fault_proxy import FaultProxy
from tests.sync.snapshot_world import content, hub_command, leftovers, snapshot_world
from ui import tasks
from ui.main_window import MainWindow

pytestmark = pytest.mark.timeout(600)
FEED_TABLES = ("observation", "opel_assessment", "opel_parameter_score", "decision_entry", "action", "organisation")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    with snapshot_world(tmp_path_factory.mktemp("window-join"), hours=6, tail_hours=1) as w:
        yield w


@pytest.fixture(scope="module")
def replayed(world):
    """What a desktop that replayed the whole feed from 0 holds (before any pruning)."""
    store = world.desktop("replayed")
    try:
        engine = world.engine(store)
        assert engine.run_once().error is None and engine.position() == world.head
        return {t: v for t, v in content(store).items() if t in FEED_TABLES}
    finally:
        store.close()


class Window:
    """A main window over a new replica, its sync started as the app starts it, every banner kept."""

    def __init__(self, qtbot, world, name: str, url: str | None = None, store=None) -> None:
        self.store = store or world.desktop(name)
        self.window = MainWindow(self.store, clock=utcnow)
        qtbot.addWidget(self.window)
        self.window.resize(1366, 768)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.notices: list[str] = []
        shown = self.window.show_join_notice

        def keep(text, style="joining"):
            if text:
                self.notices.append(text)
            shown(text, style)
        self.window.show_join_notice = keep   # the real method, each text also kept for the test
        self.states: list[str] = []
        url = url or world.hub.url
        self.syncing = start_syncing(self.window, lambda: SyncEngine(self.store, HubClient(
            url, world.hub.tokens["room_lead"], read_timeout=60)), poll_interval=0.2, long_poll=1.0)
        self.syncing.on_state = self.states.append
        self.started = time.monotonic()

    def position(self) -> int:
        return sync_status(self.store).position

    def close(self) -> None:
        self.window.stop_background()
        tasks.manager().wait_idle()
        self.window.close()
        self.store.close()


def _wait_caught_up(qtbot, w: Window, head: int, timeout_s: float = 240) -> None:
    qtbot.waitUntil(lambda: w.syncing.state == "syncing" and w.position() == head and w.window.join_notice is None,
                    timeout=int(timeout_s * 1000))


def test_a_new_window_joins_from_the_snapshot_applies_the_tail_and_shows_the_data(qtbot, world, replayed, tmp_path):
    w = Window(qtbot, world, "window-new")
    try:
        _wait_caught_up(qtbot, w, world.head)
        took = time.monotonic() - w.started
        print(f"\nthe window joined (snapshot {world.snapshot_position}, head {world.head}) in {took:.1f} s")
        assert w.syncing.joined_position == world.snapshot_position
        assert w.states[:3] == ["joining", "swapping", "catching_up"] and w.states[-1] == "syncing"
        assert any(n.startswith("Joining the hub: downloading ") and " MB…" in n for n in w.notices), w.notices
        assert any("applying the feed since the snapshot" in n for n in w.notices), w.notices
        assert "Joined the hub from its snapshot" in w.window.statusBar().currentMessage()
        assert not w.window.banner.isVisible()
        got = {t: v for t, v in content(w.store).items() if t in FEED_TABLES}
        assert {t: len(v) for t, v in got.items()} == {t: len(v) for t, v in replayed.items()}
        assert got == replayed
        assert leftovers(w.store.path) == []
        # The views read the new file through the same store: the overview shows the providers.
        w.window.show_view("overview")
        w.window.refresh_current()
        tasks.manager().wait_idle()
        qtbot.waitUntil(lambda: len(w.window.overview.tiles) >= 35, timeout=20_000)   # a tile per provider
        with w.store.reading() as conn:
            orgs = [tuple(r) for r in conn.execute("SELECT ods_code, name FROM organisation")]
        shown = " ".join(label.text() for label in w.window.overview.findChildren(QLabel))
        assert sum(code in shown or name in shown for code, name in orgs) >= 35, shown[:500]
        w.window.grab().save(str(tmp_path / "joined.png"))
    finally:
        w.close()


def test_the_progress_is_drawn_in_the_banner(qtbot, world, tmp_path):
    """The banner in the middle of a download, as a person sees it (a large snapshot's numbers)."""
    w = Window(qtbot, world, "window-picture")
    try:
        w.window.show_join_notice("Joining the hub: downloading 312 of 1,020 MB…", "joining")
        w.window.grab()   # laid out
        banner = w.window.banner
        assert banner.isVisible() and banner.text() == "Joining the hub: downloading 312 of 1,020 MB…"
        assert w.window.state_label.text() == "Joining the hub…"
        qtbot.wait(100)
        png = Path(os.environ.get("SCC_JOIN_PNG") or tmp_path / "joining.png")
        assert w.window.grab().save(str(png))
        # And the words of a desktop behind the hub's retention with records still to send.
        w.window.show_join_notice(w.syncing._behind_words(2), "feed_stale")
        assert "2 records in its outbox have not reached the hub yet" in banner.text()
        # The hub answers (410 feed_pruned), so the status bar must not say "Offline" under these words.
        assert w.window.state_label.text() == "Rejoin needed"
        qtbot.wait(100)   # the status bar lays the longer word out
        assert w.window.grab().save(str(png.with_name(png.stem + "-behind.png")))
        w.window.show_join_notice(None)
        _wait_caught_up(qtbot, w, world.head)
    finally:
        w.close()


class CutFirstDownload(FaultProxy):
    """Passes everything, except that the first snapshot download loses its second half (the
    connection closes midway, as when the hub goes away)."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, seed=0, fault_rate=0.0)
        self.cut_at = 0

    def _exchange(self, request: bytes) -> bytes | None:
        response = super()._exchange(request)
        if response and not self.cut_at and b"/v1/snapshot/file" in request.split(b"\r\n", 1)[0]:
            self.cut_at = len(response) // 2
            return response[:self.cut_at]
        return response


def test_a_download_cut_midway_is_said_and_tried_again_and_the_replica_stays_usable(qtbot, world, replayed):
    proxy = CutFirstDownload(world.hub.url)
    w = Window(qtbot, world, "window-cut", url=proxy.url)
    try:
        qtbot.waitUntil(lambda: any(n.startswith("Could not join from the hub's snapshot") for n in w.notices),
                        timeout=60_000)
        assert proxy.cut_at > 1 << 19   # midway through the test world's snapshot file (about 2 MB; its size varies with the clock)
        said = next(n for n in w.notices if n.startswith("Could not join"))
        assert "Trying again in 5 s" in said and "the replica is unchanged" in said, said
        # Meanwhile the replica is the new one it was, readable, with nothing left of the cut download.
        assert snapshot_join.store_is_new(w.store) and w.position() == 0
        _wait_caught_up(qtbot, w, world.head)
        assert w.syncing.joined_position == world.snapshot_position
        assert {t: v for t, v in content(w.store).items() if t in FEED_TABLES} == replayed
        assert leftovers(w.store.path) == []
    finally:
        w.close()
        proxy.stop()


class HoldDownload(FaultProxy):
    """Passes everything, except that the snapshot download waits (up to a minute) before its answer."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream, seed=0, fault_rate=0.0)
        self.held = 0

    def _exchange(self, request: bytes) -> bytes | None:
        if b"/v1/snapshot/file" in request.split(b"\r\n", 1)[0]:
            self.held += 1
            self._stopping.wait(60)
        return super()._exchange(request)


def test_closing_the_window_mid_download_stops_the_join_and_leaves_the_replica_new(qtbot, world):
    proxy = HoldDownload(world.hub.url)
    w = Window(qtbot, world, "window-closed", url=proxy.url)
    try:
        qtbot.waitUntil(lambda: proxy.held and any(n.startswith("Joining the hub: downloading 0 of") for n in w.notices),
                        timeout=30_000)
        t = time.monotonic()
        w.window.stop_background()   # as the window's close and the app's exit do
        took = time.monotonic() - t
        assert took < 2.0, f"stopping the join took {took:.1f} s"
        assert not w.syncing.join_loop.running
        assert snapshot_join.store_is_new(w.store) and w.position() == 0
    finally:
        w.close()
        proxy.stop()
    assert leftovers(w.store.path) == []   # the cut download's file went with it
    # The next start joins.
    again = Window(qtbot, world, "unused", store=type(w.store)(w.store.path, w.store.key, w.store.cipher))
    try:
        _wait_caught_up(qtbot, again, world.head)
        assert again.syncing.joined_position == world.snapshot_position and leftovers(again.store.path) == []
    finally:
        again.close()


def test_an_altered_snapshot_is_refused_in_words_and_the_window_replays_the_feed(qtbot, world, replayed):
    path = world.snapshots / f"snapshot-{world.snapshot_position}.db"
    original = path.read_bytes()
    altered = bytearray(original)
    altered[len(altered) // 2] ^= 0x01
    path.write_bytes(bytes(altered))
    try:
        w = Window(qtbot, world, "window-altered")
        try:
            qtbot.waitUntil(lambda: "replaying the feed from the start" in w.window.statusBar().currentMessage(),
                            timeout=60_000)
            said = w.window.statusBar().currentMessage()
            assert "altered or cut short" in said, said
            path.write_bytes(original)
            qtbot.waitUntil(lambda: w.position() == world.head, timeout=240_000)
            assert w.syncing.joined_position is None   # replayed, not joined
            assert {t: v for t, v in content(w.store).items() if t in FEED_TABLES} == replayed
        finally:
            w.close()
    finally:
        path.write_bytes(original)


def _behind(world, name: str):
    """A desktop that read only the feed's first 100 positions (then the hub pruned past it)."""
    store = world.desktop(name)
    engine = SyncEngine(store, world.client(), batch_limit=100, max_batches_per_cycle=1)
    assert engine.run_once().error is None and engine.position() == 100
    return store


def test_a_running_window_behind_the_retention_joins_again_and_with_a_record_unsent_waits_for_it(
        qtbot, world, replayed):
    behind, busy = _behind(world, "window-410"), _behind(world, "window-410-busy")
    hub_command(world.hub, "snapshot", "prune", "--snapshots", str(world.snapshots), "--keep-days", "0")
    assert world.hub.request("GET", "/v1/feed", role="room_lead", params={"after": 100}).status_code == 410
    # 1. An empty outbox: the 410 makes it join again from the snapshot, then the tail.
    w = Window(qtbot, world, "unused", store=behind)
    try:
        _wait_caught_up(qtbot, w, world.head)
        assert any("behind the hub's retention: joining again" in n for n in w.notices), w.notices
        assert w.syncing.joined_position == world.snapshot_position
        assert {t: v for t, v in content(w.store).items() if t in FEED_TABLES} == replayed
    finally:
        w.close()
    # 2. A record written in the window while the snapshot downloads: the swap is refused (never replace
    # a replica with a record the hub has not got), the banner says so; the next cycle sends it, the
    # hub answers 410 again, and it joins again with the record coming back in the tail.
    w = Window(qtbot, world, "unused", store=busy)
    written = []

    def write_while_joining(state: str) -> None:
        w.states.append(state)
        if state == "joining" and not written and w.syncing.engine is None and w.states.count("joining") == 1:
            from models.service import decisions
            new = decisions.NewDecision(decision_maker="Dr Busy", decision_maker_role="Director on-call",
                                        decision="Written while joining", rationale="Test",
                                        recorded_by="Room support", decided_at=utcnow())
            tasks.CollectionOp(w.window, lambda: decisions.record_decision(w.store, new)).success(
                written.append).run_in_background()
    try:
        w.syncing.on_state = write_while_joining
        qtbot.waitUntil(lambda: any("have not reached the hub yet" in n for n in w.notices), timeout=120_000)
        assert written
        _wait_caught_up(qtbot, w, world.head + 1)   # its own decision, pushed, at the head
        with w.store.reading() as conn:
            assert conn.execute("SELECT count(*) FROM decision_entry WHERE decision = 'Written while joining'"
                                ).fetchall()[0][0] == 1
            assert conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchall()[0][0] == 0
        assert w.syncing.joined_position is not None
    finally:
        w.close()
