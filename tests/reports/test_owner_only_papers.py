"""The room's papers, the business-continuity pack and the contacts exports hold staff phone numbers and
name sites and decisions: every file the app writes for them is the owner's only (0600) and every folder it
makes 0700, under the common umask of 022 (which leaves a plain write 0644, readable by every user of the
computer); a folder that exists keeps its mode, and one others may read is named in a warning.  Real files
from the seeded 40-provider replica, modes read with ``os.stat``."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from datetime import timedelta

import pytest

from models.service import bc_pack_folder, report_folder, reports
from models.service import contacts as contacts_door
from scc_desktop import cli
from tests.reports.world import NOW
from ui import tasks
from ui.bc_pack_writer import BcPackWriter
from ui.main_window import MainWindow

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; on Windows the folder's ACL decides")


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def modes(folder) -> dict[str, int]:
    return {p.name: mode(p) for p in folder.iterdir()}


@pytest.mark.parametrize("name", reports.NAMES)
def test_each_report_is_written_owner_only_into_folders_made_owner_only(world, tmp_path, name):
    _path, store = world
    papers = tmp_path / "room" / "papers" / name
    with umask(0o022):
        written = reports.make(store, name, papers, NOW)
        kept = report_folder.keep(written)
    files = modes(papers)
    assert {f"{name}-latest.pdf", f"{name}-latest.json"} <= set(files) and kept.latest
    assert len(files) >= 4 and set(files.values()) == {0o600}, files   # PDF, JSON, CSVs, the latest copies
    for folder in (tmp_path / "room", tmp_path / "room" / "papers", papers):   # each one it made
        assert mode(folder) == 0o700, (folder, oct(mode(folder)))
    assert not list(papers.glob(".*.part"))
    assert written.warnings == ()   # folders it made itself: nothing to warn of


def test_a_file_there_before_readable_by_all_is_replaced_by_an_owner_only_one(world, tmp_path):
    _path, store = world
    folder = tmp_path / "packs"
    folder.mkdir(mode=0o700)
    with umask(0o022):
        first = bc_pack_folder.refresh(store, folder, NOW)
        for path in (*first.written.files.values(), *first.latest):
            os.chmod(path, 0o644)   # an older version's pack, or one copied in by hand
        again = bc_pack_folder.refresh(store, folder, NOW)   # the same hour again: the same names
    assert {p.name for p in again.written.files.values()} == {p.name for p in first.written.files.values()}
    assert set(modes(folder).values()) == {0o600}, modes(folder)


def test_an_existing_folder_keeps_its_mode_and_one_others_can_read_is_warned_of(world, tmp_path, cli_env, capsys):
    path, store = world
    shared, private = tmp_path / "shared", tmp_path / "private"
    shared.mkdir()
    private.mkdir()
    os.chmod(shared, 0o755)
    os.chmod(private, 0o750)   # the room's group may read it: its own choice, no warning
    with umask(0o022):
        open_to_all = bc_pack_folder.refresh(store, shared, NOW)
        grouped = bc_pack_folder.refresh(store, private, NOW)
    assert mode(shared) == 0o755 and mode(private) == 0o750   # left alone
    assert set(modes(shared).values()) == {0o600} and set(modes(private).values()) == {0o600}
    (warning,) = open_to_all.written.warnings
    assert str(shared) in warning and "every user of this computer" in warning and "0755" in warning
    assert grouped.written.warnings == ()
    capsys.readouterr()
    with umask(0o022):
        assert cli.main(["report", "brief", "--out", str(shared), "--at", "2025-07-14T09:00+01:00",
                         "--path", str(path)]) == 0
    err = capsys.readouterr().err
    assert "scc-desktop: warning: every user of this computer can read the folder" in err and str(shared) in err
    assert set(modes(shared).values()) == {0o600}


def test_the_windows_hourly_pack_is_owner_only(qtbot, world, tmp_path, no_network):
    _path, store = world
    folder = tmp_path / "bc" / "packs"
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    with umask(0o022):
        writer = BcPackWriter(window, store, lambda: NOW + timedelta(hours=1), folder, status_bar=window.statusBar())
        done = []
        writer.refreshed.connect(done.append)
        writer.tick()
        qtbot.waitUntil(lambda: done or writer.problem, timeout=60_000)
        assert tasks.manager().wait_idle(60_000)
    assert writer.problem is None
    assert set(modes(folder).values()) == {0o600} and mode(folder) == 0o700 and mode(folder.parent) == 0o700


def test_the_contacts_exports_are_owner_only_even_over_a_file_readable_by_all(world, tmp_path, cli_env, capsys):
    path, store = world
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    window_csv, command_csv = out / "directory.csv", tmp_path / "made" / "directory.csv"
    with umask(0o022):
        window_csv.write_text("an older export\n")
        assert mode(window_csv) == 0o644
        done = contacts_door.export_file(store, window_csv)   # the Contacts tab's Export…
        assert cli.main(["contacts", "export", "--format", "csv", "--out", str(command_csv),
                         "--path", str(path)]) == 0
        command_csv.chmod(0o644)
        assert cli.main(["contacts", "export", "--format", "vcard", "--out", str(command_csv),
                         "--path", str(path)]) == 0   # again, over the one others could read
    assert done.count > 0 and "Tom Okafor" in window_csv.read_text(encoding="utf-8")
    assert mode(window_csv) == 0o600
    assert mode(command_csv) == 0o600 and "BEGIN:VCARD" in command_csv.read_text(encoding="utf-8")
    assert mode(command_csv.parent) == 0o700
    assert not list(out.glob(".*.part")) and not list(command_csv.parent.glob(".*.part"))


SHOTS = os.environ.get("SCC_SHOTS")


def test_the_window_says_when_the_folder_others_can_read(qtbot, world, tmp_path):
    """File > Reports and the hourly pack's status bar message name the folder; the files stay the owner's."""
    from ui.reports_dialog import ReportsDialog
    _path, store = world
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    with umask(0o022):
        writer = BcPackWriter(window, store, lambda: NOW, shared, status_bar=window.statusBar())
        done = []
        writer.refreshed.connect(done.append)
        writer.tick()
        qtbot.waitUntil(lambda: done or writer.problem, timeout=60_000)
        assert tasks.manager().wait_idle(60_000)
    message = window.statusBar().currentMessage()
    assert message.startswith("Business continuity pack refreshed") and "Warning: " in message
    assert str(shared) in message and "every user of this computer" in message
    assert writer.label.isVisible() and writer.label.text() == "BC pack folder open to all users"
    assert str(shared) in writer.label.toolTip()
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        window.grab().save(f"{SHOTS}/bc_pack_folder_warning.png")
        window.set_theme("dark")
        window.grab().save(f"{SHOTS}/bc_pack_folder_warning_dark.png")
    window.reports_action.trigger()   # File > Reports…
    assert tasks.manager().wait_idle(30_000)
    dialog = window.findChild(ReportsDialog)
    dialog.folder.setText(str(shared))
    dialog.report.setCurrentIndex(dialog.report.findData("handover"))
    dialog.then.setChecked(True)
    with umask(0o022):
        dialog.build_button.click()
        assert tasks.manager().wait_idle(60_000)
    text = dialog.status.text()
    assert "Wrote handover-" in text and "Warning: " in text and str(shared) in text, text
    assert dialog.height() >= dialog.layout().totalHeightForWidth(dialog.width())   # shown whole
    if SHOTS:
        dialog.grab().save(f"{SHOTS}/reports_folder_warning.png")
    assert set(modes(shared).values()) == {0o600}
