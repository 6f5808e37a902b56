"""``/m/`` on a phone while its hub restarts into a one-off step on its database (an index a new version adds;
on a year of feed 9.9 to 17.3 s, docs/web.md; session 30): the open page keeps the figures it has and says, at
its next refresh, that the hub is upgrading its database, what it makes and since when; a page opened meanwhile
is the hub's "Hub upgrading" page (503, asking again by itself); after the step the page refreshes as before.

Real hub processes on loopback (SQLite, the browser tests' world), real headless Chromium. The step is the real
one (``ix_feed_kind_seq`` dropped between the two starts); the test-only hook ``SCC_HUB_FAULT_SCHEMA_STEP_DELAY``
holds it, made and not committed, until the test's checks are done and it releases the step (a small feed makes
it in milliseconds).
Without the change the restarted hub answered nothing until the index was made ("no answer from the hub:
check this phone's connection").
"""

from __future__ import annotations

import time

import pytest

from sync.hub.schema_start import FAULT_STEP_DELAY_ENV, FAULT_STEP_RELEASE_ENV
from tests.support.hub import connection
from tests.support.hub_starting import Starting
from tests.web import world
from tests.web.support import add_account, browser_log_in
from tests.web.test_browser import ARGS, CHROMIUM, PHONE, _missing

pytestmark = pytest.mark.timeout(180)
REFRESH_S = 2
HELD_S = 60   # at most: the test releases the step once the pages have said it (a fixed 10 s before)


def test_an_open_phone_page_says_the_hub_is_upgrading_and_keeps_its_figures(tmp_path):
    if not CHROMIUM.exists():
        _missing(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    env = {"SCC_WEB_REFRESH_SECONDS": str(REFRESH_S)}
    hub, _ = world.start_world(tmp_path, env=env)
    again = None
    try:
        add_account(hub.db_url, "director", "director_on_call")
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                page = chromium.new_context(viewport=PHONE, has_touch=True, is_mobile=True).new_page()
                browser_log_in(page, hub.url, "director")
                figures = page.inner_text("#board")
                assert "OPEL" in figures

                hub.stop()   # an upgrade: the new version's index is not in the database yet
                with connection(hub.db_url, write=True) as conn:
                    conn.exec_driver_sql("DROP INDEX ix_feed_kind_seq")
                release = tmp_path / "release-the-step"
                again = Starting(hub.db_url, tmp_path, hub.tokens, {**env, FAULT_STEP_DELAY_ENV: str(HELD_S),
                                                                    FAULT_STEP_RELEASE_ENV: str(release)},
                                 port=hub.port).start()
                deadline = time.monotonic() + REFRESH_S * 3   # its next refresh (the page's CSP allows no eval)
                while "upgrading its database" not in page.inner_text("#status") and time.monotonic() < deadline:
                    time.sleep(0.2)
                status = page.inner_text("#status")
                assert status.startswith("Could not refresh at ")
                assert "The hub is upgrading its database: making the index ix_feed_kind_seq on the feed" in status
                assert "no answer from the hub" not in status
                assert "OPEL" in page.inner_text("#board")   # the figures it had, kept

                fresh = chromium.new_context(viewport=PHONE).new_page()
                answer = fresh.goto(again.url + "/m/")
                assert answer.status == 503 and answer.headers["retry-after"] == "5"
                assert fresh.inner_text("h1") == "Hub upgrading"
                assert "making the index ix_feed_kind_seq" in fresh.inner_text("main")
                assert fresh.evaluate("getComputedStyle(document.querySelector('header.bar')).display") != "none"

                assert "upgrading its database" in page.inner_text("#status")   # still, all through those checks
                release.touch()   # the step ends: the page's next refresh reads the figures again
                deadline = time.monotonic() + REFRESH_S + 30
                while "Could not refresh" in page.inner_text("#status") and time.monotonic() < deadline:
                    time.sleep(0.5)
                assert "Could not refresh" not in page.inner_text("#status"), page.inner_text("#status")
                assert "OPEL" in page.inner_text("#board")
            finally:
                chromium.close()
    finally:
        (again or hub).stop()
