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

import pytest

from sync.hub import schema as s
from sync.hub.web import held_form
from tests.support.fixtures import DATABASES, new_db_url
from tests.support.hub import start_hub
from tests.web.support import add_account, idle_out, login, posted_back, provider_form

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
    form = provider_form(desk, hub.url)
    idle_out(hub.db_url)
    answer = desk.post(hub.url + "/provider/", timeout=20, data={
        **posted_back(form), "send": "changed", "m.nctr_patients_count": figure})
    assert answer.status_code == 401 and "Your figures are kept" in html.unescape(answer.text)
    cookie = next(c for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE))
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
    assert not [c for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)], "the cookie is deleted"
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


def _colleagues(hub, desk, reasons: list[int]) -> dict[str, str]:
    """Held forms of colleagues at ``desk``'s browser, each with a reason ``reasons[n]`` characters long."""
    from sync.hub.db import HubDB

    db = HubDB(hub.db_url)
    try:
        key = held_form.hub_key(db)
    finally:
        db.dispose()
    out = {}
    for n, size in enumerate(reasons):
        value, left_out = held_form.pack(f"colleague.{n}", ORG, {"m.nctr_patients_count": "40", "reason": "x" * size},
                                         key)
        assert left_out == []
        out[held_form.cookie_name(key, f"colleague.{n}", ORG)] = value
        desk.cookies.set(held_form.cookie_name(key, f"colleague.{n}", ORG), value, domain="127.0.0.1", path="/")
    return out


def _ended_post(hub, desk, form: str, **fields):
    idle_out(hub.db_url)
    return desk.post(hub.url + "/provider/", timeout=20, data={**posted_back(form), "send": "changed", **fields})


def _cookie_line(desk) -> int:
    return len("; ".join(f"{c.name}={c.value}" for c in desk.cookies))


def test_held_forms_at_one_browser_stay_within_a_cookie_line_a_proxy_takes(hub):
    """Each account and organisation's held form is a cookie of its own (session 28), so together they are
    bound: a browser sends its cookies as one line, and a TLS proxy in front of the hub may take no more than
    8 KB of it (nginx's default). Two colleagues' held forms with the longest reason the form takes (2,000
    characters) are at the browser: a third person's figures are kept without their reason, said on the login
    page, and the line stays under 8 KB; the colleagues' are left as they were."""
    desk, _ = login(hub.url, USER)
    form = provider_form(desk, hub.url)
    theirs = _colleagues(hub, desk, [2000, 2000])
    opened = desk.get(hub.url + "/provider/", timeout=10)
    assert opened.status_code == 200 and "Not sent yet" not in opened.text
    assert "set-cookie" not in {k.lower() for k in opened.headers}, "the colleagues' held forms are left as they are"
    answer = _ended_post(hub, desk, form, **{"m.nctr_patients_count": "66", "reason": "r" * 2000})
    text = html.unescape(answer.text)
    assert answer.status_code == 401 and "Your figures are kept" in text and "The reason was too long to keep " \
        "beside the 2 other unsent forms this browser keeps: type it again." in text, text[:3000]
    held = {c.name: c.value for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)}
    assert len(held) == 3 and {n: held[n] for n in theirs} == theirs
    assert _cookie_line(desk) < 8000, _cookie_line(desk)
    login(hub.url, USER, session=desk)
    again = html.unescape(desk.get(hub.url + "/provider/", timeout=10).text)
    assert "Not sent yet" in again and FIELD.format("66") in again


def test_a_browser_keeps_at_most_three_held_forms_never_replacing_one(hub):
    desk, _ = login(hub.url, USER)
    form = provider_form(desk, hub.url)
    theirs = _colleagues(hub, desk, [10, 10, 10])
    answer = _ended_post(hub, desk, form, **{"m.nctr_patients_count": "67"})
    text = html.unescape(answer.text)
    assert answer.status_code == 401 and "this browser already keeps 3 other people's or organisations' unsent " \
        "figures (at most 3, each for an hour), so yours could not be kept" in text, text[:3000]
    assert {c.name: c.value for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)} == theirs


def test_a_held_forms_cookie_name_is_its_account_and_organisations_own():
    key = b"k" * 32
    names = {held_form.cookie_name(key, u, o) for u in ("a", "b") for o in ("RX1", "RX2", None)}
    assert len(names) == 6 and all(n.startswith("scc_held_") and len(n) == 25 for n in names)
    assert held_form.cookie_name(key, "a", "RX1") == held_form.cookie_name(key, "a", "RX1")
    assert held_form.cookie_name(b"j" * 32, "a", "RX1") != held_form.cookie_name(key, "a", "RX1")
    value, _ = held_form.pack("a", "RX1", {"m.x": "1"}, key)
    held = held_form.unpack(value, key)
    assert held_form.belongs(held_form.cookie_name(key, "a", "RX1"), held, key)
    assert not held_form.belongs(held_form.cookie_name(key, "b", "RX1"), held, key), "copied under another's name"
    assert held_form.sent({"__Host-scc_held_x": "1", "scc_held_x": "2", "scc_session": "s", "scc_held": "3"},
                          True) == {"scc_held_x": "1", "scc_held": "3"}


def test_an_admins_held_form_comes_back_on_its_own_organisations_form_only(hub):
    """An admin submits for any organisation: figures held for one are never put on another's form; that
    form says they are kept, and they stay until the first organisation's form is opened."""
    admin = "rtest.admin.held"
    add_account(hub.db_url, admin, "admin")
    desk, _ = login(hub.url, admin)
    page = desk.get(hub.url + "/provider/?org=RTEST1", timeout=10).text
    form = page.split('action="/provider/"')[1].split("</form>")[0]
    assert _ended_post(hub, desk, form, org="RTEST1", **{"m.nctr_patients_count": "68"}).status_code == 401
    login(hub.url, admin, session=desk)
    other = html.unescape(desk.get(hub.url + "/provider/?org=RTEST2", timeout=10).text)
    assert "Test Acute Trust Two" in other and FIELD.format("68") not in other and "Not sent yet" not in other
    assert "Figures you typed before your session ended are also kept for RTEST1: open that organisation's form " \
        "to check and send them." in other, other[:3000]
    assert [c.name for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)], "kept for RTEST1's form"
    own = html.unescape(desk.get(hub.url + "/provider/", timeout=10).text)
    assert "Test Acute Trust One" in own and "Not sent yet" in own and FIELD.format("68") in own
    assert not [c.name for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)]


def test_a_providers_held_form_from_the_hub_before_the_upgrade_comes_back_on_its_form(hub):
    """r1's review of session 28: a hub before it kept one ``scc_held`` a browser, and for a provider's account
    with no organisation (the form carries none, so ``org`` None); it put it back on the account's own form.
    After the upgrade that form was dropped ("did not say which organisation they were for ... enter them
    again") and the cookie deleted: figures held in the hour before an upgrade had to be typed again."""
    desk, cookie = _held_over_login(hub, "61")   # makes the hub's key; then replaced by the older hub's cookie
    from sync.hub.db import HubDB

    db = HubDB(hub.db_url)
    try:
        key = held_form.hub_key(db)
    finally:
        db.dispose()
    desk.cookies.clear(cookie.domain, cookie.path, cookie.name)
    value, _ = held_form.pack(USER, None, {"m.nctr_patients_count": "62"}, key)   # as the older hub packed it
    desk.cookies.set(held_form.HELD_COOKIE, value, domain=cookie.domain, path=cookie.path)
    page = _form_after_login(hub, desk)
    text = html.unescape(page.text)
    assert "Not sent yet" in text and FIELD.format("62") in page.text, text[:3000]
    assert "did not say which organisation" not in text
    assert not [c for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)], "used once"


def test_only_a_providers_own_old_cookie_without_an_organisation_is_taken_as_before_the_upgrade():
    old = {"user": "u", "org": None, "fields": {}}
    assert held_form.from_before_28(held_form.HELD_COOKIE, old, "provider_submitter")
    assert not held_form.from_before_28(held_form.HELD_COOKIE, old, "admin"), "an admin's form names its org"
    assert not held_form.from_before_28(held_form.HELD_COOKIE, {**old, "org": "RTEST2"}, "provider_submitter")
    assert not held_form.from_before_28(held_form.cookie_name(b"k" * 32, "u", None), old, "provider_submitter")


def test_a_newer_held_form_beside_the_one_from_before_the_upgrade_is_the_one_put_back(hub):
    desk, cookie = _held_over_login(hub, "63")   # held after the upgrade, under the account's own name
    from sync.hub.db import HubDB

    db = HubDB(hub.db_url)
    try:
        key = held_form.hub_key(db)
    finally:
        db.dispose()
    value, _ = held_form.pack(USER, None, {"m.nctr_patients_count": "60"}, key)   # the older hub's, before it
    desk.cookies.set(held_form.HELD_COOKIE, value, domain=cookie.domain, path=cookie.path)
    text = html.unescape(_form_after_login(hub, desk).text)
    assert "Not sent yet" in text and FIELD.format("63") in text and FIELD.format("60") not in text, text[:3000]
    assert "Figures kept from an earlier ended session (before the hub was upgraded) were not put on this form: the " \
        "ones from your later session are. Nothing of the earlier ones was sent, and they are not kept." in text
    assert not [c for c in desk.cookies if c.name.startswith(held_form.HELD_COOKIE)], "both deleted"
