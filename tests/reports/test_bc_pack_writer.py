"""The hourly business-continuity pack: a real QTimer (a short interval) writing real packs into a
real folder off the UI thread; the latest names always the last whole pack; the folder bounded;
an unwritable folder named with the reason while the last pack stays; the window starting the
writer from the settings with an unreachable hub configured and no network at all."""

from __future__ import annotations

import itertools
import os
from datetime import timedelta

import pytest

from scc_desktop.settings import Settings
from tests.reports.world import NOW
from ui import tasks
from ui.bc_pack_writer import ENV, BcPackWriter, folder_for
from ui.main_window import MainWindow


def settle() -> None:
    assert tasks.manager().wait_idle(60_000), "work off the UI thread did not finish"


def hourly_clock():
    hours = itertools.count()
    return lambda: NOW + timedelta(hours=next(hours))


def stems(folder):
    return sorted({p.name[len("bc-pack-"):len("bc-pack-2025-07-14-1000")] for p in folder.glob("bc-pack-2*.pdf")})


def test_a_real_timer_keeps_the_newest_packs_and_the_latest_names(qtbot, world, tmp_path, no_network):
    _path, store = world
    folder = tmp_path / "packs"
    parent = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(parent)
    writer = BcPackWriter(parent, store, hourly_clock(), folder, interval_ms=20, keep=2,
                          status_bar=parent.statusBar())
    done = []
    writer.refreshed.connect(done.append)
    writer.start(first_after_ms=0)
    qtbot.waitUntil(lambda: len(done) >= 3, timeout=60_000)
    writer.stop()
    settle()
    assert writer.timer.interval() == 20 and writer.problem is None
    assert len(stems(folder)) == 2   # the oldest pack's files went; only packs' files are touched
    newest = max(done, key=lambda r: r.written.report.at)
    assert (folder / "bc-pack-latest.pdf").read_bytes() == newest.written.pdf.read_bytes()
    assert (folder / "bc-pack-latest.json").read_bytes() == newest.written.files["json"].read_bytes()
    assert not list(folder.glob(".*.part"))   # every file was written whole, then renamed
    assert parent.statusBar().currentMessage().startswith("Business continuity pack refreshed: bc-pack-")
    assert no_network == []


def test_an_unwritable_folder_is_named_and_the_last_pack_kept(qtbot, world, tmp_path):
    _path, store = world
    folder = tmp_path / "packs"
    parent = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(parent)
    writer = BcPackWriter(parent, store, hourly_clock(), folder, status_bar=parent.statusBar())
    writer.tick()
    settle()
    good = (folder / "bc-pack-latest.pdf").read_bytes()
    assert writer.last is not None and not writer.label.isVisible()
    # The next pack's file cannot be written (a folder sits where it goes): a real failure of the
    # write, which root cannot override as it can a folder's permissions.
    (folder / "bc-pack-2025-07-14-1100.pdf").mkdir()
    failed = []
    writer.failed.connect(failed.append)
    writer.tick()
    settle()
    assert failed and failed[0].startswith(f"Business continuity pack not refreshed: cannot write into {folder}: ")
    assert "the last pack (bc-pack-2025-07-14-1000.pdf) is kept" in failed[0]
    assert (folder / "bc-pack-latest.pdf").read_bytes() == good
    assert not list(folder.glob(".*.part"))   # the failed write's temporary file went with it
    assert writer.label.text() == "BC pack not refreshed" and writer.label.toolTip() == failed[0]
    assert parent.statusBar().currentMessage() == failed[0]
    # A folder that cannot be made at all (its parent is a file): named, with the reason.
    (tmp_path / "a-file").write_text("x")
    elsewhere = BcPackWriter(parent, store, hourly_clock(), tmp_path / "a-file" / "packs")
    elsewhere.tick()
    settle()
    assert elsewhere.problem.startswith(f"Business continuity pack not refreshed: cannot write into "
                                        f"{tmp_path / 'a-file' / 'packs'}: Not a directory")
    # The next refresh that can write puts the pack back and clears the note.
    (folder / "bc-pack-2025-07-14-1100.pdf").rmdir()
    writer.tick()
    settle()
    assert writer.problem is None and not writer.label.isVisible()


def test_the_window_starts_the_writer_from_the_settings_with_no_hub_reachable(qtbot, world, tmp_path, monkeypatch,
                                                                              no_network):
    _path, store = world
    monkeypatch.delenv(ENV, raising=False)
    settings = Settings(path=tmp_path / "settings.json")
    settings.set("hub_url", "https://scc-hub.invalid:8443")   # configured, unreachable, never asked
    settings.set("bc_pack_dir", str(tmp_path / "bc"))
    window = MainWindow(store, clock=lambda: NOW, settings=settings)
    qtbot.addWidget(window)
    window._warm_up()   # what the first paint starts: the writer follows once the libraries are loaded
    settle()
    writer = window.bc_pack
    assert writer is not None and writer.folder == tmp_path / "bc" and writer.timer.isActive()
    assert writer.timer.interval() == 60 * 60 * 1000
    writer.tick()
    settle()
    assert (tmp_path / "bc" / "bc-pack-latest.pdf").stat().st_size > 0
    assert no_network == []
    # The environment's folder wins over the setting; no folder at all: no writer.
    monkeypatch.setenv(ENV, str(tmp_path / "from-env"))
    window.follow_bc_pack()
    assert window.bc_pack is not writer and window.bc_pack.folder == tmp_path / "from-env"
    monkeypatch.delenv(ENV)
    settings.set("bc_pack_dir", None)
    window.follow_bc_pack()
    assert window.bc_pack is None
    window.stop_background()


def test_the_setting_is_a_full_path(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    settings = Settings(path=tmp_path / "settings.json")
    with pytest.raises(ValueError, match="setting bc_pack_dir: 'packs' must be a full path"):
        settings.set("bc_pack_dir", "packs")
    assert folder_for(settings) is None
    settings.set("bc_pack_dir", str(tmp_path))
    assert folder_for(settings) == tmp_path
    assert folder_for(settings, {ENV: "/srv/bc"}) == type(tmp_path)("/srv/bc")


def test_the_settings_dialog_saves_the_folder(qtbot, tmp_path, monkeypatch):
    from ui.settings_dialog import SettingsDialog

    monkeypatch.delenv(ENV, raising=False)
    settings = Settings(path=tmp_path / "settings.json")
    dialog = SettingsDialog(None, settings)
    qtbot.addWidget(dialog)
    dialog.bc_pack_dir.setText("relative/packs")
    dialog.save()
    assert "Business continuity pack: relative/packs is not a full path" in dialog.status.text()
    dialog.bc_pack_dir.setText(str(tmp_path / "packs"))
    dialog.save()
    assert settings.bc_pack_dir == str(tmp_path / "packs")
    assert os.path.isfile(tmp_path / "settings.json")
