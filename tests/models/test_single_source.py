"""Facts stated once (issue 15): the UK time zone and the "shown level" rule each have one home,
so a view, a chart, a checklist and an export cannot disagree about them."""

from __future__ import annotations

import re
from pathlib import Path

from models.rules.shown_level import shown_level

ROOT = Path(__file__).resolve().parents[2]
CODE = ("models", "sync", "ui", "scc_desktop")


def _found(pattern: str, home: str) -> list[str]:
    rx = re.compile(pattern)
    hits = []
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel != home:
                hits += [f"{rel}:{n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                         if rx.search(line)]
    return hits


def test_the_uk_zone_is_made_in_one_module():
    assert _found(r"ZoneInfo\(\s*[\"']Europe/London", "models/uk_time.py") == []


def test_the_shown_level_rule_is_written_once():
    pattern = r"coalesce\(\s*(OpelAssessment\.)?declared_level|declared_level or |declared or calculated"
    assert _found(pattern, "models/rules/shown_level.py") == []


def test_the_declared_level_wins_and_a_missing_one_falls_back():
    assert shown_level(3, 2) == 3
    assert shown_level(None, 2) == 2
    assert shown_level(None, None) is None


def test_views_themes_and_text_sizes_are_declared_once():
    """ui/choices.py holds them; the settings, the command line and the window take them from there."""
    hits = _found(r"^\s*(VIEWS|VIEW_KEYS|THEMES|THEME_KEYS|TEXT_SCALES)\s*=", "ui/choices.py")
    assert hits == ["ui/theme.py:" + hits[0].split(":")[1]] if hits else hits == []   # theme.THEMES: the colours


def test_the_highest_critcon_a_unit_reports_is_one_fact():
    from models.rules.catalogue import load_catalogue
    from sync.limits import MAX_UNIT_CRITCON
    metric = load_catalogue().metrics["critcon_level"]
    assert (metric.valid_min, metric.valid_max) == (0, MAX_UNIT_CRITCON) == (0, 3)
