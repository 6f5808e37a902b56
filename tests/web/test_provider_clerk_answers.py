"""The provider form as a trust's figures clerk met it in r1's review (session 30): a figure the field cannot
take offered as "tick that it is right", an emptied figure dropped without a word, Forward after Back on
Chromium's "Confirm Form Resubmission", "96%" and a two-digit year refused, a semicolon file's answer wider
than the phone.

A real hub on loopback (an acute trust with its nine OPEL parameters) and Debian's Chromium driven by
Playwright, at 1366x768 and at 390x844. What the hub holds afterwards is read from its database.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models.uk_time import UK
from sync.hub import schema as s
from sync.hub.schema import utcnow
from tests.support.hub import connection, start_hub
from tests.web import world
from tests.web.support import add_account, browser_log_in
from tests.web.test_browser import AXE, _axe, browser  # noqa: F401  (the module's Chromium)
from tests.web.test_provider_form_slips import _held

pytestmark = pytest.mark.timeout(240)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ORG = "RTEST1"
SEND = "main.form > form > button[value=changed]"
SEND_ALL = "main.form > form > button[value=all]"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("provider-clerk"))
    try:
        add_account(process.db_url, "rtest.clerk", "provider_submitter", ORG)
        at = utcnow().isoformat()
        world.submit(process, ORG, [{"type": "observation", "metric": m, "observed_at": at, "value": float(v)}
                                    for m, v in world.ACUTE_VALUES.items()])
        yield process
    finally:
        process.stop()


def _quarantined(hub) -> int:
    with connection(hub.db_url) as conn:
        return conn.execute(select(func.count()).select_from(s.quarantine).where(s.quarantine.c.org_code == ORG)
                            ).scalar()


def _log_in(browser, hub, viewport=LAPTOP, scheme="light"):  # noqa: F811
    ctx = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/London", color_scheme=scheme,
                              bypass_csp=AXE.exists())
    page = ctx.new_page()
    browser_log_in(page, hub.url, "rtest.clerk", "/provider/")
    return ctx, page


def _send(page, selector=SEND):
    with page.expect_navigation():
        page.click(selector)


def _field(page, name: str) -> str:
    return "#" + name.replace(".", "\\.")


def _problem(page, name: str) -> str:
    return page.locator(".field.bad", has=page.locator(_field(page, name))).inner_text()


def test_a_figure_outside_its_range_is_said_first_and_offered_no_tick(browser, hub):  # noqa: F811
    """1204 typed in the no-criteria-to-reside percentage (0 to 100; the hub's last 10): it was held back as
    "120.4 times the hub's last figure ... tick that it is right", and the ticked figure was then quarantined
    as outside the range. The range is now said at once, with no tick box, and the figure quarantined."""
    ctx, page = _log_in(browser, hub)
    try:
        before = _quarantined(hub)
        page.fill(_field(page, "m.nctr_bed_occupancy_pct"), "1204")
        page.fill(_field(page, "m.ga_bed_occupancy_pct"), "93")
        _send(page)
        said = _problem(page, "m.nctr_bed_occupancy_pct")
        assert "1204 is outside the valid range 0 to 100 percent" in said, said
        assert "times the hub's last figure" not in said and "tick" not in said
        assert page.locator("input[name^='sure.']").count() == 0, "no tick box for a figure the field cannot take"
        if AXE.exists():
            assert _axe(page, AXE.read_text()) == []
        result = page.locator("#result").inner_text()
        assert "Accepted 1 of 2 figures." in result and "1 quarantined" in result, result
        assert _quarantined(hub) == before + 1 and _held(hub, "nctr_bed_occupancy_pct") == 10
        assert _held(hub, "ga_bed_occupancy_pct") == 93
        # A figure inside the range and ten times the last is still held for a tick, as before.
        page.fill(_field(page, "m.nctr_bed_occupancy_pct"), "100")
        _send(page)
        assert "10 times the hub's last figure" in _problem(page, "m.nctr_bed_occupancy_pct")
        assert page.locator("input[name='sure.m.nctr_bed_occupancy_pct']").count() == 1
        assert _quarantined(hub) == before + 1
    finally:
        ctx.close()


def test_an_emptied_figure_is_said_beside_its_field_and_the_hubs_put_back(browser, hub):  # noqa: F811
    """G&A occupancy emptied, another figure changed: "Accepted 1 of 1 figure", the emptied one named nowhere,
    its box left empty, and the hub kept scoring with its figure. Now it is said beside the field and the
    hub's figure is back in the box; Send all does the same; an emptied figure alone sends nothing."""
    ctx, page = _log_in(browser, hub)
    try:
        held = _held(hub, "ga_bed_occupancy_pct")
        shown = page.locator(_field(page, "m.ga_bed_occupancy_pct")).input_value()
        assert shown and float(shown) == held
        page.fill(_field(page, "m.ga_bed_occupancy_pct"), "")
        page.fill(_field(page, "m.escalation_beds_open_pct"), "3")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Accepted 1 of 1 figure." in result and "1 figure left empty was not sent" in result, result
        said = _problem(page, "m.ga_bed_occupancy_pct")
        assert f"left empty, so not sent; the hub keeps its figure {shown} from " in said, said
        assert "if it is wrong, type the right one and send it" in said
        assert page.locator(_field(page, "m.ga_bed_occupancy_pct")).input_value() == shown, "put back"
        if AXE.exists():
            assert _axe(page, AXE.read_text()) == []
        assert _held(hub, "ga_bed_occupancy_pct") == held and _held(hub, "escalation_beds_open_pct") == 3
        page.fill(_field(page, "m.ga_bed_occupancy_pct"), "")
        _send(page, SEND_ALL)
        result = page.locator("#result").inner_text()
        assert "1 figure left empty was not sent" in result, result
        assert page.locator(_field(page, "m.ga_bed_occupancy_pct")).input_value() == shown
        page.fill(_field(page, "m.ga_bed_occupancy_pct"), "")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Nothing was stored" in result and "1 figure left empty was not sent" in result, result
        assert _held(hub, "ga_bed_occupancy_pct") == held
    finally:
        ctx.close()


def test_forward_after_back_shows_the_form_and_posts_nothing_again(browser, hub):  # noqa: F811
    """Send, Back, Forward: Chromium's "Confirm Form Resubmission" (ERR_CACHE_MISS) page. The answer's
    history entry is now the form's address, so Forward and a reload open the form, and nothing is posted."""
    ctx, page = _log_in(browser, hub)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    try:
        page.fill(_field(page, "m.mean_handover_minutes"), "26")
        _send(page)
        assert "Accepted 1 of 1 figure." in page.locator("#result").inner_text()
        assert page.url == hub.url + "/provider/"
        page.go_back()
        page.go_forward()
        page.wait_for_load_state()
        assert page.url == hub.url + "/provider/"
        assert page.locator("h1").inner_text() == "Test Acute Trust One", page.content()[:500]
        page.reload()
        assert page.locator("h1").inner_text() == "Test Acute Trust One"
        assert page.locator(_field(page, "m.mean_handover_minutes")).input_value() == "26"
        assert posts == [hub.url + "/provider/"], posts
        # An answer with a problem: a reload puts the figure the hub turned down back, not the hub's figure.
        page.fill(_field(page, "m.mean_handover_minutes"), "ninety")
        _send(page)
        assert "is not a number" in _problem(page, "m.mean_handover_minutes")
        page.reload()
        assert page.locator(_field(page, "m.mean_handover_minutes")).input_value() == "ninety"
        restored = page.locator("#restored").inner_text()
        assert "What you typed in this tab that the hub did not store" in restored, restored
        assert "Mean ambulance arrival-to-handover time (minutes): ninety" in restored
        assert len(posts) == 2, posts
        page.go_back()
        page.go_forward()
        assert page.locator(_field(page, "m.mean_handover_minutes")).input_value() == "ninety", "Forward too"
        page.goto(hub.url + "/provider/")   # the form opened anew: the hub's figure, nothing put back
        assert page.locator(_field(page, "m.mean_handover_minutes")).input_value() == "26"
        assert page.locator("#restored").count() == 0
        assert len(posts) == 2, posts
    finally:
        ctx.close()


def test_a_percent_sign_and_a_two_digit_year_are_read_as_a_clerk_means_them(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub)
    try:
        at = (utcnow() - timedelta(minutes=20)).replace(second=0, microsecond=0)
        page.fill("#as_at", at.astimezone(UK).strftime("%d/%m/%y %H:%M"))
        page.fill(_field(page, "m.ed_four_hour_performance_pct"), "96%")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Accepted 1 of 1 figure." in result, result
        assert f"Stored as at {at.astimezone(UK):%H:%M} (UK time)" in result, result
        with connection(hub.db_url) as conn:
            value, observed = conn.execute(select(s.feed_observation.c.value, s.feed_observation.c.observed_at)
                                           .where(s.feed_observation.c.org_code == ORG,
                                                  s.feed_observation.c.metric == "ed_four_hour_performance_pct")
                                           .order_by(s.feed_observation.c.seq.desc()).limit(1)).one()
        assert value == 96 and observed.startswith(at.strftime("%Y-%m-%dT%H:%M"))
        page.fill(_field(page, "m.mean_handover_minutes"), "25%")   # minutes: a % is a slip, said
        _send(page)
        assert "'25%' is not a number: this figure is not a percentage; write it without %" in \
            _problem(page, "m.mean_handover_minutes")
    finally:
        ctx.close()


@pytest.mark.parametrize("content, words", [
    (b"\xef\xbb\xbftype;metric;observed_at;value;\r\nobservation;ga_bed_occupancy_pct;06/12/2026 10:56;94.1;\r\n",
     "separated by ';' (semicolons), not commas"),
    (b"type,metric,observed_at,value,ward_or_department_name_as_our_system_exports_it_without_spaces\r\n"
     b"observation,ga_bed_occupancy_pct,06/12/2026 10:56,94.1,Ward5\r\n", "unknown column"),
])
def test_a_refused_files_answer_fits_a_phone(browser, hub, content, words, tmp_path):  # noqa: F811
    """The semicolon file's one long header cell made the page 401 px wide at 390."""
    ctx, page = _log_in(browser, hub, PHONE, "dark")
    try:
        path = tmp_path / "figures.csv"
        path.write_bytes(content)
        page.set_input_files("input[type=file]", str(path))
        with page.expect_navigation():
            page.click(".upload button")
        assert words in page.locator("#result").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        if AXE.exists():
            assert _axe(page, AXE.read_text()) == []
    finally:
        ctx.close()


def _reports(hub) -> list[dict]:
    """The hub's CRITCON reports for the trust, oldest first, as the feed holds them."""
    with connection(hub.db_url) as conn:
        rows = conn.execute(select(s.feed.c.data).where(s.feed.c.kind == "critcon", s.feed.c.org_code == ORG)
                            .order_by(s.feed.c.seq)).scalars().all()
    return [json.loads(r) for r in rows]


def _said(page, name: str) -> str:
    return page.locator(".field", has=page.locator(_field(page, name))).inner_text()


def test_an_emptied_critcon_level_or_bed_count_says_at_its_field_what_happens(browser, hub):  # noqa: F811
    """Session 31: a clerk empties a CRITCON field that had a value. The page said nothing of what became of it:
    an emptied bed count went as a report without it (the unit's beds gone from the room's totals) under
    "Accepted 1 of 1 figure."; the level and beds all emptied sent nothing, also without a word. Each field now
    says beforehand what leaving it empty does, and after a send what it did, and the hub's reports match."""
    ctx, page = _log_in(browser, hub, PHONE)
    try:
        for name in ("critcon_level", "staffed_beds", "occupied_beds"):   # said before anything is sent
            assert page.locator(f"#{name}-empty").inner_text().strip(), name
            assert f"{name}-empty" in page.locator(_field(page, name)).get_attribute("aria-describedby")
        assert "(none) sends no report, and the hub keeps your last one" in _said(page, "critcon_level")
        assert "Left empty, the report goes without it" in _said(page, "staffed_beds")
        page.select_option("#critcon_level", "2")
        page.fill("#staffed_beds", "20")
        page.fill("#occupied_beds", "18")
        _send(page)
        assert _reports(hub)[-1]["staffed_beds"] == 20
        # A bed count emptied beside a level: the report goes without it, and the page says so at the field.
        page.fill("#staffed_beds", "")
        page.fill("#occupied_beds", "19")
        _send(page)
        newest = _reports(hub)[-1]
        assert (newest["level"], newest["staffed_beds"], newest["occupied_beds"]) == (2, None, 19), newest
        said = _said(page, "staffed_beds")
        assert "Staffed beds: left empty, so the CRITCON report went without it (it was 20): the room has no " \
               "staffed beds figure for the unit until a report gives one" in said, said
        assert "Staffed beds left empty: the CRITCON report went without it" in page.locator("#result").inner_text()
        assert page.locator("#staffed_beds").input_value() == ""
        if AXE.exists():
            assert _axe(page, AXE.read_text()) == []
        # The level and its beds all emptied: no report, said beside the level, the last one put back.
        sent = len(_reports(hub))
        page.select_option("#critcon_level", "")
        page.fill("#occupied_beds", "")
        ga = float(page.locator(_field(page, "m.ga_bed_occupancy_pct")).input_value())
        page.fill(_field(page, "m.ga_bed_occupancy_pct"), f"{ga - 1:g}")
        _send(page)
        assert len(_reports(hub)) == sent, "no report was sent"
        said = _problem(page, "critcon_level")
        assert "CRITCON level: left at (none) with its beds empty, so no report was sent: a unit's level stays " \
               "until another is reported, and the hub keeps the last one" in said, said
        assert page.locator("#critcon_level").input_value() == "2" and page.locator("#occupied_beds").input_value() \
            == "19", "put back as the form last showed them"
        result = page.locator("#result").inner_text()
        assert "Accepted 1 of 1 figure." in result and "The CRITCON report was left empty, so none was sent" in result
        # The level alone emptied, beds still there: held, and the words say the level stays.
        page.select_option("#critcon_level", "")
        page.fill("#occupied_beds", "17")
        _send(page)
        assert len(_reports(hub)) == sent
        said = _problem(page, "critcon_level")
        assert "a unit's level stays until another is reported, so (none) withdraws nothing; choose the level now " \
               "(0 to 3): staffed and occupied beds are sent with it" in said, said
    finally:
        ctx.close()
