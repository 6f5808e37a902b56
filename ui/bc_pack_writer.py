"""The business-continuity pack, refreshed every hour into a folder while the app runs, so a room
that loses all its IT has a printable pack at most an hour old (``docs/reports.md``).

The folder is ``$SCC_BC_PACK_DIR`` when set, else the ``bc_pack_dir`` setting (File > Settings);
neither: nothing is written, and the status bar says "BC pack not set up" (``ui.bc_pack_status``).
Each refresh is a read of the replica off the UI thread (``ui.tasks``), through the door
(``models.service.bc_pack_folder``): it needs no hub and no network.  A refresh that fails leaves the last good pack where it was and says so in the status
bar (a lasting "BC pack not refreshed" note until one succeeds) and in the log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from ui import bc_pack_status, tasks

log = logging.getLogger(__name__)
ENV = "SCC_BC_PACK_DIR"
HOUR_MS = 60 * 60 * 1000
FIRST_AFTER_MS = 5_000   # the first pack soon after start, not in the start's busiest seconds
KEEP = 48


def folder_for(settings, environ: Mapping[str, str] = os.environ) -> Path | None:
    """Where the pack goes: the environment's folder, else the setting's, else None (not written)."""
    chosen = (environ.get(ENV) or "").strip() or (getattr(settings, "bc_pack_dir", None) if settings else None)
    return Path(chosen).expanduser() if chosen else None


def _refresh(store, folder: Path, at: datetime, keep: int):
    from models.service import bc_pack_folder   # loaded on the read thread: it brings reportlab

    return bc_pack_folder.refresh(store, folder, at, keep)


class BcPackWriter(QObject):
    refreshed = Signal(object)   # models.service.bc_pack_folder.Refreshed
    failed = Signal(str)         # the sentence the status bar shows

    def __init__(self, parent: QObject, store, clock: Callable[[], datetime], folder: Path, *,
                 interval_ms: int = HOUR_MS, keep: int = KEEP, status_bar: QStatusBar | None = None) -> None:
        super().__init__(parent)
        self.store, self.clock, self.folder, self.keep = store, clock, Path(folder), keep
        self.status_bar = status_bar
        self.last = None            # the last Refreshed
        self.problem: str | None = None
        self._warned: tuple[str, ...] = ()   # the folder warnings last logged
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self._first = QTimer(self)
        self._first.setSingleShot(True)
        self._first.timeout.connect(self.tick)
        self._runs = tasks.LatestRead(self, self._done, self._failed)
        self.label = QLabel()
        self.label.setAccessibleName("Business continuity pack")
        self.label.hide()
        if status_bar is not None:
            status_bar.addPermanentWidget(self.label)

    @property
    def busy(self) -> bool:
        return self._runs.busy

    def start(self, first_after_ms: int = FIRST_AFTER_MS) -> "BcPackWriter":
        self.timer.start()
        self._first.start(first_after_ms)
        return self

    def stop(self) -> None:
        self.timer.stop()
        self._first.stop()

    def tick(self) -> None:
        """Refresh the pack now, off the UI thread (one at a time: a tick during a build waits for it)."""
        if getattr(self.store, "closed", False):
            self.stop()
            return
        store, folder, keep = self.store, self.folder, self.keep
        at = self.clock().replace(microsecond=0)
        self._runs(lambda: _refresh(store, folder, at, keep))

    def _done(self, refreshed) -> None:
        self.last, self.problem = refreshed, None
        self.label.hide()
        pdf = refreshed.written.pdf
        warnings = tuple(getattr(refreshed.written, "warnings", ()))   # a folder others may read (models.owner_only)
        # Logged once while the folder stays so, not every hour (a share that does not keep modes stays so
        # whatever the app does: 24 lines a day, found by a paper review, session 26); again when it changes.
        new = warnings != self._warned
        if new:
            for warning in warnings:
                log.warning("business continuity pack: %s", warning)
        self._warned = warnings
        if warnings:   # a lasting note while the folder stays so, the whole sentence in its tooltip
            self.label.setText("BC pack folder open to all users")
            self.label.setToolTip(f"Business continuity pack: {warnings[0]}.")
            self.label.setStyleSheet(bc_pack_status.NOT_SET_UP_CSS)   # white on dark amber, every theme
            self.label.show()
        if self.status_bar is not None:
            said = f"Business continuity pack refreshed: {pdf.name} in {pdf.parent}"
            self.status_bar.showMessage(f"{said}. Warning: {warnings[0]}" if new and warnings else said,
                                        60_000 if new and warnings else 10_000)   # the label keeps it after
        self.refreshed.emit(refreshed)

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, OSError):   # the folder, not the replica: say which and why
            why = f"cannot write into {self.folder}: {exc.strerror or exc}" + (
                f" ({exc.filename})" if exc.filename and str(exc.filename) != str(self.folder) else "")
        else:
            why = tasks.sentence(exc, write=False)
        kept = (f"the last pack ({self.last.written.pdf.name}) is kept" if self.last is not None
                else "any earlier pack in the folder is kept")
        self.problem = f"Business continuity pack not refreshed: {why}; {kept}."
        log.warning(self.problem)
        self.label.setText("BC pack not refreshed")
        self.label.setToolTip(self.problem)
        # White on the offline banner's red: as readable on the dark and high-contrast themes as on light.
        self.label.setStyleSheet("background:#b71c1c;color:#ffffff;font-weight:bold;padding:1px 6px;")
        self.label.show()
        if self.status_bar is not None:
            self.status_bar.showMessage(self.problem, 60_000)
        self.failed.emit(self.problem)


def follow_settings(window) -> BcPackWriter | None:
    """Start, move or stop the window's writer to match the settings and the environment now
    (at start, and after File > Settings is saved)."""
    folder = folder_for(window.settings)
    current: BcPackWriter | None = getattr(window, "bc_pack", None)
    if current is not None and folder is not None and current.folder == folder:
        return current
    if current is not None:
        current.stop()
        window.statusBar().removeWidget(current.label)
        current.deleteLater()
    window.bc_pack = None
    if folder is not None:
        window.bc_pack = BcPackWriter(window, window.store, window.clock, folder,
                                      status_bar=window.statusBar()).start()
        window.bc_pack.refreshed.connect(lambda _r: bc_pack_status.show(window))
        window.bc_pack.failed.connect(lambda _p: bc_pack_status.show(window))
    bc_pack_status.show(window)   # "BC pack not set up" with no folder; else when it was last written
    return window.bc_pack


def stop(window) -> None:
    current: BcPackWriter | None = getattr(window, "bc_pack", None)
    if current is not None:
        current.stop()
