"""/m/, the Director on-call's phone page, and a transfer changed on two desktops each unseen by the other
(real encrypted replicas syncing through a real hub on loopback). A departed patient's case cancelled on an
offline desktop, then marked arrived on one that had not yet heard, is closed and in conflict: every
desktop puts it first on its board, while the phone showed it nowhere ("None past its threshold"). The
phone now lists it, marked "CONFLICT: status", until the room settles it on a desktop."""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta, timezone

import pytest

from models.queries import records as rq
from models.service import transfers as door
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop  # noqa: F401
from tests.web.support import add_account, login
from tests.web.test_browser import ARGS, AXE, CHROMIUM, PHONE, _axe, _log_in

pytestmark = pytest.mark.timeout(180)
NOW = datetime.now(timezone.utc) - timedelta(hours=1)


def _synced(*desks):
    for desk in desks + desks:
        assert desk.run_once().error is None


def _transfers_section(hub, session) -> str:
    page = session.get(hub.url + "/m/", timeout=20)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'<section aria-labelledby="h-tr">(.*?)</section>', page.text, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _in_a_browser(hub) -> None:
    """On a phone, light and dark: no sideways scroll, axe finds nothing; PNGs to $SCC_REVIEW_SHOTS when set."""
    if not CHROMIUM.exists():
        return   # the words are checked above; test_browser says whether Chromium is required here
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for scheme in ("light", "dark"):
                ctx, page = _log_in(chromium, hub, PHONE, color_scheme=scheme, bypass_csp=AXE.exists())
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scroll"
                if AXE.exists():
                    assert _axe(page, AXE.read_text()) == []
                if os.environ.get("SCC_REVIEW_SHOTS"):
                    page.locator("#h-tr").scroll_into_view_if_needed()
                    page.screenshot(path=os.path.join(os.environ["SCC_REVIEW_SHOTS"],
                                                      f"m-transfer-conflict-360x640-{scheme}.png"))
                ctx.close()
        finally:
            chromium.close()


def test_the_phone_lists_a_closed_case_in_conflict_until_the_room_settles_it(sqlite_hub, make_desktop):
    hub = sqlite_hub
    add_account(hub.db_url, "director", "director_on_call")
    session, answer = login(hub.url, "director")
    assert answer.status_code in (302, 303), answer.text[:300]
    a, b = make_desktop(hub, "a"), make_desktop(hub, "b")
    uid = door.open_case(a.store, door.NewTransfer("T-8001", "inter_hospital", "RAA", "RBB"), "Lead A").uuid
    door.open_case(a.store, door.NewTransfer("T-8002", "inter_hospital", "RAA", "RCC"), "Lead A")
    _synced(a, b)
    assert "CONFLICT" not in _transfers_section(hub, session)
    assert door.step(a.store, uid, "accepted", "Lead A", NOW).applied
    assert door.step(a.store, uid, "departed", "Lead A", NOW + timedelta(minutes=20)).applied
    assert a.run_once().error is None
    assert door.step(b.store, uid, "cancelled", "Lead B", NOW + timedelta(minutes=25)).applied   # offline
    assert b.run_once().error is None
    # A, not yet having received the cancellation, marks the patient arrived: the case is closed, in conflict.
    assert door.step(a.store, uid, "arrived", "Lead A", NOW + timedelta(minutes=50)).applied
    _synced(a, b)
    with b.store.session() as s:
        desk = rq.transfer_board(s, NOW + timedelta(hours=1))
    assert [line.transfer.local_ref for line in desk.in_conflict] == ["T-8001"]
    said = _transfers_section(hub, session)
    assert "in conflict (1)" in said and "T-8001: arrived (closed)" in said and "CONFLICT: status" in said, said
    assert "T-8002" not in said
    _in_a_browser(hub)
    with b.store.session() as s:
        shown = tuple(c.pair for c in rq.transfer_history(s, uid).open_conflicts)
    assert door.settle(b.store, uid, "status", "arrived", shown, "Lead B").applied
    _synced(a, b)
    said = _transfers_section(hub, session)
    assert "CONFLICT" not in said and "in conflict" not in said, said
