"""A tile's line too long for its width even at the smallest type is cut with "…"; a line ending in a count
("set by Community Health Services RC01 +5 more") is cut before the count, which stays: at 1366x768 the
Community tile read "set by Community Health Services RC01…" and the five other providers setting the level
were lost (and in the demo "set by Nottingham CityCare Partnership +…")."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QImage, QPainter

from ui.system_tiles import MIN_PX, PaintedText


def _drawn(text: str, width: int) -> tuple[str, PaintedText]:
    image = QImage(400, 40, QImage.Format.Format_ARGB32)
    image.fill(0)
    p = QPainter(image)
    painted = PaintedText()
    painted.line(p, QRect(0, 0, width, 20), text, MIN_PX, "#000000")
    p.end()
    return painted.drawn[0], painted


def test_a_cut_line_keeps_its_count(qapp):
    shown, painted = _drawn("set by Community Health Services RC01 +5 more", 150)
    assert shown.endswith("… +5 more") and shown.startswith("set by Comm")
    assert painted.cut == ["set by Community Health Services RC01 +5 more"]   # still reported as cut


def test_a_line_without_a_count_is_cut_at_its_end_and_one_that_fits_is_whole(qapp):
    assert _drawn("set by Community Health Services RC01", 100)[0].endswith("…")
    assert _drawn("set by RC01 +5 more", 300)[0] == "set by RC01 +5 more"
