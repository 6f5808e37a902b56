"""The OPEL table's period (found in review): /m/ (the Director on-call's phone page) against a real hub fed by the simulator,
on this machine's clock (December 2026, after the 2024-26 tables' period ended 31/03/2026). The page
shows the system's and every provider's OPEL level scored on those tables and says only that they are
UNVERIFIED; it never says their period has ended (the desktop's Overview does). Screenshots at
360x640, light and dark, in Chromium, written to $SCC_REVIEW_SHOTS when set."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from models.rules.opel_table import load_shipped
from models.uk_time import UK
from tests.web import world
from tests.web.support import add_account, login
from tests.web.test_browser import ARGS, CHROMIUM, PHONE, _log_in

pytestmark = pytest.mark.timeout(300)


def test_the_phone_page_says_when_the_opel_tables_period_has_ended(tmp_path):
    ended = load_shipped("acute").header.out_of_period(datetime.now(UK).date(), short=True)
    if ended is None:
        pytest.skip("run after 31/03/2026: the tables' period has not ended on this clock")
    hub, _ = world.start_world(tmp_path)
    try:
        add_account(hub.db_url, "director", "director_on_call")
        session, _answer = login(hub.url, "director")
        page = session.get(hub.url + "/m/", timeout=20)
        assert page.status_code == 200 and "OPEL" in page.text and "UNVERIFIED TABLE" in page.text
        shots = os.environ.get("SCC_REVIEW_SHOTS")
        if shots and CHROMIUM.exists():
            from playwright.sync_api import sync_playwright
            with sync_playwright() as pw:
                chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                try:
                    for scheme in ("light", "dark"):
                        ctx, tab = _log_in(chromium, hub, PHONE, color_scheme=scheme)
                        tab.screenshot(path=str(Path(shots) / f"m-360x640-{scheme}.png"))
                        ctx.close()
                finally:
                    chromium.close()
    finally:
        hub.stop()
    assert "31/03/2026" in page.text, "/m/ shows levels from the 2024-26 tables and never says their period ended"
    assert ("placeholders until the room installs its own. The OPEL tables (2024-26): its period (2024/25 to "
            "2025/26) ended 31/03/2026: check for a newer edition.") in " ".join(page.text.split())
