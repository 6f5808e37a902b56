"""Logging in to the hub's web pages: accounts, sessions, cookies, CSRF, throttling, no-store.

One real hub process (``scc-desktop hub serve`` on SQLite) for the module; accounts are made in
its database (and through the admin command); each test logs in as its own user, and from its
own client address where throttling could spill over (the hub trusts ``X-Forwarded-For`` and
``X-Forwarded-Proto`` from loopback, as behind a TLS proxy on the same machine).
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select, update

from sync.hub import schema as s
from sync.hub.db import HubDB
from sync.hub.web import accounts, sessions
from sync.hub.throttle import AuthThrottle, login_keys
from tests.support.hub import REPO, connection, start_hub
from tests.web.support import PASSWORD, add_account, csrf_of, login


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("web-login"))
    yield process
    process.stop()


def _cookie(resp: requests.Response, name: str) -> str:
    found = [c for c in resp.raw.headers.getlist("set-cookie") if c.startswith(name + "=")]
    assert found, f"no {name} cookie in {resp.headers}"
    return found[0]


def _set_session_times(db_url: str, user: str, **times) -> None:
    with connection(db_url, write=True) as conn:
        account = conn.execute(select(s.web_account.c.id).where(s.web_account.c.user_name == user)).scalar()
        conn.execute(update(s.web_session).where(s.web_session.c.account_id == account).values(**times))


def _cli(hub, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "scc_desktop", "hub", "account", *args, "--db", hub.db_url],
                          input=stdin, capture_output=True, text=True, env=env, timeout=60, cwd=REPO)


def test_every_page_needs_a_login_and_nothing_is_kept_by_the_browser(hub):
    resp = requests.get(hub.url + "/m/", allow_redirects=False, timeout=10)
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/m/"
    form = requests.get(hub.url + "/login", timeout=10)
    for answer in (resp, form):
        assert answer.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    cookie = _cookie(form, "scc_login_csrf").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert csrf_of(form.text) == form.cookies["scc_login_csrf"]   # the double-submit pair


def test_login_gives_a_strict_httponly_session_and_the_picture(hub):
    add_account(hub.db_url, "director", "director_on_call")
    web, resp = login(hub.url, "director")
    assert resp.status_code == 303 and resp.headers["location"] == "/m/"
    cookie = _cookie(resp, "scc_session").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    assert "max-age=43200" in cookie   # never outlives the session's absolute limit
    page = web.get(hub.url + "/m/", timeout=10)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "System OPEL" in page.text and "Log out" in page.text
    assets = sum(len(web.get(hub.url + f"/web/{name}", timeout=10).content) for name in ("m.css", "m.js"))
    assert len(page.content) + assets <= 100 * 1024


def test_the_session_cookie_is_secure_behind_tls(hub):
    add_account(hub.db_url, "tls-user", "viewer")
    https = {"X-Forwarded-Proto": "https"}
    form = requests.get(hub.url + "/login", headers=https, timeout=10)
    assert "; secure" in _cookie(form, "__Host-scc_login_csrf").lower()   # named __Host- over HTTPS
    token = csrf_of(form.text)   # requests keeps Secure cookies to https: hand it back as the browser would
    resp = requests.post(hub.url + "/login", headers=https, cookies={"__Host-scc_login_csrf": token}, timeout=20,
                         data={"csrf": token, "user": "tls-user", "password": PASSWORD}, allow_redirects=False)
    assert resp.status_code == 303
    assert "; secure" in _cookie(resp, "__Host-scc_session").lower()


def test_forms_without_their_csrf_token_are_refused(hub):
    add_account(hub.db_url, "csrf-user", "room_lead")
    forged = requests.post(hub.url + "/login", data={"user": "csrf-user", "password": PASSWORD},
                           allow_redirects=False, timeout=10)
    assert forged.status_code == 403 and "scc_session" not in forged.headers.get("set-cookie", "")
    web, resp = login(hub.url, "csrf-user")
    assert resp.status_code == 303
    refused = web.post(hub.url + "/logout", data={"csrf": "not-the-token"}, allow_redirects=False, timeout=10)
    assert refused.status_code == 403
    assert web.get(hub.url + "/m/", allow_redirects=False, timeout=10).status_code == 200, "still logged in"


def test_logout_ends_the_session_on_the_hub(hub):
    add_account(hub.db_url, "leaver", "clinician")
    web, _ = login(hub.url, "leaver")
    secret = web.cookies["scc_session"]
    page = web.get(hub.url + "/m/", timeout=10)
    out = web.post(hub.url + "/logout", data={"csrf": csrf_of(page.text)}, allow_redirects=False, timeout=10)
    assert out.status_code == 303 and out.headers["location"] == "/login?out=1"
    assert 'scc_session=""' in out.headers["set-cookie"]
    replayed = requests.get(hub.url + "/m/", cookies={"scc_session": secret}, allow_redirects=False, timeout=10)
    assert replayed.status_code == 303, "a copied cookie is no use after logout"


def test_logging_in_ends_the_session_the_browser_held(hub):
    """A shared phone: one person left logged in, another logs in on it. The first session ended
    with nobody to end it: its cookie was replaced but it stayed live for 12 hours (a review)."""
    add_account(hub.db_url, "first-on-phone", "viewer")
    add_account(hub.db_url, "second-on-phone", "viewer")
    web, resp = login(hub.url, "first-on-phone")
    first = web.cookies["scc_session"]
    _, resp = login(hub.url, "second-on-phone", session=web)
    assert resp.status_code == 303 and web.cookies["scc_session"] != first
    assert requests.get(hub.url + "/m/", cookies={"scc_session": first}, allow_redirects=False,
                        timeout=10).status_code == 303, "the first person's session is still live"
    assert web.get(hub.url + "/m/", allow_redirects=False, timeout=10).status_code == 200


def test_failed_logins_are_throttled_per_user_and_logged_without_the_password(hub):
    add_account(hub.db_url, "target", "viewer")
    client = {"X-Forwarded-For": "10.1.1.1"}
    for n in range(5):
        _, resp = login(hub.url, "target", f"wrong guess number {n}", headers=client)
        assert resp.status_code == 401 and "not right" in resp.text
    other = {"X-Forwarded-For": "10.1.1.2"}
    for password in ("wrong guess number 6", PASSWORD):   # the right password too: nothing is checked
        _, resp = login(hub.url, "target", password, headers=other)
        assert resp.status_code == 429 and 0 < int(resp.headers["retry-after"]) <= 15 * 60
        assert "Too many failed logins. Try again after" in resp.text
    log = hub.log()
    assert "web login failed for user 'target' from 10.1.1.1: wrong password" in log
    assert "web login throttled for user 'target' from 10.1.1.2" in log
    assert "wrong guess number" not in log and PASSWORD not in log


def test_failed_logins_sent_at_once_cannot_pass_the_limits(hub):
    """24 wrong passwords from one address posted at the same instant, 12 for one name and 12 for
    made-up ones: the name's password is checked at most 5 times and the address's at most 20, as
    when they come one by one. The count was read before the (slow) password check and the failure
    written after it, so every try of a burst passed the count: 30 at once were all checked (a
    review; /tmp/h4s20/repro_throttle_race.py)."""
    add_account(hub.db_url, "rushed", "viewer")
    client = {"X-Forwarded-For": "10.1.3.1"}
    users = ["rushed"] * 12 + [f"made-up-{n}" for n in range(12)]
    forms = []
    for _ in users:   # each try's own login form (its CSRF pair), fetched beforehand
        web = requests.Session()
        web.headers.update(client)
        forms.append((web, csrf_of(web.get(hub.url + "/login", timeout=10).text)))
    start, codes = threading.Barrier(len(users)), [None] * len(users)

    def guess(n: int) -> None:
        web, token = forms[n]
        start.wait(30)
        codes[n] = web.post(hub.url + "/login", data={"csrf": token, "user": users[n], "next": "/m/",
                                                      "password": f"wrong guess {n} at once"},
                            allow_redirects=False, timeout=120).status_code

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(len(users))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    assert set(codes) <= {401, 429}, codes
    assert codes[:12].count(401) <= 5, f"the name's password was checked {codes[:12].count(401)} times: {codes}"
    assert codes.count(401) <= 20, f"the address's passwords were checked {codes.count(401)} times: {codes}"
    _, resp = login(hub.url, "rushed", PASSWORD, headers={"X-Forwarded-For": "10.1.3.2"})
    assert resp.status_code == 429, "the name's window is full: even its right password waits"


def test_a_stranger_cannot_lock_the_director_out_of_a_browser_she_logged_in_from(hub):
    """Five wrong passwords for a name, from anywhere, held its owner's right password back for 15
    minutes, and five more every 15 minutes kept her out of her phone for good (a review;
    /tmp/h4s20/repro_lockout.py). A browser that has logged in as the name counts its own failures
    (5) instead; a new browser, a forged cookie, or one from before a new password still waits."""
    add_account(hub.db_url, "on-call", "director_on_call")
    phone = {"X-Forwarded-For": "10.1.4.1"}
    web, resp = login(hub.url, "on-call", headers=phone)
    assert resp.status_code == 303
    first_login, device = resp, web.cookies.get("scc_device") or "1.no-cookie"
    web.post(hub.url + "/logout", data={"csrf": csrf_of(web.get(hub.url + "/m/", timeout=10).text)}, timeout=10)
    for n in range(5):   # a stranger somewhere else
        _, resp = login(hub.url, "on-call", f"stranger's guess {n}", headers={"X-Forwarded-For": "10.1.4.9"})
        assert resp.status_code == 401
    _, resp = login(hub.url, "on-call", headers={"X-Forwarded-For": "10.1.4.2"})
    assert resp.status_code == 429, "a browser that never logged in as the name still waits"
    forged = requests.Session()
    forged.cookies.set("scc_device", device[:-4] + ("0000" if not device.endswith("0000") else "1111"))
    _, resp = login(hub.url, "on-call", headers={"X-Forwarded-For": "10.1.4.3"}, session=forged)
    assert resp.status_code == 429, "a forged cookie is no browser she logged in from"
    again = requests.Session()
    again.cookies.set("scc_device", device)
    _, resp = login(hub.url, "on-call", headers=phone, session=again)
    assert resp.status_code == 303, f"her own phone was locked out by a stranger: {resp.status_code}"
    cookie = _cookie(first_login, "scc_device").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=7776000" in cookie
    # her phone's own failures are counted: five, then even her right password waits
    mine = requests.Session()
    mine.cookies.set("scc_device", device)
    for n in range(5):
        _, resp = login(hub.url, "on-call", f"my own typo {n}", headers=phone, session=mine)
        assert resp.status_code == 401
    _, resp = login(hub.url, "on-call", headers=phone, session=mine)
    assert resp.status_code == 429
    # a new password ends what the cookie says, as it ends the sessions
    db = HubDB(hub.db_url)
    try:
        accounts.set_password(db, "on-call", PASSWORD + " changed")
    finally:
        db.dispose()
    for n in range(5):
        login(hub.url, "on-call", f"stranger's guess {n} again", headers={"X-Forwarded-For": "10.1.4.8"})
    later = requests.Session()
    later.cookies.set("scc_device", device)
    _, resp = login(hub.url, "on-call", PASSWORD + " changed", headers={"X-Forwarded-For": "10.1.4.4"}, session=later)
    assert resp.status_code == 429


def test_the_throttle_window_in_the_database(tmp_path):
    db = HubDB(f"sqlite:///{tmp_path / 'hub.db'}")
    clock = [s.utcnow()]
    start = clock[0]
    throttle = AuthThrottle(db, clock=lambda: clock[0])
    try:
        db.init_schema()
        for n in range(20):
            keys = login_keys(f"name-{n}", "10.2.2.2")
            assert throttle.retry_after(keys) is None
            throttle.failed(keys)
            clock[0] += timedelta(seconds=1)
        assert throttle.retry_after(login_keys("innocent", "10.2.2.2")) == 900 - 20
        assert throttle.retry_after(login_keys("innocent", "10.2.2.3")) is None, "another client is not held back"
        clock[0] = start + timedelta(seconds=900.5)   # the first failure has left the window: one more try
        assert throttle.retry_after(login_keys("innocent", "10.2.2.2")) is None
        throttle.failed(login_keys("innocent", "10.2.2.2"))
        assert throttle.retry_after(login_keys("innocent", "10.2.2.2")) == 1
        with db.read() as conn:   # the failure past the window was deleted with the new one
            assert conn.execute(select(func.count()).select_from(s.auth_failure)).scalar() == 2 * 20
        throttle.clear(login_keys("innocent", "10.2.2.2")[:1])
        assert throttle.retry_after(login_keys("innocent", "10.2.2.9")) is None
    finally:
        db.dispose()


def test_sessions_end_when_idle_and_after_their_absolute_limit(hub):
    add_account(hub.db_url, "sleepy", "viewer")
    add_account(hub.db_url, "marathon", "viewer")
    idle, _ = login(hub.url, "sleepy")
    long, _ = login(hub.url, "marathon")
    now = s.utcnow()
    _set_session_times(hub.db_url, "sleepy", seen_at=now - sessions.IDLE - timedelta(seconds=5))
    _set_session_times(hub.db_url, "marathon", created_at=now - sessions.ABSOLUTE - timedelta(seconds=5),
                       seen_at=now)
    for web in (idle, long):
        resp = web.get(hub.url + "/m/", allow_redirects=False, timeout=10)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")


def test_a_provider_submitter_may_not_read_the_picture(hub):
    add_account(hub.db_url, "trust-user", "provider_submitter", "RTEST1")
    web, resp = login(hub.url, "trust-user")
    assert resp.status_code == 303
    page = web.get(hub.url + "/m/", timeout=10)
    assert page.status_code == 403 and "may not read the system picture" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_bad_login_bodies_get_a_plain_answer_not_a_fault(hub):
    as_json = requests.post(hub.url + "/login", json={"user": "x"}, timeout=10)
    huge = requests.post(hub.url + "/login", data={"user": "x" * 20000}, timeout=10)
    odd = requests.post(hub.url + "/login", data=b"\xff\xfe=\x00", timeout=10,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    for resp in (as_json, huge, odd):
        assert resp.status_code == 400 and "Not a login form" in resp.text


def test_the_admin_command_makes_lists_and_disables_accounts(hub):
    made = _cli(hub, "create", "--user", "cli-user", "--role", "room_support", stdin=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    listed = _cli(hub, "list")
    assert '"cli-user"' in listed.stdout and "scrypt" not in listed.stdout
    db = HubDB(hub.db_url)
    try:
        with db.read() as conn:
            stored = conn.execute(select(s.web_account.c.password).where(
                s.web_account.c.user_name == "cli-user")).scalar()
        assert stored.startswith("scrypt$32768$8$1$") and PASSWORD not in stored
        for bad, why in (("short", "at least 12 characters"), ("cli-user", "at least 12"),
                         (PASSWORD, "already exists")):
            with pytest.raises(accounts.AccountError, match=why):
                accounts.create_account(db, "cli-user", "viewer", bad)

        web, resp = login(hub.url, "cli-user")
        assert resp.status_code == 303
        disabled = _cli(hub, "disable", "cli-user")
        assert disabled.returncode == 0 and "sessions have ended" in disabled.stderr
        assert web.get(hub.url + "/m/", allow_redirects=False, timeout=10).status_code == 303, "ended at once"
        assert login(hub.url, "cli-user")[1].status_code == 401
        assert accounts.set_disabled(db, "cli-user", False)
        web, resp = login(hub.url, "cli-user")
        assert resp.status_code == 303
        accounts.set_password(db, "cli-user", "a brand new passphrase")
        assert web.get(hub.url + "/m/", allow_redirects=False, timeout=10).status_code == 303
        assert login(hub.url, "cli-user", "a brand new passphrase")[1].status_code == 303
    finally:
        db.dispose()


def test_accounts_and_sessions_on_postgresql(postgres_cluster):
    db = HubDB(postgres_cluster.create_database())
    try:
        db.init_schema()
        account_id = accounts.create_account(db, "pg-user", "viewer", PASSWORD)
        found, why = accounts.verify(db, "pg-user", PASSWORD)
        assert found is not None and found.id == account_id and why == "ok"
        assert accounts.verify(db, "pg-user", "not the password")[0] is None
        secret = sessions.start(db, account_id)
        now = s.utcnow()
        live = sessions.current(db, secret, now)
        assert live is not None and live.user == "pg-user" and live.expires_at == now + sessions.IDLE
        assert sessions.current(db, secret, now + sessions.IDLE + timedelta(seconds=1)) is None
        assert sessions.current(db, secret, now) is None, "an expired session stays ended"
        other = sessions.start(db, account_id)
        assert accounts.set_disabled(db, "pg-user", True)
        assert sessions.current(db, other) is None
    finally:
        db.dispose()


def _provider_form(web, hub) -> tuple[str, str]:
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 200, page.text
    return csrf_of(page.text), re.search(r'name="sid" value="([^"]+)"', page.text).group(1)


def test_the_provider_form_is_for_submitters_only_and_checks_its_csrf_token(hub):
    add_account(hub.db_url, "form-viewer", "viewer")
    web, _ = login(hub.url, "form-viewer")
    page = web.get(hub.url + "/provider/", timeout=10)
    assert page.status_code == 403 and "may not submit provider data" in page.text
    add_account(hub.db_url, "form-submitter", "provider_submitter", "RTEST1")
    web, resp = login(hub.url, "form-submitter")
    assert resp.headers["location"] == "/provider/", "a provider's account goes straight to its form"
    _, sid = _provider_form(web, hub)
    forged = web.post(hub.url + "/provider/", data={"sid": sid, "m.ga_bed_occupancy_pct": "91"}, timeout=10)
    assert forged.status_code == 403
    stored = hub.request("GET", "/v1/quarantine", params={"org_code": "RTEST1"}).json()["items"]
    assert not [i for i in stored if i["submission_id"] == sid]


def test_the_form_names_each_bad_field_in_the_hubs_words_and_sends_the_good(hub):
    add_account(hub.db_url, "form-sender", "provider_submitter", "RTEST1")
    web, _ = login(hub.url, "form-sender")
    token, sid = _provider_form(web, hub)
    sent = web.post(hub.url + "/provider/", timeout=20, data={
        "csrf": token, "sid": sid, "m.ga_bed_occupancy_pct": "180", "m.mean_handover_minutes": "forty",
        "m.escalation_beds_open_pct": "3", "declared_level": "4"})
    assert sent.status_code == 200
    problems = {k: html.unescape(v) for k, v in
                re.findall(r'<span class="problem" id="([^"]+)-err">([^<]*)</span>', sent.text)}
    # under each field's label, not the metric's code, and in plain words, not pydantic's
    assert problems["m.ga_bed_occupancy_pct"] == \
        "General and acute bed occupancy: 180 is outside the valid range 0 to 150 percent"
    assert problems["m.mean_handover_minutes"].endswith(": 'forty' is not a number; enter digits, e.g. 92.5")
    assert "mean_handover_minutes" not in problems["m.mean_handover_minutes"]
    assert problems["reason"].startswith("Reason: ") and "give a reason" in problems["reason"]
    assert "Accepted 1 of 4 figures" in sent.text and "Calculated level" in sent.text
    level = html.unescape(re.search(r'<p class="level">(.*?)</p>', sent.text, re.S).group(1))
    # the missing parameters by their labels, as the form names its fields (the keys made one unbroken line
    # wider than a phone: the first-morning walkthrough)
    assert "Mean ambulance arrival-to-handover time" in level and "mean_handover_minutes" not in level, level
    quarantined = hub.request("GET", "/v1/quarantine", params={"org_code": "RTEST1"}).json()["items"]
    assert len([i for i in quarantined if i["submission_id"] == sid]) == 3
    again = web.post(hub.url + "/provider/", timeout=20, data={"csrf": token, "sid": sid,
                                                               "m.escalation_beds_open_pct": "3"})
    assert "already been received" in again.text, "a form sent twice is stored once"


def _form_state(text: str) -> dict[str, str]:
    """The hidden fields a browser would send back with the page's form."""
    found = dict(re.findall(r'<input type="hidden" name="(csrf|sid|shown)" value="([^"]*)"', text))
    return {k: html.unescape(v) for k, v in found.items()}


def _stored(hub, org: str, metric: str) -> int:
    with connection(hub.db_url) as conn:
        return conn.execute(select(func.count()).select_from(s.feed_observation).where(
            s.feed_observation.c.org_code == org, s.feed_observation.c.metric == metric)).scalar()


def test_sending_again_after_a_rejection_sends_only_what_changed_unless_all_is_asked(hub):
    """Correcting one rejected field and sending again does not send the accepted figures again as
    new; "Send all as now" does, and a form with nothing changed sends nothing."""
    add_account(hub.db_url, "form-resender", "provider_submitter", "RTEST2")
    web, _ = login(hub.url, "form-resender")
    page = web.get(hub.url + "/provider/", timeout=10)
    assert "Send changes sends only the figures you changed" in page.text
    figures = {"m.ga_bed_occupancy_pct": "180", "m.escalation_beds_open_pct": "3", "m.mean_handover_minutes": "25"}
    first = web.post(hub.url + "/provider/", timeout=20, data={**_form_state(page.text), **figures, "send": "changed"})
    assert "Accepted 2 of 3 figures" in first.text, first.text
    assert _stored(hub, "RTEST2", "escalation_beds_open_pct") == 1
    # the provider corrects the rejected figure only, and presses Send changes
    second = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(first.text), **figures, "m.ga_bed_occupancy_pct": "95", "send": "changed"})
    assert "Accepted 1 of 1 figure" in second.text, second.text
    assert "2 unchanged figures were not sent" in second.text
    assert _stored(hub, "RTEST2", "ga_bed_occupancy_pct") == 1
    assert _stored(hub, "RTEST2", "escalation_beds_open_pct") == 1, "the accepted figure was not sent again"
    # nothing changed since: nothing to send, and the page says how to confirm them all
    third = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(second.text), **figures, "m.ga_bed_occupancy_pct": "95", "send": "changed"})
    assert third.status_code == 422 and "no figure differs from what the form showed" in html.unescape(third.text)
    # Send all as now: every figure on the form, confirmed as now
    fourth = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(third.text), **figures, "m.ga_bed_occupancy_pct": "95", "send": "all"})
    assert "Accepted 3 of 3 figures" in fourth.text and "unchanged" not in fourth.text, fourth.text
    assert _stored(hub, "RTEST2", "escalation_beds_open_pct") == 2
    # a rejected figure sent again unchanged is sent (and rejected) again, not taken as unchanged
    fifth = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(fourth.text), **figures, "m.ga_bed_occupancy_pct": "180", "send": "changed"})
    sixth = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(fifth.text), **figures, "m.ga_bed_occupancy_pct": "180", "send": "changed"})
    for answer in (fifth, sixth):
        assert "Nothing was stored" in answer.text and "outside the valid range" in answer.text, answer.text


def test_a_form_whose_shown_field_is_nested_too_deep_is_taken_as_one_without_it(hub):
    """The hidden ``shown`` is JSON: 5,000 nested brackets (15 KB, inside the form's 64 KB) raised
    RecursionError and the submitter got a 500 (a review). Now it counts as a form without ``shown``:
    every filled figure is sent."""
    add_account(hub.db_url, "form-nester", "provider_submitter", "RTEST2")
    web, _ = login(hub.url, "form-nester")
    page = web.get(hub.url + "/provider/", timeout=10)
    resp = web.post(hub.url + "/provider/", timeout=20, data={
        **_form_state(page.text), "shown": "[" * 5000 + "]" * 5000, "m.escalation_beds_open_pct": "4", "send": "changed"})
    assert resp.status_code == 200 and "Accepted 1 of 1 figure" in resp.text, (resp.status_code, resp.text[:300])
