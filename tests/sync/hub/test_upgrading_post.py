"""A form or a CSV upload sent to a hub that is upgrading its database (a one-off start step,
sync/hub/schema_start.py) is answered 503 "Hub upgrading", saying that what was sent was NOT stored and asking
again with a page that has a GET (the form), not the address it was sent to (r2's review, session 30: the page
said only "asks again every 5 s", and its refresh, a GET of ``/provider/csv``, met 405 once the hub answered).

Real hub processes on loopback (SQLite and PostgreSQL), the step held by the test-only hook until the checks
are done, as in tests/sync/hub/test_start_upgrading.py.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.sync.hub.test_start_upgrading import _from_before_the_index, _release, _start, _until_served

pytestmark = pytest.mark.timeout(120)


def _refresh(text: str) -> str:
    found = re.search(r'<meta http-equiv="refresh" content="([^"]+)">', text)
    assert found, text
    return found.group(1)


def test_a_form_or_upload_sent_while_upgrading_is_said_not_stored_and_refreshes_to_the_form(tmp_path, hub_db_url):
    tokens = _from_before_the_index(hub_db_url)
    hub = _start(tmp_path, hub_db_url, tokens)
    try:
        form = requests.post(hub.url + "/provider/", data={"org": "RXX", "ae_attendances": "112"}, timeout=5,
                             allow_redirects=False)
        upload = requests.post(hub.url + "/provider/csv", timeout=5, allow_redirects=False,
                               files={"file": ("f.csv", b"type,metric,observed_at,value\n")})
        login = requests.post(hub.url + "/login", data={"user": "a", "password": "b"}, timeout=5,
                              allow_redirects=False)
        logout = requests.post(hub.url + "/logout", data={}, timeout=5, allow_redirects=False)
        opened = requests.get(hub.url + "/provider/", timeout=5, allow_redirects=False)
        for r in (form, upload, login, logout, opened):
            assert r.status_code == 503 and r.headers["Retry-After"] == "5", (r.status_code, r.text)
            assert "text/html" in r.headers["content-type"] and "Hub upgrading" in r.text
            assert "upgrading its database" in r.text

        # A page that says something was lost stays 15 s (its words, read), then opens a page with a GET.
        assert "What you sent was not stored" in form.text
        assert "what you typed in this tab is put back on it" in form.text
        assert _refresh(form.text) == "15; url=/provider/"
        assert "Your file was not uploaded: nothing in it was stored" in upload.text
        assert "choose the file and upload it again" in upload.text
        assert _refresh(upload.text) == "15; url=/provider/"
        assert "You were not logged in" in login.text and _refresh(login.text) == "15; url=/login"
        assert "What you sent was not stored" in logout.text and _refresh(logout.text) == "15; url=/m/"
        # A page opened (a GET) sent nothing: it asks again at its own address, and says nothing of storing.
        assert _refresh(opened.text) == "5" and "not stored" not in opened.text
        head = requests.head(hub.url + "/provider/csv", timeout=5, allow_redirects=False)
        assert head.status_code == 503 and head.content == b""

        _release(tmp_path)
        assert _until_served(hub).status_code == 200
        # Where each refresh goes, once the hub answers: a page (or the login it sends to), never 405.
        for where in ("/provider/", "/login", "/m/"):
            r = requests.get(hub.url + where, timeout=5, allow_redirects=False)
            assert r.status_code in (200, 303), (where, r.status_code, r.text[:200])
    finally:
        hub.stop()
