"""Data quality's per-provider table on a laptop: a provider's "Other findings" words are whole. At 1366x768 the
night world's RA07 read "Incomplete OPEL 1, Sudden ju…" while the finding's detail beside it had 470 px of
mostly empty space; the table now takes the width its words need (up to ``OTHER_MAX``)."""

from __future__ import annotations

import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.support.main_window import showing
from tests.ui.night_world import NIGHT, seed_night
from ui.quality_view import SUMMARY_HEADERS


@pytest.fixture
def night(store):
    seed_night(store)
    return store


@pytest.mark.parametrize("size, theme_key", [((1366, 768), "dark"), ((1280, 720), "high_contrast")])
def test_other_findings_are_whole_on_a_laptop(qtbot, night, size, theme_key):
    window, view = showing(qtbot, night, "quality", size, now=NIGHT, theme_key=theme_key, settle=5)
    table, other = view.summary, SUMMARY_HEADERS.index("Other findings")
    texts = [table.item(r, other).text() for r in range(table.rowCount())]
    assert any("Sudden jump" in t for t in texts)
    need = max(table.fontMetrics().horizontalAdvance(t) for t in texts) + 12   # the cell's margins
    assert table.columnWidth(other) >= need, (table.columnWidth(other), need)
    assert table.width() <= window.width()


def test_what_is_wrong_keeps_its_width_in_high_contrast_on_a_small_laptop(qtbot, night):
    """At 1280x720 in high contrast the findings' "Found · last seen" column sized itself to its words (about
    325 px: "Mon 12 Jan 20:58 · seen Tue 13 Jan 02:45") and "What is wrong", the column that says it, was left
    about 90 px ("ıat is wro"). The times give way now (whole in their tooltip and the detail)."""
    from ui.quality_view import FOUND, WHAT
    window, view = showing(qtbot, night, "quality", (1280, 720), now=NIGHT, theme_key="high_contrast", settle=5)
    table = view.table
    assert table.rowCount() > 0
    assert table.columnWidth(WHAT) >= table.fontMetrics().horizontalAdvance("What is wrong") * 2, (
        table.columnWidth(WHAT), table.columnWidth(FOUND))
    assert table.columnWidth(FOUND) < table.columnWidth(WHAT)
    from ui.widgets import literal
    assert table.item(0, FOUND).toolTip() == literal(table.item(0, FOUND).text())   # whole in its tooltip
