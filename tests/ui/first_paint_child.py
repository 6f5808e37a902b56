"""Child process for test_first_paint: open a replica with its key, start the window, and
report which libraries were loaded at the first paint of a provider tile and after the warm-up.

Run as ``python -m tests.ui.first_paint_child REPLICA KEYHEX``; prints one JSON line.
"""

from __future__ import annotations

import json
import sys

WATCHED = ("sqlalchemy", "models.replica.orm", "alembic", "pyqtgraph", "numpy", "pydantic", "requests",
           "cryptography")


def main(path: str, key_hex: str) -> int:
    from models.replica.store import Store
    from scc_desktop import gui
    from ui.main_window import MainWindow
    from ui.overview import ProviderTile

    report: dict = {}
    app = gui.application()
    original_paint = ProviderTile.paintEvent

    def paint(self, event):
        original_paint(self, event)
        if "at_paint" not in report:
            report["at_paint"] = sorted(m for m in WATCHED if m in sys.modules)
            window = self.window()
            report["tiles"] = len(window.overview.tiles)
            report["actions_tab_at_paint"] = window.tabs.tabText(window.tab_index("actions"))

    original_housekept = MainWindow._housekept

    def on_housekept(window: MainWindow, result) -> None:   # the background pass's slot, GUI thread
        original_housekept(window, result)
        report["housekeeping"] = repr(result)
        report["after_warm"] = sorted(m for m in WATCHED if m in sys.modules)
        report["actions_tab_after_warm"] = window.tabs.tabText(window.tab_index("actions"))
        window.close()
        app.quit()

    ProviderTile.paintEvent = paint
    MainWindow._housekept = on_housekept
    with Store.open_with_key(path, bytes.fromhex(key_hex)) as store:
        gui.run(store)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
