"""A client that goes away halfway through sending a body is not a hub failure.

A desktop stopped mid-upload (the demo's SIGTERM test does this) left the hub logging
``Exception in ASGI application`` with Starlette's ``ClientDisconnect`` traceback, twice
(ours and uvicorn's), as if the hub had failed. The hub now notes the disconnect in one
line and goes on; the next request is answered as usual.
"""

from __future__ import annotations

import socket
import time

import pytest

from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER

pytestmark = pytest.mark.timeout(60)

PATHS = [("/v1/submissions", "application/json"),
         ("/v1/submissions/csv?org_code=RTEST1&submission_id=half-a-body-1", "text/csv"),
         ("/v1/records", "application/json")]


def send_half_a_body(url: str, path: str, kind: str, token: str) -> None:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"{VERSION_HEADER}: {PROTOCOL_VERSION}\r\nContent-Type: {kind}\r\n"
                f"Content-Length: 100000\r\n\r\n")
        sock.sendall(head.encode() + b'{"submission_id": "half", "items": [' + b" " * 2000)
        time.sleep(0.3)   # the handler is reading the body when the client goes


@pytest.mark.parametrize(("path", "kind"), PATHS)
def test_a_client_gone_mid_body_leaves_no_traceback_and_the_hub_answers_on(sqlite_hub, path, kind):
    send_half_a_body(sqlite_hub.url, path, kind, sqlite_hub.tokens["admin"])
    time.sleep(0.5)
    r = sqlite_hub.request("GET", "/health")
    assert r.status_code == 200
    log = sqlite_hub.log()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[-3000:]
    assert "unhandled error" not in log, log[-3000:]
