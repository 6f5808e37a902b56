"""Opening the replica at the window's start without freezing it.

A new version installed over an old one upgrades the replica when it is first opened: on a year of data
that takes 39 s on a quiet machine and over 2 minutes on a busy one (migration 0015, docs/forecasting.md).
It ran on the UI thread: the unlock dialog froze ("Not responding") and, with the key in the OS keyring,
nothing at all was on screen, so a room would close or kill it (nothing is lost, but the next start begins
the upgrade again).  Here the opening runs on a worker thread while Qt's event loop turns, and while an
upgrade runs a window says what is happening and not to close SCC Desktop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

NOTICE = ("Upgrading the replica for this version of SCC Desktop (schema {old} to {new}).\n"
          "On a year of data this takes a few minutes. Please do not close SCC Desktop or turn the computer "
          "off: if it stops, nothing is lost, but the next start begins the upgrade again.")


def open_turning(open_store: Callable, *, parent=None):
    """``open_store(on_upgrade=...)`` on a worker thread, Qt's events handled meanwhile; its result,
    or what it raised, as if called here."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    upgrading: list[tuple[str | None, str]] = []
    done: dict = {}

    def work() -> None:
        try:
            done["store"] = open_store(on_upgrade=lambda old, new: upgrading.append((old, new)))
        except BaseException as exc:   # handed to the caller's thread
            done["error"] = exc

    worker = threading.Thread(target=work, name="open-replica", daemon=True)
    worker.start()
    notice = None
    try:
        while worker.is_alive():
            if upgrading and notice is None:
                log.info("upgrading the replica's schema from %s to %s", *upgrading[0])
                notice = _notice(parent, *upgrading[0]) if app is not None else False   # no Qt: no window
            if app is not None:
                app.processEvents()
            worker.join(0.02)
    finally:
        if notice:
            notice.close()
            notice.deleteLater()
    if "error" in done:
        raise done["error"]
    return done["store"]


def _notice(parent, old: str | None, new: str):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QProgressDialog

    notice = QProgressDialog(NOTICE.format(old=old or "none", new=new), "", 0, 0, parent)
    notice.setWindowTitle("SCC Desktop: upgrading the replica")
    notice.setCancelButton(None)   # an upgrade cannot be stopped part-way; it rolls back if the app is killed
    notice.setWindowModality(Qt.WindowModality.ApplicationModal)
    notice.setMinimumDuration(0)
    notice.setMinimumWidth(520)
    notice.show()
    return notice

