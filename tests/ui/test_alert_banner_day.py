"""The banner's "since" says the day once the alert was raised on another day (UK time), as the rest
of the app does ("since Thu 23:50"): a bare "since 23:50" read after midnight is tonight's."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.alert_seed import apply_alerts, signals_to_alerts, wait
from tests.ui.feeds import forty_acute_providers
from tests.ui.ui_probe import settled  # noqa: F401
from ui import tasks
from ui.alert_banner import AlertBanner

pytestmark = pytest.mark.usefixtures("settled")
RAISED = datetime(2026, 12, 3, 23, 50, tzinfo=timezone.utc)   # Thursday 23:50 UK time (GMT)


def _banner(qtbot, store, now):
    """A banner read at ``now`` (its text is set whether or not it is on screen)."""
    banner = AlertBanner(store, lambda: now)
    qtbot.addWidget(banner)
    banner.refresh()
    assert tasks.manager().wait_idle()
    return banner


@pytest.mark.parametrize(("now", "since"), [
    (RAISED + timedelta(minutes=5), "(since 23:50)"),          # the same evening: the time alone
    (RAISED + timedelta(minutes=40), "(since Thu 23:50)"),     # past midnight: Friday 00:30
    (RAISED + timedelta(days=8), "(since Thu 03 Dec 23:50)"),  # over a week: the date
])
def test_the_banner_says_the_day_when_the_alert_is_not_from_today(qtbot, store, now, since):
    forty_acute_providers(store, RAISED)
    apply_alerts(store, signals_to_alerts([wait("R03", 45, 50.0, RAISED + timedelta(minutes=45))]))
    banner = _banner(qtbot, store, now)
    assert banner.count == 1
    assert since in banner.text(), banner.text()
