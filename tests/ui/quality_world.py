"""A room's data-quality picture for real: a hub on loopback, the 40-provider simulated ICS sending four
hours with every kind of fault planted (``sync.simulator.plant``), synced to a real encrypted replica.

Shared by the view's tests and by ``python -m tests.ui.quality_world FOLDER`` which renders the view's
screenshots (light and dark) from the same world.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from models.replica.store import Store
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.simulator.generator import merge
from sync.simulator.plant import PLANT_KINDS, Planted, plant
from sync.simulator.sender import Sender
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.quality.sim_ics import by_kind, simulator
from tests.support.hub import HubProcess, start_hub
from tests.support.replica import fresh_replica

WINDOW = timedelta(hours=4)


@dataclass
class World:
    hub: HubProcess
    store: Store
    engine: SyncEngine
    sender: Sender
    planted: list[Planted]
    names: dict[str, str]   # ODS code -> the provider's name, as the hub has it
    now: datetime

    def sync(self) -> None:
        result = self.engine.run_once()
        assert result.error is None, result.error

    def correct(self) -> None:
        """Send every planted fault's correction (the provider fixing its data)."""
        for p in self.planted:
            result = self.sender.send(p.correction.payload)
            assert result.http_status == 200, result


@contextlib.contextmanager
def planted_world(folder: Path):
    sim = simulator()
    hub = start_hub(folder, orgs=sim.organisations())
    store = fresh_replica(folder / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    sender = Sender(hub.url, hub.tokens["admin"], timeout=(3.05, 30), retries=2)
    try:
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        window, planted = plant(sim.submissions(now - WINDOW, now), PLANT_KINDS, now, by_kind(sim))
        for sub in merge(window, 240):
            # Stamped by a right clock when sent, as live providers send (a replay keeps its old stamps).
            result = sender.send({**sub.payload, "submitted_at": datetime.now(timezone.utc).isoformat()})
            assert result.http_status == 200, result
        for p in planted:
            if p.fault is not None:
                assert sender.send(p.fault.payload).http_status in (200, 422)
        engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
        names = {o["ods_code"]: o["name"] for o in sim.organisations()}
        world = World(hub, store, engine, sender, planted, names, now)
        world.sync()
        yield world
    finally:
        sender.close()
        store.close()
        hub.stop()


def _screenshots(out: Path) -> None:
    """The view at 1366x768, light and dark, over the planted world (the checks run by the window's
    housekeeping pass, as in the app), one finding selected so its detail shows."""
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from scc_desktop import gui
    from ui import tasks
    from ui.main_window import MainWindow

    gui.application()
    with tempfile.TemporaryDirectory() as tmp, planted_world(Path(tmp)) as world:
        for theme_key, name in (("light", "quality.png"), ("dark", "quality-dark.png")):
            window = MainWindow(world.store, clock=lambda: datetime.now(timezone.utc))
            gui.render(window, out / name, "quality", theme=theme_key)
            view = window.views["quality"]
            row = next(r for r in range(view.table.rowCount())
                       if "Quarantined" in view.table.item(r, 2).text())
            view.table.selectRow(row)
            tasks.manager().wait_idle()
            gui.application().processEvents()
            window.grab().save(str(out / name))
            print(f"wrote {out / name}")
            window.close()
        tasks.manager().wait_idle()


if __name__ == "__main__":
    import sys

    _screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
