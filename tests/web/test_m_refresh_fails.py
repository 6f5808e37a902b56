"""/m/ on the Director on-call's phone at night when a refresh fails, in Chromium (Playwright, its clock faked
with ``page.clock``) against a real hub fed by the simulator (``tests/web/world.py``), at phone sizes, dark
and light, with axe (the review of session 30, findings 1, 2, 8, 9, 12, 13):

- the hub stopped for real and the phone's clock moved on 90 minutes: every age and running wait on the
  page counted on by 90 minutes, the data line turned to the stale warning, the stale rows counted again,
  the picture said to be 1 h 30 min old where the figures are and at each section, the sticky bar saying
  it wherever the reader has scrolled (before: "Data as at 11:11 (2 min ago)", "longest 2 h 03 min");
- the phone's own clock three hours wrong: the ages are the hub's, and a sleep (the wall clock jumping on)
  or a clock set back never shows an age younger than it is;
- offline, and the hub down with the device online, told apart (before: "check this phone's connection"
  for both), in words true on a laptop too;
- "On call now" and "Today's decisions" near the top, with links to the sections (before: 7,016 px down
  at 360x740); an h1 (axe found none);
- a session ended while the phone was locked: the login page says why and fills in the user name;
- a handover wait alert raised from a late batch is raised when the wait passed its threshold, and says
  its data reached the hub late.

``SCC_SHOTS=<folder>`` writes the screenshots looked at.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sync.hub.schema import utcnow
from tests.web import world
from tests.web.support import PASSWORD, add_account, browser_log_in, idle_out
from tests.web.test_browser import AXE, browser  # noqa: F401 - the module's one Chromium

pytestmark = pytest.mark.timeout(300)
SMALL = {"width": 360, "height": 740}
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
AMBULANCE = "RX9"   # the simulated ICS's ambulance service


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    # Refreshing every 10 minutes: the tests press Refresh now, and the faked clock fires the rest.
    process, _ = world.start_world(tmp_path_factory.mktemp("m-refresh"), env={"SCC_WEB_REFRESH_SECONDS": "600"})
    try:
        add_account(process.db_url, "director", "director_on_call")
        yield process
    finally:
        process.stop()


@contextmanager
def _phone(browser, size, dark=True, at: datetime | None = None, hub=None):  # noqa: F811
    """A page in a phone's browser context (a laptop's at a wide ``size``), its clock faked from ``at`` (else
    now), logged in to ``hub`` as the Director on-call when given; the context closed after."""
    mobile = size["width"] < 700   # the page's wide layout begins at 700 px (m.css)
    ctx = browser.new_context(viewport=size, is_mobile=mobile, has_touch=mobile, locale="en-GB",
                              timezone_id="Europe/London", color_scheme="dark" if dark else "light")
    try:
        page = ctx.new_page()
        if at is None:
            page.clock.install()
        else:
            page.clock.install(time=at)
        if hub is not None:
            browser_log_in(page, hub.url, "director")
        yield page
    finally:
        ctx.close()


def _shot(page, name: str, full: bool = False) -> None:
    if os.environ.get("SCC_SHOTS"):
        page.screenshot(path=str(Path(os.environ["SCC_SHOTS"]) / f"{name}.png"), full_page=full)


def _axe_all(page) -> list:
    """Every axe violation, whatever its impact (the page had one, moderate: no h1)."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]]


def _minutes(text: str) -> int:
    """An age or a wait in the page's words ("just now", "12 min ago", "2 h 03 min", "2 h ago") in minutes."""
    if "just now" in text:
        return 0
    found = re.search(r"(?:(\d+) h)?\s*(?:(\d+) min)?", text.strip())
    hours, mins = found.group(1), found.group(2)
    assert hours or mins, text
    return int(hours or 0) * 60 + int(mins or 0)


def _uk(at: datetime) -> str:
    from models.uk_time import UK

    return at.astimezone(UK).strftime("%H:%M")


def _ages(page) -> dict[str, int]:
    ages = page.evaluate("""() => Array.from(document.querySelectorAll('#board .age')).map(e => e.textContent)""")
    return {"data": _minutes(page.locator("#data-as-at .age").inner_text()),
            "longest": _minutes(page.locator("#h-off ~ p.total .age").inner_text()),
            "rows": page.locator("#board .age[data-row]").count(), "all": len(ages)}


def test_a_failed_refresh_counts_every_age_on_and_says_the_picture_is_old(browser, hub):  # noqa: F811
    with _phone(browser, SMALL, hub=hub) as page:
        before = _ages(page)
        server_stale = int(page.locator("#stale-count").inner_text().split()[0])
        assert before["data"] < 10 and before["rows"] > 10
        sent = page.evaluate("document.getElementById('status').dataset.now")
        hub.stop()
        try:
            page.clock.fast_forward("00:50:00")
            page.click("#refresh")
            page.wait_for_selector("#status.failed")
            status = page.inner_text("#status")
            sent_at = _uk(datetime.fromtimestamp(int(sent) / 1000, timezone.utc))
            # The hub down, this phone online: the hub's fault in words, and what to do (finding 2).
            assert "the hub did not answer, though this device is connected" in status and "ring the room" in status
            assert "check this" not in status
            assert page.inner_text("header.bar .stuck") == f"Not refreshed since {sent_at} (50 min ago)"
            after = _ages(page)
            assert after["data"] - before["data"] in (50, 51), (before, after)
            assert after["longest"] - before["longest"] in (49, 50, 51), (before, after)
            # Each provider or service past the hour by now is marked so, and counted (how many depends on
            # the simulator's last sends; at 90 minutes, below, every one is).
            rows = page.locator("#board .age[data-row]").all_inner_texts()
            past = [r for r in rows if "ever" in r or _minutes(r.replace("STALE: ", "")) > 60]
            assert int(page.locator("#stale-count").inner_text().split()[0]) == len(past) >= server_stale, rows
            assert page.locator("#board .age.over").count() == len(past) - server_stale
            assert page.locator("#old").count() == 0
            _shot(page, "m-failed-50min-360x740-dark")

            page.clock.fast_forward("00:40:00")   # 90 minutes since the hub's last answer: past the limit
            assert _ages(page)["data"] - before["data"] in (90, 91)
            old = page.inner_text("#old")
            assert old.startswith("This picture is 1 h 30 min old") and f"answered at {sent_at}" in old, old
            assert "Do not act on these figures without ringing the room" in old
            assert page.locator("#data-as-at").is_hidden() and page.locator("#stale-count").is_hidden()
            fresh_rows = page.locator("#board .age.over")   # every row fresh at the answer: STALE now
            assert fresh_rows.count() == after["rows"] - server_stale > 5
            assert all(t.startswith("STALE: ") for t in fresh_rows.all_inner_texts())
            assert int(page.locator("#stale-count").text_content().split()[0]) == after["rows"]
            headings = page.locator("#board section h2").count()
            assert page.locator("#board section h2 .old-tag").count() == headings > 8
            assert page.inner_text("header.bar .stuck") == f"Not refreshed since {sent_at} (1 h 30 min ago)"
            assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
            _shot(page, "m-failed-90min-360x740-dark")
            page.locator("#h-off").scroll_into_view_if_needed()
            _shot(page, "m-failed-90min-offload-360x740-dark")
            assert _axe_all(page) == []
        finally:
            hub.start()
        page.click("#refresh")
        page.wait_for_selector("#status:not(.failed)")
        page.wait_for_function("document.getElementById('status').textContent.startsWith('Updated')")
        assert page.locator("#old, header.bar .stuck, .old-tag").count() == 0
        assert page.evaluate("document.getElementById('board').classList.contains('old')") is False


def test_the_ages_are_the_hubs_whatever_the_phones_clock_says(browser, hub):  # noqa: F811
    """The phone's clock three hours fast: the ages stay the hub's. A sleep (the wall clock jumps on, the
    monotonic one may not) counts; the clock set back never makes an age younger."""
    wrong = datetime.now(timezone.utc) + timedelta(hours=3)
    with _phone(browser, PHONE, dark=False, at=wrong, hub=hub) as page:
        first = _ages(page)
        assert first["data"] < 10, first   # not "3 h ago"
        page.clock.set_system_time(wrong + timedelta(minutes=50))   # asleep for 50 minutes
        page.clock.run_for(31_000)
        slept = _ages(page)
        assert slept["data"] - first["data"] in (50, 51), (first, slept)
        page.clock.set_system_time(wrong - timedelta(hours=2))       # the clock set back
        page.clock.run_for(31_000)
        back = _ages(page)
        assert back["data"] >= slept["data"], (slept, back)
        hub.stop()
        try:
            page.click("#refresh")
            page.wait_for_selector("#status.failed")
            status = page.inner_text("#status")
            # Timed by the hub's clock, not the phone's (three hours out).
            said = re.search(r"Could not refresh at (\d\d:\d\d)", status).group(1)
            hub_now = datetime.now(timezone.utc) + timedelta(minutes=51)
            assert said in {_uk(hub_now + timedelta(minutes=d)) for d in (-1, 0, 1)}, (said, status)
        finally:
            hub.start()


def test_offline_and_the_hub_down_are_told_apart(browser, hub):  # noqa: F811
    """At a laptop's width and a phone's: offline is said as this device's (before: "this phone has no
    connection" on a laptop too), and the page says "phone" nowhere of the device it is open on."""
    for size in (LAPTOP, SMALL):
        with _phone(browser, size, hub=hub) as page:
            page.context.set_offline(True)
            page.click("#refresh")
            page.wait_for_selector("#status.failed")
            status = page.inner_text("#status")
            assert "this device has no connection" in status and "hub did not answer" not in status, status
            assert "Not refreshed since" in page.inner_text("header.bar .stuck")
            assert not re.search(r"\bphone\b", page.inner_text("body")), status
            _shot(page, f"m-offline-{size['width']}x{size['height']}-dark")
            page.context.set_offline(False)   # the connection back: refreshed at once, by itself
            page.wait_for_selector("#status:not(.failed)", timeout=10_000)
            assert page.locator("header.bar .stuck").count() == 0


def test_on_call_and_decisions_near_the_top_with_links_and_an_h1(browser, hub):  # noqa: F811
    for size, dark in ((SMALL, True), (PHONE, False)):
        with _phone(browser, size, dark=dark, hub=hub) as page:
            top = page.evaluate("""() => Object.fromEntries(['h-oc', 'h-dec', 'h-off', 'h-prov'].map(
                id => [id, document.getElementById(id).getBoundingClientRect().top + scrollY]))""")
            # Before: 7,016 and 6,765 px down at 360x740, ten screens.
            assert top["h-oc"] < 3.2 * size["height"] and top["h-dec"] < 3.6 * size["height"], top
            assert page.locator("h1").count() == 1
            links = page.locator("nav.jump a")
            assert links.all_inner_texts() == ["Alerts", "On call", "Decisions", "Offload", "Providers"]
            for link in links.all():
                box = link.bounding_box()
                assert box["height"] >= 44 and box["width"] >= 44, box
                assert page.locator(link.get_attribute("href")).count() == 1
            page.click("nav.jump a[href='#h-oc']")
            page.wait_for_function("Math.abs(document.getElementById('h-oc').getBoundingClientRect().top) < 120")
            assert world.DIRECTOR in page.inner_text("#h-oc ~ ul")
            page.evaluate("window.scrollTo(0, 0)")
            _shot(page, f"m-top-{size['width']}x{size['height']}-{'dark' if dark else 'light'}")
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            assert _axe_all(page) == []


def test_a_session_ended_while_the_phone_was_locked_says_why_at_the_login(browser, hub):  # noqa: F811
    with _phone(browser, SMALL, hub=hub) as page:
        idle_out(hub.db_url, "director")
        page.click("#refresh")
        page.wait_for_url(re.compile(r".*/login\?next=/m/$"))
        assert "Your session ended after 30 minutes without use" in page.inner_text("p.note")
        assert page.input_value("#user") == "director"
        _shot(page, "m-session-ended-360x740-dark")
        assert _axe_all(page) == []
        page.fill("#password", PASSWORD)
        page.click("form.login button")
        page.wait_for_url(hub.url + "/m/")
    # Logged out: no such words (the cookie is gone); a browser that never logged in: none either.
    with _phone(browser, SMALL) as page:
        page.goto(hub.url + "/login?next=/m/")
        assert page.locator("p.note").count() == 0 and page.input_value("#user") == ""


def test_a_wait_alert_from_a_late_batch_says_when_the_wait_passed(browser, hub):  # noqa: F811
    """An ambulance that arrived two hours ago, learnt of in one batch now: "since" the wait passed 60
    minutes (about an hour ago), with when its data reached the hub."""
    now = utcnow()
    arrived = now - timedelta(hours=2)
    world.submit(hub, AMBULANCE, [
        {"type": "handover", "event_uuid": uuid.uuid4().hex[:20], "hospital_code": world.STALE_ORG["ods_code"],
         "state": "arrived", "arrived_at": arrived.isoformat()},
        # The service's data runs to now (not a replay of the past, which is judged at its own time).
        {"type": "handover", "event_uuid": uuid.uuid4().hex[:20], "hospital_code": world.STALE_ORG["ods_code"],
         "state": "arrived", "arrived_at": (now - timedelta(minutes=1)).isoformat()}])
    with _phone(browser, PHONE, hub=hub) as page:
        if page.locator("#more-alerts").count():
            page.click("#more-alerts summary")
        row = page.locator("li.alert", has_text=f"waited 60 minutes or more to hand over: {world.STALE_ORG['name']}")
        text = row.inner_text()
        # Raised when the wait passed 60 by its data, and said to have reached the hub late (before: "since"
        # the batch came, or the board's own guess at when the wait passed).
        passed = re.search(r"since (\d\d:\d\d) \(its data reached the hub (\d\d:\d\d)\)", text)
        assert passed, text
        assert passed.group(1) in {_uk(arrived + timedelta(minutes=60 + d)) for d in (-1, 0, 1)}, text
        assert passed.group(2) in {_uk(now + timedelta(minutes=d)) for d in (-1, 0, 1, 2)}, text
        row.scroll_into_view_if_needed()
        _shot(page, "m-late-wait-alert-390x844-dark")
