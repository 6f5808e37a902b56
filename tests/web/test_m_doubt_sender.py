"""/m/ names who sent the doubted figures as the desktop's alert centre does, whole text, by every door.

A real hub on loopback; two units report impossible critical care beds (190 occupied of 20 staffed), each
raising "No critical care bed free":

- RTEST1's were phoned in to the SCC: a desktop records the call (Sam Lee, site manager, typed by A. Patel,
  named after the token's user, `test-room_lead (signed "A. Patel")`, as every desktop names it)
  and pushes it; afterwards RTEST1's own feed sends an unrelated figure through the API (so a notice of
  RTEST1's comes after the phoned-in report on the feed);
- RTEST2's were typed into the provider web form by its account 'rtest2.flow'.

The desktop runs its data-quality checks and says, for each alert, "In doubt (data quality): ... <who sent
it>."; the Director on-call's phone page, logged in over HTTP, must end each alert with the same text.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from models.service import alert_centre, quality
from models.service import phoned_in as phoned_door
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop, observation, submit  # noqa: F401
from tests.web.support import add_account, alert_texts, login, posted_back, provider_form
from tests.web.test_browser import ARGS, AXE, CHROMIUM, PHONE, _log_in

pytestmark = pytest.mark.timeout(240)
NAMES = {"RTEST1": "Test Acute Trust One", "RTEST2": "Test Acute Trust Two"}


def _items(page: str) -> dict[str, str]:
    return {org: text for text in alert_texts(page) for org, name in NAMES.items()
            if f"No critical care bed free: {name}" in text}


def _web_form_beds(hub, user: str, staffed: int, occupied: int) -> None:
    """The provider form as a browser posts it: the unit's beds, As at left as shown (now)."""
    web, _ = login(hub.url, user)
    fields = posted_back(provider_form(web, hub.url), as_at_shown=True)
    data = {**fields, "as_at": fields["as_at_shown"], "send": "changed",
            "critcon_level": "1", "staffed_beds": str(staffed), "occupied_beds": str(occupied)}
    answer = web.post(hub.url + "/provider/", data=data, timeout=20)
    assert answer.status_code == 200 and "Accepted 1 of 1 figure." in answer.text, answer.text


def _doubted_by_phone_and_form(hub, desk) -> None:
    """RTEST1's beds phoned in (then a figure of its own through the API), RTEST2's by the web form."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    assert desk.run_once().error is None   # the organisations, so the call can name its provider
    phoned_door.record_figures(desk.store, org_code="RTEST1", phoned_at=now - timedelta(minutes=20),
                               caller_name="Sam Lee", caller_role="site manager", taken_by="A. Patel",
                               figures={"critcon_level": 1, "cc_staffed_beds": 20, "cc_occupied_beds": 190})
    assert desk.run_once().error is None   # pushed; the hub puts the beds on the feed as RTEST1's
    submit(hub, [observation("ed_four_hour_performance_pct", 71)], org="RTEST1", role="admin")
    add_account(hub.db_url, "rtest2.flow", "provider_submitter", "RTEST2")
    _web_form_beds(hub, "rtest2.flow", 20, 190)


def test_the_phone_names_the_sender_of_doubted_figures_as_the_desktop_does(sqlite_hub, make_desktop):
    hub = sqlite_hub
    desk = make_desktop(hub)
    _doubted_by_phone_and_form(hub, desk)
    assert desk.run_once().error is None
    quality.run_checks(desk.store, datetime.now(timezone.utc))
    told = {a.org_code: a.detail for a in alert_centre.centre(desk.store, datetime.now(timezone.utc), "open",
                                                              rule="cc_no_beds").alerts}
    assert set(told) == set(NAMES), told
    words = {org: told[org][told[org].index("In doubt (data quality): "):] for org in NAMES}
    assert words["RTEST1"].startswith("In doubt (data quality): RTEST1 reported 190 occupied critical care beds"), words
    assert words["RTEST1"].endswith(": more than 2 times its staffed beds. Phoned in to the SCC by Sam Lee "
                                    "(site manager), typed by test-room_lead (signed \"A. Patel\")."), words["RTEST1"]
    assert words["RTEST2"].endswith(": more than 2 times its staffed beds. Sent by the provider web form, "
                                    "account 'rtest2.flow'."), words["RTEST2"]

    add_account(hub.db_url, "director", "director_on_call")
    session, _answer = login(hub.url, "director")
    page = session.get(hub.url + "/m/", timeout=20)
    assert page.status_code == 200
    items = _items(page.text)
    assert set(items) == set(NAMES), items
    for org in NAMES:   # the whole text, sender and all
        assert items[org].endswith(words[org]), (org, words[org], items[org])


def test_the_senders_words_on_a_phone_light_and_dark_with_axe(sqlite_hub, make_desktop, tmp_path):
    """360x640, light and dark: each warning box whole within the screen, nothing scrolls sideways, axe-core
    finds nothing serious.  Screenshots to $SCC_REVIEW_SHOTS when set (else the test's folder)."""
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    hub = sqlite_hub
    _doubted_by_phone_and_form(hub, make_desktop(hub))
    add_account(hub.db_url, "director", "director_on_call")
    shots = Path(os.environ.get("SCC_REVIEW_SHOTS") or tmp_path)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for scheme in ("light", "dark"):
                ctx, tab = _log_in(chromium, hub, PHONE, color_scheme=scheme, bypass_csp=AXE.exists())
                boxes = tab.locator("li.alert .warn")
                assert boxes.count() == 2, tab.content()
                said = [boxes.nth(i).inner_text() for i in range(2)]
                assert any(w.endswith("Phoned in to the SCC by Sam Lee (site manager), typed by "
                                      'test-room_lead (signed "A. Patel").') for w in said), said
                assert any(w.endswith("Sent by the provider web form, account 'rtest2.flow'.") for w in said), said
                for i in range(2):
                    box = boxes.nth(i).bounding_box()
                    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
                assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                if AXE.exists():
                    tab.evaluate(AXE.read_text())
                    found = tab.evaluate("axe.run(document, {resultTypes: ['violations']})")
                    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found["violations"]
                            if v["impact"] in ("serious", "critical")] == []
                tab.locator("#h-alerts").scroll_into_view_if_needed()
                tab.screenshot(path=str(shots / f"m-doubt-sender-360x640-{scheme}.png"))
                boxes.nth(1).scroll_into_view_if_needed()
                tab.screenshot(path=str(shots / f"m-doubt-sender-360x640-{scheme}-second.png"))
                ctx.close()
        finally:
            chromium.close()
