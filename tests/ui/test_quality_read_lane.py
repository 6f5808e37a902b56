"""The data-quality reading of the housekeeping pass is made on the window's read lane, not its write thread.

The window runs its writes one at a time on one write thread (``ui.tasks``).  The pass read the data-quality
checks there first, 0.2-0.3 s a pass on a year of 15-minute data for 40 providers
(``benchmarks/bench_housekeeping_chores.py``), after each sync batch and on the minute, and a user's save asked
meanwhile waited for it.  The window now reads them on the read lane and asks the write pass with what they
found; the pass holds the write thread for its writes only (10-15 ms there).

A real window over a real encrypted replica with a quarantined submission (a finding to raise).  The reading
is forced slow here (1.5 s more in ``read_facts``, a sleep: the GIL is let go, as SQLite lets it go while it
steps): a test cannot build the 4 GB year in its time."""

from __future__ import annotations

import time

import pytest

from models.records import quality as records_quality
from models.replica.orm.types import utcnow
from models.service import quality
from tests.models.conftest import store, store_path  # noqa: F401
from tests.quality.test_housekeeping_hook import _notice
from tests.ui.test_chain_alert import Clock, save_asked, settle
from tests.ui.ui_probe import settled  # noqa: F401
from ui.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("settled")
SLOW_S = 1.5
REJECTED = ('[{"index": 0, "type": "observation", "metric": "ga_bed_occupancy_pct",'
            ' "errors": [{"field": "items.0.value", "reason": "180 is outside the valid range"}]}]')


@pytest.mark.timeout(120)
def test_a_save_asked_with_a_pass_does_not_wait_for_the_quality_reading_and_the_finding_is_stored(
        qtbot, store, monkeypatch):
    with store.writing() as s:
        _notice(s, REJECTED)
    read_facts = records_quality.read_facts
    reading_on: list[str] = []

    def slow_read_facts(*args, **kwargs):
        import threading
        reading_on.append(threading.current_thread().name)
        time.sleep(SLOW_S)
        return read_facts(*args, **kwargs)
    monkeypatch.setattr(records_quality, "read_facts", slow_read_facts)

    clock = Clock(utcnow())
    window = MainWindow(store, clock=clock)   # its first pass asked now
    qtbot.addWidget(window)
    passes: list[int] = []
    window.housekept.connect(passes.append)
    saved = save_asked(window, store, clock.at)
    qtbot.waitUntil(lambda: bool(saved) and bool(passes), timeout=30_000)
    settle()
    print(f"a save asked with the first pass took {saved[0]:.2f} s (quality reading forced to {SLOW_S} s more); "
          f"read on {reading_on}")
    assert saved[0] < SLOW_S / 2, saved   # was the reading and more (it ran first on the write thread)
    assert reading_on and all("write" not in name.lower() for name in reading_on), reading_on
    (finding,) = quality.open_findings(store, check="intake_quarantine")   # the pass stored what was read
    assert finding.org_code == "RA01"
