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

from tests.support.hub import REPO
from tests.ui.desk_hub import desk_hub  # noqa: F401

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


def _run(desk_hub, hub, check) -> None:
    desk = desk_hub.desk(hub)
    check(desk, desk.answered())


def test_a_desktop_says_in_its_status_bar_that_the_hubs_acute_table_is_another_edition(qtbot, tmp_path, desk_hub):
    folder = tables_dir(tmp_path / "tables", {"acute.toml": ('edition = "2024-26"', 'edition = "2025-27"')})
    hub = desk_hub.hub(args=("--tables", str(folder)))
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
    _run(desk_hub, hub, check)


def test_a_hub_whose_tables_are_verified_under_the_same_editions_is_said_to_differ(qtbot, tmp_path, desk_hub):
    edits = {p.name: ("\nverified = false", "\nverified = true") for p in SHIPPED.glob("*.toml")}
    hub = desk_hub.hub(args=("--tables", str(tables_dir(tmp_path / "tables", edits))))

    def check(desk, tables):
        label = desk.window.tables_label
        qtbot.waitUntil(label.isVisible, timeout=10_000)
        assert label.text() == "OPEL tables differ from the hub's: every table 2024-26 unverified here, verified at the hub"
        assert "roll-up: here 2024-26 (UNVERIFIED TABLE), at the hub 2024-26 (verified)" in label.toolTip()
    _run(desk_hub, hub, check)


def test_a_hub_with_this_desktops_tables_shows_nothing(tmp_path, desk_hub):
    hub = desk_hub.hub(args=("--tables", str(tables_dir(tmp_path / "tables", {}))))

    def check(desk, tables):
        assert tables.told and tables.differences == () and not tables.differ
        assert [e.scope for e in tables.hub][-1] == "system" and len(tables.hub) == 5
        assert not desk.window.tables_label.isVisible() and desk.window.tables_label.text() == ""
    _run(desk_hub, hub, check)


def test_a_hub_older_than_the_desktop_claims_nothing_about_its_tables(tmp_path, desk_hub):
    folder = tables_dir(tmp_path / "tables", {"acute.toml": ('edition = "2024-26"', 'edition = "2025-27"')})
    hub = desk_hub.hub(preamble=OLD_HUB, args=("--tables", str(folder)))
    assert "opel_tables" not in requests.get(f"{hub.url}/health", timeout=5).json()   # as an old hub answers

    def check(desk, tables):
        assert tables.told is False and not tables.differ and tables.hub == ()
        assert not desk.window.tables_label.isVisible() and desk.window.tables_label.toolTip() == ""
    _run(desk_hub, hub, check)
