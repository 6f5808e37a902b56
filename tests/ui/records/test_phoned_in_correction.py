"""A mistyped phoned-in figure corrected, in the real dialog offscreen, on two desktops through a real hub
on loopback: a correction given the same minute as the call it corrects shows on both (the hub and the
desktops kept the first figure of a minute: the mistyped one stayed shown on every desktop), and so does
one recorded at a later minute."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QDateTime

from models.queries import provider as qp
from tests.sync.engine.conftest import observation, submit
from ui.phoned_in_dialog import PhonedInDialog

ORG = "RTEST2"   # an acute trust of the test hub whose feed is down


def _sync(*desks):
    for desk in desks:
        assert desk.run_once().error is None


def _shown(desk) -> float:
    with desk.store.session() as s:
        return next(ln for ln in qp.provider_detail(s, ORG).lines if ln.key == "ga_bed_occupancy_pct").value


def _call(qtbot, desk, now: datetime, given: datetime, occupancy: str) -> PhonedInDialog:
    dialog = PhonedInDialog(desk.store, lambda: now, ORG)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded, timeout=5000)
    dialog.caller.setText("Sam Patel")
    dialog.role.setText("Site manager")
    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(given.timestamp())))
    dialog.fields["ga_bed_occupancy_pct"][1].setText(occupancy)
    dialog.save()
    qtbot.waitUntil(lambda: dialog.saved is not None or dialog.error.isVisible(), timeout=10_000)
    return dialog


def test_a_mistyped_figure_is_corrected_by_a_call_of_the_same_minute_or_a_later_one(qtbot, sqlite_hub,
                                                                                   make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [observation("ga_bed_occupancy_pct", 88, minutes_ago=90)], org=ORG, role="admin")
    _sync(a, b)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    given = now - timedelta(minutes=5)
    assert _call(qtbot, a, now, given, "79").saved is not None   # the trust said 97
    _sync(a, b)
    assert _shown(a) == _shown(b) == 79.0
    again = _call(qtbot, a, now, given, "97")
    assert again.saved is not None and not again.error.isVisible()
    _sync(a, b)
    _sync(a, b)
    assert _shown(a) == _shown(b) == 97.0
    later = _call(qtbot, a, now + timedelta(minutes=1), now, "96")
    assert later.saved is not None
    _sync(a, b)
    _sync(a, b)
    assert _shown(a) == _shown(b) == 96.0
