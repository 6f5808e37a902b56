"""Figures sent from the provider form while the hub restarts into a one-off step on its database (an index a
new version adds, sync/hub/schema_start.py): the answer says they were not stored, its refresh opens the form
(a GET) and, once the hub answers, the form puts back what was typed in the tab ("Not sent yet"), unsent (r2's
review, session 30: the page said only "asks again every 5 s", and its refresh re-asked the address it was
sent to).

A real hub process on loopback (SQLite), restarted with the step held by the test-only hook; Debian's Chromium at
1366x768.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from sync.hub import schema as s
from sync.hub.schema_start import FAULT_STEP_DELAY_ENV, FAULT_STEP_RELEASE_ENV, NOT_STORED_SECONDS
from tests.support.hub import connection, start_hub
from tests.support.hub_starting import Starting
from tests.web.support import add_account, browser_log_in
from tests.web.test_browser import ARGS, CHROMIUM, _missing

pytestmark = pytest.mark.timeout(180)
ORG = "RTEST2"
HELD_S = 60   # at most: the test releases the step once the page has said what was not stored
SEND = "main.form > form > button[value=changed]"


def _stored(db_url: str) -> list:
    with connection(db_url) as conn:
        return conn.execute(select(s.latest_value.c.metric).where(s.latest_value.c.org_code == ORG)).all()


def test_figures_sent_while_the_hub_upgrades_are_said_not_stored_and_come_back_on_the_form(tmp_path):
    if not CHROMIUM.exists():
        _missing(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    hub = start_hub(tmp_path / "hub")
    again = None
    try:
        add_account(hub.db_url, "rtest2.site", "provider_submitter", ORG)
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = chromium.new_context(viewport={"width": 1366, "height": 768}).new_page()
                browser_log_in(page, hub.url, "rtest2.site", "/provider/")
                page.fill("#m\\.mean_handover_minutes", "33")

                hub.stop()   # an upgrade: the new version's index is not in the database yet
                with connection(hub.db_url, write=True) as conn:
                    conn.exec_driver_sql("DROP INDEX ix_feed_kind_seq")
                release = tmp_path / "release-the-step"
                again = Starting(hub.db_url, tmp_path / "hub", hub.tokens,
                                 {FAULT_STEP_DELAY_ENV: str(HELD_S), FAULT_STEP_RELEASE_ENV: str(release)},
                                 port=hub.port).start()
                with page.expect_navigation() as nav:
                    page.click(SEND)
                assert nav.value.status == 503
                said = page.inner_text("main")
                assert page.inner_text("h1") == "Hub upgrading"
                assert "What you sent was not stored" in said and "Not sent yet" in said
                page.screenshot(path=str(tmp_path / "not-stored.png"))

                release.touch()   # the step ends; the page's own refresh (15 s) opens the form
                deadline = time.monotonic() + NOT_STORED_SECONDS + 30   # the refresh: the form, once the hub answers
                while time.monotonic() < deadline:
                    try:
                        if page.url.endswith("/provider/") and page.query_selector("#restored"):
                            break
                    except PlaywrightError:   # the refresh navigating as it was asked
                        pass
                    time.sleep(0.3)
                assert page.url == again.url + "/provider/", page.url
                restored = page.inner_text("#restored")
                assert "Not sent yet" in restored and "the hub had not answered its sending" in restored
                assert page.input_value("#m\\.mean_handover_minutes") == "33"
                assert _stored(hub.db_url) == []   # nothing was sent: Send again is the person's
                page.screenshot(path=str(tmp_path / "form-again.png"))
            finally:
                chromium.close()
    finally:
        (again or hub).stop()
