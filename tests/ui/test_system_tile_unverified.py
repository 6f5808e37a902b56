"""The wall screen's system tile says "method unverified" while the system roll-up was made from an
unverified roll-up file (H-02), and says nothing of it once the roll-up is verified. The bundled
``resources/opel/system.toml`` says ``verified = false``; a hub given verified copies of the tables
(``hub serve --tables``, ``tests/web/test_m_unverified.py``) sends its system roll-up with
``verified: true``. The 40-provider system in a real replica, the real MainWindow offscreen at
1920x1080 (the wall) in the dark theme; each picture is rendered to PNG. End to end too: a real hub on
loopback with either tables rolls up one trust and a desktop syncs."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from models.rules.opel_rollup import load_system
from tests.ui.feeds import Feed
from tests.ui.system_world import NOW, seed_world
from tests.ui.test_system_view import _shown
from ui import tasks

pytestmark = pytest.mark.timeout(180)
BUNDLED = Path(__file__).resolve().parents[2] / "resources" / "opel" / "system.toml"


def _system_rollup(store, verified: bool) -> None:
    """The system roll-up as a hub sends it: OPEL 3, newer than the seed's, its file's edition and whether it
    was verified."""
    Feed(first_seq=10_000_000).add("opel_assessment", {
        "scope": "system", "org_code": None, "pillar": "system",
        "assessed_at": (NOW - timedelta(minutes=2)).isoformat(), "edition": load_system().header.edition,
        "verified": verified, "level": 3, "at_least_level": None, "complete": True,
        "parameters": []}).apply(store)


def test_the_bundled_roll_up_file_is_unverified():
    assert tomllib.loads(BUNDLED.read_text())["table"]["verified"] is False
    assert load_system().header.verified is False


@pytest.mark.parametrize("verified", [False, True], ids=["unverified", "verified"])
def test_the_wall_system_tile_says_method_unverified_only_while_the_roll_up_is(qtbot, store, tmp_path,
                                                                                verified):
    seed_world(store)
    _system_rollup(store, verified)
    window, view = _shown(qtbot, store, (1920, 1080), theme_key="dark")
    tile = view.tiles["system"]
    window.grab().save(str(tmp_path / f"wall-system-{'verified' if verified else 'unverified'}.png"))
    assert tile.text.figure == "OPEL 3" and not tile.text.stale, tile.text
    first = tile.text.lines[0]
    if verified:
        assert "unverified" not in first and "unverified" not in tile.accessibleName(), first
        assert first == "major pressure", first
    else:
        assert first == "major pressure · method unverified", first
        assert "method unverified" in tile.accessibleName()
    assert tile.isVisible() and tile.fits(), "the tile cut the mark short"


@pytest.mark.parametrize("verified", [False, True], ids=["bundled-tables", "verified-tables"])
def test_through_a_real_hub_the_tile_follows_the_hubs_roll_up_file(qtbot, tmp_path, make_desktop, verified):
    """End to end: a hub on loopback started with the bundled tables, or with verified copies of them
    (``hub serve --tables``), rolls up one acute trust's figures; a desktop syncs; its wall tile says
    "method unverified" only for the bundled roll-up file."""
    from models.replica.orm.types import utcnow
    from tests.support.hub import start_hub
    from tests.support.main_window import showing
    from tests.web.test_m_unverified import ACUTE, _observations, _verified_tables
    from tests.web.world import submit

    hub = start_hub(tmp_path / "hub", args=("--tables", str(_verified_tables(tmp_path / "tables")))
                    if verified else ())
    try:
        submit(hub, "RTEST1", _observations(ACUTE))
        desk = make_desktop(hub, "desk")
        assert desk.run_once().error is None
        now = utcnow()
        window, view = showing(qtbot, desk.store, "system", (1920, 1080), now=now, theme_key="dark", settle=0)
        view.refresh()
        assert tasks.manager().wait_idle()
        view.repaint()
        tile = view.tiles["system"]
        tile.repaint()
        window.grab().save(str(tmp_path / f"wall-system-hub-{'verified' if verified else 'bundled'}.png"))
        assert tile.text.figure.startswith("OPEL") and tile.text.figure != "OPEL —", tile.text
        assert ("method unverified" in tile.text.lines[0]) is not verified, tile.text.lines
        assert tile.fits()
    finally:
        hub.stop()
