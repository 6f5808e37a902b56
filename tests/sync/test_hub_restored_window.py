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
from PySide6.QtWidgets import QApplication, QLabel

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
# The recovery's handover to the snapshot rejoin (sync.feed_restore._rejoin): said with the hub's 410 that ends its cycle.
HANDOVER = Rewound(position=0, cursor_before=8092, resent=3, set_aside=0, agreed_at=None, probes=2,
                   code="feed_diverged", horizon=6968).said
SHORT = ("The hub's database was put back to an earlier copy: this desktop sends its records again, then joins the hub "
         "again from its snapshot.")


def _whole_beside_the_status_words(bar, shown: str) -> None:
    for _ in range(3):   # the status words laid out for their new text (else measured, and rendered, cut off)
        QApplication.processEvents()
    words = [w for w in bar.findChildren(QLabel) if w.isVisible() and w.text() and w.text() != shown]
    room = min(w.mapTo(bar, w.rect().topLeft()).x() for w in words)   # left of the status bar's own words
    assert bar.fontMetrics().horizontalAdvance(shown) < room - 20, (shown, room)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_status_bar_says_the_hub_was_put_back_once_and_whole(qtbot, store, size):  # noqa: F811
    window, _view = showing(qtbot, store, "overview", size, now=NOW, theme_key="dark")
    online = Connectivity(State.ONLINE, NOW, NOW)
    window.on_cycle(CycleResult(online, feed_restored=SAID))
    bar = window.statusBar()
    shown = bar.currentMessage()
    assert shown == "The hub's database was put back to Sun 6 Dec 2026 02:00 GMT or later: this desktop re-sent " \
                    "3 record(s) and re-read the feed from position 6968."
    _whole_beside_the_status_words(bar, shown)
    if os.environ.get("SCC_RENDER_DIR"):
        window.grab().save(str(Path(os.environ["SCC_RENDER_DIR"]) / f"hub-put-back-{size[0]}.png"))
    window.on_cycle(CycleResult(online))
    assert bar.currentMessage() == shown   # not said again; it stays its two minutes


def test_the_handover_410_is_said_short_and_as_the_hub_answering(qtbot, store):  # noqa: F811
    """The cycle that hands over to the snapshot rejoin ends with the hub's 410 feed_pruned: the hub answered. Before,
    the status bar took the whole 245-character sentence (cut off at 1366 px) and the banner said 'Hub not reached'
    in red, the status word 'Offline'. Now a short form, the whole as its tooltip, and the banner and word say why."""
    from sync.connectivity import ConnectivityTracker

    window, _view = showing(qtbot, store, "overview", (1366, 768), now=NOW)
    tracker = ConnectivityTracker(last_good_sync=NOW)
    tracker.reached(NOW, NOW, 0)
    gone = tracker.failed(NOW, "the hub answered 410 feed_pruned", 3, behind_retention=True)
    window.on_cycle(CycleResult(gone, error="410 feed_pruned", feed_restored=HANDOVER))
    bar = window.statusBar()
    assert bar.currentMessage() == SHORT
    assert bar.toolTip() == HANDOVER[:1].upper() + HANDOVER[1:] + "."
    _whole_beside_the_status_words(bar, SHORT)
    banner = window.banner.text()
    assert "not reached" not in banner and "unreachable" not in banner.lower(), banner
    assert banner.startswith("The hub answered: its feed no longer holds what this desktop reads next, so this "
                             "desktop must join again from the hub's snapshot."), banner
    assert window.state_label.text() == "Rejoin needed"
    if os.environ.get("SCC_RENDER_DIR"):
        window.grab().save(str(Path(os.environ["SCC_RENDER_DIR"]) / "hub-put-back-handover.png"))
    bar.showMessage("Something else", 1000)
    assert bar.toolTip() == ""   # the tooltip goes with its message


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
    words: set[str] = set()
    messages: list[tuple[str, str]] = []   # each status bar message and its tooltip, as shown
    told: list[str] = []                   # the outage notice, if ever shown (h8: "did not reach the hub ...")
    drawn = window._draw_status
    bar = window.statusBar()
    bar.messageChanged.connect(lambda m: m and QTimer.singleShot(0, lambda: messages.append((m, bar.toolTip()))))

    def keep() -> None:   # the real drawing; each banner the room is shown kept, the first restore one rendered
        drawn()
        if window.state_label.text() == "Rejoin needed" and "Rejoin needed" not in words:   # the 410, as drawn
            QTimer.singleShot(0, lambda: window.grab().save(str(render / "hub-put-back-410.png")))
        words.add(window.state_label.text())
        if window.outage_notice.isVisibleTo(window):
            told.append(window.outage_notice.text())
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
        # The 410 is the hub answering: never drawn as unreachable, even for the moment before the rejoin starts.
        assert not any("not reached" in b or "unreachable" in b.lower() for b in banners), banners
        assert "Offline" not in words, words
        assert not told, told   # the hub was never unreachable: no "did not reach the hub" after the rejoin
        handover = [m for m in messages if "put back" in m[0] and "joined" not in m[0]]
        assert handover and handover[0][0] == SHORT, messages   # short in the status bar; the whole as its tooltip
        assert handover[0][1].startswith("The hub's database was put back to an earlier copy that keeps only"), messages
        steps = [b for b in banners if "Joining the hub: downloading" in b or "putting the snapshot in place" in b]
        assert steps and all(b.startswith("The hub's database was put back to an earlier copy: joining again from "
                                          "its snapshot. Joining the hub: ") for b in steps), banners
        shown = bar.currentMessage()
        assert shown.startswith("The hub's database was put back: this desktop re-sent its records and joined the "
                                "hub again in "), shown
        _whole_beside_the_status_words(bar, shown)
        window.grab().save(str(render / "hub-put-back-rejoined.png"))
        assert syncing.restored is None   # said for this rejoin only
    finally:
        window.stop_background()
        tasks.manager().wait_idle()
        window.close()
