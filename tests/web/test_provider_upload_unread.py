"""A CSV upload the hub will refuse is refused before its body is read: real HTTP on a plain socket against a
real hub on loopback (SQLite).

The test sends only the request's head and the body's first 64 KB, then waits for the answer: a hub that
read the body first (as it did without a session: 2 MB read to look for the lapsed form's CSRF token) gives
none until the rest comes. It then keeps sending and counts what the connection still takes once answered,
and reads the hub process's resident memory before and after.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from sync.hub.web.upload import MAX_UPLOAD_BYTES
from tests.support.hub import start_hub
from tests.web.support import add_account, idle_out, login

pytestmark = pytest.mark.timeout(120)

ORG = "RTEST1"
BOUNDARY = "scc-test-boundary"
ANSWER_WITHIN_S = 3.0


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    process = start_hub(tmp_path_factory.mktemp("upload-unread"))
    try:
        add_account(process.db_url, "csv-sender", "provider_submitter", ORG)
        yield process
    finally:
        process.stop()


def _rss_kib(hub) -> int:
    for line in Path(f"/proc/{hub.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _head(hub, length: int | None, cookie: str | None = None) -> bytes:
    lines = ["POST /provider/csv HTTP/1.1", f"Host: 127.0.0.1:{hub.port}",
             f"Content-Type: multipart/form-data; boundary={BOUNDARY}"]
    lines.append(f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def _post(hub, length: int | None, cookie: str | None = None, keep_sending: int = 0) -> tuple[bytes, float, int]:
    """(the answer's first bytes, seconds from the head to the answer, bytes of body the connection took after
    the answer, up to ``keep_sending``)."""
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", hub.port), timeout=10) as sock:
        sent_at = time.monotonic()
        sock.sendall(_head(hub, length, cookie))
        sock.sendall(chunk if length is not None else b"10000\r\n" + chunk + b"\r\n")
        sock.settimeout(ANSWER_WITHIN_S)
        try:
            answer = sock.recv(65536)
        except TimeoutError:
            return b"", time.monotonic() - sent_at, 0
        took = time.monotonic() - sent_at
        sock.settimeout(0.5)
        try:   # the rest of the answer (a page comes in a few parts)
            while len(answer) < 400_000:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except (TimeoutError, OSError):
            pass
        taken = 0
        sock.settimeout(2)
        try:
            while taken < keep_sending:
                taken += sock.send(chunk)
        except OSError:   # closed by the hub (a reset, a broken pipe) or the kernel's buffers full
            pass
        return answer, took, taken


def _session_cookie(hub) -> str:
    web, _ = login(hub.url, "csv-sender")
    return f"scc_session={web.cookies['scc_session']}"


def test_an_upload_without_a_session_is_answered_before_its_body_is_read(hub):
    """2 MB declared (within the cap, so the old code read it all), 64 KB sent: the hub answers at once with
    the way to the login page; 64 MB more sent after the answer is not read into the hub's memory."""
    before = _rss_kib(hub)
    answer, took, taken = _post(hub, MAX_UPLOAD_BYTES, keep_sending=64 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 303 ") and b"location: /login?next=" in answer.lower(), answer[:300]
    assert took < ANSWER_WITHIN_S
    grown = _rss_kib(hub) - before
    print(f"answered in {took * 1000:.0f} ms; {taken:,} bytes taken after the answer; hub RSS grew {grown} KiB")
    assert grown < 16 * 1024, f"the hub grew by {grown} KiB while 64 MB were offered after its answer"
    assert taken < 64 * 1024 * 1024, "the connection took the whole body after the answer"


def test_an_upload_from_a_session_that_ended_says_so_without_reading_the_file(hub):
    cookie = _session_cookie(hub)
    idle_out(hub.db_url)
    answer, took, _ = _post(hub, MAX_UPLOAD_BYTES, cookie)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:300]
    text = answer.decode("utf-8", "replace")
    assert "so the file was not uploaded. Log in again and upload it again." in text, text[-2000:]
    assert took < ANSWER_WITHIN_S


def test_an_upload_that_does_not_say_its_length_or_is_over_the_cap_is_refused_unread(hub):
    cookie = _session_cookie(hub)
    answer, took, _ = _post(hub, None, cookie)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:300]
    assert b"Upload length not given" in answer and b"only when it says its length, of at most 2 MB" in answer
    assert took < ANSWER_WITHIN_S
    answer, took, _ = _post(hub, 1024 * 1024 * 1024, cookie)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"File too large" in answer, answer[:300]
    assert took < ANSWER_WITHIN_S
