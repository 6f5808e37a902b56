"""The status bar's line about the business-continuity pack (``ui.bc_pack_status``), on a real window over a
real 40-provider replica, with a real folder: "BC pack not set up" (a link to the settings) until a folder is
chosen; then when the pack was last written, and beside a failed write when the last good one dates from."""

from __future__ import annotations

from datetime import timedelta

from scc_desktop.settings import Settings
from tests.reports.world import NOW
from ui import bc_pack_status, tasks
from ui.bc_pack_writer import ENV
from ui.main_window import MainWindow


def settle() -> None:
    assert tasks.manager().wait_idle(60_000), "work off the UI thread did not finish"


def window_with(qtbot, store, settings, clock=lambda: NOW):
    window = MainWindow(store, clock=clock, settings=settings)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window._warm_up()   # what the first paint starts: the pack follows the settings once warm
    settle()
    qtbot.waitUntil(lambda: getattr(window, "bc_pack_status", None) is not None, timeout=30_000)
    return window


def test_with_no_folder_the_status_bar_says_not_set_up_and_links_to_the_settings(qtbot, world, tmp_path,
                                                                                  monkeypatch):
    _path, store = world
    monkeypatch.delenv(ENV, raising=False)
    settings = Settings(path=tmp_path / "settings.json")
    window = window_with(qtbot, store, settings)
    label = window.bc_pack_status
    assert window.bc_pack is None
    assert bc_pack_status.plain_text(window) == "BC pack not set up" and label.isVisible()
    assert "no folder is set" in label.toolTip() and "File > Settings" in label.toolTip()
    assert label.accessibleName().startswith("Business continuity pack: not set up.")
    opened = []
    monkeypatch.setattr(window, "open_settings", lambda: opened.append(True))
    label.linkActivated.emit("settings")   # what a click on the link sends
    assert opened == [True]
    # A folder chosen (as File > Settings saves it): the line says so at once, and when the pack is written.
    settings.set("bc_pack_dir", str(tmp_path / "bc"))
    window.follow_bc_pack()
    assert window.bc_pack is not None and label.text() == "BC pack not written yet"
    window.bc_pack.tick()
    settle()
    qtbot.waitUntil(lambda: label.text() == "BC pack written 10:00", timeout=10_000)   # NOW is 10:00 BST
    assert "bc-pack-2025-07-14-1000.pdf" in label.toolTip() and str(tmp_path / "bc") in label.toolTip()
    # The folder taken away again: "not set up" comes back.
    settings.set("bc_pack_dir", None)
    window.follow_bc_pack()
    assert bc_pack_status.plain_text(window) == "BC pack not set up" and label.isVisible()
    window.stop_background()


def test_a_failed_write_is_said_beside_when_the_last_pack_was_written(qtbot, world, tmp_path, monkeypatch):
    _path, store = world
    monkeypatch.delenv(ENV, raising=False)
    settings = Settings(path=tmp_path / "settings.json")
    folder = tmp_path / "bc"
    settings.set("bc_pack_dir", str(folder))
    window = window_with(qtbot, store, settings)
    writer, label = window.bc_pack, window.bc_pack_status
    writer.stop()   # ticks by hand
    writer.tick()
    settle()
    qtbot.waitUntil(lambda: writer.last is not None, timeout=10_000)
    assert label.text() == "BC pack written 10:00" and not writer.label.isVisible()
    # The folder replaced by a file: a real failure of the write, which root cannot override.
    folder.rename(tmp_path / "bc-away")
    folder.write_text("not a folder")
    writer.tick()
    settle()
    qtbot.waitUntil(lambda: writer.problem is not None, timeout=10_000)
    assert writer.label.isVisible() and writer.label.text() == "BC pack not refreshed"
    assert label.text() == "BC pack last written 10:00"   # when the last good pack was written
    assert label.toolTip().startswith(f"Business continuity pack not refreshed: cannot write into {folder}")
    # A later start, before its first refresh, says when the folder's last pack was written.
    folder.unlink()
    (tmp_path / "bc-away").rename(folder)
    writer.last, writer.problem = None, None
    bc_pack_status.show(window)
    assert label.text().startswith("BC pack last written ") and "was last written at" in label.toolTip()
    window.stop_background()
