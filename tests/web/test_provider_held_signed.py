"""The figures held over a login ride in a signed cookie: one the hub did not make is never put on the form.

A real hub process on loopback (SQLite), a provider's browser as ``requests`` keeps its cookies; a session
ended by the idle limit as in the browser tests. The cookie is edited as a person with the browser's tools
(or another site) could, and the hub is restarted to show its key outlives the process. On SQLite and on a
throwaway PostgreSQL cluster.
"""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, update

from sync.hub import schema as s
from sync.hub.schema import utcnow
from sync.hub.web import held_form, sessions
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.web.support import add_account, csrf_of, login

pytestmark = pytest.mark.timeout(120)

ORG = "RTEST1"
USER = "rtest.held"
FIELD = 'id="m.nctr_patients_count" name="m.nctr_patients_count" value="{}"'


@pytest.fixture(scope="module", params=DATABASES)
def hub(request, tmp_path_factory):
    """On SQLite and on a real PostgreSQL (the hub's key is a row of ``hub_meta`` in either)."""
    folder = tmp_path_factory.mktemp(f"held-signed-{request.param}")
    process = start_hub(folder, new_db_url(request, folder, request.param))
    try:
        add_account(process.db_url, USER, "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def _held_over_login(hub, figure: str):
    """A browser whose session ended as it sent ``figure``: the login page, the figure held in its cookie."""
    desk, _ = login(hub.url, USER)
    page = desk.get(hub.url + "/provider/", timeout=10).text
    form = page.split('action="/provider/"')[1].split("</form>")[0]
    engine = create_engine(hub.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(s.web_session).values(seen_at=utcnow() - sessions.IDLE - timedelta(minutes=1)))
    finally:
        engine.dispose()
    answer = desk.post(hub.url + "/provider/", timeout=20, data={
        "csrf": csrf_of(form), "sid": re.search(r'name="sid" value="([^"]+)"', form).group(1),
        "shown": html.unescape(re.search(r'name="shown" value="([^"]*)"', form).group(1)),
        "send": "changed", "m.nctr_patients_count": figure})
    assert answer.status_code == 401 and "Your figures are kept" in html.unescape(answer.text)
    cookie = next(c for c in desk.cookies if c.name == held_form.HELD_COOKIE)
    return desk, cookie


def _form_after_login(hub, desk):
    login(hub.url, USER, session=desk)
    return desk.get(hub.url + "/provider/", timeout=10)


def _payload(value: str) -> dict:
    body = value.rpartition(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _encoded(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_held_cookie_edited_in_the_browser_is_not_put_on_the_form(hub):
    desk, cookie = _held_over_login(hub, "57")
    data = _payload(cookie.value)
    assert data["fields"] == {"m.nctr_patients_count": "57"} and data["user"] == USER
    data["fields"]["m.nctr_patients_count"] = "570"   # edited, the hub's signature kept
    cookie.value = _encoded(data) + "." + cookie.value.rpartition(".")[2]
    page = _form_after_login(hub, desk)
    text = html.unescape(page.text)
    assert page.status_code == 200 and "Figures not put back" in text, text[:2000]
    assert held_form.TAMPERED in text
    assert FIELD.format("570") not in page.text and FIELD.format("57") not in page.text
    assert "Not sent yet" not in text
    assert held_form.HELD_COOKIE not in [c.name for c in desk.cookies], "the cookie is deleted"
    assert "a held-form cookie the hub did not make was sent by 'rtest.held'; not used" in hub.log()


@pytest.mark.parametrize("forge", ["unsigned", "another key", "garbage"])
def test_a_held_cookie_the_hub_did_not_make_is_not_put_on_the_form(hub, forge):
    """As a hub before signing made it (no signature), signed under another hub's key, or not a held form at all."""
    desk, cookie = _held_over_login(hub, "58")
    body = _encoded({"user": USER, "org": None, "fields": {"m.nctr_patients_count": "580"}})
    cookie.value = {"unsigned": body, "another key": held_form.pack(USER, None, {"m.nctr_patients_count": "580"},
                                                                    b"k" * 32)[0],
                    "garbage": "\u00e9not-a-cookie." + "A" * 43}[forge]
    page = _form_after_login(hub, desk)
    assert "Figures not put back" in page.text and FIELD.format("580") not in page.text


def test_a_held_cookie_the_hub_made_outlives_a_restart(hub):
    """The key is the hub's own, kept in its database: figures held before a restart come back after it."""
    desk, _ = _held_over_login(hub, "59")
    hub.restart()
    page = _form_after_login(hub, desk)
    assert "Not sent yet" in page.text and FIELD.format("59") in page.text, page.text[:2000]


def test_pack_signs_within_the_cookie_size_and_unpack_takes_only_its_own():
    key, other = b"a" * 32, b"b" * 32
    value, left_out = held_form.pack("u", "RK5", {"m.x": "1", "reason": "r" * 5000}, key)
    assert left_out == ["reason"] and len(value) <= held_form.MAX_VALUE
    assert held_form.unpack(value, key) == {"user": "u", "org": "RK5", "fields": {"m.x": "1"}}
    assert held_form.unpack(value, other) is None and held_form.tampered(value, other)
    assert held_form.unpack(value[:-1] + ("A" if value[-1] != "A" else "B"), key) is None
    assert not held_form.tampered(None, key) and not held_form.tampered("", key)


def test_a_held_value_is_not_taken_after_its_hour_even_when_a_browser_keeps_sending_it():
    """Review, session 25: the value carried no end of its own (Max-Age binds only the browser), so a copy
    taken from a browser was put on that user's form whenever it was sent again, days later."""
    key = b"k" * 32
    value, _ = held_form.pack("u", None, {"m.x": "1"}, key, now=1_000_000)
    assert held_form.unpack(value, key, now=1_000_000 + held_form.HELD_SECONDS - 1) is not None
    assert held_form.unpack(value, key, now=1_000_000 + held_form.HELD_SECONDS + 1) is None
    assert held_form.tampered(value, key, now=1_000_000 + 86_400)
