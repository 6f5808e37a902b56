"""The provider form as a data manager meets it on a busy morning (session 24's review): a session that
ends while they type, a decimal comma, a drop-down left unchosen, a declared level set to "(none)".

A real hub on loopback (the test organisations, an acute trust with its nine OPEL parameters and a
standing declaration) and Debian's Chromium driven by Playwright at 1366x768, one of each for the module.
Each figure the hub holds afterwards is read from its database: the page's words are not the proof.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from sync.hub import schema as s
from sync.hub.schema import utcnow
from tests.support.hub import connection, start_hub
from tests.web import world
from tests.web.support import PASSWORD, add_account, idle_out
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)

pytestmark = pytest.mark.timeout(240)

LAPTOP = {"width": 1366, "height": 768}
ORG = "RTEST1"
SEND = "main.form > form > button[value=changed]"
DECLARED = 3


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("provider-slips"))
    try:
        add_account(process.db_url, "rtest.data", "provider_submitter", ORG)
        add_account(process.db_url, "rtest.site", "provider_submitter", ORG)
        add_account(process.db_url, "ramb.data", "provider_submitter", "RAMB1")
        at = utcnow().isoformat()
        world.submit(process, ORG, [{"type": "observation", "metric": m, "observed_at": at, "value": float(v)}
                                    for m, v in world.ACUTE_VALUES.items()])
        world.submit(process, ORG, [{"type": "opel_declaration", "pillar": "acute", "assessed_at": at,
                                     "declared_level": DECLARED, "reason": "Two wards closed"}])
        yield process
    finally:
        process.stop()


def _held(hub, metric: str) -> float | None:
    with connection(hub.db_url) as conn:
        return conn.execute(select(s.latest_value.c.value).where(
            s.latest_value.c.org_code == ORG, s.latest_value.c.metric == metric)).scalar()


def _declared(hub) -> int | None:
    with connection(hub.db_url) as conn:
        return conn.execute(select(s.opel_declaration.c.declared_level).where(
            s.opel_declaration.c.org_code == ORG)).scalar()


def _sign_in(page, hub, user: str | None = "rtest.data", enter: bool = False) -> None:
    """Fill the login page in front of ``page`` (the user name left as the page has it when ``user`` is None)
    and send it, by its button or by Enter in the password field; then wait for the form."""
    if user is not None:
        page.fill("#user", user)
    page.fill("#password", PASSWORD)
    if enter:
        page.keyboard.press("Enter")
    else:
        page.click("form.login button")
    page.wait_for_url(hub.url + "/provider/")


def _log_in(browser, hub, user="rtest.data"):  # noqa: F811
    ctx = browser.new_context(viewport=LAPTOP)
    page = ctx.new_page()
    page.goto(hub.url + "/provider/")
    _sign_in(page, hub, user)
    return ctx, page


def _send(page, selector=SEND):
    with page.expect_navigation() as nav:
        page.click(selector)
    return nav.value


def _problem(page, field_id: str) -> str:
    return page.locator(".field.bad", has=page.locator(f"#{field_id.replace('.', chr(92) + '.')}")).inner_text()


def test_figures_typed_while_the_session_ended_come_back_after_the_login_unsent(browser, hub):  # noqa: F811
    """They typed for over half an hour, the session ended, they pressed Send: the login page, then every
    figure lost (the form opened with the hub's old ones). Now the login page says nothing was sent and
    the figures are kept; after the login they are back on the form, unsent, and Send sends them."""
    ctx, page = _log_in(browser, hub)
    try:
        before = _held(hub, "ga_bed_occupancy_pct")
        page.fill("#m\\.ga_bed_occupancy_pct", "97.5")
        page.fill("#m\\.nctr_patients_count", "61")
        page.fill("#reason", "Norovirus on two wards")
        idle_out(hub.db_url)
        answer = _send(page)
        assert answer.status == 401 and page.locator("#password").count() == 1, page.url
        note = page.locator("p.note").inner_text()
        assert "nothing was sent" in note and "Your figures are kept" in note, note
        assert page.locator("#user").input_value() == "rtest.data"
        assert _held(hub, "ga_bed_occupancy_pct") == before, "nothing was sent"
        _sign_in(page, hub, None)
        assert page.locator("#m\\.ga_bed_occupancy_pct").input_value() == "97.5"
        assert page.locator("#m\\.nctr_patients_count").input_value() == "61"
        assert page.locator("#reason").input_value() == "Norovirus on two wards"
        result = page.locator("#result").inner_text()
        assert "Not sent yet" in result and "press Send changes" in result, result
        assert "General and acute bed occupancy: 97.5" in result and "Reason: Norovirus on two wards" in result
        assert _held(hub, "ga_bed_occupancy_pct") == before, "still nothing sent before Send is pressed"
        assert not [c for c in ctx.cookies() if c["name"].startswith("scc_held")], "the held figures are used once"
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Accepted 3 of 3 figures." in result, result   # the two figures, and the declaration's reason
        assert _held(hub, "ga_bed_occupancy_pct") == 97.5
        page.goto(hub.url + "/provider/")
        assert page.locator("#result").count() == 0, "shown once, not again at the next visit"
    finally:
        ctx.close()


def test_figures_held_over_a_login_are_never_shown_to_another_account(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub)
    try:
        page.fill("#m\\.nctr_patients_count", "73")
        idle_out(hub.db_url)
        assert _send(page).status == 401
        _sign_in(page, hub, "rtest.site")   # a colleague logs in at the same browser
        assert page.locator("#m\\.nctr_patients_count").input_value() != "73"
        assert page.locator("#result").count() == 0
    finally:
        ctx.close()


def _held_names(ctx) -> list[str]:
    return sorted(c["name"] for c in ctx.cookies() if c["name"].startswith("scc_held"))


def test_two_colleagues_held_forms_at_one_browser_each_come_back_to_their_own(browser, hub):  # noqa: F811
    """A ward PC shared by two site managers: each one's session ends as they press Send. The held form was
    one cookie a browser, so the second one's replaced the first's: the first logged in to the hub's old
    figures, theirs lost without a word. Now each account's is its own, and each comes back only to its user."""
    ctx, page = _log_in(browser, hub)
    try:
        page.fill("#m\\.nctr_patients_count", "61")
        idle_out(hub.db_url)
        assert _send(page).status == 401
        _sign_in(page, hub, "rtest.site")   # the colleague, at the same browser
        assert page.locator("#m\\.nctr_patients_count").input_value() != "61", "never another account's"
        assert page.locator("#result").count() == 0
        page.fill("#m\\.nctr_patients_count", "62")
        idle_out(hub.db_url)
        assert _send(page).status == 401
        assert len(_held_names(ctx)) == 2, "one held form for each"
        _sign_in(page, hub, "rtest.data")
        assert page.locator("#m\\.nctr_patients_count").input_value() == "61"
        result = page.locator("#result").inner_text()
        assert "Not sent yet" in result and f"these figures for {ORG} were sent" in result, result
        assert len(_held_names(ctx)) == 1, "the colleague's is kept for them"
        page.goto(hub.url + "/login")
        _sign_in(page, hub, "rtest.site")
        assert page.locator("#m\\.nctr_patients_count").input_value() == "62"
        assert "Not sent yet" in page.locator("#result").inner_text()
        assert _held_names(ctx) == []
    finally:
        ctx.close()


def test_figures_held_for_one_organisation_never_go_on_anothers_form(browser, hub):  # noqa: F811
    """The held cookie did not say which organisation a provider's account typed them for: an account moved
    to another code (its trust merged) while its session ended had them put on the other organisation's
    form as typed, for Send to store them as that organisation's."""
    add_account(hub.db_url, "rtest.moved", "provider_submitter", ORG)
    ctx, page = _log_in(browser, hub, "rtest.moved")
    try:
        page.fill("#m\\.nctr_patients_count", "64")
        idle_out(hub.db_url)
        assert _send(page).status == 401
        with connection(hub.db_url, write=True) as conn:
            conn.execute(update(s.web_account).where(s.web_account.c.user_name == "rtest.moved")
                         .values(org_code="RTEST2"))
        _sign_in(page, hub, None)
        assert page.locator("h1").inner_text() == "Test Acute Trust Two"
        assert page.locator("#m\\.nctr_patients_count").input_value() != "64"
        result = page.locator("#result").inner_text()
        assert "Figures not put back" in result and f"Figures you typed for {ORG} before your session ended were " \
            "not put on this form: your account now submits for RTEST2. Nothing was sent, and they are not " \
            "kept." in result, result
        assert _held_names(ctx) == [], "not kept for a form it can never go on"
    finally:
        ctx.close()


def test_a_form_held_by_the_hub_before_its_upgrade_comes_back_and_is_sent(browser, hub):  # noqa: F811
    """A provider's session ended as they pressed Send within the hour before the hub was upgraded to session 28:
    the older hub kept their figures in its one ``scc_held`` cookie, with no organisation (a provider's form
    carries none). After the upgrade the login opened the form with "Figures not put back ... did not say which
    organisation they were for ... enter them again", and the cookie was deleted. Now it comes back on the
    account's own form, as the older hub put it back, and Send stores it."""
    from sync.hub.db import HubDB
    from sync.hub.web import held_form

    db = HubDB(hub.db_url)
    try:
        key = held_form.hub_key(db)   # the hub's key since session 25: the older hub signed with it too
    finally:
        db.dispose()
    value, _ = held_form.pack("rtest.data", None, {"m.ga_bed_occupancy_pct": "96.5"}, key)   # as the older hub did
    ctx = browser.new_context(viewport=LAPTOP)
    ctx.add_cookies([{"name": held_form.HELD_COOKIE, "value": value, "url": hub.url, "httpOnly": True,
                      "sameSite": "Strict"}])
    page = ctx.new_page()
    try:
        before = _held(hub, "ga_bed_occupancy_pct")
        page.goto(hub.url + "/provider/")
        _sign_in(page, hub)
        result = page.locator("#result").inner_text()
        assert "Not sent yet" in result and "General and acute bed occupancy: 96.5" in result, result
        assert "did not say which organisation" not in result
        assert page.locator("#m\\.ga_bed_occupancy_pct").input_value() == "96.5"
        assert _held_names(ctx) == [], "used once"
        assert _held(hub, "ga_bed_occupancy_pct") == before, "nothing sent before Send is pressed"
        _send(page)
        assert "Accepted 1 of 1 figure." in page.locator("#result").inner_text()
        assert _held(hub, "ga_bed_occupancy_pct") == 96.5
    finally:
        ctx.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_held_forms_pages_on_a_phone_and_a_laptop_with_axe(browser, hub, tmp_path, scheme):  # noqa: F811
    """The login page that keeps the figures, the form they come back on ("Not sent yet", naming the
    organisation) and the form of an account moved to another code ("Figures not put back") at 360x640 and
    1366x768, light and dark: axe-core finds nothing serious, nothing scrolls sideways. Screenshots go to
    ``SCC_SHOTS`` when set."""
    import os
    from pathlib import Path

    from tests.web.test_browser import AXE, PHONE, _axe

    shots = Path(os.environ.get("SCC_SHOTS") or tmp_path)
    for name, size in (("phone", PHONE), ("laptop", LAPTOP)):
        user = f"rtest.shots.{scheme}.{name}"
        add_account(hub.db_url, user, "provider_submitter", ORG)
        ctx = browser.new_context(viewport=size, color_scheme=scheme, bypass_csp=True)
        page = ctx.new_page()

        def look(what: str) -> None:
            page.screenshot(path=str(shots / f"provider-held-{what}-{name}-{scheme}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], what
            if AXE.exists():
                assert _axe(page, AXE.read_text()) == [], (what, name, scheme)

        try:
            page.goto(hub.url + "/provider/")
            _sign_in(page, hub, user)
            for figure, then in (("61", "back"), ("64", "moved")):
                page.fill("#m\\.nctr_patients_count", figure)
                idle_out(hub.db_url)
                assert _send(page).status == 401
                if then == "back":
                    look("login")
                else:
                    with connection(hub.db_url, write=True) as conn:
                        conn.execute(update(s.web_account).where(s.web_account.c.user_name == user)
                                     .values(org_code="RTEST2"))
                _sign_in(page, hub, None)
                assert ("Not sent yet" if then == "back" else "Figures not put back") in \
                    page.locator("#result").inner_text()
                page.locator("#result").scroll_into_view_if_needed()
                look(then)
        finally:
            ctx.close()


def test_a_decimal_comma_is_not_read_as_thousands(browser, hub):  # noqa: F811
    """'1,5' was read as 15 and stored (a comma taken for a thousands separator wherever it stood): a
    figure ten times what was meant, with no word. Now it is not a number, said under its label; a comma
    between thousands still reads ("1,250"); 'nan' is not a number either."""
    ctx, page = _log_in(browser, hub)
    try:
        before = _held(hub, "escalation_beds_open_pct")
        page.fill("#m\\.escalation_beds_open_pct", "1,5")
        page.fill("#m\\.ed_referred_to_service_pct", "nan")
        page.fill("#m\\.nctr_patients_count", "1,250")
        _send(page)
        said = _problem(page, "m.escalation_beds_open_pct")
        assert ("Escalation beds open as a share of G&A beds: '1,5' is not a number: a comma may only separate "
                "thousands (1,250); write a decimal with a point, e.g. 92.5") in said, said
        assert "'nan' is not a number" in _problem(page, "m.ed_referred_to_service_pct")
        assert page.locator("#m\\.escalation_beds_open_pct").input_value() == "1,5", "kept as typed"
        assert _held(hub, "escalation_beds_open_pct") == before, "not stored as 15"
        assert "Accepted 1 of 3 figures." in page.locator("#result").inner_text()   # 1,250
        assert page.locator(".field.bad", has=page.locator("#m\\.nctr_patients_count")).count() == 0
    finally:
        ctx.close()


# What a keyboard, a spreadsheet or a programmer's habit puts in a figure's field, each said beside its field
# with what a number looks like. "1e1" and the full-width "\uff19\uff12" were stored (as 10 and 92): the number
# pattern took an exponent, and its \\d matched any script's digits.
NOT_NUMBERS = {
    "m.nctr_bed_occupancy_pct": ("1e1", "write the figure out in full with the digits 0 to 9 (1000, not 1e3)"),
    "m.ga_bed_occupancy_pct": ("\uff19\uff12", "type it with the digits 0 to 9 (these digits are another script's"),
    "m.ed_four_hour_performance_pct": ("inf", "a figure is an amount in digits, e.g. 92.5"),
    "m.ed_referred_to_service_pct": ("nan", "a figure is an amount in digits, e.g. 92.5"),
    "m.ed_median_time_to_treatment_minutes": ("1_000", "write it without underscores (1000 or 1,000)"),
    "m.ed_majors_resus_occupancy_pct": ("0x10", "write it in ordinary decimal digits, e.g. 92.5"),
}


def test_exponents_infinities_underscores_hex_and_full_width_digits_are_not_figures(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub)
    try:
        before = {name: _held(hub, name[2:]) for name in NOT_NUMBERS}
        for name, (typed, _) in NOT_NUMBERS.items():
            page.fill(f"#{name.replace('.', chr(92) + '.')}", typed)
        assert _send(page).status == 422
        for name, (typed, words) in NOT_NUMBERS.items():
            said = _problem(page, name)
            assert f": '{typed}' is not a number: {words}" in said, said
            assert page.locator(f"#{name.replace('.', chr(92) + '.')}").input_value() == typed, "kept as typed"
        assert "None of the 6 figures was accepted" in page.locator("#result").inner_text()
        assert {name: _held(hub, name[2:]) for name in NOT_NUMBERS} == before, "nothing stored"
    finally:
        ctx.close()


def _quarantined(hub, org: str = ORG) -> list[str]:
    """The errors of every item the hub quarantined for ``org`` (what the room is warned of)."""
    with connection(hub.db_url) as conn:
        return list(conn.execute(select(s.quarantine.c.errors).where(s.quarantine.c.org_code == org)).scalars())


def test_beds_without_a_critcon_level_ask_for_the_level_in_words(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub)
    try:
        page.fill("#staffed_beds", "12")
        page.fill("#occupied_beds", "10")
        _send(page)
        said = _problem(page, "critcon_level")
        assert "CRITCON level: choose a level (0 to 3); staffed and occupied beds are sent with the CRITCON level" \
            in said, said
        assert "digits" not in said and "''" not in said
        assert page.locator("#staffed_beds").input_value() == "12"
    finally:
        ctx.close()


def test_beds_without_a_critcon_level_are_held_not_quarantined(browser, hub, tmp_path):  # noqa: F811
    """The new user's walkthrough (session 28, F7 and F9): three figures and the beds filled, no CRITCON level.
    The form said "choose a level" yet sent the item; the hub quarantined it and the room was warned in its JSON
    words ("items.3.level: level: '' is not a whole number; write it in digits"), and the box said "Accepted 3
    of 4 figures. 1 quarantined" of five boxes filled. Now the item is held on the form, the three figures go,
    nothing is quarantined, and the box names what was not sent. Chosen, the level goes with its beds."""
    before = len(_quarantined(hub))
    ctx, page = _log_in(browser, hub)
    try:
        figures = {"m.ga_bed_occupancy_pct": "94", "m.ed_four_hour_performance_pct": "77",
                   "m.ed_referred_to_service_pct": "18"}
        for name, typed in figures.items():
            page.fill(f"#{name.replace('.', chr(92) + '.')}", typed)
        page.fill("#staffed_beds", "12")
        page.fill("#occupied_beds", "10")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Partly received" in result and "Accepted 3 of 3 figures." in result, result
        assert "quarantined" not in result, result
        assert ("Not sent yet: Staffed beds 12; Occupied beds 10, which go with the CRITCON level: choose the "
                "level beside it and send again.") in result, result
        assert "CRITCON level: choose a level (0 to 3)" in _problem(page, "critcon_level")
        assert len(_quarantined(hub)) == before, _quarantined(hub)[before:]
        assert {name: _held(hub, name[2:]) for name in figures} == {n: float(v) for n, v in figures.items()}
        assert page.locator("#staffed_beds").input_value() == "12"
        page.locator("#result").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "held-1366x768.png"))
        page.set_viewport_size({"width": 360, "height": 640})
        page.screenshot(path=str(tmp_path / "held-360x640.png"))
        page.set_viewport_size(LAPTOP)
        page.select_option("#critcon_level", "2")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Received" in result and "Accepted 1 of 1 figure." in result, result
        assert "Not sent yet" not in result and len(_quarantined(hub)) == before
    finally:
        ctx.close()


def test_beds_with_a_slip_and_no_critcon_level_say_both_and_quarantine_nothing(browser, hub, tmp_path):  # noqa: F811
    """The rest of a held item is checked by the hub's own rules at once: a bed count that is no whole number is
    said beside its field with the level's problem, and nothing goes to quarantine."""
    before = len(_quarantined(hub))
    ctx, page = _log_in(browser, hub)
    try:
        page.fill("#staffed_beds", "12.5")
        page.fill("#occupied_beds", "10")
        assert _send(page).status == 422
        result = page.locator("#result").inner_text()
        assert "Nothing was stored" in result and "Not sent yet: Staffed beds 12.5; Occupied beds 10" in result, result
        assert "CRITCON level: choose a level (0 to 3)" in _problem(page, "critcon_level")
        said = _problem(page, "staffed_beds")
        assert said.count("Staffed beds") >= 1 and "12.5" in said and "items." not in said, said
        assert len(_quarantined(hub)) == before
        page.set_viewport_size({"width": 360, "height": 640})
        page.locator("#result").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "both-360x640.png"))
        page.locator("#staffed_beds-row").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / "beds-360x640.png"))
    finally:
        ctx.close()


def test_a_csp_level_without_a_reap_level_is_held_not_quarantined(browser, hub):  # noqa: F811
    """An ambulance service's CSP level typed with no REAP level chosen: held on the form like the beds, said
    beside the REAP list, nothing quarantined; chosen, the two go as one item."""
    before = len(_quarantined(hub, "RAMB1"))
    ctx, page = _log_in(browser, hub, "ramb.data")
    try:
        page.fill("#csp_level", "2")
        assert _send(page).status == 422
        result = page.locator("#result").inner_text()
        assert ("Not sent yet: CSP level 2, which goes with the REAP level: choose the level beside it and send "
                "again.") in result, result
        said = _problem(page, "reap_level")
        assert "REAP level: choose a level (1 to 4); the CSP level is sent with the REAP level" in said, said
        assert len(_quarantined(hub, "RAMB1")) == before
        page.select_option("#reap_level", "3")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Received" in result and "Accepted 1 of 1 figure." in result, result
        assert len(_quarantined(hub, "RAMB1")) == before
    finally:
        ctx.close()


def test_a_quarantined_critcon_item_is_named_by_its_fields(browser, hub):  # noqa: F811
    """A level chosen and a bed count the hub refuses: the item goes to quarantine as any bad figure does, and
    the box names it by the fields it came from ("1 quarantined" of five boxes filled said nothing of which)."""
    before = len(_quarantined(hub))
    ctx, page = _log_in(browser, hub)
    try:
        page.fill("#m\\.ga_bed_occupancy_pct", "95")
        page.select_option("#critcon_level", "1")
        page.fill("#staffed_beds", "12.5")
        page.fill("#occupied_beds", "10")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Accepted 1 of 2 figures." in result, result
        assert "1 quarantined (CRITCON level, Staffed beds, Occupied beds), with the reasons shown beside their " \
            "fields" in result, result
        assert len(_quarantined(hub)) == before + 1
    finally:
        ctx.close()


def test_none_over_a_standing_declaration_says_it_withdraws_nothing(browser, hub):  # noqa: F811
    """The form opens with the standing declaration; "(none)" chosen with a figure changed was dropped
    without a word: "Received", the list showing "(none)", while the hub kept the declared OPEL 3 on
    everyone's screens. Now the figure goes, and beside the list the form says the level stands."""
    ctx, page = _log_in(browser, hub)
    try:
        assert page.locator("#declared_level").input_value() == str(DECLARED)
        page.select_option("#declared_level", "")
        page.fill("#m\\.mean_handover_minutes", "31")
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Partly received" in result and "Accepted 1 of 1 figure." in result, result
        assert "The declared OPEL level was not changed" in result
        said = _problem(page, "declared_level")
        assert "a declared level stays in force until another is declared" in said, said
        assert page.locator("#declared_level").get_attribute("aria-invalid") == "true"
        assert _declared(hub) == DECLARED and _held(hub, "mean_handover_minutes") == 31
        _send(page)   # still "(none)", nothing else changed: nothing sent, the problem said again
        assert "a declared level stays in force" in _problem(page, "declared_level")
        assert _declared(hub) == DECLARED
    finally:
        ctx.close()


def test_each_problem_is_a_link_to_its_field_for_a_keyboard(browser, hub):  # noqa: F811
    """Keyboard only at 1366x768: Enter in a field sends the form; the result box at the top lists each
    problem as a link, in the form's order; following one and pressing Tab lands in that field (the CRITCON
    level's problem was 2,000 px below the box that said the problems were "beside their fields"). axe-core
    finds nothing serious on the page."""
    from tests.web.test_browser import AXE, _axe

    ctx = browser.new_context(viewport=LAPTOP, bypass_csp=True)
    page = ctx.new_page()
    try:
        page.goto(hub.url + "/provider/")
        _sign_in(page, hub, enter=True)
        page.fill("#staffed_beds", "12")
        page.fill("#m\\.mean_handover_minutes", "2o.5")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        box = page.locator("#result")
        assert "2 problems to correct" in box.inner_text(), box.inner_text()
        links = box.locator("ul.fix a")
        assert links.all_inner_texts() == [
            "Mean ambulance arrival-to-handover time: '2o.5' is not a number; enter digits, e.g. 92.5",
            "CRITCON level: choose a level (0 to 3); staffed and occupied beds are sent with the CRITCON level"]
        for _ in range(12):   # Tab from the top of the page to the second link
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.getAttribute('href')") == "#critcon_level-row":
                break
        else:
            pytest.fail("the problem's link is not reached by Tab")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "critcon_level"
        bar = page.locator("header.bar").bounding_box()
        label = page.locator("label[for=critcon_level]").bounding_box()
        assert bar["y"] + bar["height"] <= label["y"] <= LAPTOP["height"], (bar, label)   # not under the bar
        if AXE.exists():
            assert _axe(page, AXE.read_text()) == []
    finally:
        ctx.close()


def test_a_figure_ten_times_the_hubs_last_waits_until_its_sender_says_it_is_right(browser, hub):  # noqa: F811
    """297 typed for 29.7: it was stored at once (a mean handover of nearly five hours, OPEL 4 on every
    screen). A figure ten times the hub's last, or under a tenth of it, is now held back and said beside its
    field with the last figure and its time; the rest of the form goes. Ticked as right, it is sent."""
    ctx, page = _log_in(browser, hub)
    try:
        last = _held(hub, "mean_handover_minutes")
        slip = f"{last * 10:g}"
        page.fill("#m\\.mean_handover_minutes", slip)
        page.fill("#m\\.ga_bed_occupancy_pct", "93")
        page.fill("#m\\.escalation_beds_open_pct", "0")   # a zero is an ordinary figure: sent
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Partly received" in result and "Accepted 2 of 2 figures." in result, result
        assert "1 figure far from the hub's last not sent yet" in result, result
        said = _problem(page, "m.mean_handover_minutes")
        assert f"Mean ambulance arrival-to-handover time: {slip} is 10 times the hub's last figure ({last:g} at " in said
        assert page.locator("#m\\.mean_handover_minutes").input_value() == slip, "kept as typed"
        assert _held(hub, "mean_handover_minutes") == last and _held(hub, "ga_bed_occupancy_pct") == 93
        assert _held(hub, "escalation_beds_open_pct") == 0
        from tests.web.test_browser import _small_targets
        assert _small_targets(page) == [], "the tick box is a one-thumb target too"
        _send(page)   # sent again unticked: still held back
        assert _held(hub, "mean_handover_minutes") == last
        tick = page.locator("input[name='sure.m.mean_handover_minutes']")
        tick.focus()
        page.keyboard.press("Space")
        assert tick.is_checked()
        _send(page)
        result = page.locator("#result").inner_text()
        assert "Received" in result and "Accepted 1 of 1 figure." in result, result
        assert _held(hub, "mean_handover_minutes") == last * 10
    finally:
        ctx.close()


def test_every_control_of_the_form_shows_the_same_ring_when_reached_by_tab(browser, hub):  # noqa: F811
    """Keyboard only: the CRITCON and declared level lists and the reason box showed only the browser's
    1 px ring over their 2 px border (hard to see which had the focus); every other control a 3 px one."""
    ctx, page = _log_in(browser, hub)
    try:
        rings = {}
        for _ in range(30):
            page.keyboard.press("Tab")
            name, ring = page.evaluate("""() => { const e = document.activeElement, s = getComputedStyle(e);
                return [e.id || e.name || e.tagName, s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor]; }""")
            if name in rings:
                break
            rings[name] = ring
        assert {"critcon_level", "declared_level", "reason", "m.mean_handover_minutes"} <= set(rings), rings
        assert set(rings.values()) == {"solid 3px rgb(179, 89, 0)"}, rings
    finally:
        ctx.close()


def test_what_was_typed_comes_back_when_the_network_dropped_as_send_was_pressed(browser, hub):  # noqa: F811
    """Offline as Send is pressed: the browser's own page. Back (or the form opened again) showed the hub's
    old figures, everything typed lost. Now the form puts back what was typed in the tab and not answered,
    and says so; nothing was sent. Once the hub answers a send, nothing is put back any more."""
    ctx, page = _log_in(browser, hub)
    try:
        before = _held(hub, "ed_referred_to_service_pct")
        page.fill("#m\\.ed_referred_to_service_pct", "17.5")
        page.select_option("#critcon_level", "2")
        ctx.set_offline(True)
        try:
            page.click(SEND)
            page.wait_for_load_state()
        except Exception:   # the navigation fails: the browser's own offline page
            pass
        ctx.set_offline(False)
        page.goto(hub.url + "/provider/")
        assert page.locator("#m\\.ed_referred_to_service_pct").input_value() == "17.5"
        assert page.locator("#critcon_level").input_value() == "2"
        said = page.locator("#restored").inner_text()
        assert "Not sent yet" in said and "is back on the form (2 fields)" in said, said
        assert page.locator("#restored a").all_inner_texts() == [
            "ED patients referred to a specialty and still waiting in ED (percent): 17.5", "CRITCON level: 2"]
        hint = page.locator("#m\\.ed_referred_to_service_pct-row .hint").inner_text()
        assert hint == "0 to 100 percent", "no longer says it is the hub's figure"
        assert _held(hub, "ed_referred_to_service_pct") == before, "nothing was sent"
        page.fill("#staffed_beds", "9")
        _send(page)
        assert "Accepted 2 of 2 figures." in page.locator("#result").inner_text()
        assert _held(hub, "ed_referred_to_service_pct") == 17.5
        page.goto(hub.url + "/provider/")
        assert page.locator("#restored").count() == 0, "answered: nothing to put back"
        page.fill("#m\\.ed_referred_to_service_pct", "18")   # typed, then logged out: nothing left in the tab
        page.click("form.out button")
        page.wait_for_url(hub.url + "/login?out=1")
        _sign_in(page, hub)   # a provider's login goes to its form
        assert page.locator("#restored").count() == 0, "logged out: nothing typed kept"
        assert page.evaluate("sessionStorage.length") == 0
    finally:
        ctx.close()


def test_a_figure_come_since_is_not_put_back_as_typed_after_a_network_drop(browser, hub):  # noqa: F811
    """The tab kept every field, touched or not: a figure that reached the hub since (the provider's own
    system, another colleague) was put back at its old value over the new one, listed as typed, and Send
    stored the old figure as new. Only what was typed comes back."""
    ctx, page = _log_in(browser, hub)
    try:
        old = page.locator("#m\\.ed_median_time_to_treatment_minutes").input_value()
        newer = float(old) + 7
        page.fill("#m\\.ed_four_hour_performance_pct", "81")
        ctx.set_offline(True)
        try:
            page.click(SEND)
            page.wait_for_load_state()
        except Exception:   # the navigation fails: the browser's own offline page
            pass
        ctx.set_offline(False)
        world.submit(hub, ORG, [{"type": "observation", "metric": "ed_median_time_to_treatment_minutes",
                                 "observed_at": utcnow().isoformat(), "value": newer}])
        page.goto(hub.url + "/provider/")
        assert page.locator("#m\\.ed_four_hour_performance_pct").input_value() == "81"
        assert float(page.locator("#m\\.ed_median_time_to_treatment_minutes").input_value()) == newer
        said = page.locator("#restored").inner_text()
        assert "(1 field)" in said, said
        _send(page)
        assert _held(hub, "ed_four_hour_performance_pct") == 81
        assert _held(hub, "ed_median_time_to_treatment_minutes") == newer, "the old figure was sent over the new"
    finally:
        ctx.close()


def test_a_figure_come_since_is_not_held_over_the_login_as_typed(browser, hub):  # noqa: F811
    """Likewise over a login: the held form kept every field it showed, so a figure the hub received while
    the session was ending came back at its old value, listed as "Typed", and Send stored it as new."""
    ctx, page = _log_in(browser, hub)
    try:
        old = page.locator("#m\\.ed_over_12h_from_arrival_pct").input_value()
        newer = float(old) + 3
        page.fill("#m\\.ed_majors_resus_occupancy_pct", "88")
        world.submit(hub, ORG, [{"type": "observation", "metric": "ed_over_12h_from_arrival_pct",
                                 "observed_at": utcnow().isoformat(), "value": newer}])
        idle_out(hub.db_url)
        assert _send(page).status == 401
        _sign_in(page, hub, None)
        assert page.locator("#m\\.ed_majors_resus_occupancy_pct").input_value() == "88"
        assert float(page.locator("#m\\.ed_over_12h_from_arrival_pct").input_value()) == newer
        typed = page.locator("#result ul.rowproblems:not(.fix) li").all_inner_texts()
        assert len(typed) == 1 and typed[0].endswith(": 88"), typed
        _send(page)
        assert _held(hub, "ed_majors_resus_occupancy_pct") == 88
        assert _held(hub, "ed_over_12h_from_arrival_pct") == newer, "the old figure was sent over the new"
    finally:
        ctx.close()
