"""/m/ shows text the room typed as typed, never as markup (real desktops syncing through a real hub).

A decision, its rationale and an action written on a desktop reach the Director on-call's phone page;
text holding ``<b>``, ``<script>``, a bare ``<`` or ``&`` must arrive escaped, so the phone shows those
characters and runs nothing. Jinja's autoescaping is on for the hub's pages; the hazard log had "no test
yet" for it (H-12). The test reads the page's HTML: each planted text is there escaped, and none of its
tags is there raw.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

import pytest

from sync import authoring
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.web.support import add_account, login

pytestmark = pytest.mark.timeout(180)

DECISION = "Divert <b>all</b> ambulances & hold <i>RA21</i>"
MAKER = "Dr <script>alert('maker')</script> Raman"
ACTION = "Ring <script>alert(1)</script> site lead & confirm <img src=x onerror=alert(2)> beds"
RAW = ("<b>all</b>", "<script>", "<img src=x", "<i>RA21</i>")


def test_typed_markup_reaches_the_phone_escaped(sqlite_hub, make_desktop):
    hub = sqlite_hub
    add_account(hub.db_url, "director", "director_on_call")
    session, answer = login(hub.url, "director")
    assert answer.status_code in (302, 303), answer.text[:300]
    desk = make_desktop(hub, "a")
    now = datetime.now(timezone.utc)
    authoring.record_decision(desk.store, decision_maker=MAKER, decision_maker_role="Director on-call",
                              decision=DECISION, rationale="Handovers > 60 min & rising", recorded_by="Room lead",
                              decided_at=now - timedelta(minutes=5))
    authoring.add_action(desk.store, description=ACTION, owner="Room lead", author="t",
                         due_at=now + timedelta(hours=1))
    assert desk.run_once().error is None
    page = session.get(hub.url + "/m/", timeout=20)
    assert page.status_code == 200, page.text[:500]
    shown = html.unescape(page.text)   # what the phone shows, once the browser has read the entities
    for typed in (DECISION, MAKER, ACTION):
        assert typed in shown, f"not shown as typed: {typed}"
    leaked = [tag for tag in RAW if tag in page.text]
    assert leaked == [], f"raw markup on the phone page: {leaked}"
