"""Render the offload and ambulance views for the documentation, on the demo's simulated system:

    QT_QPA_PLATFORM=offscreen python -m tests.ui.offload_screenshots docs/screenshots [KEEP_FOLDER [NAME ...]]

Live (the window's clock at the newest data) and with the feed down for three hours (the clock three
hours on, nothing new received), light, dark and high contrast at the room's smallest screen, and twice
and two and a half times the text size on a 1920x1080 wall screen. The demo's hub and history are made
in a throwaway folder (or KEEP_FOLDER, reused next time) and synced into a throwaway replica; NAMEs
render only those files."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from models.replica.orm import HandoverEvent
from models.replica.store import Store
from scc_desktop import gui
from scc_desktop.demo import DemoSystem
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE

DOWN = timedelta(hours=3)
SMALL, WALL = (1366, 768), (1920, 1080)
# (view, theme, text scale, feed down?, window size, file)
SHOTS = (("offload", "light", 1.0, False, SMALL, "offload-live.png"),
         ("offload", "light", 1.0, True, SMALL, "offload-feed-down-3h.png"),
         ("offload", "dark", 1.0, True, SMALL, "offload-feed-down-3h-dark.png"),
         ("offload", "high_contrast", 1.0, False, SMALL, "offload-high-contrast.png"),
         ("offload", "light", 2.0, False, WALL, "offload-text-200.png"),
         ("offload", "light", 2.0, True, WALL, "offload-feed-down-3h-text-200.png"),
         ("offload", "light", 2.0, False, SMALL, "offload-text-200-1366x768.png"),
         ("offload", "light", 2.5, False, WALL, "offload-text-250.png"),
         ("ambulance", "light", 1.0, False, SMALL, "ambulance-live.png"),
         ("ambulance", "light", 1.0, True, SMALL, "ambulance-feed-down-3h.png"),
         ("ambulance", "dark", 1.0, False, SMALL, "ambulance-dark.png"),
         ("ambulance", "dark", 1.0, True, SMALL, "ambulance-feed-down-3h-dark.png"),
         ("ambulance", "high_contrast", 1.0, True, SMALL, "ambulance-feed-down-3h-high-contrast.png"),
         ("ambulance", "light", 2.0, False, WALL, "ambulance-text-200.png"),
         ("ambulance", "light", 2.5, False, WALL, "ambulance-text-250.png"))


def _fill(folder: Path) -> Store:
    demo = DemoSystem(folder / "demo", history=timedelta(hours=14))
    try:
        url = demo.start(live=False)
        store = Store.create(folder / "replica.db", PASSPHRASE, kdf=FAST_KDF)
        engine = SyncEngine(store, HubClient(url, demo.tokens["room_lead"]))
        for _ in range(200):
            if engine.run_once().applied == 0:
                break
        return store
    finally:
        demo.stop()
        if demo.hub is not None:
            demo.hub.stop()


def _shoot(store, out: Path, view: str, theme: str, scale: float, down: bool, size: tuple[int, int], name: str,
           newest) -> None:
    from ui.main_window import MainWindow

    now = newest + (DOWN if down else timedelta(minutes=2))
    window = MainWindow(store, clock=lambda: now)
    try:
        window.text_scale = scale
        print("wrote", gui.render(window, out / name, view, theme=theme, size=size))
    finally:
        window.close()
        window.deleteLater()


def main(out: Path, keep: Path | None = None, names: tuple[str, ...] = ()) -> None:
    """``keep``: a folder to keep the filled replica in and reuse (renders again without the sync);
    ``names``: render only these files."""
    gui.application()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        store = (Store.unlock(folder / "replica.db", PASSPHRASE) if (folder / "replica.db").exists()
                 else _fill(folder))
        with store:
            with store.session() as s:
                newest = s.scalar(select(func.max(HandoverEvent.updated_at)))
            for shot in SHOTS:
                if not names or shot[-1] in names:
                    _shoot(store, out, *shot, newest)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"),
         Path(sys.argv[2]) if len(sys.argv) > 2 else None, tuple(sys.argv[3:]))
