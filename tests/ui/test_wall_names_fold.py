"""The wall's pillar tiles at 1366x768: a "set by" list too long for its line even at the smallest type gives
whole names to its count rather than cut one. In the planted world (``tests.ui.quality_world``) within a minute of
the hour the community figures score 5 and the Community tile read "set by community 3, communit… +2 more" (its
provider names run as the simulator names them); under faketime 09:59:58 it did at 1366x768 in light, dark, and
at 1.5 and twice the text. Now "set by community 3 +3 more". Real window on the system world's replica, the
tile given the planted world's words through the same ``system_texts.level_tile``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

from models.service import system_picture as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.system_world import NOW, seed_world
from ui import system_texts
from ui.system_tiles import MIN_PX, PaintedText

PLANTED_SET_BY = ("community 3", "community 1", "community 2", "community 4")   # the planted world at 09:59:58


def _community(now, set_by=PLANTED_SET_BY):
    # Stale, as in the planted world: hatched, its text beside a desaturated bar (a narrower line).
    tile = door.LevelTile("community", 2, None, 5.0, now - timedelta(hours=3), set_by, "max", None)
    return system_texts.level_tile(tile, now, "Community", system_texts._names)


@pytest.mark.parametrize("theme_key, scale", [("dark", 1.0), ("light", 1.0), ("dark", 2.0)])
def test_a_pillar_tiles_set_by_line_gives_whole_names_to_its_count(qtbot, store, theme_key, scale):
    seed_world(store)
    window, view = showing(qtbot, store, "system", (1366, 768), now=NOW, theme_key=theme_key, text_scale=scale)
    text = _community(NOW)
    assert text.lines[-1] == "set by community 3, community 1 +2 more" and text.stale
    tile = view.tiles["community"]
    tile.show_text(text)
    tile.repaint()
    QApplication.processEvents()
    assert tile.fits(), f"cut: {tile.painted.cut}"
    assert "set by community 3 +3 more" in tile.painted.drawn
    assert tile.painted.folded == ["set by community 3, community 1 +2 more"]
    if scale == 1.0:   # the whole wall (at twice the text the site board may cut a site's name, by design)
        assert view.fits(), [p.objectName() for p in view.painted_parts() if not p.fits()]


def test_folding_keeps_the_count_and_the_first_name(qapp):
    fits_under = lambda n: (lambda line: len(line) <= n)  # noqa: E731
    fold = PaintedText.fold_names
    assert fold("set by A, B, C +2 more", fits_under(99)) == "set by A, B, C +2 more"   # fits: as it was
    assert fold("set by A, B, C +2 more", fits_under(19)) == "set by A, B +3 more"
    assert fold("set by A, B, C +2 more", fits_under(5)) == "set by A +4 more"           # the first always kept
    assert fold("set by Alpha and Beta", fits_under(5)) == "set by Alpha and Beta"       # no count: cut as before
    assert MIN_PX == 9
