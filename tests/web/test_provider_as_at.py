"""The provider form's "As at": figures typed at 10:40 that describe the 08:00 board round say so.

A real hub on loopback (SQLite) and Debian's Chromium at 1366x768 for what the page does; the hub's database
for what was stored; a desktop replica synced from the hub for the age the room then sees. The time rules
themselves (a repeated or skipped hour, the bounds) are checked on ``provider.as_at`` with a fixed now.
"""

from __future__ import annotations

import html
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from models.uk_time import UK
from sync.hub import schema as s
from sync.hub.schema import utcnow
from sync.hub.web import provider
from sync.hub.web.pages import _day_clock
from tests.support.hub import connection, start_hub
from tests.web import world
from tests.web.support import add_account, browser_log_in, idle_out, login, posted_back, provider_form
from tests.web.test_browser import browser  # noqa: F401  (the module's Chromium)

pytestmark = pytest.mark.timeout(240)

LAPTOP = {"width": 1366, "height": 768}
ORG = "RTEST2"   # no figures yet: what it is sent is all the hub holds of it
SEND = "main.form > form > button[value=changed]"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("provider-as-at"))
    try:
        add_account(process.db_url, "rtest2.site", "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def _latest(hub, org: str = ORG) -> dict[str, tuple[float, datetime]]:
    with connection(hub.db_url) as conn:
        rows = conn.execute(select(s.latest_value.c.metric, s.latest_value.c.value, s.latest_value.c.observed_at)
                            .where(s.latest_value.c.org_code == org)).all()
    return {m: (v, at) for m, v, at in rows}


def _log_in(browser, hub):  # noqa: F811
    ctx = browser.new_context(viewport=LAPTOP)
    page = ctx.new_page()
    browser_log_in(page, hub.url, "rtest2.site", "/provider/")
    return ctx, page


def _send(page):
    with page.expect_navigation() as nav:
        page.click(SEND)
    return nav.value


def _wall(at: datetime) -> str:
    return at.astimezone(UK).strftime("%d/%m/%Y %H:%M")


def test_figures_typed_late_are_stored_as_at_the_time_given_and_the_desktop_shows_their_age(
        browser, hub, tmp_path):  # noqa: F811
    """The field opens at now (UK wall time, day first, 24-hour); set to three hours ago, every figure is stored
    as at then (UTC), the page says so, and a desktop synced from the hub shows the site's row as three hours old
    (stale), not as fresh."""
    from models.service import system_picture
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from tests.models.conftest import FAST_KDF
    from tests.support.replica import fresh_replica
    from ui.system_texts import SITE_STALE, age_line

    ctx, page = _log_in(browser, hub)
    try:
        opened = utcnow()
        shown = page.locator("#as_at").input_value()
        assert shown in (_wall(opened), _wall(opened - timedelta(minutes=1))), shown
        back = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
        page.fill("#as_at", _wall(back))
        for metric, value in world.ACUTE_VALUES.items():
            page.fill(f"#m\\.{metric}", str(value))
        assert _send(page).status == 200
        result = page.locator("#result").inner_text()
        assert "Accepted 9 of 9 figures." in result, result
        # The day too when three hours back is yesterday's (UK): a run after midnight read "Sat 05 Dec 21:18".
        said = back.astimezone(UK).strftime("%H:%M" if back.astimezone(UK).date() == utcnow().astimezone(UK).date()
                                            else "%a %d %b %H:%M")
        assert f"Stored as at {said}" in result and "(UK time), the time you gave." in result, result
        assert page.locator("#as_at").input_value() == _wall(back), "kept for a correction to go at the same time"
        latest = _latest(hub)
        assert set(latest) == set(world.ACUTE_VALUES)
        assert {at for _v, at in latest.values()} == {back}, latest
    finally:
        ctx.close()
    store = fresh_replica(tmp_path / "desk.db", "as-at-pass", kdf=FAST_KDF)
    try:
        SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"])).run_once()
        now = utcnow()
        picture = system_picture.system_picture(store, now)
        row = next(r for r in picture.sites if r.org_code == ORG)
        assert row.as_at == back, (row.as_at, back)
        words, stale = age_line(now, row.as_at, SITE_STALE)
        assert stale and f"{back.astimezone(UK):%H:%M}" in words and "3 h ago" in words, words
    finally:
        store.close()


def test_a_future_or_too_old_time_is_refused_beside_the_field_and_nothing_is_stored(browser, hub):  # noqa: F811
    ctx, page = _log_in(browser, hub)
    try:
        before = _latest(hub)
        ahead = utcnow() + timedelta(minutes=30)
        page.fill("#as_at", _wall(ahead))
        page.fill("#m\\.mean_handover_minutes", "33")
        page.fill("#m\\.ed_four_hour_performance_pct", "1e2")   # said with the time, not at the next send
        assert _send(page).status == 422
        said = page.locator("#as_at-row .problem").inner_text()
        # The day is named when the half hour ahead is another UK day (CI ran at 23:53: "As at: Mon 07 Dec 00:23").
        assert said.startswith("As at: ") and f"{ahead.astimezone(UK):%H:%M} is in the future (it is now " in said, said
        assert page.locator("#as_at").get_attribute("aria-invalid") == "true"
        number = ("ED four-hour performance (admitted, transferred or discharged within 4 hours): '1e2' is not a "
                  "number: write the figure out in full with the digits 0 to 9 (1000, not 1e3)")
        assert page.locator("#result ul.fix a").all_inner_texts() == [said, number], "each a link to its field"
        page.fill("#m\\.ed_four_hour_performance_pct", "")
        assert "Nothing was stored" in page.locator("#result").inner_text()
        assert page.locator("#m\\.mean_handover_minutes").input_value() == "33", "the figures kept as typed"
        old = utcnow() - timedelta(hours=13)
        page.fill("#as_at", _wall(old))
        assert _send(page).status == 422
        said = page.locator("#as_at-row .problem").inner_text()
        assert "is more than 12 hours ago; the form takes figures of the last 12 hours" in said, said
        assert "send older figures in a CSV file, each with its own time" in said
        assert _latest(hub) == before, "nothing stored"
    finally:
        ctx.close()


def test_as_at_left_as_shown_means_the_moment_of_sending_not_of_opening(hub):
    """A form opened at 10:00 and sent at 10:20 describes 10:20: the field left as the page showed it is not
    a back-dating. Text that is no time is refused naming the field. (Posted as the browser posts it.)"""
    web, _ = login(hub.url, "rtest2.site")
    form = provider_form(web, hub.url)
    opened = (utcnow() - timedelta(minutes=20)).replace(second=0, microsecond=0)   # as if opened 20 min ago
    data = {**posted_back(form), "as_at": _wall(opened), "as_at_shown": _wall(opened), "send": "changed",
            "m.ed_four_hour_performance_pct": "71"}
    sent = utcnow()
    answer = web.post(hub.url + "/provider/", data=data, timeout=20)
    assert answer.status_code == 200 and "Stored as at" not in answer.text, answer.text
    _v, at = _latest(hub)["ed_four_hour_performance_pct"]
    assert abs((at - sent).total_seconds()) < 30, (at, sent)
    bad = web.post(hub.url + "/provider/", data={**data, "as_at": "half past eight", "m.ed_four_hour_performance_pct":
                                                 "72"}, timeout=20)
    assert bad.status_code == 422
    assert ("As at: &#39;half past eight&#39; is not a date and time; write the day and the UK time, e.g. "
            f"{_wall(utcnow())[:10]} 08:00, or only the time (08:00) for today") in bad.text
    assert _latest(hub)["ed_four_hour_performance_pct"][0] == 71


def test_a_figure_back_dated_behind_the_hubs_latest_says_the_latest_stays(hub):
    web, _ = login(hub.url, "rtest2.site")
    newer = utcnow() - timedelta(minutes=5)
    world.submit(hub, ORG, [{"type": "observation", "metric": "nctr_bed_occupancy_pct",
                             "observed_at": newer.isoformat(), "value": 11.0}])
    form = provider_form(web, hub.url)
    back = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
    answer = web.post(hub.url + "/provider/", timeout=20, data={
        **posted_back(form, as_at_shown=True), "as_at": _wall(back),
        "send": "changed", "m.nctr_bed_occupancy_pct": "12"})
    text = html.unescape(answer.text)
    assert "1 figure is older than the hub's latest for its parameter (" in text, text
    assert "kept in the history; the hub's newer figure stays the latest and scores the level." in text
    assert _latest(hub)["nctr_bed_occupancy_pct"][0] == 11.0


EARLY = ("mean_handover_minutes", "ed_over_12h_from_arrival_pct", "ed_majors_resus_occupancy_pct",
         "ed_four_hour_performance_pct", "ed_median_time_to_treatment_minutes")   # the hub's from 4 hours ago
LATE = ("ed_referred_to_service_pct", "ga_bed_occupancy_pct", "escalation_beds_open_pct",
        "nctr_bed_occupancy_pct")   # the hub's from 30 minutes ago


def test_send_all_with_an_earlier_as_at_confirms_only_figures_true_by_then(browser, hub):  # noqa: F811
    """"Send all as now" with As at set two hours back sent every prefilled figure as true then, those the hub
    held from 30 minutes ago too: 09:30's figures restated as 07:30's, a false history in the hub's and every
    desktop's record. Now only the figures the hub holds from As at or before are confirmed at it; the later
    ones are not sent and the page names each with its time; one typed over is sent as typed. With every
    figure later than As at nothing is sent and the page says why."""
    org, user = "RTEST1", "rtest1.allnow"
    add_account(hub.db_url, user, "provider_submitter", org)
    now = utcnow()
    early, late = now - timedelta(hours=4), now - timedelta(minutes=30)
    world.submit(hub, org, [{"type": "observation", "metric": m, "observed_at": (early if m in EARLY else late)
                             .isoformat(), "value": float(world.ACUTE_VALUES[m])} for m in EARLY + LATE])
    ctx = browser.new_context(viewport=LAPTOP)
    page = ctx.new_page()
    try:
        browser_log_in(page, hub.url, user, "/provider/")
        back = (utcnow() - timedelta(hours=2)).replace(second=0, microsecond=0)
        page.fill("#as_at", _wall(back))
        page.fill("#m\\.ga_bed_occupancy_pct", "91")   # typed over a later figure: what was true at As at
        with page.expect_navigation() as nav:
            page.click("main.form > form > button[value=all]")
        assert nav.value.status == 200
        result = page.locator("#result").inner_text()
        assert "Accepted 6 of 6 figures." in result, result
        rows = page.locator("#result ul.rowproblems li").all_inner_texts()
        when = _day_clock(back, utcnow())   # the day too when two hours back is yesterday's (UK)
        assert rows[0].startswith(f"Confirmed as true at {when}: ") and rows[0].count(";") == 4, rows
        assert rows[1] == f"Sent as typed, as at {when}: General and acute bed occupancy", rows
        assert rows[2].startswith(f"Not sent, the hub's figure being later than {when} (it stays as it is): ") \
            and rows[2].count(f"(from {_day_clock(late, utcnow())})") == 3, rows
        latest = _latest(hub, org)
        assert {m: latest[m][1] for m in EARLY} == {m: back for m in EARLY}, "confirmed as true at As at"
        assert {m: latest[m] for m in LATE if m != "ga_bed_occupancy_pct"} == {
            m: (float(world.ACUTE_VALUES[m]), late) for m in LATE if m != "ga_bed_occupancy_pct"}, "not restated"
        assert latest["ga_bed_occupancy_pct"] == (float(world.ACUTE_VALUES["ga_bed_occupancy_pct"]), late), \
            "the typed figure goes into the history; the hub's later one stays the latest"
        # As at before every figure the hub holds: nothing is sent, and the page says why.
        page.goto(hub.url + "/provider/")
        page.fill("#as_at", _wall(back - timedelta(hours=3)))
        with page.expect_navigation() as nav:
            page.click("main.form > form > button[value=all]")
        assert nav.value.status == 422
        result = page.locator("#result").inner_text()
        assert "Nothing was stored" in result and "Nothing was sent: every figure on the form is the hub's from a " \
            "time later than As at" in result, result
        assert len(page.locator("#result ul.rowproblems li").all_inner_texts()) == 1
        assert _latest(hub, org) == latest, "nothing stored"
    finally:
        ctx.close()


def test_send_all_with_as_at_left_as_now_confirms_figures_the_hub_holds_stamped_ahead(browser, tmp_path):  # noqa: F811
    """The hub takes items stamped up to 15 minutes ahead of its clock (a provider's system whose clock runs
    fast). With As at left as now, "Send all as now" left such a figure out as "later than" now, and a form of
    only such figures answered 422, "every figure on the form is the hub's from a time later than As at", As at
    never touched (r1's review of session 28). As at as now is the sender's word that what they see holds now:
    every figure is sent, as at the moment of sending, and the page says the hub's ahead-stamped one stays the
    latest. (A hub of its own: figures stamped ahead would be later than the other tests' As at.)"""
    process = start_hub(tmp_path / "ahead")
    try:
        org, user = "RTEST1", "rtest1.ahead"
        add_account(process.db_url, user, "provider_submitter", org)
        ahead = (utcnow() + timedelta(minutes=10)).replace(microsecond=0)
        world.submit(process, org, [{"type": "observation", "metric": m, "observed_at": ahead.isoformat(),
                                     "value": float(v)} for m, v in world.ACUTE_VALUES.items()])
        ctx = browser.new_context(viewport=LAPTOP)
        page = ctx.new_page()
        try:
            browser_log_in(page, process.url, user, "/provider/")
            sent = utcnow()
            with page.expect_navigation() as nav:
                page.click("main.form > form > button[value=all]")
            result = page.locator("#result").inner_text()
            assert nav.value.status == 200, result
            assert "Accepted 9 of 9 figures." in result and "Not sent" not in result, result
            assert "9 figures are older than the hub's latest for their parameters (" in result, result
            assert "Stored as at" not in result, "As at was not changed"
            page.locator("#result").scroll_into_view_if_needed()   # written to ``SCC_SHOTS`` when set
            page.screenshot(path=str(Path(os.environ.get("SCC_SHOTS") or tmp_path) / "provider-send-all-ahead.png"))
        finally:
            ctx.close()
        with connection(process.db_url) as conn:
            rows = conn.execute(select(s.feed_observation.c.metric, s.feed_observation.c.observed_at).where(
                s.feed_observation.c.org_code == org)).all()
        stored = [(m, datetime.fromisoformat(at)) for m, at in rows if datetime.fromisoformat(at) != ahead]
        assert sorted(m for m, _ in stored) == sorted(world.ACUTE_VALUES), rows
        times = {at for _, at in stored}
        assert len(times) == 1 and abs((times.pop() - sent).total_seconds()) < 30, "as at the moment of sending"
        assert _latest(process, org) == {m: (float(v), ahead) for m, v in world.ACUTE_VALUES.items()}, \
            "the hub's ahead-stamped figures stay the latest"
    finally:
        process.stop()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_what_send_all_did_with_each_figure_on_a_phone_and_a_laptop_with_axe(browser, hub, tmp_path,
                                                                            scheme):  # noqa: F811
    """The result of "Send all" with an earlier As at (figures confirmed, typed, not sent) at 360x640 and
    1366x768, light and dark: axe-core finds nothing serious and nothing scrolls sideways. The screenshots go
    to ``SCC_SHOTS`` when set."""
    import os
    from pathlib import Path

    from tests.web.test_browser import AXE, PHONE, _axe

    org, user = "RTEST1", f"rtest1.shots.{scheme}"
    add_account(hub.db_url, user, "provider_submitter", org)
    now = utcnow()
    world.submit(hub, org, [{"type": "observation", "metric": m, "observed_at": (
        now - timedelta(hours=4) if m in EARLY else now - timedelta(minutes=10)).isoformat(),
        "value": float(world.ACUTE_VALUES[m])} for m in EARLY + LATE])
    shots = Path(os.environ.get("SCC_SHOTS") or tmp_path)
    for name, size in (("phone", PHONE), ("laptop", LAPTOP)):
        ctx = browser.new_context(viewport=size, color_scheme=scheme, bypass_csp=True)
        page = ctx.new_page()
        try:
            browser_log_in(page, hub.url, user, "/provider/")
            page.fill("#as_at", _wall(utcnow() - timedelta(hours=2)))
            with page.expect_navigation() as nav:
                page.click("main.form > form > button[value=all]")
            assert nav.value.status == 200
            assert len(page.locator("#result ul.rowproblems li").all_inner_texts()) == 2
            page.locator("#result").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"provider-send-all-{name}-{scheme}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            if AXE.exists():
                assert _axe(page, AXE.read_text()) == [], (name, scheme)
        finally:
            ctx.close()


def test_send_all_leaves_out_a_standing_declaration_made_after_as_at_unless_changed():
    at, before, after = _utc(2026, 12, 5, 7, 0), _utc(2026, 12, 5, 6, 0), _utc(2026, 12, 5, 9, 0)
    form = {"m.a": "1", "m.b": "2", "declared_level": "3", "reason": "Two wards closed"}
    shown = dict(form)
    made, sources = provider.items(form, "acute", "acute", at)
    times = {"m.a": before, "m.b": after, "declared_level": after}
    kept, kept_sources, later = provider.later_than(made, sources, form, shown, times, at)
    assert kept_sources == [["m.a"]] and later == {"m.b": after, "declared_level": after}
    changed = {**form, "reason": "Three wards closed"}   # the declaration typed over: sent as typed
    made, sources = provider.items(changed, "acute", "acute", at)
    _, kept_sources, later = provider.later_than(made, sources, changed, shown, times, at)
    assert kept_sources == [["m.a"], ["declared_level", "reason"]] and later == {"m.b": after}
    assert provider.later_than(made, sources, changed, shown, {**times, "m.b": at}, at)[2] == {}, "at As at: sent"


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


NOW = datetime(2026, 12, 5, 10, 40, 30, tzinfo=timezone.utc)   # 10:40 GMT


@pytest.mark.parametrize(("typed", "now", "want"), [
    ("2026-12-05T08:00", NOW, datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)),
    ("05/12/2026 08:00", NOW, datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)),
    ("2026-12-05T10:40", NOW, datetime(2026, 12, 5, 10, 40, tzinfo=timezone.utc)),   # this minute: taken
    ("08:00", NOW, datetime(2026, 12, 5, 8, 0, tzinfo=timezone.utc)),                # a bare time: today's
    ("8.05", NOW, datetime(2026, 12, 5, 8, 5, tzinfo=timezone.utc)),
    # 23:00 typed at 00:30: last night's (today's is still to come)
    ("23:00", _utc(2026, 12, 6, 0, 30), _utc(2026, 12, 5, 23, 0)),
    ("2026-07-01T08:00", _utc(2026, 7, 1, 9, 40), _utc(2026, 7, 1, 7, 0)),   # BST
    # the autumn change's repeated 01:30: at 01:50 GMT (the second pass) the later reading, 01:30 GMT
    ("2026-10-25T01:30", _utc(2026, 10, 25, 1, 50), _utc(2026, 10, 25, 1, 30)),
    # ... and at 01:10 GMT the GMT reading is still to come: the BST one, an hour and forty minutes ago
    ("2026-10-25T01:30", _utc(2026, 10, 25, 1, 10), _utc(2026, 10, 25, 0, 30)),
])
def test_as_at_is_uk_wall_time_stored_utc(typed, now, want):
    assert provider.as_at({"as_at": typed, "as_at_shown": "2000-01-01T00:00"}, now) == (want, None)


@pytest.mark.parametrize(("typed", "now", "said"), [
    ("2026-12-05T10:41", NOW, "As at: 10:41 is in the future (it is now 10:40); write the time the figures "
                              "describe, at or before now"),
    ("2026-12-04T22:40", NOW, "As at: Fri 22:40 is more than 12 hours ago; the form takes figures of the last 12 "
                              "hours (from Fri 22:40): send older figures in a CSV file, each with its own time"),
    ("2026-03-29T01:30", datetime(2026, 3, 29, 3, 0, tzinfo=timezone.utc),
     "As at: 01:30 on 29/03/2026 does not exist in UK time (the clocks went forward an hour at 01:00); write the "
     "time the clocks showed"),
    ("8am", NOW, "As at: '8am' is not a date and time; write the day and the UK time, e.g. 05/12/2026 08:00, or "
                 "only the time (08:00) for today"),
    ("10:45", NOW, "As at: 10:45 is in the future (it is now 10:40); write the time the figures describe, at or "
                   "before now"),
])
def test_a_time_the_form_cannot_take_is_refused_naming_the_field(typed, now, said):
    assert provider.as_at({"as_at": typed, "as_at_shown": "2000-01-01T00:00"}, now) == (now, said)


def test_as_at_left_empty_or_as_shown_is_now():
    assert provider.as_at({}, NOW) == (NOW, None)
    assert provider.as_at({"as_at": "2026-12-05T08:00", "as_at_shown": "2026-12-05T08:00"}, NOW) == (NOW, None)




@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_as_at_field_on_a_phone_and_a_laptop_with_axe(browser, hub, tmp_path, scheme):  # noqa: F811
    """At 390x844 and 1366x768, light and dark, with a problem beside As at: axe-core finds nothing serious,
    nothing scrolls sideways, the field is a one-thumb target. The screenshots go to ``SCC_SHOTS`` when set."""
    import os
    from pathlib import Path

    from tests.web.test_browser import AXE, _axe, _small_targets

    shots = Path(os.environ.get("SCC_SHOTS") or tmp_path)
    for name, size in (("phone", {"width": 390, "height": 844}), ("laptop", LAPTOP)):
        ctx = browser.new_context(viewport=size, color_scheme=scheme, bypass_csp=True)
        page = ctx.new_page()
        try:
            browser_log_in(page, hub.url, "rtest2.site", "/provider/")
            page.fill("#as_at", _wall(utcnow() + timedelta(hours=1)))
            page.fill("#m\\.mean_handover_minutes", "30")
            assert _send(page).status == 422
            page.locator("#as_at-row").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / f"provider-as-at-{name}-{scheme}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
            box = page.locator("#as_at").bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44, box
            assert [t for t in _small_targets(page) if "as_at" in str(t)] == []
            if AXE.exists():
                assert _axe(page, AXE.read_text()) == [], (name, scheme)
        finally:
            ctx.close()


def test_a_time_typed_before_the_session_ended_comes_back_with_the_figures(hub):
    """Held over a login, the As at typed goes with the figures: sent afterwards, they are as at it, not now."""
    desk, _ = login(hub.url, "rtest2.site")
    form = provider_form(desk, hub.url)
    back = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    idle_out(hub.db_url)
    held = desk.post(hub.url + "/provider/", timeout=20, data={
        **posted_back(form, as_at_shown=True), "as_at": _wall(back),
        "send": "changed", "m.ed_over_12h_from_arrival_pct": "6"})
    assert held.status_code == 401
    login(hub.url, "rtest2.site", session=desk)
    again = desk.get(hub.url + "/provider/", timeout=10).text
    assert f'id="as_at" name="as_at" value="{_wall(back)}"' in again, "the time typed is back in its field"
    assert f"<b>As at</b>: {_wall(back)}" in again, "and listed with what was typed"
    form = again.split('action="/provider/"')[1].split("</form>")[0]
    sent = desk.post(hub.url + "/provider/", timeout=20, data={
        **posted_back(form, as_at_shown=True), "as_at": _wall(back),
        "send": "changed", "m.ed_over_12h_from_arrival_pct": "6"})
    assert sent.status_code == 200 and "Stored as at" in sent.text
    assert _latest(hub)["ed_over_12h_from_arrival_pct"] == (6.0, back)


def test_a_time_typed_comes_back_with_the_figures_after_a_network_drop(browser, hub):  # noqa: F811
    """The tab keeps what was typed until the hub answers (static/provider.js): a typed As at comes back with
    the figures; one left as shown does not (it would turn the moment of sending into a back-dating)."""
    ctx, page = _log_in(browser, hub)
    try:
        back = (utcnow() - timedelta(minutes=90)).replace(second=0, microsecond=0)
        page.fill("#as_at", _wall(back))
        page.fill("#m\\.ed_referred_to_service_pct", "19.5")
        ctx.set_offline(True)
        try:
            page.click(SEND)
            page.wait_for_load_state()
        except Exception:   # the navigation fails: the browser's own offline page
            pass
        ctx.set_offline(False)
        page.goto(hub.url + "/provider/")
        assert page.locator("#as_at").input_value() == _wall(back)
        assert page.locator("#restored a").all_inner_texts() == [
            f"As at (UK time, day/month/year 24-hour): {_wall(back)}",
            "ED patients referred to a specialty and still waiting in ED (percent): 19.5"]
        _send(page)
        assert _latest(hub)["ed_referred_to_service_pct"] == (19.5, back)
        page.fill("#m\\.ed_referred_to_service_pct", "20.5")   # As at left as this page shows it
        shown = page.locator("input[name=as_at_shown]").input_value()
        page.fill("#as_at", shown)
        kept = page.evaluate("Object.keys(JSON.parse(sessionStorage.getItem(sessionStorage.key(0))).typed)")
        assert kept == ["m.ed_referred_to_service_pct"], "As at as shown is not kept as typed"
        ctx.set_offline(True)
        try:
            page.click(SEND)
            page.wait_for_load_state()
        except Exception:
            pass
        ctx.set_offline(False)
        page.goto(hub.url + "/provider/")
        assert page.locator("#restored a").all_inner_texts() == [
            "ED patients referred to a specialty and still waiting in ED (percent): 20.5"]
    finally:
        ctx.close()
