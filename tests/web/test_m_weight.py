"""/m/ within its 100 KB target (docs/web.md) at 40 acute sites, with the week ahead still whole.

A real hub (a process on loopback) holds an ICS of 40 acute trusts, 4 community, 3 mental health, two
NHS 111 and an ambulance service (``tests.web.ics_world``): four weeks of the acute sites' handovers and
hourly occupancy, so every site has a forecast for every measure, two hours of everyone's OPEL tables,
a rota, decisions and transfers. Logged in as the Director on-call with ``requests``:

- ``/m/`` with its stylesheet and script weighs at most 100 KB uncompressed (118 KB when each site's
  table was inlined: the week ahead alone was 71 KB);
- every acute site is one link away (``/m/week/<code>``), behind the same login and headers, and its
  page gives every figure and its 80% range as a desktop synced from the same hub gives them.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from models.service import week_ahead as door
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web import week_shared
from tests.models.conftest import FAST_KDF
from tests.support.hub import start_hub
from tests.support.replica import fresh_replica
from tests.web import ics_world
from tests.web.support import add_account, login

pytestmark = pytest.mark.timeout(600)
TARGET = 100 * 1024
ACUTE = 40


@pytest.fixture(scope="module")
def ics(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ics")
    hub = start_hub(folder, orgs=ics_world.orgs(ACUTE))
    try:
        ics_world.send(hub, utcnow(), days=28, acute=ACUTE)
        add_account(hub.db_url, "director", "director_on_call")
        web, answer = login(hub.url, "director")
        assert answer.status_code == 303
        page = _worked_out(web, hub.url)
        yield hub, web, page
    finally:
        hub.stop()


def _worked_out(web: requests.Session, url: str) -> requests.Response:
    """/m/ once the week ahead is on it (the hub works it out in a thread; the page never waits)."""
    deadline = time.monotonic() + 180
    while True:
        page = web.get(url + "/m/", timeout=30)
        assert page.status_code == 200
        if 'class="week"' in page.text or time.monotonic() > deadline:
            return page
        time.sleep(1)


def test_m_at_40_acute_sites_is_within_100_kb_with_its_stylesheet_and_script(ics):
    hub, web, page = ics
    html = page.text
    assert "Each acute site (40)" in html, "the week ahead was not worked out"
    assets = sum(len(web.get(f"{hub.url}/web/{name}", timeout=10).content) for name in ("m.css", "m.js"))
    weight = len(page.content) + assets
    print(f"/m/ at {ACUTE} acute sites: {len(page.content) / 1024:.1f} KB, with its stylesheet and script "
          f"{weight / 1024:.1f} KB")
    assert weight <= TARGET, f"/m/ weighs {weight / 1024:.1f} KB with its stylesheet and script"
    # A full page, not a light one: its 49 providers' rows (the ambulance service is under REAP).
    assert html.count('href="/m/week/') == ACUTE
    providers = html[html.index('id="h-prov"'):].split("</section>")[0]
    assert providers.count("<li") == sum(o["sector"] != "ambulance" for o in ics_world.orgs(ACUTE))
    assert "Week ahead: FORECAST" in html and "80% range" in html


def _cells(html: str) -> list[str]:
    """Each figure cell of a page's week table: "<td>228<small>203–253</small>..." up to its end."""
    return re.findall(r"<td>.*?</td>", html)


def _kept_at(db):
    kept = week_shared.stored(db)
    return kept[0] if kept else None


def _want(place) -> list[str]:
    """Each figure cell of a site's week table as the room words it."""
    from ui.week_ahead_view import figure, interval   # the room's own wording of a figure

    want = []
    for d in range(7):
        for key in (door.ARRIVALS, door.DELAY_30_60, door.DELAY_60, door.OCCUPANCY):
            s = place.series[key]
            assert s.forecast.days, (place.name, key)
            f = s.forecast.days[d]
            want.append(f"<td>{figure(s.measure, f.value)}<small>{interval(s.measure, f.low, f.high)}</small>")
    return want


def _agrees(cells: list[str], want: list[str]) -> bool:
    return [c[:len(w)] for c, w in zip(cells, want)] == want and len(cells) == len(want)


def test_each_site_is_a_link_away_with_the_figures_the_room_gives(ics, tmp_path):
    from ui.week_ahead_view import figure

    hub, web, page = ics
    db = HubDB(hub.db_url)
    store = fresh_replica(tmp_path / "desk.db", "weight-pass", kdf=FAST_KDF)
    rooms = {}

    def room(at):
        """The room's week as at when the hub worked out the one its page shows, not as at now: the day before's
        crews still waiting count towards its last day until an hour after the feed stopped, and past UK
        midnight a page shows the day before's week while the new day's is worked out (CI crossed midnight)."""
        if at not in rooms:
            rooms[at] = door.week_ahead(store, at)
        return rooms[at]

    try:
        SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"])).run_once()
        sites = [code for code in room(_kept_at(db) or utcnow()).places if code != door.SYSTEM]
        assert len(sites) == ACUTE
        links = re.findall(r'<a href="/m/week/([A-Z0-9]+)">([^<]+)</a>', page.text)
        assert [c for c, _ in links] == sites, "each site listed, in the room's order"
        for code in sites:
            at = _kept_at(db)
            answer = web.get(f"{hub.url}/m/week/{code}", timeout=30)
            if not _agrees(_cells(answer.text), _want(room(at).places[code])):
                # Read as a newer week was kept (its page shows it as the database is written): again once kept.
                deadline = time.monotonic() + 60
                while _kept_at(db) == at and time.monotonic() < deadline:
                    time.sleep(0.5)
                at = _kept_at(db)
                answer = web.get(f"{hub.url}/m/week/{code}", timeout=30)
            place = room(at).places[code]
            assert answer.status_code == 200, code
            assert answer.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
            assert answer.headers["Cache-Control"] == "no-store"
            html = answer.text
            assert f'<h1 id="h-site">{place.name}</h1>' in html and "Week ahead: FORECAST" in html
            assert "80% range" in html
            cells, want = _cells(html), _want(place)
            assert [c[:len(w)] for c, w in zip(cells, want)] == want and len(cells) == len(want), code
            today = place.series[door.ARRIVALS]
            if today.today is not None:
                assert f"so far {figure(today.measure, today.so_far)}" in cells[0], code
    finally:
        store.close()


def test_a_sites_page_has_the_pictures_login_and_headers(ics):
    hub, web, page = ics
    code = ics_world.ACUTE[0]["ods_code"]
    alone = requests.get(f"{hub.url}/m/week/{code}", timeout=10, allow_redirects=False)
    assert alone.status_code == 303 and alone.headers["location"] == f"/login?next=/m/week/{code}"
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
                 "Cache-Control"):
        assert alone.headers[name] == page.headers[name], name
    add_account(hub.db_url, "submitter", "provider_submitter", org=code)
    other, _ = login(hub.url, "submitter")
    refused = other.get(f"{hub.url}/m/week/{code}", timeout=10, allow_redirects=False)
    assert refused.status_code == 403 and "may not read the system picture" in refused.text
    for bad, why in (("RZZ99", "has no acute site with the code 'RZZ99'"),
                     (ics_world.AMBULANCE, f"has no acute site with the code '{ics_world.AMBULANCE}'"),
                     ("%3Cscript%3E", "is not an organisation code")):
        answer = web.get(f"{hub.url}/m/week/{bad}", timeout=10)
        assert answer.status_code == 404 and why in answer.text.replace("&#39;", "'"), bad
        assert "<script>" not in answer.text
