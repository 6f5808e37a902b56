"""The provider view's parameter chart names its lines without one label over another, and its note
says what is drawn.

The walkthrough's faults (ED four-hour performance, December 2026): the 95% standard and the OPEL
band edge at 95% had a label each at the same height, one over the other; and the note said of the
lapsed 78% ambition "no line is drawn" beside a dashed line labelled 78% (the band edge 2 → 1 pts).
"""

from __future__ import annotations

import pytest
from pyqtgraph import InfiniteLine

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.test_ambulance_layout import _label_rects   # (rect, text) of each label the axis draws
from tests.ui.test_chart_views import LATER, _pick, _view, feed_down
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.charts import merge_marks
from ui.provider_view import ProviderView

pytestmark = pytest.mark.usefixtures("settled")


def _later_four_hour_chart(qtbot, store):
    feed_down(store, LATER)
    view = _view(qtbot, ProviderView, store, now=LATER)
    view.select_provider("RAA")
    assert tasks.manager().wait_idle()
    _pick(view, "ed_four_hour_performance_pct")
    return view.param_chart


def test_the_standard_and_a_band_edge_at_the_same_value_share_one_label(qtbot, store):
    chart = _later_four_hour_chart(qtbot, store)
    assert chart.target_labels == ["95% standard"]
    assert "95% (1 → 0 pts)" in chart.reference_labels         # the band edge at the same value
    labels = _label_rects(chart)
    texts = [t for _r, t in labels]
    assert [t for t in texts if t.startswith("95%")] == ["95% standard (1 → 0 pts)"]
    assert sorted(texts) == sorted(chart.axis_labels)
    assert len(texts) == len(set(_horizontal_lines(chart))), "one label per value drawn"
    assert not any(a.intersects(b) for i, (a, _t) in enumerate(labels) for b, _u in labels[i + 1:]), labels


def _horizontal_lines(chart) -> list[float]:
    """The value of every horizontal line drawn: its standards and band edges."""
    return [item.value() for item in chart.plot.getPlotItem().items
            if isinstance(item, InfiniteLine) and item.angle == 0]


def test_the_note_on_a_lapsed_ambition_says_what_the_line_at_its_value_is(qtbot, store):
    chart = _later_four_hour_chart(qtbot, store)
    assert "78% (2 → 1 pts)" in chart.reference_labels           # a dashed line at 78% is drawn
    note = chart.note.text()
    assert "The 78% ambition (2025/26) ran to 31/03/2026" in note
    assert "so no line is drawn." not in note, note
    assert "The dashed 78% line is an OPEL band edge, not the ambition." in note


@pytest.mark.parametrize("marks, merged", [
    ([(95, "95% standard"), (95, "95% (1 → 0 pts)"), (78, "78% (2 → 1 pts)")],
     [(95, "95% standard (1 → 0 pts)"), (78, "78% (2 → 1 pts)")]),
    ([(30, "30 min"), (30.0, "handover 30")], [(30, "30 min · handover 30")]),
    # A value with its unit said once (the walkthrough saw "60 min min (3 → 4 pts)").
    ([(60, "60 min"), (60, "60 min (3 → 4 pts)")], [(60, "60 min (3 → 4 pts)")]),
    ([(7, "C1 mean 0:07:00"), (15, "C1 90th 0:15:00")], [(7, "C1 mean 0:07:00"), (15, "C1 90th 0:15:00")]),
])
def test_labels_at_one_value_are_merged_into_one(marks, merged):
    assert merge_marks(marks) == merged
