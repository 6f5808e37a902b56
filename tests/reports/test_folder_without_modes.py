"""A papers or business-continuity folder on a filesystem that does not keep Unix modes (FAT, an SMB share
mounted with fixed modes): everything in it reads 0755 whatever the app makes it, so the advice "chmod o-rwx"
cannot be followed.  The warning says so and points to the share's access control list, and the hourly pack
logs it once while the folder stays so, not every hour.

Such a filesystem cannot be mounted here (no FAT in this kernel, no FUSE library), so ``fixed_modes`` plays
the mount for one folder only: ``os.mkdir`` and ``os.open`` under it leave what they make at the mount's
modes (a real ``chmod`` after the real call) and ``os.chmod`` under it does nothing, as on such a mount.
The app's own code runs unchanged and reads the modes back with the real ``os.stat``/``os.fstat``.
Real files from the seeded 40-provider replica; real Qt widgets offscreen."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from models import owner_only
from models.service import bc_pack_folder
from tests.reports.world import NOW
from ui import tasks
from ui.bc_pack_writer import BcPackWriter
from ui.main_window import MainWindow

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; on Windows the folder's ACL decides")

MOUNT_MODE = 0o755   # a FAT or CIFS mount's fixed dir_mode/file_mode
SHOTS = os.environ.get("SCC_SHOTS")


@pytest.fixture
def fixed_modes(monkeypatch, tmp_path):
    """A folder that behaves as a mount with fixed modes: what is made in it reads ``MOUNT_MODE``."""
    root = tmp_path / "share"
    root.mkdir()
    os.chmod(root, MOUNT_MODE)
    real_mkdir, real_open, real_chmod = os.mkdir, os.open, os.chmod

    def under(path) -> bool:
        return isinstance(path, (str, os.PathLike)) and Path(os.fspath(path)).is_relative_to(root)

    def mkdir(path, mode=0o777, *args, **kwargs):
        real_mkdir(path, mode, *args, **kwargs)
        if under(path):
            real_chmod(path, MOUNT_MODE)

    def open_(path, flags, mode=0o777, *args, **kwargs):
        fd = real_open(path, flags, mode, *args, **kwargs)
        if under(path) and flags & os.O_CREAT:
            os.fchmod(fd, MOUNT_MODE)
        return fd

    def chmod(path, mode, *args, **kwargs):
        if not under(path):   # on the mount a chmod succeeds and changes nothing
            real_chmod(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "chmod", chmod)
    return root


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_mount_plays_its_part(fixed_modes):
    made = fixed_modes / "made"
    made.mkdir(mode=0o700)
    os.chmod(made, 0o700)
    fd = os.open(made / "f", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    assert mode(made) == MOUNT_MODE and mode(made / "f") == MOUNT_MODE


def test_a_folder_on_it_is_warned_of_with_advice_that_can_be_followed(fixed_modes, tmp_path):
    existing = fixed_modes / "papers"
    existing.mkdir()
    made = fixed_modes / "room" / "bc-pack"   # two folders the app makes 0700 that read 0755
    for warning, where in ((owner_only.folder(existing), existing), (owner_only.folder(made), made)):
        assert warning is not None, where
        assert f"every user of this computer can read the folder {where} (mode 0755) and the files in it" in warning
        assert "does not keep the Unix modes" in warning and "chmod o-rwx" not in warning
        assert "access control list" in warning and "docs/deployment.md" in warning
    assert "(folders 0700, files 0600)" in owner_only.folder(existing) == owner_only.folder(existing)
    assert sorted(p.name for p in existing.iterdir()) == []   # the probe file went
    # A folder on a filesystem that keeps modes, open to all by the room's choice: chmod is the advice.
    ordinary = tmp_path / "ordinary"
    ordinary.mkdir()
    os.chmod(ordinary, 0o755)
    warning = owner_only.folder(ordinary)
    assert "chmod o-rwx" in warning and "does not keep" not in warning
    assert list(ordinary.iterdir()) == []
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    assert owner_only.folder(closed) is None and owner_only.folder(tmp_path / "new" / "one") is None


def test_the_pack_on_it_names_the_filesystem(world, fixed_modes):
    _path, store = world
    refreshed = bc_pack_folder.refresh(store, fixed_modes / "bc", NOW)
    (warning,) = refreshed.written.warnings
    assert "does not keep the Unix modes" in warning and str(fixed_modes / "bc") in warning
    assert set(mode(p) for p in (fixed_modes / "bc").iterdir()) == {MOUNT_MODE}   # what the warning says


def _ticks(qtbot, writer, n):
    for _ in range(n):
        done = []
        writer.refreshed.connect(done.append)
        writer.tick()
        qtbot.waitUntil(lambda: done or writer.problem, timeout=60_000)
        assert tasks.manager().wait_idle(60_000)
        writer.refreshed.disconnect()
        assert writer.problem is None


def logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "ui.bc_pack_writer" and r.levelno == logging.WARNING]


def test_the_hourly_pack_logs_the_folder_once_while_it_stays_so(qtbot, world, fixed_modes, tmp_path, caplog):
    """Three hourly packs into a folder on the mount: one log line, the label on all three; on an ordinary
    folder the room opens, closes and opens again: one line each time it opens."""
    _path, store = world
    caplog.set_level(logging.WARNING, logger="ui.bc_pack_writer")
    window = MainWindow(store, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    hours = iter(range(100))
    clock = lambda: NOW + timedelta(hours=next(hours))   # noqa: E731
    writer = BcPackWriter(window, store, clock, fixed_modes / "bc", status_bar=window.statusBar())
    _ticks(qtbot, writer, 1)
    assert writer.label.isVisible() and writer.label.text() == "BC pack folder open to all users"
    assert "does not keep the Unix modes" in writer.label.toolTip()
    assert "Warning: every user of this computer" in window.statusBar().currentMessage()
    if SHOTS:   # the first hour: the amber label and the whole sentence in the status bar
        os.makedirs(SHOTS, exist_ok=True)
        window.grab().save(f"{SHOTS}/bc_pack_folder_without_modes.png")
        window.set_theme("dark")
        window.grab().save(f"{SHOTS}/bc_pack_folder_without_modes_dark.png")
    _ticks(qtbot, writer, 2)
    (line,) = logged(caplog)
    assert line.startswith("business continuity pack: every user") and "does not keep the Unix modes" in line
    assert writer.label.isVisible() and "does not keep the Unix modes" in writer.label.toolTip()   # the label stays
    assert "Warning" not in window.statusBar().currentMessage()   # the label says it; not a minute every hour

    caplog.clear()
    ordinary = tmp_path / "ordinary"
    ordinary.mkdir()
    os.chmod(ordinary, 0o755)
    writer = BcPackWriter(window, store, clock, ordinary, status_bar=window.statusBar())
    _ticks(qtbot, writer, 2)
    assert len(logged(caplog)) == 1 and "chmod o-rwx" in logged(caplog)[0]
    os.chmod(ordinary, 0o750)
    _ticks(qtbot, writer, 1)
    assert not writer.label.isVisible() and len(logged(caplog)) == 1
    os.chmod(ordinary, 0o755)
    _ticks(qtbot, writer, 2)
    assert len(logged(caplog)) == 2 and writer.label.isVisible()
