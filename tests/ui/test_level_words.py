"""A level's words in a pillar tile wrap: OPEL 4's are the longest (resources/levels/opel.toml) and
without wrapping they set the tile, and so the window, 240 px wide at normal text."""

from __future__ import annotations

from types import SimpleNamespace

from ui.overview import LevelBadge
from ui.theme import OPEL_WORDS


def test_the_longest_words_wrap_in_a_pillar_tile_rather_than_widen_the_window(qtbot):
    badge = LevelBadge("Mental health")
    qtbot.addWidget(badge)
    badge.set_status(SimpleNamespace(shown_level=4, at_least_level=None))
    assert OPEL_WORDS[4] in badge.text()
    assert badge.minimumSizeHint().width() <= 160   # the tile's own minimum (150 px) decides, not the words
