"""OPEL's level words are data (resources/levels/opel.toml) and OPEL's own: OPEL 4 never borrows REAP 4's
"extreme pressure" (tiles and charts said "OPEL 4 (extreme pressure)")."""

from __future__ import annotations

import pytest

from models.rules import opel_levels
from models.rules.tabledata import TableError
from ui.theme import OPEL_WORDS


def test_four_levels_each_with_words_and_a_meaning():
    levels = opel_levels.opel_levels()
    assert sorted(levels) == [1, 2, 3, 4]
    assert all(words and meaning.endswith(".") for words, meaning in levels.values())


def test_opel_4_means_comprehensive_care_cannot_be_delivered_not_reaps_extreme_pressure():
    words, meaning = opel_levels.opel_levels()[4]
    assert "extreme" not in (words + meaning).lower()
    assert "comprehensive care" in words and "comprehensive care" in meaning


def test_what_the_tiles_show_is_the_data():
    assert OPEL_WORDS == opel_levels.opel_words()
    assert OPEL_WORDS[4] == "unable to deliver comprehensive care"


def test_a_file_missing_a_level_is_refused_naming_it(tmp_path, monkeypatch):
    (tmp_path / "levels").mkdir()
    (tmp_path / "levels" / "opel.toml").write_text(
        "".join(f'[[levels]]\nlevel = {n}\nwords = "w{n}"\nmeaning = "m{n}."\n' for n in (1, 2, 4)))
    monkeypatch.setattr(opel_levels.resources, "ROOT", tmp_path)
    opel_levels.opel_levels.cache_clear()
    try:
        with pytest.raises(TableError) as caught:
            opel_levels.opel_levels()
        assert "levels.3" in str(caught.value)
    finally:
        opel_levels.opel_levels.cache_clear()

