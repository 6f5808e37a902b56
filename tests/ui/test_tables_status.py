"""Each desktop's status bar says when the hub scores with other OPEL tables than the desktop holds, as
learned at sync from the hub's ``/health`` (``Health.opel_tables``; docs/opel-tables.md "Where it goes in a
room"). Real hub processes on loopback started with their own tables (``hub serve --tables``), one answering
``/health`` as a hub older than this desktop does, a real encrypted replica, the window's own sync loop and
the real status bar offscreen. Until session 26 only a score's own edition was compared with the desktop's
(hazard H-02.C2): a room that put new tables on the hub and not on a desktop was told nothing until a score
made under them arrived, and not at all for a verified flag changed under the same edition name."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from models.replica.orm.types import utcnow
from scc_desktop.gui import start_syncing
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import REPO, start_hub
from tests.support.replica import fresh_replica
from ui import tasks
from ui.main_window import MainWindow

pytestmark = pytest.mark.timeout(180)
SHIPPED = REPO / "resources" / "opel"

# A hub of protocol 1.8 before session 26: its /health says nothing of its tables.
OLD_HUB = """
from typing import Literal
import sync.protocol as p
class Health(p._Msg):
    status: Literal["ok", "degraded"]
    protocol: str = p.PROTOCOL_VERSION
    head: int
    database: str
    hub_id: str | None = None
    reason: str | None = None
    escalation: p.HealthEscalation | None = None
p.Health = Health
"""


def tables_dir(folder: Path, edits: dict[str, tuple[str, str]]) -> Path:
    """The bundled tables, copied, with ``edits`` (file name -> (old text, new text)) made."""
    folder.mkdir()
    for table in SHIPPED.glob("*.toml"):
        text = table.read_text()
        if table.name in edits:
            old, new = edits[table.name]
            assert old in text, (table, old)
            text = text.replace(old, new)
        (folder / table.name).write_text(text)
    return folder


class Desk:
    """A main window over a new replica, syncing with ``hub`` as the app does."""

    def __init__(self, qtbot, tmp_path, hub) -> None:
        self.store = fresh_replica(tmp_path / "desk" / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        self.window = MainWindow(self.store, clock=utcnow)
        qtbot.addWidget(self.window)
        self.window.resize(1366, 768)
        self.window.show()
        qtbot.waitExposed(self.window)
        self.syncing = start_syncing(self.window, lambda: SyncEngine(
            self.store, HubClient(hub.url, hub.tokens["room_lead"])), poll_interval=0.2, long_poll=1.0)

    def answered(self, qtbot):
        qtbot.waitUntil(lambda: self.window.hub_tables is not None, timeout=60_000)
        return self.window.hub_tables

    def close(self) -> None:
        self.window.stop_background()
        tasks.manager().wait_idle()
        self.window.close()
        self.store.close()


def _run(qtbot, tmp_path, hub, check) -> None:
    desk = None
    try:
        desk = Desk(qtbot, tmp_path, hub)
        check(desk, desk.answered(qtbot))
    finally:
        if desk:
            desk.close()
        hub.stop()


def test_a_desktop_says_in_its_status_bar_that_the_hubs_acute_table_is_another_edition(qtbot, tmp_path):
    folder = tables_dir(tmp_path / "tables", {"acute.toml": ('edition = "2024-26"', 'edition = "2025-27"')})
    hub = start_hub(tmp_path, args=("--tables", str(folder)))
    # The hub says the tables it loaded at its start, not what lies in the folder since.
    (folder / "community.toml").write_text((folder / "community.toml").read_text().replace(
        'edition = "2024-26"', 'edition = "2099-01"'))
    said = {t["scope"]: t for t in requests.get(f"{hub.url}/health", timeout=5).json()["opel_tables"]}
    assert said["acute"] == {"scope": "acute", "edition": "2025-27", "verified": False}
    assert said["community"]["edition"] == "2024-26" and said["system"]["edition"] == "2024-26"
    assert set(said) == {"acute", "community", "mental_health", "nhs111", "system"}

    def check(desk, tables):
        label = desk.window.tables_label
        qtbot.waitUntil(label.isVisible, timeout=10_000)
        assert label.text() == "OPEL tables differ from the hub's: acute 2024-26 here, 2025-27 at the hub"
        assert "background:#f2b705" in label.styleSheet()
        tip = label.toolTip()
        assert "acute: here 2024-26 (UNVERIFIED TABLE), at the hub 2025-27 (UNVERIFIED TABLE)" in tip
        assert "community" not in tip and "hub serve --tables" in tip
        assert [d.scope for d in tables.differences] == ["acute"]
        assert label.accessibleName().startswith("OPEL tables: OPEL tables differ")
    _run(qtbot, tmp_path, hub, check)


def test_a_hub_whose_tables_are_verified_under_the_same_editions_is_said_to_differ(qtbot, tmp_path):
    edits = {p.name: ("\nverified = false", "\nverified = true") for p in SHIPPED.glob("*.toml")}
    hub = start_hub(tmp_path, args=("--tables", str(tables_dir(tmp_path / "tables", edits))))

    def check(desk, tables):
        label = desk.window.tables_label
        qtbot.waitUntil(label.isVisible, timeout=10_000)
        assert label.text() == "OPEL tables differ from the hub's: every table 2024-26 unverified here, verified at the hub"
        assert "roll-up: here 2024-26 (UNVERIFIED TABLE), at the hub 2024-26 (verified)" in label.toolTip()
    _run(qtbot, tmp_path, hub, check)


def test_a_hub_with_this_desktops_tables_shows_nothing(qtbot, tmp_path):
    hub = start_hub(tmp_path, args=("--tables", str(tables_dir(tmp_path / "tables", {}))))

    def check(desk, tables):
        assert tables.told and tables.differences == () and not tables.differ
        assert [e.scope for e in tables.hub][-1] == "system" and len(tables.hub) == 5
        assert not desk.window.tables_label.isVisible() and desk.window.tables_label.text() == ""
    _run(qtbot, tmp_path, hub, check)


def test_a_hub_older_than_the_desktop_claims_nothing_about_its_tables(qtbot, tmp_path):
    folder = tables_dir(tmp_path / "tables", {"acute.toml": ('edition = "2024-26"', 'edition = "2025-27"')})
    hub = start_hub(tmp_path, preamble=OLD_HUB, args=("--tables", str(folder)))
    assert "opel_tables" not in requests.get(f"{hub.url}/health", timeout=5).json()   # as an old hub answers

    def check(desk, tables):
        assert tables.told is False and not tables.differ and tables.hub == ()
        assert not desk.window.tables_label.isVisible() and desk.window.tables_label.toolTip() == ""
    _run(qtbot, tmp_path, hub, check)
