"""/m/'s week ahead in a real headless Chromium at 360x640, light and dark, against a real hub sent six
weeks of handovers and occupancy (``tests.web.week_world``): the section says it is being worked out,
then shows the system's days within a refresh; the list of sites opens in place and stays open across a
refresh, and each site's days are a page of their own one tap away (``/m/week/<code>``), refreshed in place
too; today's arrivals stand above their range (the widest row: its "above range" once held the table
50 px wider than the phone); nothing is wider than the phone, every target takes a thumb, and axe finds
nothing serious on either.

``SCC_WRITE_SCREENSHOTS=1`` writes docs/screenshots/web-week-*.png.
"""

from __future__ import annotations

import os

import pytest

from sync.hub.schema import utcnow
from tests.support.hub import start_hub
from tests.web import week_world
from tests.web.support import add_account
from tests.web.test_browser import AXE, PHONE, SHOTS, _axe, _log_in, _missing, _small_targets, browser  # noqa: F401

pytestmark = pytest.mark.timeout(300)
REFRESH_S = 2


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process, _sent = week_world.start_fed_hub(tmp_path_factory, tmp_path_factory.mktemp("web-week"), 42,
                                              env={"SCC_WEB_REFRESH_SECONDS": str(REFRESH_S)})
    try:
        week_world.surge_today(process, utcnow())   # today's arrivals above their range: the widest row a phone meets
        # Started again with the surge in its feed: the week it worked out as it started had none, and a week
        # is worked out again only five minutes on.
        process.stop()
        week_world.forget_worked_week(process)
        process.start()
        add_account(process.db_url, "director", "director_on_call")
        yield process
    finally:
        process.stop()


def _a_refresh(page) -> None:
    """Until the page has refreshed itself in place (its board, status line and all, replaced by the hub's newer
    answer), within three refreshes' time: each such wait was five seconds of sleep, a refresh or two."""
    page.evaluate("document.getElementById('status').dataset.old = '1'")
    page.wait_for_function("() => { const s = document.getElementById('status'); return s && !s.dataset.old; }",
                           timeout=(3 * REFRESH_S + 10) * 1000)


def _week_shown(page) -> None:
    page.locator("#h-week ~ .wk-wrap table").first.wait_for(timeout=60_000)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_week_ahead_on_a_phone_light_and_dark(browser, hub, scheme):
    if not AXE.exists():
        _missing(f"axe-core not found at {AXE} (npm pack axe-core; or set SCC_AXE_JS)")
    write = os.environ.get("SCC_WRITE_SCREENSHOTS") == "1"
    ctx, page = _log_in(browser, hub, PHONE, bypass_csp=True, color_scheme=scheme)
    try:
        _week_shown(page)   # worked out in the hub's thread: shown at a refresh, in place
        section = page.locator("section", has=page.locator("#h-week"))
        text = section.inner_text()
        assert "Week ahead: FORECAST" in text and "80% range" in text and "from data to" in text
        assert "Arrivals" in text and "Over 60 min" in text
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
        if write:
            page.evaluate("window.scrollTo(0, document.getElementById('h-week').getBoundingClientRect().top + window.scrollY - 70)")
            page.screenshot(path=str(SHOTS / f"web-week-360x640-{scheme}.png"))
        table = section.locator(".wk-wrap").first
        today = table.locator("tbody tr").first.inner_text()
        assert "today" in today and "above range" in today, today
        widths = table.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], f"the system's table fits the phone, today above its range: {widths}"
        page.click("#week-sites > summary")
        site = week_world.LONG[0]
        link = page.locator(f'#week-sites a[href="/m/week/{site[0]}"]')
        assert link.inner_text() == site[1]
        assert _small_targets(page) == [], "each site's link takes a thumb"
        if write:
            page.evaluate("window.scrollTo(0, document.getElementById('week-sites').getBoundingClientRect().top + window.scrollY - 70)")
            page.screenshot(path=str(SHOTS / f"web-week-sites-360x640-{scheme}.png"))
        _a_refresh(page)   # the opened list stays open
        assert page.locator("#week-sites").evaluate("e => e.open")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert _axe(page, AXE.read_text()) == []
        # Each site's days are a page of their own, one tap away, behind the same login.
        page.locator(f'#week-sites a[href="/m/week/{site[0]}"]').click()
        page.wait_for_url(f"{hub.url}/m/week/{site[0]}")
        opened = page.locator(".wk-wrap")
        text = page.locator("main").inner_text()
        assert site[1] in text and "Week ahead: FORECAST" in text and "80% range" in text
        assert "G&A beds" in opened.inner_text() and "above range" in opened.locator("tbody tr").first.inner_text()
        widths = opened.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1], f"a site's four columns fit the phone: {widths}"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.evaluate("window.__sameDocument = true")
        status = page.locator("#status").inner_text()
        _a_refresh(page)   # it refreshes in place, as /m/ does
        assert page.evaluate("window.__sameDocument === true") and page.locator(".wk-wrap table").count() == 1
        assert page.locator("#status").inner_text().startswith("Updated") and status.startswith("Updated")
        assert _small_targets(page) == []
        if write:
            page.screenshot(path=str(SHOTS / f"web-week-site-360x640-{scheme}.png"))
        assert _axe(page, AXE.read_text()) == []
        page.click("a.back")
        page.wait_for_url(f"{hub.url}/m/#week-sites")
        new = week_world.NEW
        page.goto(f"{hub.url}/m/week/{new[0]}")
        assert "no forecast, too little history" in page.locator("main").inner_text()
    finally:
        ctx.close()


def test_back_from_a_sites_page_finds_the_list_of_sites_open(browser, hub):
    """The Director goes through the sites one after another: Back from a site's page, by the browser's Back
    or the page's own link, finds the list open where it was (it was closed again each time: 40 sites, 40
    reopenings; the page reloads on Back, as a picture from the back-forward cache may be another session's)."""
    ctx, page = _log_in(browser, hub, PHONE)
    try:
        _week_shown(page)
        page.click("#week-sites > summary")
        first, second = week_world.LONG[1], week_world.LONG[2]
        link = page.locator(f'#week-sites a[href="/m/week/{first[0]}"]')
        link.scroll_into_view_if_needed()
        at = page.evaluate("window.scrollY")
        link.click()
        page.wait_for_url(f"{hub.url}/m/week/{first[0]}")
        page.go_back()
        page.wait_for_url(f"{hub.url}/m/")
        page.locator("#week-sites").wait_for()
        assert page.locator("#week-sites").evaluate("e => e.open"), "the browser's Back: the list is open again"
        assert page.locator(f'#week-sites a[href="/m/week/{second[0]}"]').is_visible()
        assert abs(page.evaluate("window.scrollY") - at) < PHONE["height"], "at the place it was"
        page.locator(f'#week-sites a[href="/m/week/{second[0]}"]').click()
        page.wait_for_url(f"{hub.url}/m/week/{second[0]}")
        page.click("a.back")
        page.wait_for_url(f"{hub.url}/m/#week-sites")
        assert page.locator("#week-sites").evaluate("e => e.open"), "the page's own Back link: the list is open"
        top = page.locator("#week-sites").evaluate("e => e.getBoundingClientRect().top")
        bar = page.locator("header.bar").evaluate("e => e.getBoundingClientRect().bottom")
        assert bar <= top < PHONE["height"] - 100, f"the list in view, under the page's bar ({bar}): {top}"
        page.evaluate("window.__sameDocument = true")
        _a_refresh(page)   # a refresh in place: it stays open
        assert page.evaluate("window.__sameDocument === true") and page.locator("#week-sites").evaluate("e => e.open")
        page.goto("about:blank")
        page.goto(f"{hub.url}/m/#%E0%A4%A")   # a malformed link: no harm, the page still refreshes itself
        page.evaluate("window.__sameDocument = true")
        _a_refresh(page)
        assert page.evaluate("window.__sameDocument === true && !document.getElementById('status').dataset.old")
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """A hub with the acute sites and no handovers or occupancy yet (its acute sites decide which
    pages there are)."""
    process = start_hub(tmp_path_factory.mktemp("web-week-bare"), orgs=week_world.ORGS,
                        env={"SCC_WEB_REFRESH_SECONDS": str(REFRESH_S)})
    try:
        add_account(process.db_url, "director", "director_on_call")
        yield process
    finally:
        process.stop()


def test_a_site_that_is_no_longer_acute_its_open_page_says_so_at_the_next_refresh(browser, bare):
    """The hub's answer for a page that no longer exists (404) is shown; a failed refresh (no answer, 503)
    keeps what the hub last sent. It kept the site's page, figures and all, under "Could not refresh at
    12:14 (the hub answered 404)", at every refresh, for as long as the phone stayed on it."""
    import subprocess
    import sys

    code, name = week_world.LONG[3]
    ctx, page = _log_in(browser, bare, PHONE, where=f"/m/week/{code}")
    try:
        assert page.locator("#h-site").inner_text() == name
        subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "org", "add", "--db", bare.db_url, code,
                        "--name", name, "--sector", "community"], check=True, capture_output=True, timeout=120)
        page.locator("main h1", has_text="No such site").wait_for(timeout=(3 * REFRESH_S + 5) * 1000)
        assert f"no acute site with the code '{code}'" in page.locator("main").inner_text()
        assert page.locator("#h-site").count() == 0
    finally:
        ctx.close()
