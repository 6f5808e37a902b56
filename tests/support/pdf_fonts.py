"""What a PDF drew with which font: for the tests that check no character is drawn by a font lacking it."""

from __future__ import annotations

from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFont


@pytest.fixture
def drawn(monkeypatch):
    """Each TrueType font's file name and every character it was asked to draw (``splitString`` is how
    reportlab turns a string into a font's codes, for every string it draws)."""
    asked: dict[str, set[int]] = {}
    split = TTFont.splitString

    def spy(self, text, doc, encoding="utf-16"):
        asked.setdefault(Path(self.face.filename).stem, set()).update(ord(c) for c in text)
        return split(self, text, doc, encoding)

    monkeypatch.setattr(TTFont, "splitString", spy)
    return asked
