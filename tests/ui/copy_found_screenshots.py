"""Render what a desktop that found it was a copy shows the room lead: the alert banner over the overview and
the alert centre with the notice selected, dark, at 1366×768 (and the centre at 1920×1080):

    QT_QPA_PLATFORM=offscreen python -m tests.ui.copy_found_screenshots /tmp/shots

Forty providers and the morning's alerts of ``tests.ui.alert_seed`` in a throwaway replica, which then takes a
new identity as ``sync.shared_identity`` does when the feed shows it a copy (3 decisions recorded again)."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from models.records import identity_notice
from models.replica import identity
from models.replica.store import Store
from scc_desktop import gui
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.ui.alert_seed import seed_room
from tests.ui.feeds import NOW


def found_a_copy(store, at) -> tuple[str, str]:
    """The replica takes a new identity as a copy found does, with 3 decisions recorded again."""
    with store.writing() as s:
        conn = s.connection()
        raw = conn.connection.driver_connection
        had, new = identity.renew_in(lambda sql, params=(): list(raw.execute(sql, params)), at,
                                     "another replica recorded decision … under this identity")
        identity_notice.tell(conn, had, new, 3, at)
    return had, new


def main(out: Path) -> None:
    from ui import tasks
    from ui.main_window import MainWindow

    gui.application()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.create(Path(folder) / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        try:
            seed_room(store)
            _had, new = found_a_copy(store, NOW - timedelta(minutes=4))
            for view, size, name in (("overview", (1366, 768), "copy-found-banner-dark-1366x768.png"),
                                     ("alerts", (1366, 768), "copy-found-centre-dark-1366x768.png"),
                                     ("alerts", (1920, 1080), "copy-found-centre-dark-1920x1080.png")):
                window = MainWindow(store, clock=lambda: NOW)
                try:
                    path = gui.render(window, out / name, view, theme="dark", size=size)
                    if view == "alerts":
                        window.views["alerts"].select_alert(identity_notice.alert_uuid(new))
                        tasks.manager().wait_idle()
                        gui.application().processEvents()
                        window.grab().save(str(path))
                    print("wrote", path)
                finally:
                    window.close()
                    window.deleteLater()
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/copy-found"))
