"""Render the system picture of a demo replica in every theme and at the wall screens' sizes:

    QT_QPA_PLATFORM=offscreen python -m tests.ui.system_screenshots DEMO_FOLDER docs/screenshots

Run ``scc-desktop demo --folder DEMO_FOLDER --screenshot x.png`` first (it fills the folder's replica
from the simulated system); ``--screenshot`` draws the light theme only, this draws the others as well.
``--hours-later N`` shows the same replica N hours on, as if the feed had been down that long;
``--sizes 1920x1080`` and ``--themes dark`` choose. Files are named as docs/system-picture.md links them:
``system-1920x1080.png`` (light), ``system-1920x1080-dark.png``, ``system-1920x1080-dark-feed-down-3h.png``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from models.replica.orm.types import utcnow
from models.replica.store import Store
from scc_desktop import gui
from scc_desktop.demo import DEMO_PASSPHRASE

SIZES = ((1366, 768), (1920, 1080), (3840, 2160))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("demo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--hours-later", type=float, default=0)
    parser.add_argument("--themes", nargs="+", default=["light", "dark", "high_contrast"])
    parser.add_argument("--sizes", nargs="+", default=[f"{w}x{h}" for w, h in SIZES])
    args = parser.parse_args(argv)
    sizes = [tuple(int(x) for x in size.split("x")) for size in args.sizes]
    gui.application()
    from ui.main_window import MainWindow

    now = utcnow() + timedelta(hours=args.hours_later)
    suffix = f"-feed-down-{args.hours_later:g}h" if args.hours_later else ""
    with Store.unlock(args.demo / "replica.db", DEMO_PASSPHRASE) as store:
        for theme in args.themes:
            for w, h in sizes:
                window = MainWindow(store, clock=lambda: now)
                name = f"system-{w}x{h}{'' if theme == 'light' else '-' + theme}{suffix}.png"
                try:
                    path = gui.render(window, args.out / name, "system",
                                      theme=theme, size=(w, h))
                    print("wrote", path)
                finally:
                    window.close()
                    window.deleteLater()


if __name__ == "__main__":
    main()
