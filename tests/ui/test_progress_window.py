"""The window the demo's first start shows while it simulates its history (``ui.progress_window``).

A real demo folder, hub and simulator fill two days of history behind a real window offscreen: the
bar moves as the history fills, Stop ends the fill where it got to and the next start carries on
from there, and an error in the work reaches the caller.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from scc_desktop.demo import DemoSystem
from scc_desktop.errors import UserError
from ui.progress_window import STEPS, Cancelled, ProgressWindow, run_with_progress

pytestmark = pytest.mark.timeout(180)
HISTORY = timedelta(hours=48)


def _window() -> ProgressWindow | None:
    return next((w for w in QApplication.topLevelWidgets()
                 if isinstance(w, ProgressWindow) and w.isVisible()), None)


def _watch(seen: list, act=None, every_ms: int = 20) -> QTimer:
    """Every few ms while the window is up: note its bar and text; ``act(window, seen)`` may act on it."""
    timer = QTimer()
    timer.setInterval(every_ms)

    def look() -> None:
        window = _window()
        if window is None:
            return
        seen.append((window.bar.value(), window.bar.maximum(), window.label.text()))
        if act is not None:
            act(window, seen)

    timer.timeout.connect(look)
    timer.start()
    return timer


def _fill(demo: DemoSystem):
    def work(report):
        return demo.start(live=False, progress=lambda done, until: report(done, f"at {until:%d %b %H:%M}"))
    return work


def _stopped_part_way(demo: DemoSystem, act) -> list:
    """Fill ``demo``'s history behind the window, ``act`` stopping it on the way: Cancelled is raised."""
    seen: list = []
    timer = _watch(seen, act)
    try:
        with pytest.raises(Cancelled):
            run_with_progress("Starting the demo", _fill(demo), demo.stop_event.set)
    finally:
        timer.stop()
        demo.stop()
    return seen


def test_the_bar_moves_as_the_demo_history_fills_and_the_result_comes_back(qapp, tmp_path):
    demo = DemoSystem(tmp_path / "demo", history=HISTORY)
    seen: list = []
    timer = _watch(seen)
    try:
        url = run_with_progress("Starting the demo", _fill(demo), demo.stop_event.set)
    finally:
        timer.stop()
        demo.stop()
    assert url.startswith("http://127.0.0.1:")
    assert _window() is None                         # closed once the work ended
    values = [v for v, top, _ in seen if top == STEPS]
    assert len(values) >= 5, seen[:5]
    assert values == sorted(values) and values[-1] > values[0], values
    assert values[-1] >= STEPS * 0.8
    assert any(text.startswith("at ") for _, _, text in seen)
    assert demo.history_to_fill() < timedelta(minutes=5)   # all of it was sent


def test_stop_ends_the_fill_where_it_got_to_and_the_next_start_carries_on(qapp, tmp_path):
    folder = tmp_path / "demo"
    demo = DemoSystem(folder, history=HISTORY)

    def stop_a_third_in(window, seen):
        if window.bar.value() >= STEPS // 3:
            window.stop_button.click()

    seen = _stopped_part_way(demo, stop_a_third_in)
    assert _window() is None
    assert any(text == "Stopping…" for _, _, text in seen)
    left = DemoSystem(folder, history=HISTORY).history_to_fill()
    # Stopped part-way: the rest is still to fill, and what was sent is not sent again.
    assert timedelta(hours=4) < left < HISTORY - timedelta(hours=8), left


def test_closing_the_window_stops_the_work_too(qapp, tmp_path):
    """What a stop signal does (it closes every window), and the title bar's close button."""
    demo = DemoSystem(tmp_path / "demo", history=HISTORY)

    def close_early(window, seen):
        if window.bar.value() > 0:
            window.close()
            assert window.isVisible()    # it stays, saying so, until the work has ended

    _stopped_part_way(demo, close_early)
    assert demo.history_to_fill() > timedelta(hours=8)


def test_an_error_in_the_work_is_raised_to_the_caller(qapp):
    def work(report):
        report(0.5, "half way")
        raise UserError("the demo replica was made with another passphrase", 3)

    with pytest.raises(UserError, match="another passphrase"):
        run_with_progress("Starting the demo", work, lambda: None)
    assert _window() is None


def test_the_window_as_a_user_sees_it(qapp, tmp_path):
    """Rendered for looking at (``SCC_WRITE_SCREENSHOTS=1`` writes it to docs/screenshots)."""
    window = ProgressWindow("Starting the demo", lambda: None)
    window.show_progress(0.42, "Simulating the system's history up to now (later starts carry on from where "
                               "this one stops): at Mon 30 Nov 02:30 UK time")
    window.show()
    qapp.processEvents()
    image = window.grab()
    assert window.bar.value() == round(0.42 * STEPS) and image.width() >= 420
    if os.environ.get("SCC_WRITE_SCREENSHOTS"):
        image.save(os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots",
                                "demo-progress-window.png"))
    image.save(str(tmp_path / "progress.png"))
    window.finished_work = True
    window.close()


def test_stop_while_the_replica_first_syncs_ends_the_sync_and_writes_no_records(qapp, tmp_path):
    """The demo command's own work (``_prepare``): Stop pressed as the history loads into the replica
    ends that sync between feed items (its cursor short of the hub's head) and writes none of the
    room's records; the next start syncs and writes them."""
    import argparse

    from sqlalchemy import text

    from models.replica.store import Store
    from scc_desktop.commands.demo import _prepare
    from scc_desktop.demo import DEMO_PASSPHRASE

    folder = tmp_path / "demo"
    # Four days: a first sync of a second or more, so a Stop at its first report lands inside it.
    demo = DemoSystem(folder, history=2 * HISTORY)
    args = argparse.Namespace(screenshot="x.png")   # no live feed: the hub's head stays put

    def stop_as_it_loads(window, seen):
        if window.label.text().startswith("Loading the history"):
            window.stop_button.click()

    seen: list = []
    timer = _watch(seen, stop_as_it_loads, every_ms=5)
    try:
        with pytest.raises(Cancelled) as stopped:
            run_with_progress("Starting the demo", lambda report: _prepare(args, demo, demo.history_to_fill(), report), demo.stop_event.set)
        with demo.hub.hub.db.read() as conn:
            head = demo.hub.hub.db.head(conn)
    finally:
        timer.stop()
        demo.stop()
    assert stopped.value.result is None and not demo.records_seeded()
    with Store.unlock(folder / "replica.db", DEMO_PASSPHRASE) as store, store.session() as s:
        synced = s.execute(text("SELECT max(position) FROM feed_cursor")).scalar() or 0
        contacts = s.execute(text("SELECT count(*) FROM contact")).scalar()
    assert synced < head and contacts == 0, (synced, head, contacts)
