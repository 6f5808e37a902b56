"""The "phoned in" mark on the system picture, the offload view and the critical care view: a small real
replica (two acute trusts, an ambulance service) with one call recorded through the door, real widgets
offscreen, pages read off the UI thread.  The mark is words ("☎ phoned in 10:05"), the caller in its tip."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from models.service import phoned_in as door
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.ui.feeds import NOW, fill_system
from ui import tasks
from ui.critcon_view import CritconView
from ui.offload_view import OffloadView
from ui.system_view import SystemView

AT = NOW + timedelta(minutes=5)   # the call comes after the feed's last figures: they are what is shown
MARK = "☎ phoned in 10:05"
SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "phoned-in-system.png"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    store = fresh_replica(tmp_path_factory.mktemp("phoned") / "scc.db", PASSPHRASE, kdf=FAST_KDF)
    fill_system(store)
    door.record_figures(store, org_code="RAA", phoned_at=AT, caller_name="Sam Patel", caller_role="Site manager",
                        taken_by="Morgan Room", now=AT,
                        figures={"ga_bed_occupancy_pct": 97.5, "ambulances_waiting_count": 6,
                                 "longest_handover_wait_minutes": 95, "critcon_level": 2, "cc_staffed_beds": 20,
                                 "cc_occupied_beds": 19})
    yield store
    store.close()


def _tip(item) -> str:
    return (item.toolTip() or "").replace("\xa0", " ")   # tips are kept from wrapping with no-break spaces


def _shown(qtbot, view, height=760):
    """``view`` shown at 1366 px wide, refreshed and drawn (also the phoned-levels tests')."""
    qtbot.addWidget(view)
    view.resize(1366, height)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    assert tasks.manager().wait_idle()
    qtbot.wait(20)   # the page's draw is a queued call


def test_system_picture_marks_the_phoned_in_site(qtbot, world):
    view = SystemView(world, clock=lambda: AT)
    _shown(qtbot, view)
    rows = dict(zip(view.sites.names, view.sites.rows))
    [alpha] = [n for n in rows if n.startswith("Alpha")]
    [beta] = [n for n in rows if n.startswith("Beta")]
    assert rows[alpha][-1].text == MARK
    assert "Sam Patel (Site manager), taken by Morgan Room" in alpha and "phoned" not in beta
    assert all("phoned" not in c.text for c in rows[beta])
    assert "Sam Patel" in view.sites.accessibleDescription()
    if os.environ.get("SCC_WRITE_SCREENSHOTS") == "1":
        view.resize(1920, 1080)
        qtbot.wait(50)
        view.grab().save(str(SHOT))


def test_offload_board_marks_the_hospital_whose_handovers_were_phoned_in(qtbot, world):
    view = OffloadView(world, lambda: AT)
    _shown(qtbot, view)
    names = {view.board.item(r, 0).data(0x0100): view.board.item(r, 0) for r in range(view.board.rowCount())}
    assert MARK in names["RAA"].text() and "Sam Patel (Site manager)" in _tip(names["RAA"])
    assert "phoned" not in names["RBB"].text() and "phoned" not in _tip(names["RBB"])


def test_critical_care_marks_the_unit_whose_critcon_was_phoned_in(qtbot, world):
    view = CritconView(world, lambda: AT)
    _shown(qtbot, view)
    cells = {view.table.item(r, 0).data(0x0100): view.table.item(r, 0) for r in range(view.table.rowCount())}
    assert MARK in cells["RAA"].text() and "taken by Morgan Room" in _tip(cells["RAA"])
    assert "phoned" not in cells["RBB"].text()


@pytest.mark.parametrize("view", [SystemView, OffloadView, CritconView])
def test_a_call_recorded_or_synced_redraws_each_view(view):
    # The main window redraws a view whose KINDS meet a write's or a sync batch's kinds: a call is a "record".
    from models.service.changes import Changes
    assert view.KINDS & Changes(frozenset({"phoned_in"})).kinds


@pytest.mark.parametrize("key", ["light", "dark"])
def test_offload_chart_draws_the_phoned_in_longest_wait_hollow_with_its_caller(qtbot, world, tmp_path, key):
    from ui import theme
    from ui.charts import PHONED_KEY, PHONED_SYMBOL
    theme.set_current(key)
    view = OffloadView(world, lambda: AT)
    _shown(qtbot, view)
    [wait] = view.page.phoned_waits
    assert (wait.hospital_code, wait.at, wait.minutes) == ("RAA", AT, 95.0)
    assert wait.who == "phoned in by Sam Patel (Site manager), taken by Morgan Room"
    chart = view.chart
    assert PHONED_KEY in chart.key_labels and "◇ longest wait phoned in" in chart.title.text()
    import pyqtgraph as pg
    assert any(isinstance(i, pg.ScatterPlotItem) and i.opts["symbol"] == PHONED_SYMBOL and len(i.data)
               for i in chart.plot.getPlotItem().items)
    tip = chart.hover_text(AT.timestamp(), 95.0)
    assert tip is not None and "longest wait 1 h 35 min" in tip.replace("\xa0", " ") or "95" in tip
    assert "☎ phoned in by Sam Patel (Site manager), taken by Morgan Room" in tip
    # Choosing the other hospital leaves the call off its chart.
    view.chart_picker.setCurrentIndex(view.chart_picker.findData("RBB"))
    assert PHONED_KEY not in chart.key_labels
    view.chart_picker.setCurrentIndex(view.chart_picker.findData("RAA"))
    view.grab().save(str(tmp_path / f"offload-{key}.png"))
    if os.environ.get("SCC_SHOTS_DIR"):
        view.grab().save(str(Path(os.environ["SCC_SHOTS_DIR"]) / f"phoned-in-offload-chart-{key}.png"))
