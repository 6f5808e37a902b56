"""Every answer of the hub carries the web pages' security headers (docs/web.md, Security), the
framework's and the server's own errors included, with the API's error body unchanged; over HTTPS
also HSTS, and the web pages' cookies are named ``__Host-``.

A real hub process on loopback over plain HTTP (``X-Forwarded-Proto`` from loopback standing for a
TLS proxy on the same machine, as uvicorn trusts it), a real hub serving TLS itself with a
throwaway self-signed certificate, and, for a 500 and the concurrency limit, a real hub in a thread
of this process (so a fault can be injected into its database engine).
"""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest
import requests
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sync.hub import server
from sync.hub.db import HubDB
from sync.hub.server import TLS, start_in_thread
from sync.hub.web import sessions
from sync.protocol import PROTOCOL_VERSION
from tests.support.hub import seed, start_hub
from tests.support.tls_cert import self_signed
from tests.web.support import PASSWORD, add_account, csrf_of, login

pytestmark = pytest.mark.timeout(120)

HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
HSTS = "max-age=31536000"


def assert_secured(resp, https: bool) -> None:
    for name, value in HEADERS.items():
        assert resp.headers.get(name) == value, (resp.status_code, resp.url, name, dict(resp.headers))
    if https:
        assert resp.headers.get("strict-transport-security") == HSTS, (resp.status_code, resp.url)
    else:
        assert "strict-transport-security" not in resp.headers, (resp.status_code, resp.url)


def assert_error_body(resp, status: int, code: str) -> None:
    body = resp.json()
    assert resp.status_code == status and body["code"] == code and body["message"], (resp.status_code, body)
    assert set(body) == {"code", "message", "fields", "supported"}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("headers"))
    yield process
    process.stop()


def _raw(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are and read the answer (a request no HTTP library would send)."""
    host, port = url.split("//")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"{name} twice"
        headers[name.lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("https", [False, True], ids=["http", "behind-a-tls-proxy"])
def test_errors_raised_before_and_by_the_framework_carry_the_headers(hub, https):
    proxy = {"X-Forwarded-Proto": "https"} if https else {}
    api = {"Authorization": f"Bearer {hub.tokens['admin']}", "SCC-Protocol": PROTOCOL_VERSION, **proxy}

    unknown = requests.get(hub.url + "/no/such/path", headers=proxy, timeout=10)
    assert_error_body(unknown, 404, "not_found")
    wrong_method = requests.delete(hub.url + "/health", headers=proxy, timeout=10)
    assert_error_body(wrong_method, 405, "method_not_allowed")
    assert wrong_method.headers["allow"] == "GET"
    malformed = requests.post(hub.url + "/v1/submissions", data=b'{"items": [', timeout=10,
                              headers={**api, "Content-Type": "application/json"})
    assert_error_body(malformed, 422, "validation")
    bad_query = requests.get(hub.url + "/v1/feed?after=-1", headers=api, timeout=10)
    assert_error_body(bad_query, 422, "validation")
    no_token = requests.get(hub.url + "/v1/feed", headers={"SCC-Protocol": PROTOCOL_VERSION, **proxy}, timeout=10)
    assert_error_body(no_token, 401, "unauthorized")
    feed = [requests.get(hub.url + "/v1/feed?limit=2", headers=api, timeout=10) for _ in range(2)]   # the fast path
    health = requests.get(hub.url + "/health", headers=proxy, timeout=10)
    page = requests.get(hub.url + "/login", headers=proxy, timeout=10)
    for resp in (unknown, wrong_method, malformed, bad_query, no_token, *feed, health, page):
        assert_secured(resp, https)
    assert all(r.status_code == 200 for r in (*feed, health, page))

    # Oversized: refused on its declared length before it is read (the connection gets no body at all).
    conn = http.client.HTTPConnection(hub.url.split("//")[1], timeout=10)
    conn.putrequest("POST", "/v1/submissions")
    for name, value in {**api, "Content-Type": "application/json", "Content-Length": str(64 * 1024 * 1024)}.items():
        conn.putheader(name, value)
    conn.endheaders()
    big = conn.getresponse()
    data = big.read()
    conn.close()
    assert big.status == 413 and b'"code":"too_large"' in data.replace(b" ", b"")
    for name, value in HEADERS.items():
        assert big.getheader(name) == value, name
    assert (big.getheader("strict-transport-security") == HSTS) is https

    # Each header once on a page that sets its own (the pages' HEADERS) as on the framework's error.
    for path in ("/login", "/no/such/path"):
        forwarded = b"X-Forwarded-Proto: https\r\n" if https else b""
        status, headers, _ = _raw(hub.url, b"GET " + path.encode() + b" HTTP/1.1\r\nHost: hub\r\n" + forwarded
                                  + b"Connection: close\r\n\r\n")
        assert {name: headers.get(name) for name in HEADERS} == HEADERS, path


def test_a_request_the_server_cannot_parse_gets_the_headers_and_an_error_body(hub):
    status, headers, body = _raw(hub.url, b"GET / HTTP/1.1\r\nHost: hub\r\nthis is not a header\r\n\r\n")
    assert status == 400 and {name: headers.get(name) for name in HEADERS} == HEADERS
    assert headers["content-type"] == "application/json" and b'"code":"bad_request"' in body
    assert headers["scc-protocol"] == PROTOCOL_VERSION
    assert requests.get(hub.url + "/health", timeout=10).status_code == 200   # and the hub is as it was


def test_an_unhandled_error_is_a_json_500_with_the_headers(tmp_path):
    """A fault no handler expected (injected: the quarantine's read raises a plain RuntimeError) is
    answered by the framework's outermost layer, outside every middleware but the headers'."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    admin = seed(url)["admin"]

    def fault(conn, cursor, statement, parameters, context, executemany):
        if "FROM quarantine" in statement:
            raise RuntimeError("injected: a bug in a handler")

    event.listen(Engine, "before_cursor_execute", fault)
    try:
        with start_in_thread(url) as handle:
            resp = requests.get(handle.url + "/v1/quarantine", timeout=10,
                                headers={"Authorization": f"Bearer {admin}", "SCC-Protocol": PROTOCOL_VERSION})
            assert_error_body(resp, 500, "internal")
            assert_secured(resp, https=False)
    finally:
        event.remove(Engine, "before_cursor_execute", fault)


def test_past_the_concurrency_limit_the_503_has_the_headers_and_an_error_body(tmp_path, monkeypatch):
    """Two long-polls hold a hub limited to two requests at once: the third is refused by the server
    (not the app), as the hub answers, and once they are answered it is served."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    token = seed(url)["room_lead"]
    monkeypatch.setattr(server, "CONCURRENCY_LIMIT", 2)
    api = {"Authorization": f"Bearer {token}", "SCC-Protocol": PROTOCOL_VERSION}
    with start_in_thread(url) as handle:
        with requests.get(handle.url + "/v1/feed", headers=api, timeout=10) as first:
            head = first.json()["next_after"]
        polls = [threading.Thread(target=requests.get, args=(handle.url + f"/v1/feed?after={head}&wait=3",),
                                  kwargs={"headers": api, "timeout": 10}) for _ in range(2)]
        for t in polls:
            t.start()
        time.sleep(0.5)
        busy = requests.get(handle.url + "/health", timeout=10)
        for t in polls:
            t.join(10)
        assert_error_body(busy, 503, "unavailable")
        assert busy.headers["retry-after"] == "30"
        assert_secured(busy, https=False)
        served = None
        for _ in range(50):   # the long-polls' connections close a moment after their answers
            served = requests.get(handle.url + "/health", timeout=10).status_code
            if served == 200:
                break
            time.sleep(0.1)
        assert served == 200


# --- HTTPS served by the hub itself -----------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_hub(tmp_path_factory):
    pytest.importorskip("cryptography.x509")
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = self_signed(folder)
    url = f"sqlite:///{folder / 'hub.db'}"
    seed(url)
    with start_in_thread(url, tls=TLS(str(cert_path), str(key_path))) as handle:
        assert handle.url.startswith("https://")
        yield handle, str(cert_path), url


def _set_cookies(resp) -> list[str]:
    return resp.raw.headers.getlist("set-cookie")


def _cookie(resp, name: str) -> str:
    found = [c for c in _set_cookies(resp) if c.startswith(name + "=")]
    assert len(found) == 1, (name, _set_cookies(resp))
    return found[0]


def test_over_tls_every_answer_has_hsts_and_the_cookies_are_host_prefixed(tls_hub):
    handle, ca, db_url = tls_hub
    add_account(db_url, "tls-director", "director_on_call")
    unknown = requests.get(handle.url + "/no/such/path", verify=ca, timeout=10)
    assert_error_body(unknown, 404, "not_found")
    assert_secured(unknown, https=True)

    web, resp = login(handle.url, "tls-director", session=_verified(ca))
    assert resp.status_code == 303 and resp.headers["location"] == "/m/"
    assert_secured(resp, https=True)
    for name in ("__Host-scc_session", "__Host-scc_device"):
        cookie = _cookie(resp, name).lower()
        assert "; secure" in cookie and "; path=/" in cookie and "domain" not in cookie and "httponly" in cookie
    assert not [c for c in _set_cookies(resp) if c.startswith(("scc_session=", "scc_device="))]
    page = web.get(handle.url + "/m/", timeout=30, allow_redirects=False)
    assert page.status_code == 200 and "System OPEL" in page.text
    assert_secured(page, https=True)
    out = web.post(handle.url + "/logout", data={"csrf": csrf_of(page.text)}, allow_redirects=False, timeout=10)
    assert out.status_code == 303 and "max-age=0" in _cookie(out, "__Host-scc_session").lower()
    assert web.get(handle.url + "/m/", allow_redirects=False, timeout=10).status_code == 303


def _verified(ca: str) -> requests.Session:
    s = requests.Session()
    s.trust_env = False   # else REQUESTS_CA_BUNDLE from the environment wins over the session's own
    s.verify = ca
    return s


def test_a_session_cookie_set_before_the_prefix_is_honoured_then_replaced_at_login(tls_hub):
    """A phone logged in before the upgrade holds ``scc_session`` (Secure, no prefix): it still reads
    /m/; its next login gets ``__Host-scc_session``, the old cookie is deleted and its session ended,
    so the old cookie alone then gets the login page, never an error."""
    handle, ca, db_url = tls_hub
    account = add_account(db_url, "tls-upgraded", "director_on_call")
    db = HubDB(db_url)
    try:
        old_secret = sessions.start(db, account)
    finally:
        db.dispose()
    old = requests.get(handle.url + "/m/", cookies={"scc_session": old_secret}, verify=ca, timeout=30,
                       allow_redirects=False)
    assert old.status_code == 200 and "System OPEL" in old.text, "a session in flight survives the upgrade"

    # A login form opened before the upgrade (its CSRF cookie under the old name) still logs in.
    form = requests.get(handle.url + "/login", verify=ca, timeout=10)
    token = csrf_of(form.text)
    resp = requests.post(handle.url + "/login", verify=ca, timeout=20, allow_redirects=False,
                         cookies={"scc_login_csrf": token, "scc_session": old_secret},
                         data={"csrf": token, "user": "tls-upgraded", "password": PASSWORD, "next": "/m/"})
    assert resp.status_code == 303
    assert "; secure" in _cookie(resp, "__Host-scc_session").lower()
    deleted = _cookie(resp, "scc_session").lower()
    assert "max-age=0" in deleted and "; secure" in deleted
    new_secret = resp.cookies["__Host-scc_session"]
    again = requests.get(handle.url + "/m/", cookies={"__Host-scc_session": new_secret}, verify=ca, timeout=30,
                         allow_redirects=False)
    assert again.status_code == 200
    stale = requests.get(handle.url + "/m/", cookies={"scc_session": old_secret}, verify=ca, timeout=10,
                         allow_redirects=False)
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login")


def test_twelve_hours_after_the_prefix_came_the_old_names_are_no_longer_honoured(tmp_path):
    """Honoured for good, an old-named cookie a sibling subdomain planted would pass the login's CSRF
    check and stand for a session (a review, session 21). The time the prefixed names came is the
    hub's (hub_meta), so no restart opens the window again."""
    from datetime import timedelta

    from sqlalchemy import insert

    from sync.hub import schema as s

    cert_path, key_path = self_signed(tmp_path)
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    seed(url)
    account = add_account(url, "late-director", "director_on_call")
    db = HubDB(url)
    try:
        with db.plain() as conn:
            conn.execute(insert(s.hub_meta).values(key=sessions.LEGACY_KEY,
                                                   value=s.utc_text(s.utcnow() - timedelta(hours=13))))
        old_secret = sessions.start(db, account)
    finally:
        db.dispose()
    with start_in_thread(url, tls=TLS(str(cert_path), str(key_path))) as handle:
        ca = str(cert_path)
        old = requests.get(handle.url + "/m/", cookies={"scc_session": old_secret}, verify=ca, timeout=30,
                           allow_redirects=False)
        assert old.status_code == 303 and old.headers["location"].startswith("/login")
        form = requests.get(handle.url + "/login", verify=ca, timeout=10)
        token = csrf_of(form.text)
        planted = requests.post(handle.url + "/login", verify=ca, timeout=20, allow_redirects=False,
                                cookies={"scc_login_csrf": token},
                                data={"csrf": token, "user": "late-director", "password": PASSWORD, "next": "/m/"})
        assert planted.status_code == 403
        web, resp = login(handle.url, "late-director", session=_verified(ca))
        assert resp.status_code == 303 and "__Host-scc_session" in web.cookies


def test_over_plain_http_the_cookies_keep_their_names_and_there_is_no_hsts(hub):
    add_account(hub.db_url, "plain-director", "director_on_call")
    web, resp = login(hub.url, "plain-director")
    assert resp.status_code == 303
    assert_secured(resp, https=False)
    assert "; secure" not in _cookie(resp, "scc_session").lower()
    assert not [c for c in _set_cookies(resp) if c.startswith("__Host-")]
    # A __Host- cookie sent over plain HTTP (no browser would) is not taken for the session.
    secret = web.cookies["scc_session"]
    alone = requests.get(hub.url + "/m/", cookies={"__Host-scc_session": secret}, timeout=10, allow_redirects=False)
    assert alone.status_code == 303
    assert web.get(hub.url + "/m/", timeout=30).status_code == 200


def test_behind_a_tls_proxy_the_503_past_the_concurrency_limit_has_hsts(tmp_path, monkeypatch):
    """The server's own 503 is answered outside the app, but uvicorn's X-Forwarded-Proto handling must
    still apply: from a TLS proxy on loopback it is an HTTPS answer, with HSTS like every other."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    token = seed(url)["room_lead"]
    monkeypatch.setattr(server, "CONCURRENCY_LIMIT", 2)
    api = {"Authorization": f"Bearer {token}", "SCC-Protocol": PROTOCOL_VERSION, "X-Forwarded-Proto": "https"}
    with start_in_thread(url) as handle:
        with requests.get(handle.url + "/v1/feed", headers=api, timeout=10) as first:
            head = first.json()["next_after"]
            assert_secured(first, https=True)
        polls = [threading.Thread(target=requests.get, args=(handle.url + f"/v1/feed?after={head}&wait=3",),
                                  kwargs={"headers": api, "timeout": 10}) for _ in range(2)]
        for t in polls:
            t.start()
        time.sleep(0.5)
        busy = requests.get(handle.url + "/health", headers={"X-Forwarded-Proto": "https"}, timeout=10)
        for t in polls:
            t.join(10)
        assert_error_body(busy, 503, "unavailable")
        assert_secured(busy, https=True)
