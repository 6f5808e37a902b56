"""A pillar's level is rolled up from its providers' calculated scores (docs/opel-tables.md, "Declared
levels and the roll-up"); a provider that declared a higher level is named on the pillar's tile, so the
room never reads a pillar below what a provider declared without being told.

r1's night walk (session 31): NNJ, the only NHS 111 provider, "Declared 4, calculated 3"; the pillar
tile read "OPEL 3 ... set by DHU Health Care C.I.C" and nothing more, on the Overview and the wall.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QApplication

from models.service import system_picture as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import Feed
from tests.ui.system_world import NOW
from ui import system_texts as texts
from ui import tasks
from ui.main_window import MainWindow

NHS111 = {"nhs111_calls_abandoned_pct": 10.9, "nhs111_average_speed_to_answer_seconds": 220.0,
          "nhs111_clinical_callback_in_time_pct": 65.6}     # 3 + 3 + 2 = 8 points: OPEL 3 calculated
SAID = "calculated level; NNJ declared 4"
PNG = os.environ.get("SCC_TEST_PNG")   # a folder: the tiles are saved there to look at


def _rollup(feed: Feed, scope: str, pillar: str, level: int, total: float) -> Feed:
    return feed.add("opel_assessment", {
        "scope": scope, "org_code": None, "pillar": pillar, "assessed_at": NOW.isoformat(), "edition": "2024-26",
        "verified": False, "level": level, "at_least_level": None, "total": total, "complete": True,
        "parameters": [], "method": "worst"})


@pytest.fixture
def night(store):
    f = Feed().org("NNJ", "DHU Health Care C.I.C", sector="nhs111").org("RXM", "Derbyshire Healthcare NHS FT",
                                                                        sector="mental_health")
    f.apply(store)
    g = Feed(first_seq=100)
    g.assessment("NNJ", "nhs111", NOW, NHS111, declared=4,
                 reason="escalating early for expected demand")
    g.assessment("RXM", "mental_health", NOW, {"mh_adult_acute_bed_occupancy_pct": 95.1}, declared=1,
                 reason="declared lower than calculated")
    _rollup(g, "pillar", "nhs111", 3, 8)
    _rollup(g, "pillar", "mental_health", 2, 7)
    _rollup(g, "system", "system", 2, 44.3).apply(store)
    return store


def test_the_wall_tile_says_its_level_is_calculated_and_names_who_declared_higher(night):
    page = door.system_picture(night, NOW)
    tile = {p.key: p for p in page.pillars}["nhs111"]
    assert tile.level == 3 and tile.declared_above == (("NNJ", 4),)
    text = texts.tiles(page)["nhs111"]
    assert text.figure == "OPEL 3" and SAID in text.lines, text.lines
    assert SAID in text.accessible
    # A provider declared below its calculated level: its pillar reads the higher, calculated level; nothing to say.
    assert not any("declared" in line for line in texts.tiles(page)["mental_health"].lines)


def test_the_overview_badge_says_it_even_when_its_detail_is_folded(qtbot, night):
    window = MainWindow(night, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.show_view("overview")
    assert tasks.manager().wait_idle()
    for _ in range(3):
        QApplication.processEvents()
    view = window.views["overview"]
    badge = view.pillar_badges["nhs111"]
    assert "calculated score 8 · set by DHU" in badge.text() and "<b>NNJ declared 4</b>" in badge.text(), badge.text()
    assert SAID in badge.accessibleName()
    assert "declared" not in view.pillar_badges["mental_health"].text()
    badge.fold(True)   # a page too short for the detail: the declaration stays on the badge
    assert "NNJ declared 4" in badge.text() and "calculated score" in badge.toolTip() + badge.detail
    badge.fold(False)
    if PNG:
        window.grab().save(os.path.join(PNG, "overview-declared-above.png"))
        window.show_view("system")
        assert tasks.manager().wait_idle()
        for _ in range(3):
            QApplication.processEvents()
        window.grab().save(os.path.join(PNG, "system-declared-above.png"))


def test_only_a_declaration_above_what_the_roll_up_counted_is_said():
    from models.rules.declared_above import declared_above, words
    # RWD declared 3 as calculated, under an acute mean at 2: the mean counted its 3, nothing to add.
    assert declared_above(2, None, [("RWD", 3, 3), ("RX1", None, 2)]) == ()
    # Above its calculation and the pillar; an incomplete pillar is judged at its floor, a provider at its own.
    assert declared_above(None, 2, [("NNJ", 4, 3), ("RAA", 3, None), ("RBB", 2, 1)]) == (("NNJ", 4), ("RAA", 3))
    found = declared_above(3, None, [("RZ3", 4, 2), ("RZ1", 4, 3), ("RZ2", 4, None)])
    assert words(found) == "calculated level; RZ1 declared 4, RZ2 declared 4 +1 more" and words(()) == ""
    assert words(found, shown=1) == "calculated level; RZ1 declared 4 +2 more"   # the wall's tile
