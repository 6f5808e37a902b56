"""An OPEL 4 scored from a spike: the desktop's alert centre and /m/ mark it in doubt, in the same words.

A real hub on loopback takes RTEST1's nine acute OPEL parameters hourly at OPEL 3, then one hour with ED
majors/resus occupancy at 480% (a slip for 48.0): OPEL 4, raised by the hub's rule engine.  RTEST2 is at
OPEL 4 on every hour on sound figures, with two values for one time of a parameter that scored nothing.
A desktop replica synced from the hub runs its data-quality checks: its alert centre must mark RTEST1's
"A provider's OPEL level rose to 4" with the spike and not RTEST2's; the Director on-call's phone page,
logged in over HTTP, must show the same words on the same alert.  Resent corrected (48%), the level falls
back and the OPEL 4 clears; the OPEL 3 still open loses its mark on both.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from models.service import alert_centre, quality
from tests.support import opel_spike
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop, submit  # noqa: F401
from tests.web.support import add_account, alert_texts, login

pytestmark = pytest.mark.timeout(240)
ORGS = {"RTEST1": "Test Acute Trust One", "RTEST2": "Test Acute Trust Two"}


def _items(page: str, rule_name: str) -> dict[str, str]:
    """Each open alert of ``rule_name`` on /m/, as text, by the provider named in it."""
    return {org: text for text in alert_texts(page) for org, name in ORGS.items() if f"{rule_name}: {name}" in text}


def _centre(desk, now, rule):
    return {a.org_code: a.detail for a in alert_centre.centre(desk.store, now, "open", rule=rule).alerts}


def test_an_opel_4_from_a_spike_is_in_doubt_on_the_desktop_and_the_phone_alike(sqlite_hub, make_desktop):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    spike_at = now - timedelta(minutes=30)
    start = spike_at - timedelta(hours=opel_spike.HOURS)
    for org, values in (("RTEST1", opel_spike.AT_3), ("RTEST2", opel_spike.AT_4)):
        for hour in opel_spike.history(start, values):
            submit(sqlite_hub, hour, org=org, role="admin")
    submit(sqlite_hub, opel_spike.items(spike_at, {**opel_spike.AT_3, opel_spike.SPIKED: 480}), org="RTEST1",
           role="admin")
    submit(sqlite_hub, opel_spike.items(spike_at, {opel_spike.IDLE: 1}) + opel_spike.items(spike_at, opel_spike.AT_4),
           org="RTEST2", role="admin")
    desk = make_desktop(sqlite_hub)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now)
    told = _centre(desk, now, "opel_provider_4")
    assert set(told) == {"RTEST1", "RTEST2"}, told
    words = told["RTEST1"][told["RTEST1"].index("In doubt (data quality): "):]
    # The desktop names who sent the doubted figures after the finding's words (session 25); the phone says
    # the same whole text, sender and all (session 28): compared whole below.
    assert re.search(r"\. Sent by the API, token \d+ of user 'test-admin'\.$", words), words
    assert words.startswith("In doubt (data quality): ed_majors_resus_occupancy_pct from RTEST1 jumped to 480 at "), \
        words
    assert "In doubt" not in told["RTEST2"], told["RTEST2"]
    threes = _centre(desk, now, "opel_provider_3")
    assert words in threes["RTEST1"] and "In doubt" not in threes["RTEST2"], threes   # OPEL 3 is scored from it too

    add_account(sqlite_hub.db_url, "director", "director_on_call")
    session, _answer = login(sqlite_hub.url, "director")
    page = session.get(sqlite_hub.url + "/m/", timeout=20)
    assert page.status_code == 200
    items = _items(page.text, "A provider's OPEL level rose to 4")
    assert set(items) == {"RTEST1", "RTEST2"}, items
    assert items["RTEST1"].endswith(words), (words, items["RTEST1"])
    assert "In doubt" not in items["RTEST2"], items["RTEST2"]
    threes = _items(page.text, "A provider's OPEL level rose to 3 or above")
    assert threes["RTEST1"].endswith(words) and "In doubt" not in threes["RTEST2"], threes

    # Corrected: the hour resent with 48%.  The level falls back to OPEL 3 (the OPEL 4 clears) and the
    # OPEL 3 still open rests on sound figures again: no mark on either page.
    submit(sqlite_hub, opel_spike.items(spike_at, {opel_spike.SPIKED: 48}), org="RTEST1", role="admin")
    assert desk.run_once().error is None
    quality.run_checks(desk.store, now + timedelta(minutes=1))
    assert "RTEST1" not in _centre(desk, now, "opel_provider_4")
    assert "In doubt" not in _centre(desk, now, "opel_provider_3")["RTEST1"]
    page = session.get(sqlite_hub.url + "/m/", timeout=20).text
    assert "RTEST1" not in _items(page, "A provider's OPEL level rose to 4")
    assert "In doubt" not in _items(page, "A provider's OPEL level rose to 3 or above")["RTEST1"]
