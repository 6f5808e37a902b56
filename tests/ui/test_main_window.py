"""The main window over a real replica, real widgets offscreen."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.replica.ingest import ObservationValidator
from sync.apply import apply_batch
from sync.connectivity import ConnectivityTracker, State
from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.test_apply import batch
from scc_desktop import gui
from ui import tasks
from ui.main_window import MainWindow
from ui.overview import ProviderTile

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)


def _assessment(org, level, minutes_ago, at_least=None):
    return {"scope": "provider", "org_code": org, "pillar": "acute",
            "assessed_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(), "edition": "2024-26",
            "verified": False, "total": 40.0 if level else None, "level": level,
            "at_least_level": at_least, "complete": level is not None,
            "parameters": [{"key": "mean_handover_minutes", "value": 52, "band": "[45, 60)",
                            "points": 6}]}


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    return w


def test_empty_replica_shows_a_helpful_empty_state(window):
    assert window.overview.empty_label.isVisibleTo(window)
    assert "No provider data yet" in window.overview.empty_label.text()
    assert window.overview.tiles == []


def test_tiles_show_level_number_and_age_worst_first(window, store):
    apply_batch(store, batch([
        (1, "organisation", {"ods_code": "RAA", "name": "Alpha Hospitals", "sector": "acute"}),
        (2, "organisation", {"ods_code": "RBB", "name": "Beta Hospitals", "sector": "acute"}),
        (3, "opel_assessment", _assessment("RAA", 2, 10)),
        (4, "opel_assessment", _assessment("RBB", None, 90, at_least=3)),
    ]), ObservationValidator({}))
    window.overview.refresh()
    assert tasks.manager().wait_idle()   # drawn since the window opened: the page is read off the UI thread
    tiles = window.overview.findChildren(ProviderTile)
    assert [t.status.org_code for t in window.overview.tiles] == ["RBB", "RAA"]
    texts = {t.status.org_code: " ".join(lbl.text() for lbl in t.findChildren(type(window.banner)))
             for t in tiles}
    assert "OPEL 2" in texts["RAA"] and "10 min ago" in texts["RAA"]
    assert "OPEL ≥3 (incomplete)" in texts["RBB"] and "no data since 08:30" in texts["RBB"]
    assert "UNVERIFIED TABLE" in window.overview.edition_label.text()
    assert "ended" not in window.overview.edition_label.text()   # 12 Jan 2026: within the 2024-26 tables' period


def test_the_overview_says_when_the_tables_period_has_ended(qtbot, store):
    """In December 2026 the 2024-26 tables (2024/25 to 2025/26) are past their period: a newer edition
    may apply, and the room scoring on them must be told (docs/opel-tables.md)."""
    later = NOW + timedelta(days=327)
    apply_batch(store, batch([
        (1, "organisation", {"ods_code": "RAA", "name": "Alpha Hospitals", "sector": "acute"}),
        (2, "opel_assessment", {**_assessment("RAA", 2, 10), "assessed_at": later.isoformat()}),
    ]), ObservationValidator({}))
    w = MainWindow(store, clock=lambda: later)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.overview.refresh()
    assert tasks.manager().wait_idle()
    assert w.overview.edition_label.text() == (
        "OPEL table 2024-26 — UNVERIFIED TABLE — its period (2024/25 to 2025/26) ended 31/03/2026: "
        "check for a newer edition")


def test_banner_says_offline_since_when_and_clears_when_back(window):
    tracker = ConnectivityTracker()
    down = tracker.failed(NOW - timedelta(minutes=5), "connection refused")
    window.show_connectivity(down)
    assert window.banner.isVisibleTo(window)
    assert "Hub unreachable since" in window.banner.text() and "09:55" in window.banner.text()
    assert window.state_label.text() == "Offline"
    up = tracker.reached(NOW, NOW - timedelta(minutes=1), 0)
    assert up.state == State.ONLINE
    window.show_connectivity(up)
    assert not window.banner.isVisibleTo(window)
    assert window.state_label.text() == "Online"


# --- views, shortcuts, drill-down, redraws, themes, accessibility -----------------------------
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QComboBox, QPushButton, QTableWidget  # noqa: E402

from sync.engine import CycleResult  # noqa: E402
from tests.ui.feeds import fill_system  # noqa: E402
from ui import tasks, theme  # noqa: E402
from ui.charts import TimeChart  # noqa: E402
from ui.choices import VIEW_KEYS, VIEWS  # noqa: E402


@pytest.fixture
def shown(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


def test_ctrl_1_to_9_switch_views(shown, qtbot):
    assert [k for k, _t, _c in VIEWS] == ["system", "overview", "provider", "ambulance", "offload", "critical-care",
                                          "contacts", "transfers", "decisions", "actions", "alerts",
                                          "quality", "week-ahead"]
    assert [k for k, _t, _c in VIEWS] == list(VIEW_KEYS)   # the command line knows every view
    mnemonics = [t[t.index("&") + 1].lower() for _k, t, _c in VIEWS]
    assert len(set(mnemonics)) == len(mnemonics)           # Alt+letter reaches exactly one tab
    for key, _title, _cls in VIEWS[9:]:   # Ctrl+0 resets the text size: a tenth view has no digit
        assert shown.view_actions[key].shortcut().isEmpty()
    for n, (key, _title, _cls) in reversed(list(enumerate(VIEWS, start=1))[:9]):
        qtbot.keyClick(shown, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)
        assert shown.current_key() == key
        assert shown.view_actions[key].shortcut().toString() == f"Ctrl+{n}"


def test_a_tile_click_or_enter_opens_that_providers_drill_down(shown, store, qtbot):
    fill_system(store)
    shown.overview.refresh()
    assert tasks.manager().wait_idle()
    tile = next(t for t in shown.overview.tiles if t.status.org_code == "RBB")
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    assert tasks.manager().wait_idle()   # the drill-down is read off the UI thread
    assert shown.current_key() == "provider" and shown.provider.picker.currentData() == "RBB"
    assert "Beta Hospitals" in shown.provider.summary.text()
    shown.show_view("overview")
    tile = next(t for t in shown.overview.tiles if t.status.org_code == "RAA")
    tile.setFocus()
    qtbot.keyClick(tile, Qt.Key.Key_Return)
    assert tasks.manager().wait_idle()
    assert shown.current_key() == "provider" and shown.provider.picker.currentData() == "RAA"


def test_a_sync_cycle_redraws_only_views_that_show_what_changed(shown, monkeypatch):
    calls = []
    for key, view in shown.views.items():
        monkeypatch.setattr(view, "refresh", lambda k=key: calls.append(k))
    online = ConnectivityTracker().reached(NOW, NOW, 0)
    shown.show_view("offload")
    calls.clear()
    shown.on_cycle(CycleResult(online, kinds={"critcon": 2, "observation": 40}))
    assert calls == []                                    # the visible view shows neither kind
    shown.on_cycle(CycleResult(online, kinds={"handover": 3}))
    assert calls == ["offload"]
    shown.show_view("critical-care")                      # marked out of date: redrawn on show
    assert calls == ["offload", "critical-care"]
    shown.show_view("overview")                           # nothing it shows changed: not redrawn
    assert calls == ["offload", "critical-care"]


def test_themes_keep_opel_colours_and_a_visible_badge_border(shown, store):
    fill_system(store)
    for key in theme.THEMES:
        shown.set_theme(key)
        assert tasks.manager().wait_idle()
        t = theme.current()
        assert shown.theme_actions[key].isChecked()
        assert f"background: {t.window}" in shown.styleSheet()
        badge = shown.overview.tiles[0].findChild(type(shown.banner), "levelBadge").styleSheet()
        level = shown.overview.tiles[0].status.shown_level
        assert f"background:{theme.opel_colours(level)[0]}" in badge   # the same OPEL colour
        assert f"border:{t.border_px}px solid {t.badge_border}" in badge
        # Every OPEL colour's text is readable, and the badge border stands out from the page.
        for bg, fg in theme.OPEL_COLOURS.values():
            assert _contrast(bg, fg) >= 4.5
        assert _contrast(t.badge_border, t.base) >= 3 and _contrast(t.badge_border, t.window) >= 3
        assert _contrast(t.text, t.base) >= 7 if key == "high_contrast" else _contrast(t.text, t.base) >= 4.5


def test_larger_text_for_a_wall_screen(shown):
    shown.set_text_scale(2.0)
    assert theme.current().font_pt == theme.THEMES["light"].font_pt * 2
    assert f"font-size: {theme.current().font_pt}pt" in shown.styleSheet()
    shown.overview.refresh()
    assert shown.overview.tiles == [] and shown.overview.empty_label.font().pointSizeF() >= 20
    shown.set_text_scale(1.0)


def test_wall_screen_text_fits_table_rows_and_charts(shown, store):
    from PySide6.QtGui import QFontMetrics

    from ui.charts import TimeChart, chart_font, mark_scale
    fill_system(store, now=NOW)
    shown.resize(3840, 2160)
    shown.set_text_scale(2.0)
    offload = shown.show_view("offload")
    offload.refresh()
    assert tasks.manager().wait_idle()   # read off the UI thread
    queues = [card.queue for card in offload.cards if card.queue.rowCount()]
    assert queues
    for q in queues:   # rows tall enough for the doubled text (were sized in the default font)
        need = QFontMetrics(q.font()).height()
        assert q.font().pointSizeF() >= 19
        assert all(q.rowHeight(r) >= need for r in range(q.rowCount()))
    chart = offload.findChildren(TimeChart)[0]
    tick = chart.plot.getPlotItem().getAxis("bottom").style["tickFont"]
    assert tick.pointSizeF() == chart_font().pointSizeF() >= 18
    assert mark_scale() == 2.0
    assert chart.reference_labels and chart.plot.getPlotItem().getAxis("right").isVisible()
    shown.set_text_scale(1.0)
    assert chart.plot.getPlotItem().getAxis("bottom").style["tickFont"].pointSizeF() == 9.0


def test_overdue_actions_are_chased_while_their_tab_is_hidden(qtbot, window, store):
    from sync.authoring import add_action, complete_action
    from ui import tasks

    def passed(ask=window.housekeeping_later) -> list:   # one pass (a write off the UI thread): its result
        assert tasks.manager().wait_idle()                # none left from opening the window
        with qtbot.waitSignal(window.housekept, timeout=20_000) as done:
            ask()
        return done.args
    assert passed() == [0]
    assert window.tabs.tabText(window.tab_index("actions")) == "Actions and al&erts"
    uid = add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead",
                     due_at=NOW - timedelta(minutes=5))
    window.show_view("overview")
    assert passed(window._tick) == [1]       # the minute's pass
    assert window.tabs.tabText(window.tab_index("actions")) == "Actions and al&erts (1)"
    assert window.views["actions"].accessibleName() == "Actions and alerts view"
    complete_action(store, uid, "Bed bureau", NOW)
    assert passed() == [0]


def test_every_control_has_an_accessible_name(shown, store):
    fill_system(store)
    for key in shown.views:
        shown.show_view(key)
    unnamed = [f"{type(w).__name__} in {k}" for k, v in shown.views.items()
               for cls in (QPushButton, QComboBox, QTableWidget, TimeChart)
               for w in v.findChildren(cls)
               if not (w.plot.accessibleName() if isinstance(w, TimeChart) else w.accessibleName())]
    assert unnamed == []


def _contrast(a: str, b: str) -> float:
    def lum(hex_colour: str) -> float:
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_background_housekeeping_runs_one_pass_at_a_time_and_catches_up(qtbot, window, store):
    """Requests while a pass runs make exactly one more pass after it, never two at once; the
    announcement of a pass's own alerts does not ask for another."""
    from sync.authoring import add_action
    from ui import tasks
    assert tasks.manager().wait_idle()
    passes = []
    window.housekept.connect(passes.append)
    window.housekeeping_later()
    window.housekeeping_later()     # while the first runs: one more pass queued
    window.housekeeping_later()     # ... and no third
    add_action(store, description="Call the Director on-call", owner="SCC lead", author="lead",
               due_at=NOW - timedelta(minutes=5))
    qtbot.waitUntil(lambda: len(passes) == 2, timeout=20_000)
    assert tasks.manager().wait_idle()
    qtbot.wait(300)
    assert len(passes) == 2 and passes[-1] == 1     # the second pass saw the new overdue action
    assert window.tabs.tabText(window.tab_index("actions")) == "Actions and al&erts (1)"


# --- the window's own background work, through ui.tasks and the door (issue 15, build 3) ---------------
import threading  # noqa: E402
import time  # noqa: E402

from tests.ui.ui_probe import LockHolder  # noqa: E402


def test_the_windows_housekeeping_is_a_write_announced_like_any_other(qtbot, window, store):
    from sync.authoring import add_action
    from ui import tasks
    assert tasks.manager().wait_idle()
    add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead",
               due_at=NOW - timedelta(minutes=5))
    announced = []
    tasks.manager().changed.connect(announced.append)
    with qtbot.waitSignal(window.housekept, timeout=20_000):
        window.housekeeping_later()
    assert [sorted(c.records) for c in announced] == [["alert"]]   # its alert, as any write's changes


def test_opening_the_window_does_not_wait_for_the_write_lock(qtbot, store):
    """Another program holds the replica's write lock for 3 s: the window opens at once, and the
    housekeeping lands (the actions tab's count) once the lock is released."""
    from sync.authoring import add_action
    from ui import tasks
    add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead",
               due_at=NOW - timedelta(minutes=5))
    assert store.engine_ready      # the libraries are loaded: the window checks the chores at once
    with LockHolder(store, 3.0):
        started = time.monotonic()
        w = MainWindow(store, clock=lambda: NOW)
        took = time.monotonic() - started
        qtbot.addWidget(w)
        with qtbot.waitSignal(w.housekept, timeout=20_000) as done:
            pass
    assert took < 1.0, f"the window took {took:.1f} s to open"
    assert done.args == [1] and w.tabs.tabText(w.tab_index("actions")) == "Actions and al&erts (1)"
    assert tasks.manager().wait_idle()


def test_the_status_bar_never_waits_for_the_replica(qtbot, window, store):
    """The sync summary (last sync, outbox) is a read through the door, off the UI thread: a long read
    holding the store's reader does not hold the window."""
    from sync.authoring import add_action
    from ui import tasks
    assert tasks.manager().wait_idle()
    add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead")   # one to send
    held, release = threading.Event(), threading.Event()

    def long_read():
        with store.reading():
            held.set()
            release.wait(3)
    reader = threading.Thread(target=long_read, daemon=True)
    reader.start()
    assert held.wait(5)
    started = time.monotonic()
    window.show_connectivity(ConnectivityTracker().failed(NOW, "connection refused"))
    took = time.monotonic() - started
    assert window.state_label.text() == "Offline" and window.banner.isVisibleTo(window)   # drawn at once
    release.set()
    reader.join(5)
    assert took < 0.5, f"the status bar waited {took:.1f} s for the replica"
    qtbot.waitUntil(lambda: window.outbox_label.text() == "Outbox 1", timeout=5000)
    assert tasks.manager().wait_idle()


def test_a_screenshot_shows_the_alerts_of_its_moment_with_the_pass_off_the_ui_thread(qtbot, store, tmp_path):
    """``gui.render`` (the screenshots) waits for the housekeeping pass through the task manager: the
    actions tab's count and the alert it raised are in the picture."""
    from models.records import actions_due
    from sync.authoring import add_action
    from ui import tasks
    late = add_action(store, description="Open 4 escalation beds", owner="Bed bureau", author="lead",
                      due_at=NOW - timedelta(minutes=5))
    w = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(w)
    assert gui.render(w, tmp_path / "actions.png", view="actions").stat().st_size > 0
    assert w.tabs.tabText(w.tab_index("actions")) == "Actions and al&erts (1)"
    assert actions_due.alert_uuid(late) in w.views["actions"].ack_buttons
    assert tasks.manager().wait_idle()


@pytest.mark.parametrize("records", [{"alert"}, {"checklist_item"}, {"data_quality"}, {"alert", "data_quality"}])
def test_what_a_running_housekeeping_pass_writes_asks_for_no_further_pass(window, monkeypatch, records):
    """Its alerts, checklists and data-quality findings are its own: a pass that found a problem
    must not set off another that runs every check again only to find the same."""
    from types import SimpleNamespace

    from models.service.changes import Changes
    asked = []
    monkeypatch.setattr(window, "housekeeping_later", lambda: asked.append(1))
    monkeypatch.setattr(window, "_housekeeper", SimpleNamespace(busy=True))
    window.on_changes(Changes(records=frozenset(records)))
    assert asked == []
    window.on_changes(Changes(records=frozenset({"decision"})))   # a room's own write still asks
    assert asked == [1]
