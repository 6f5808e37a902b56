"""Several accounts for one organisation: a trust's site managers on their shifts each log in as themselves.

A real hub process on loopback (SQLite) with three provider_submitter accounts for one acute trust, each
logged in at once from its own browser (a ``requests`` session keeps its cookies as a browser does). What the
hub stored is read from its database: who sent each submission, and which figures each one held.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import create_engine, select

from sync.hub import schema as s
from tests.support.hub import start_hub
from tests.web.support import add_account, csrf_of, idle_out, login, posted_back

pytestmark = pytest.mark.timeout(120)

ORG = "RTEST1"
USERS = ("sherwood.day", "sherwood.night", "sherwood.weekend")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("provider-accounts"))
    try:
        for user in USERS:
            add_account(process.db_url, user, "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def _form(web, hub) -> dict[str, str]:
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 200, page.text
    form = page.text.split('action="/provider/"')[1].split("</form>")[0]
    as_at = re.search(r'name="as_at_shown" value="([^"]*)"', form)
    return {**posted_back(form), "as_at_shown": as_at.group(1) if as_at else "", "page": page.text}


def _send(web, hub, form: dict[str, str], **figures) -> "requests.Response":  # noqa: F821
    data = {k: form[k] for k in ("csrf", "sid", "shown", "as_at_shown") if form.get(k)}
    data.update({"send": "changed", **{f"m.{k}": v for k, v in figures.items()}})
    return web.post(hub.url + "/provider/", data=data, allow_redirects=False, timeout=20)


def _db(hub):
    return create_engine(hub.db_url)


def test_each_of_an_organisations_accounts_submits_as_itself_at_the_same_time(hub):
    """Three site managers of one trust logged in at once, each sending a figure: every session stays alive,
    each submission is stored with the user who sent it, a bad figure is quarantined under its sender."""
    webs = {user: login(hub.url, user)[0] for user in USERS}
    forms = {user: _form(web, hub) for user, web in webs.items()}
    for n, (user, web) in enumerate(webs.items()):
        answer = _send(web, hub, forms[user], mean_handover_minutes=str(40 + n))
        assert answer.status_code == 200 and "Accepted 1 of 1 figure." in answer.text, answer.text
    bad = _send(webs[USERS[0]], hub, _form(webs[USERS[0]], hub), ga_bed_occupancy_pct="180")
    assert bad.status_code == 422
    for user, web in webs.items():   # no login ended another's session
        assert web.get(hub.url + "/provider/", allow_redirects=False, timeout=10).status_code == 200, user
    engine = _db(hub)
    try:
        with engine.connect() as conn:
            by = dict(conn.execute(select(s.submission.c.submission_id, s.submission.c.submitted_by)
                                   .where(s.submission.c.org_code == ORG)).all())
            quarantined = conn.execute(select(s.quarantine.c.submitted_by)
                                       .where(s.quarantine.c.org_code == ORG)).scalars().all()
            nctr = conn.execute(select(s.latest_value.c.value).where(
                s.latest_value.c.org_code == ORG, s.latest_value.c.metric == "mean_handover_minutes")).scalar()
    finally:
        engine.dispose()
    assert {by[forms[user]["sid"]] for user in USERS} == set(USERS), by
    assert [by[forms[user]["sid"]] for user in USERS] == list(USERS)
    assert quarantined == [USERS[0]]
    assert nctr == 42.0


def test_each_accounts_held_over_figures_are_its_own_at_a_shared_browser(hub):
    """The day manager's session ends as she sends (30 minutes idle): her figures are held over the login.
    The night manager logs in at the same desk first: he never sees them, and (where his visit deleted
    them) they are still there for her when she logs in again within the hour."""
    day, night = USERS[0], USERS[1]
    desk, _ = login(hub.url, day)
    form = _form(desk, hub)
    idle_out(hub.db_url, day)
    held = _send(desk, hub, form, nctr_patients_count="57")
    assert held.status_code == 401 and "Your figures are kept" in html.unescape(held.text), held.text
    login(hub.url, night, session=desk)
    his = desk.get(hub.url + "/provider/", timeout=10)
    assert his.status_code == 200 and "Not sent yet" not in his.text and 'value="57"' not in his.text
    desk.post(hub.url + "/logout", data={"csrf": csrf_of(his.text)}, timeout=10)
    login(hub.url, day, session=desk)
    hers = desk.get(hub.url + "/provider/", timeout=10)
    assert "Not sent yet" in hers.text and 'id="m.nctr_patients_count" name="m.nctr_patients_count" value="57"' \
        in hers.text, "her figures were lost to her colleague's login"
    again = desk.get(hub.url + "/provider/", timeout=10)
    assert "Not sent yet" not in again.text, "used once"


def test_the_account_list_names_each_accounts_organisation(hub):
    from sync.hub.db import HubDB
    from sync.hub.web import accounts

    db = HubDB(hub.db_url)
    try:
        listed = [(a["user_name"], a["role"], a["org_code"]) for a in accounts.list_accounts(db)]
    finally:
        db.dispose()
    assert [a for a in listed if a[2] == ORG] == [(u, "provider_submitter", ORG) for u in USERS]

