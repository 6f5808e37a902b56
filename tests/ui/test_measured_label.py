"""MeasuredLabel: the overview tiles' labels remember their wrapped heights, and are never wrong."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel

from ui.widgets import MeasuredLabel, plain_label

TEXTS = ["Mean handover: 52 min (6 pts)", "", "updated 12 min ago",
         "Declared 4, calculated 3: Norovirus ward closures on two wards and staff sickness across the site",
         "G&A bed occupancy: 97.8% (2 pts) " * 4]


def _pair(qtbot, text: str) -> tuple[QLabel, MeasuredLabel]:
    plain = plain_label(text)
    measured = plain_label(text, label_class=MeasuredLabel)
    for label in (plain, measured):
        qtbot.addWidget(label)
        label.ensurePolished()
    return plain, measured


@pytest.mark.parametrize("text", TEXTS)
def test_its_height_for_a_width_is_the_one_qt_measures(qtbot, text):
    plain, measured = _pair(qtbot, text)
    for width in (120, 240, 120, 480, 240):   # asked again at a width it has measured: the same answer
        assert measured.heightForWidth(width) == plain.heightForWidth(width)


def test_a_new_text_is_measured_again(qtbot):
    plain, measured = _pair(qtbot, TEXTS[0])
    short = measured.heightForWidth(150)
    for label in (plain, measured):
        label.setText(TEXTS[3])
    assert measured.heightForWidth(150) == plain.heightForWidth(150) > short


def test_a_new_font_is_measured_again(qtbot):
    """The tiles' age label turns bold when stale (another object name); larger text grows every label."""
    plain, measured = _pair(qtbot, TEXTS[3])
    before = measured.heightForWidth(200)
    for label in (plain, measured):
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        label.setFont(font)
    assert measured.heightForWidth(200) == plain.heightForWidth(200) > before
