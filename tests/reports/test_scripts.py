"""The room's papers print names and notes in any script as the records export does (session 19): a
decision and an action written in Arabic, Urdu, Bengali and Gujarati with emoji and Chinese, in a real
handover pack and brief, read back with poppler, and every character drawn checked against its font."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from datetime import timedelta
from pathlib import Path

import pytest
from reportlab.pdfbase.ttfonts import TTFontFile

from models.records.export import pdf, pdf_text
from models.service import reports
from sync import authoring
from tests.support.pdf_fonts import drawn  # noqa: F401 (a fixture)
from tests.reports.world import NOW, build_world

pytestmark = [pytest.mark.timeout(240),
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")]
ARABIC = "قرار نقل المريض إلى مستشفى الملكة بسبب ضغط الطوارئ"
URDU_NAME = "ڈاکٹر عائشہ"
BENGALI = "রোগীকে হাসপাতালে স্থানান্তরের সিদ্ধান্ত"
GUJARATI = "દર્દીને હોસ્પિટલમાં ખસેડવાનો નિર્ણય"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path, store = build_world(tmp_path_factory.mktemp("scripts"))
    authoring.record_decision(store, decision_maker=URDU_NAME, decision_maker_role="Director on-call",
                              decision=f"Divert 👍 {ARABIC}", rationale=f"{BENGALI}\n{GUJARATI}\nWith 王小明",
                              recorded_by="Room lead", decided_at=NOW - timedelta(minutes=30))
    authoring.add_action(store, description=f"Phone the family 🙏 {ARABIC}", owner=URDU_NAME, author="t",
                         due_at=NOW + timedelta(hours=1))
    yield store
    store.close()


def _flat(path) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return " ".join(unicodedata.normalize("NFKC", out).split())


@pytest.mark.parametrize("name", ("handover", "brief"))
def test_a_paper_prints_each_script_in_order_and_emoji_as_code_points(world, tmp_path, drawn, name):
    written = reports.make(world, name, tmp_path, NOW)
    flat = _flat(written.pdf)
    # Joined forms, read back in logical order (a table's narrow cell breaks the sentence over lines).
    assert unicodedata.normalize("NFKC", "نقل المريض") in flat and unicodedata.normalize("NFKC", URDU_NAME) in flat
    assert all(unicodedata.normalize("NFKC", word) in flat for word in ARABIC.split())
    assert "[U+1F64F PERSON WITH FOLDED HANDS]" in flat
    assert "the exact text is in this report's .json and .csv files" in flat
    if name == "handover":   # the day's decisions
        assert "[U+1F44D THUMBS UP SIGN]" in flat and "[U+738B, U+5C0F, U+660E, CJK ideographs]" in flat
        assert "[Bengali: U+" in flat and "[Gujarati: U+" in flat   # unshaped Indic: code points
    for font, chars in drawn.items():
        path = next(p for p in (Path(d) / f"{font}.ttf" for d in [*pdf.FONT_DIRS, pdf_text.FONT_DIR]) if p.is_file())
        have = {cp for cp, glyph in TTFontFile(str(path)).charToGlyph.items() if glyph}
        missing = {f"U+{cp:04X}" for cp in chars if cp not in have and not 0xE000 <= cp <= 0xF8FF}
        assert not missing, f"{font} has no glyph for {sorted(missing)}"


def test_without_harfbuzz_as_the_installer_bundles_it(world, tmp_path, drawn, monkeypatch):
    """The bundle has no HarfBuzz: Arabic is joined by pdf_text itself, Bengali is a stand-in."""
    written = reports.make(world, "handover", tmp_path, NOW)
    flat = _flat(written.pdf)
    assert unicodedata.normalize("NFKC", "نقل المريض") in flat and unicodedata.normalize("NFKC", URDU_NAME) in flat
    assert "[Bengali: U+09B0 U+09CB" in flat and "[Gujarati: U+0AA6" in flat
    assert "NotoSansBengali-Regular" not in drawn
    for font, chars in drawn.items():
        path = next(p for p in (Path(d) / f"{font}.ttf" for d in [*pdf.FONT_DIRS, pdf_text.FONT_DIR]) if p.is_file())
        have = {cp for cp, glyph in TTFontFile(str(path)).charToGlyph.items() if glyph}
        assert not {cp for cp in chars if cp not in have}, font
