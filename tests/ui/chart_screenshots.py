"""Render the provider and ambulance views with the feed down for three hours, light and dark, at
1366×768, for the documentation of the charts (holes, the carried-in start, targets, fixed ranges):

    QT_QPA_PLATFORM=offscreen python -m tests.ui.chart_screenshots docs/screenshots

The demo's simulated system fills a throwaway hub with 27 hours of history; one sync brings it into
a replica; the window's clock then stands three hours after the demo's last submission."""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

DOWN = timedelta(hours=3)
SHOTS = (("provider", "light"), ("provider", "dark"), ("ambulance", "light"), ("ambulance", "dark"))


def main(out: Path) -> None:
    from models.replica.store import Store
    from scc_desktop import gui
    from scc_desktop.demo import DEMO_PASSPHRASE, DemoSystem
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from ui.main_window import MainWindow

    gui.application()
    with tempfile.TemporaryDirectory() as tmp:
        demo = DemoSystem(Path(tmp) / "demo", history=timedelta(hours=27))
        try:
            demo.start(live=False)
            ended = datetime.fromisoformat(demo._state()["simulated_until"])
            store = Store.create(demo.replica_path, DEMO_PASSPHRASE)
            engine = SyncEngine(store, HubClient(demo.hub.url, demo.tokens["room_lead"]))
            while engine.run_once().batches:
                pass
        finally:
            demo.stop()
        with store:
            for view, theme in SHOTS:
                window = MainWindow(store, clock=lambda: ended + DOWN)
                try:
                    path = gui.render(window, out / f"charts-{view}-{theme}.png", view, theme=theme)
                    print("wrote", path)
                finally:
                    window.close()
                    window.deleteLater()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
