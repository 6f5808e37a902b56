"""/m/week/<code> at its edges (review of b0dd7b0), on real hubs on loopback logged in with ``requests``:

- a code in lower case is the site's page (303 to the upper-case code: the hub's codes are upper case),
  on a hub whose week is worked out and on one with nothing to work it out from;
- a code that is no acute site of the hub is a 404 even before the week ahead is worked out (it was a
  page of its own, 200, headed with the code, saying "No forecast: the hub holds no handovers...");
- a provider's account that follows a site's link logs in to its own form, and a refusal's link takes it
  there (both went to /m/, the page it may not read: a refusal, then another).
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from sync.hub.schema import utcnow
from tests.support.hub import start_hub
from tests.web import week_world
from tests.web.support import PASSWORD, add_account, csrf_of, login

pytestmark = pytest.mark.timeout(300)
SITE, NAME = week_world.LONG[0]


def _hub(tmp_path_factory, folder, days: int):
    """A hub with ``days`` of the week world (its own copy of the world built once), or none."""
    if days:
        hub, _sent = week_world.start_fed_hub(tmp_path_factory, folder, days)
    else:
        hub = start_hub(folder, orgs=week_world.ORGS)
    try:
        add_account(hub.db_url, "director", "director_on_call")
        add_account(hub.db_url, "submitter", "provider_submitter", org=SITE)
        web, answer = login(hub.url, "director")
        assert answer.status_code == 303
    except BaseException:
        hub.stop()
        raise
    return hub, web


def _settled(web: requests.Session, url: str, done) -> str:
    """/m/ once ``done(html)`` (the hub works the week ahead out in a thread; a page never waits)."""
    deadline = time.monotonic() + 120
    while True:
        html = web.get(url + "/m/", timeout=30).text
        if done(html) or time.monotonic() > deadline:
            return html
        time.sleep(0.5)


@pytest.fixture(scope="module")
def fed(tmp_path_factory):
    hub, web = _hub(tmp_path_factory, tmp_path_factory.mktemp("fed"), 42)
    try:
        assert 'class="week"' in _settled(web, hub.url, lambda h: 'class="week"' in h)
        yield hub, web
    finally:
        hub.stop()


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """A hub with its acute sites and no handover or occupancy at all."""
    hub, web = _hub(tmp_path_factory, tmp_path_factory.mktemp("empty"), 0)
    try:
        html = _settled(web, hub.url, lambda h: "the hub holds no handovers or occupancy" in h)
        assert "No forecast: the hub holds no handovers or occupancy for the acute sites yet" in html
        yield hub, web
    finally:
        hub.stop()


@pytest.mark.parametrize("world", ["fed", "empty"])
def test_a_code_in_lower_case_is_the_sites_page(world, request):
    hub, web = request.getfixturevalue(world)
    answer = web.get(f"{hub.url}/m/week/{SITE.lower()}", timeout=30, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == f"/m/week/{SITE}", answer.text[:300]
    assert answer.headers["Cache-Control"] == "no-store"
    page = web.get(f"{hub.url}/m/week/{SITE.lower()}", timeout=30)
    assert page.status_code == 200 and f'<h1 id="h-site">{NAME}</h1>' in page.text
    missing = web.get(f"{hub.url}/m/week/rzz99", timeout=30, allow_redirects=False)
    assert missing.status_code == 404 and "no acute site with the code" in missing.text


def test_no_page_for_a_code_that_is_no_acute_site_before_the_week_is_worked_out(empty):
    hub, web = empty
    own = web.get(f"{hub.url}/m/week/{SITE}", timeout=30)
    assert own.status_code == 200 and f'<h1 id="h-site">{NAME}</h1>' in own.text
    assert "No forecast: the hub holds no handovers or occupancy" in own.text
    for code in ("RZZ99", week_world.AMBULANCE["ods_code"], "system"):
        answer = web.get(f"{hub.url}/m/week/{code}", timeout=30)
        assert answer.status_code == 404, (code, answer.text[:400])
        assert f"The week ahead has no acute site with the code &#39;{code}&#39;" in answer.text
        assert 'id="h-site"' not in answer.text


def test_a_providers_account_following_a_sites_link_logs_in_to_its_form(fed):
    hub, _web = fed
    s = requests.Session()
    form = s.get(f"{hub.url}/m/week/{SITE}", timeout=30)   # the link, followed logged out: the login page
    assert form.url == f"{hub.url}/login?next=/m/week/{SITE}"
    answer = s.post(f"{hub.url}/login", data={"csrf": csrf_of(form.text), "user": "submitter", "password": PASSWORD,
                                             "next": f"/m/week/{SITE}"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["location"] == "/provider/"
    # Its way back from a refusal is its form, not /m/ (refused too).
    refused = s.get(f"{hub.url}/m/week/{SITE}", timeout=30)
    assert refused.status_code == 403
    links = re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', refused.text)
    assert links == [("/provider/", "Back to the form")]
    assert s.get(hub.url + links[0][0], timeout=30).status_code == 200
    # The Director's refusal-free pages and the logged-out ones keep their links.
    director = web_message(hub, "director")
    assert ("/m/", "Back to the system picture") in director


def web_message(hub, user: str) -> list[tuple[str, str]]:
    s, _ = login(hub.url, user)
    page = s.get(f"{hub.url}/m/week/RZZ99", timeout=30)
    assert page.status_code == 404
    return re.findall(r'<a class="button" href="([^"]+)">([^<]+)</a>', page.text)


def test_a_hub_with_no_handovers_never_says_it_works_the_week_out_from_those_it_holds(empty):
    """With no handover or occupancy at all, the week ahead is worked out again at once whenever the feed
    moves (5be62cc): every provider's figure then made /m/ say "Being worked out from the handovers and
    occupancy the hub holds" (it holds none) until the next refresh, and again at the next figure."""
    from tests.web.world import submit

    hub, web = empty
    for n in range(3):
        submit(hub, SITE, [{"type": "observation", "metric": "ed_four_hour_performance_pct",
                            "observed_at": utcnow().isoformat(), "value": 70.0 + n}])
        for path in ("/m/", f"/m/week/{SITE}"):
            html = web.get(hub.url + path, timeout=30).text
            assert "Being worked out from the handovers and occupancy the hub holds" not in html, (n, path)
            assert "the hub held no handovers or occupancy for the acute sites" in html or \
                "the hub holds no handovers or occupancy for the acute sites" in html, (n, path)


def test_an_acute_site_made_inactive_has_no_page_before_the_week_is_worked_out(empty):
    """The second review's leftover: the hub's acute sites decided, inactive ones among them."""
    import subprocess
    import sys

    hub, web = empty
    code, name = week_world.LONG[2]
    assert web.get(f"{hub.url}/m/week/{code}", timeout=30).status_code == 200
    subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "org", "add", "--db", hub.db_url, code,
                    "--name", name, "--sector", "acute", "--inactive"], check=True, capture_output=True, timeout=120)
    deadline = time.monotonic() + 60
    while (answer := web.get(f"{hub.url}/m/week/{code}", timeout=30)).status_code == 200 \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answer.status_code == 404 and "no acute site with the code" in answer.text


def test_a_hub_with_no_acute_sites_says_so(tmp_path):
    """The second review's leftover: a hub with no acute site was told it held "no handovers or occupancy
    for the acute sites", as if they were there and silent."""
    hub = start_hub(tmp_path, orgs=[week_world.AMBULANCE])
    try:
        add_account(hub.db_url, "director", "director_on_call")
        web, _ = login(hub.url, "director")
        html = _settled(web, hub.url, lambda h: "No forecast" in h)
        assert "No forecast: the hub has no acute sites (organisations of sector acute) to forecast." in html
        assert "no handovers or occupancy" not in html
    finally:
        hub.stop()


@pytest.mark.parametrize("path", ["/m/week/", "/m/week"])
def test_no_code_is_the_list_of_sites(fed, path):
    """The second review's leftover: /m/week/ answered the API's JSON 404 to a phone."""
    hub, web = fed
    answer = web.get(hub.url + path, timeout=30, allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/m/#week-sites", answer.text[:200]
    assert web.get(hub.url + path, timeout=30).url == f"{hub.url}/m/#week-sites"
