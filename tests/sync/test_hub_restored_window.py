"""The room told once, in words, that the hub's database was put back (sync.feed_restore): the window's status
bar says the sentence whole, in the dark theme at 1366x768 and 1920x1080, and a later cycle does not say it
again; and a real window syncing with a restored hub whose retention had run, when the recovery hands over to the
snapshot rejoin, says so while it joins and after. Rendered to PNG (``SCC_RENDER_DIR``, when set) to look at."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel

from sync.connectivity import Connectivity, State
from sync.engine import CycleResult
from sync.feed_restore import Rewound
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.sync.test_hub_restored_pruned import pruned  # noqa: F401
from tests.ui.feeds import NOW
from tests.ui.ui_probe import settled  # noqa: F401

pytestmark = [pytest.mark.usefixtures("settled"), pytest.mark.timeout(120)]

SAID = Rewound(position=6968, cursor_before=8092, resent=3, set_aside=1120,
               agreed_at=datetime(2026, 12, 6, 2, 0, 12, tzinfo=timezone.utc), probes=2, code="feed_diverged").said


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_status_bar_says_the_hub_was_put_back_once_and_whole(qtbot, store, size):  # noqa: F811
    window, _view = showing(qtbot, store, "overview", size, now=NOW, theme_key="dark")
    online = Connectivity(State.ONLINE, NOW, NOW)
    window.on_cycle(CycleResult(online, feed_restored=SAID))
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown == "The hub's database was put back to Sun 6 Dec 2026 02:00 GMT or later: this desktop re-sent " \
                    "3 record(s) and re-read the feed from position 6968."
    assert bar.fontMetrics().horizontalAdvance(shown) < bar.width() - 200   # whole, beside the status words
    if os.environ.get("SCC_RENDER_DIR"):
        window.grab().save(str(Path(os.environ["SCC_RENDER_DIR"]) / f"hub-put-back-{size[0]}.png"))
    window.on_cycle(CycleResult(online))
    assert bar.currentMessage() == shown   # not said again; it stays its two minutes


@pytest.mark.timeout(600)
@pytest.mark.parametrize("hub_db_url", ["sqlite"], indirect=True)   # the window does not depend on the hub's database
def test_a_real_window_says_the_handover_to_the_snapshot_join_until_it_is_done(qtbot, pruned, tmp_path):  # noqa: F811
    """The recovery that hands over to the snapshot rejoin (sync.feed_restore._rejoin) in a real window syncing
    with the restored, pruned hub (tests/sync/test_hub_restored_pruned.py). Before, the status bar said it for a
    second, replaced by "Joined the hub from its snapshot" as the rejoin ended, and the banner said only "Hub
    unreachable", then "behind the hub's retention" (it was not away long: the hub went back). Now the banner
    says the sentence while the rejoin runs, and the status bar says why it joined again after it."""
    from models.replica.orm.types import utcnow
    from scc_desktop.gui import start_syncing
    from sqlalchemy import text
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from ui import tasks
    from ui.main_window import MainWindow

    hub, a, horizon = pruned["hub"], pruned["a"], pruned["horizon"]
    with a.store.writing() as s:   # no mark the hub can confirm: the handover case
        s.execute(text("DELETE FROM replica_meta WHERE key IN ('feed_mark', 'feed_marks')"))
    window = MainWindow(a.store, clock=utcnow)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    render = Path(os.environ.get("SCC_RENDER_DIR") or tmp_path)
    banners: list[str] = []
    drawn = window._draw_status

    def keep() -> None:   # the real drawing; each banner the room is shown kept, the first restore one rendered
        drawn()
        if window.banner.isVisible() and (not banners or banners[-1] != window.banner.text()):
            banners.append(window.banner.text())
            if "downloading" in banners[-1] and not any("downloading" in b for b in banners[:-1]):   # laid out
                QTimer.singleShot(0, lambda: window.grab().save(str(render / "hub-put-back-rejoining.png")))
    window._draw_status = keep
    syncing = start_syncing(window, lambda: SyncEngine(a.store, HubClient(hub.url, hub.tokens["room_lead"],
                                                                          read_timeout=60)),
                            poll_interval=0.2, long_poll=1.0)
    try:
        qtbot.waitUntil(lambda: syncing.joined_position is not None and syncing.state == "syncing", timeout=240_000)
        said = [b for b in banners if "put back" in b]
        assert said and said[0].startswith("The hub's database was put back to an earlier copy that keeps only "
                                           f"the feed after position {horizon}"), banners
        assert said[0].endswith("joins again from the hub's snapshot once they are sent. Joining again now…")
        assert not any("behind the hub's retention" in b for b in banners), banners
        steps = [b for b in banners if "Joining the hub: downloading" in b or "putting the snapshot in place" in b]
        assert steps and all(b.startswith("The hub's database was put back to an earlier copy: joining again from "
                                          "its snapshot. Joining the hub: ") for b in steps), banners
        bar = window.statusBar()
        shown = bar.currentMessage()
        assert shown.startswith("The hub's database was put back: this desktop re-sent its records and joined the "
                                "hub again in "), shown
        words = [w for w in bar.findChildren(QLabel) if w.isVisible() and w.text() and w.text() != shown]
        room = min(w.mapTo(bar, w.rect().topLeft()).x() for w in words)   # left of the status bar's own words
        assert bar.fontMetrics().horizontalAdvance(shown) < room - 20, (shown, room)   # said whole
        window.grab().save(str(render / "hub-put-back-rejoined.png"))
        assert syncing.restored is None   # said for this rejoin only
    finally:
        window.stop_background()
        tasks.manager().wait_idle()
        window.close()
