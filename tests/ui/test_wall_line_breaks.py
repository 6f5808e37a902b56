"""A wall tile's line too long for its width even at the smallest type is broken at its last " · " that fits, the
part after on a line of its own, rather than cut. OPEL 4's words with the unverified note ("unable to deliver
comprehensive care · method unverified", 56 characters) were cut on the NHS 111 tile of a 1366x768 wall (the
planted world at 19:07 UTC, tests/ui/test_figure_doubt_marks.py), and hazard H-02's note with them. A character
count in ``system_texts`` stood in for the painted width; the tile now measures. Real window on the system world's
replica, the tiles given OPEL 4 from an unverified roll-up file through ``system_texts.level_tile``.

Where the line fits on one line only at a smaller size than the tile's other lines get, it breaks too: the detail
lines share one size, and the one line at 10 px drew score and "set by" at 10 px with it on a 1920x1080 wall
(13 px when the note had a line of its own, before session 33's change; 2560x1440: 13 against 20)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtWidgets import QApplication

from models.service import system_picture as door
from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.system_world import NOW, seed_world
from ui import system_texts

WORDS = "unable to deliver comprehensive care"   # OPEL 4's (resources/levels/opel.toml)
LONG = WORDS + " · method unverified"
# The pillar tiles' detail lines' px at a63ac286 (the note always on a line of its own), fresh and stale alike:
# a wall read from across the room is not to draw them smaller for the note.
BEFORE_PX = {(1920, 1080): 13, (2560, 1440): 20}


def _opel4(key: str, title: str, *, stale: bool):
    """OPEL 4 from the bundled (unverified) roll-up file, set by three providers; stale as in the planted world."""
    as_at = NOW - (timedelta(hours=3) if stale else timedelta(minutes=5))
    tile = door.LevelTile(key, 4, None, 9.0, as_at, ("NHS 111 A", "NHS 111 B", "NHS 111 C"), "max", None)
    return system_texts.level_tile(tile, NOW, title, system_texts._names)


@pytest.mark.parametrize("size, theme_key", [((1366, 768), "light"), ((1366, 768), "dark"), ((1920, 1080), "dark"),
                                             ((2560, 1440), "light")],
                         ids=["1366-light", "1366-dark", "1920-dark", "2560-light"])
def test_a_level_line_too_long_for_its_tile_breaks_at_its_dot_not_cut(qtbot, store, tmp_path, size, theme_key):
    seed_world(store)
    window, view = showing(qtbot, store, "system", size, now=NOW, theme_key=theme_key)
    for key, title in (("nhs111", "NHS 111"), ("mental_health", "Mental health")):
        for stale in (True, False):
            text = _opel4(key, title, stale=stale)
            assert text.lines[0] == LONG and "method unverified" in text.accessible   # one line, said whole
            tile = view.tiles[key]
            tile.show_text(text)
            tile.repaint()
            QApplication.processEvents()
            window.grab().save(str(tmp_path / f"wall-{key}-{'stale' if stale else 'fresh'}.png"))
            assert tile.fits(), f"{size} {theme_key} {key}: cut {tile.painted.cut}"
            drawn = tile.painted.drawn
            if size == (1366, 768):   # too narrow for the line even at the smallest type: two lines, both whole
                assert tile.painted.broken == [LONG], drawn
                assert drawn[2:4] == [WORDS, "method unverified"], drawn
            assert LONG in drawn or drawn[2:4] == [WORDS, "method unverified"], drawn
            assert drawn[0] == title and drawn[1] == "OPEL 4", drawn
            if size in BEFORE_PX:   # the shared detail lines (not title, figure, age, nor the names sized alone:
                # 19 px at 2560 stale, before as now) no smaller than before
                detail = [(line, px) for line, (_r, px) in list(zip(drawn, tile.painted.rects))[2:-1]
                          if not line.startswith("set by")]
                assert min(px for _line, px in detail) >= BEFORE_PX[size], (size, stale, detail)
    big = view.tiles["system"]   # the double-width system tile keeps the line whole
    big.show_text(_opel4("system", "System", stale=False))
    big.repaint()
    QApplication.processEvents()
    assert big.fits() and LONG in big.painted.drawn and not big.painted.broken, big.painted.drawn


def test_breaking_takes_the_last_dot_whose_head_fits(qapp):
    from ui.system_tiles import broken_at_parts

    fits_under = lambda n: (lambda line: len(line) <= n)  # noqa: E731
    assert broken_at_parts("a · bb · ccc", fits_under(99)) == ["a · bb · ccc"]          # fits: as it was
    assert broken_at_parts("a · bb · ccc", fits_under(8)) == ["a · bb", "ccc"]
    assert broken_at_parts("a · bb · ccc", fits_under(4)) == ["a", "bb", "ccc"]          # the rest broken in turn
    assert broken_at_parts("long head · b", fits_under(3)) == ["long head", "b"]         # no head fits: the first dot
    assert broken_at_parts("no dot at all here", fits_under(3)) == ["no dot at all here"]   # cut as before
    # a " · " at either end has nothing on one side: never an empty line drawn for it
    assert broken_at_parts(" · method unverified", fits_under(3)) == [" · method unverified"]
    assert broken_at_parts(" · a · bb", fits_under(5)) == [" · a", "bb"]
    assert broken_at_parts("a · bb · ", fits_under(4)) == ["a", "bb · "]
    assert broken_at_parts(" · ", fits_under(1)) == [" · "]
    assert broken_at_parts("a ·  · b", fits_under(1)) == ["a", " · b"]   # an empty part between two dots
