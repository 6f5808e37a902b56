"""``GET /v1/feed`` for the desktops a commit wakes, without the web framework's layers.

At regional scale one commit wakes every long-polling desktop (a thousand), and each
answers and re-asks at once: the hub's cost is per request, not per commit (the read
and its rendered page are shared: :mod:`sync.hub.feed`). Through FastAPI a feed request
cost about 0.7 ms of hub CPU (middleware stack, dependency solving, query validation,
thread hops) when the work itself is a dictionary look-up; measured in
``benchmarks/bench_load.py --light``. This answers the common request directly, and only
it: a well-formed query (each of ``after``, ``limit``, ``wait``, ``format``, ``mark`` at most once,
plain digits, nothing escaped), a token this process checked within a second
(:func:`sync.hub.auth.cached_principal`) whose role may read the feed, and our protocol's
major version. Anything else, or anything unusual, goes the ordinary way and is answered
(and refused) exactly as before; so does every error the read raises, through the same
error bodies (``on_error``). The answer is the same bytes and headers the route sends.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from sync import protocol as p
from sync.hub import feed
from sync.hub.auth import READ_FEED, cached_principal
from sync.limits import INT64_MAX

_INT = re.compile(rb"[0-9]{1,19}")
_WAIT = re.compile(rb"[0-9]{1,9}(?:\.[0-9]{1,12})?")
_FORMATS = {b"items": "items", b"columnar": "columnar"}
_JSON = (b"content-type", b"application/json")
_PROTOCOL = (b"scc-protocol", p.PROTOCOL_VERSION.encode())


def parse_query(qs: bytes) -> tuple[int, int, float, str, int | None] | None:
    """``(after, limit, wait, format, mark)`` from a plain query string, or None (let the route judge it)."""
    after, limit, wait, fmt, mark = 0, feed.DEFAULT_LIMIT, 0.0, "items", None
    seen: set[bytes] = set()
    for part in qs.split(b"&") if qs else ():
        name, eq, value = part.partition(b"=")
        if not eq or name in seen:
            return None
        seen.add(name)
        if name == b"after" and _INT.fullmatch(value):
            after = int(value)
        elif name == b"limit" and _INT.fullmatch(value):
            limit = int(value)
        elif name == b"wait" and _WAIT.fullmatch(value):
            wait = float(value)
        elif name == b"format" and value in _FORMATS:
            fmt = _FORMATS[value]
        elif name == b"mark" and _INT.fullmatch(value):   # session 30: the item at ``after`` as read
            mark = int(value)
        else:
            return None
    if after > INT64_MAX or not 1 <= limit <= INT64_MAX or (mark is not None and mark > INT64_MAX):
        return None
    return after, limit, wait, fmt, mark


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def answer(hub, scope, send, on_error: Callable[[Exception], Awaitable[tuple[int, list, bytes]]]) -> bool:
    """Answer ``scope`` if it is a common feed request (True), else leave it to the app (False)."""
    if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/v1/feed" or scope.get("root_path"):
        return False
    query = parse_query(scope["query_string"])
    if query is None:
        return False
    who = cached_principal(hub.db, _header(scope, b"authorization"))
    if who is None or who.role not in READ_FEED:
        return False
    try:
        p.check_version(_header(scope, b"scc-protocol"))
    except p.VersionError:
        return False
    try:
        batch = await feed.long_poll(hub, *query)
        status, headers, body = 200, [_JSON], batch.stamped(feed.server_time_json())
    except Exception as exc:  # the route's own error bodies (4xx, 503, 500), not a traceback
        status, headers, body = await on_error(exc)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers, _PROTOCOL]})
    await send({"type": "http.response.body", "body": body})
    return True
