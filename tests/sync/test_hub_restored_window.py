"""The room told once, in words, that the hub's database was put back (sync.feed_restore): the window's status
bar says the sentence whole, in the dark theme at 1366x768 and 1920x1080, and a later cycle does not say it
again. Rendered to PNG (``SCC_RENDER_DIR``, when set) for a person to look at."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sync.connectivity import Connectivity, State
from sync.engine import CycleResult
from sync.feed_restore import Rewound
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
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
