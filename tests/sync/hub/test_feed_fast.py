"""The feed's fast path (sync/hub/feed_fast.py) answers exactly what the route answers, and only
for the common request: a real hub in this process, its answers compared byte for byte (but for
``server_time``) with the framework's for the same question, every refusal left to the route."""

from __future__ import annotations

import json

import pytest
import requests

from sync.hub import feed_fast
from sync.hub.core import HubConfig
from sync.hub.server import start_in_thread
from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
from tests.support.hub import seed
from tests.sync.hub.helpers import obs, submission


@pytest.mark.parametrize("qs, parsed", [
    (b"", (0, 1000, 0.0, "items", None)),
    (b"after=12&limit=50000&wait=20.0&format=columnar", (12, 50000, 20.0, "columnar", None)),
    (b"after=0&limit=1&wait=0&format=items", (0, 1, 0.0, "items", None)),
    (b"after=007", (7, 1000, 0.0, "items", None)),
    (b"after=12&mark=1796558400123456&wait=20", (12, 1000, 20.0, "items", 1796558400123456)),
])
def test_a_plain_query_is_read(qs, parsed):
    assert feed_fast.parse_query(qs) == parsed


@pytest.mark.parametrize("qs", [
    b"after=1&after=2", b"after=", b"after", b"after=-1", b"after=%31", b"after=+1", b"after=1.0",
    b"limit=0", b"limit=99999999999999999999", b"after=9223372036854775808", b"wait=1e3", b"wait=-1",
    b"wait=nan", b"format=COLUMNAR", b"format=csv", b"other=1", b"after=1&", b"&after=1",
    b"mark=1&mark=2", b"mark=-1", b"mark=9223372036854775808",
])
def test_anything_unusual_is_left_to_the_route(qs):
    assert feed_fast.parse_query(qs) is None


@pytest.fixture
def served(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(url)
    fast: list[bytes] = []
    answer = feed_fast.answer

    async def counted(hub, scope, send, on_error):
        took = await answer(hub, scope, send, on_error)
        if took:
            fast.append(scope["query_string"])
        return took
    monkeypatch.setattr(feed_fast, "answer", counted)
    handle = start_in_thread(url, config=HubConfig(db_url=url))
    yield handle, tokens, fast
    handle.stop()


def _get(url, tokens, query: str, role="room_lead", version=PROTOCOL_VERSION):
    headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
    if version:
        headers[VERSION_HEADER] = version
    return requests.get(url + "/v1/feed?" + query, headers=headers, timeout=30)


def _same(a: requests.Response, b: requests.Response) -> None:
    assert a.status_code == b.status_code
    drop = {"date"}
    assert {k.lower(): v for k, v in a.headers.items() if k.lower() not in drop} == \
        {k.lower(): v for k, v in b.headers.items() if k.lower() not in drop}
    da, db = json.loads(a.content), json.loads(b.content)
    if a.status_code == 200:
        assert da.pop("server_time") and db.pop("server_time")
    assert da == db


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["columnar", "items"])
def test_the_fast_answer_is_the_routes_answer(served, fmt):
    handle, tokens, fast = served
    r = requests.post(handle.url + "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 71.0)]),
                      headers={"Authorization": f"Bearer {tokens['admin']}", VERSION_HEADER: PROTOCOL_VERSION},
                      timeout=30)
    assert r.status_code == 200
    query = f"after=2&limit=50000&wait=0.0&format={fmt}"
    routed = _get(handle.url, tokens, query + "&unknown=1")   # an unknown name: the route's way
    assert fast == [], "the first answer cannot be fast (the token is not checked yet) nor this query"
    quick = _get(handle.url, tokens, query)
    assert fast == [query.encode()], "a checked token's plain question took the fast path"
    _same(quick, routed)
    head = quick.json()["head"]
    # An error raised by the read is the route's error body too (the cursor beyond the head: 409).
    ahead = f"after={head + 5}&limit=10&wait=0&format={fmt}"
    _same(_get(handle.url, tokens, ahead), _get(handle.url, tokens, ahead + "&unknown=1"))
    assert len(fast) == 2 and _get(handle.url, tokens, ahead).status_code == 409


@pytest.mark.timeout(60)
def test_every_refusal_is_the_routes(served):
    handle, tokens, fast = served
    assert _get(handle.url, tokens, "after=0").status_code == 200
    _get(handle.url, tokens, "after=0", role="provider_submitter")   # its token is now checked (and cached)
    fast.clear()
    cases = [
        (_get(handle.url, tokens, "after=0", role="provider_submitter"), 403),   # checked, but may not read
        (_get(handle.url, tokens, "after=0", role=None), 401),
        (_get(handle.url, tokens, "after=0", version="2.0"), 426),
        (_get(handle.url, tokens, "after=0", version=None), 400),
        (_get(handle.url, tokens, "after=-1"), 422),
        (_get(handle.url, tokens, "format=csv"), 422),
    ]
    assert [r.status_code for r, _ in cases] == [code for _, code in cases]
    assert fast == [], "none of them took the fast path"
