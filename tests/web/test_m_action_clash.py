"""/m/, the Director on-call's phone page, and the room's actions ended on two desktops (real encrypted
replicas syncing through a real hub on loopback, read by a real headless Chromium). An action reassigned
on both desktops offline is listed twice, each marked "⚠ CLASH" with the desktop's words, as the desktop's
Actions view marks it (before, the phone listed both with no mark); a withdrawn action is not listed; a
withdrawn member of the clash settles it on the phone too. Light and dark at 360x640 are written to
$SCC_REVIEW_SHOTS when set; axe finds nothing serious."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from models.records import actions_due
from models.replica.orm.types import utcnow
from models.service import actions as door
from models.service import decisions
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.web.support import add_account
from tests.web.test_browser import ARGS, AXE, CHROMIUM, PHONE, _axe, _log_in, _missing

pytestmark = pytest.mark.timeout(240)
ROLE = "Director on-call"


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def _decided(hub, make_desktop, actions):
    """The director's account; two desktops; a decision made on the first giving ``actions`` (what, owner, due
    from now), synced to both: ``(a, b, now, the actions' uuids)``."""
    add_account(hub.db_url, "director", "director_on_call")
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    now = utcnow()
    gave = decisions.record_decision(a.store, decisions.NewDecision(
        "Dr Lead", ROLE, "Open the discharge lounge early", "Corridor care at RTEST1", "Dr Lead",
        now - timedelta(hours=1)), [decisions.NewAction(what, owner, now + due) for what, owner, due in actions])
    _synced(a, b)
    return a, b, now, gave.uuids


def _rows(page) -> dict[str, str]:
    """Each listed action's words (owner -> its row's text)."""
    rows = page.locator("#h-act ~ ul li")
    return {rows.nth(i).locator(".meta").inner_text().split(";")[0].replace("⚠", "").replace("CLASH", "").strip():
            " ".join(rows.nth(i).inner_text().split()) for i in range(rows.count())}


def test_the_phone_marks_a_reassign_clash_as_the_desktop_does_and_lists_no_withdrawn_action(
        sqlite_hub, make_desktop, tmp_path):
    if not CHROMIUM.exists():
        _missing(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    hub = sqlite_hub
    a, b, now, (call, bed, tell) = _decided(hub, make_desktop, [
        ("Call the site manager", "Sam Wrong", -timedelta(minutes=20)),
        ("Find a bed at RTEST2 for the patient in bay 3", "Sam Site", timedelta(hours=1)),
        ("Tell the ambulance service", "Alex Room", timedelta(hours=2))])
    to_pat = door.reassign_action(a.store, call, "Pat Right", "Sam is off today", "Dr Lead", ROLE, now)
    to_jo = door.reassign_action(b.store, call, "Jo Other", "Jo covers RTEST1", "Dr Night", ROLE, now)
    door.withdraw_action(a.store, bed, "The patient was moved to RCC overnight", "Dr Lead", ROLE, now)
    _synced(a, b)
    with a.store.session() as s:
        desk = {i.owner: i.clash for i in actions_due.open_actions(s, utcnow())}
    assert set(desk) == {"Pat Right", "Jo Other", "Alex Room"} and desk["Pat Right"] and desk["Jo Other"]

    shots = os.environ.get("SCC_REVIEW_SHOTS")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for scheme in ("light", "dark"):
                ctx, page = _log_in(chromium, hub, PHONE, color_scheme=scheme, bypass_csp=AXE.exists())
                rows = _rows(page)
                assert set(rows) == {"Pat Right", "Jo Other", "Alex Room"}, rows   # the withdrawn one is not listed
                assert "Find a bed" not in page.locator("section[aria-labelledby=h-act]").inner_text()
                for owner, other in (("Pat Right", "Jo Other"), ("Jo Other", "Pat Right")):
                    # The desktop's words, word for word, after the owner's orange mark.
                    assert rows[owner].startswith(f"Call the site manager {owner} ⚠ CLASH;"), rows[owner]
                    assert " ".join(desk[owner].split()) in rows[owner], (rows[owner], desk[owner])
                    assert f"also reassigned to {other}" in rows[owner]
                assert "CLASH" not in rows["Alex Room"]
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
                if AXE.exists():
                    assert _axe(page, AXE.read_text()) == []
                if shots:
                    page.locator("#h-act").scroll_into_view_if_needed()
                    page.screenshot(path=str(Path(shots) / f"m-action-clash-360x640-{scheme}.png"))
                ctx.close()
            # Settled on a desktop: Jo's action withdrawn. On the phone's next read Pat's stands unmarked.
            door.withdraw_action(b.store, to_jo.uuids[0], "Pat owns it: settled at the 10:00 call", "Dr Night", ROLE,
                                 utcnow())
            _synced(a, b)
            ctx, page = _log_in(chromium, hub, PHONE)
            rows = _rows(page)
            assert set(rows) == {"Pat Right", "Alex Room"} and "CLASH" not in " ".join(rows.values()), rows
            ctx.close()
        finally:
            chromium.close()
    assert to_pat.uuids[0] and tell


def test_the_phone_names_who_marked_a_reassigned_action_done_as_the_desktop_does(sqlite_hub, make_desktop):
    """Reassigned on one desktop, marked done on the other offline by a name signed under the room's token:
    the phone's clash words name the token's user first, as every desktop does (``models.record_signer``),
    never the name signed alone (review r2, finding 3: /m/ read ``done_by`` from the record as signed)."""
    if not CHROMIUM.exists():
        _missing(f"chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    hub = sqlite_hub
    a, b, now, [call] = _decided(hub, make_desktop, [("Call the site manager", "Sam Wrong", timedelta(hours=1))])
    door.reassign_action(a.store, call, "Pat Right", "Sam is off today", "Dr Lead", ROLE, now)
    door.complete_action(b.store, call, "Dr Asha Director", now + timedelta(minutes=1))
    _synced(a, b)
    by = 'test-room_lead (signed "Dr Asha Director")'
    for desk in (a, b):
        with desk.store.session() as s:
            [pat] = [i for i in actions_due.open_actions(s, utcnow()) if i.owner == "Pat Right"]
        assert "was also marked done" in pat.clash and f"by {by}" in pat.clash, pat.clash
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            ctx, page = _log_in(chromium, hub, PHONE)
            rows = _rows(page)
            assert " ".join(pat.clash.split()) in rows["Pat Right"], (rows["Pat Right"], pat.clash)
            assert f"by {by}" in rows["Pat Right"] and "by Dr Asha Director" not in rows["Pat Right"], rows
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
            ctx.close()
        finally:
            chromium.close()
