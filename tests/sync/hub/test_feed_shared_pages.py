"""Desktops at one cursor are served one read and one rendered page (sync.hub.feed's shared reads),
over HTTP from a real hub: the same correct page for all of them, the statements counted on the
hub's own engine; a token that may not read the feed is refused whatever is kept; a commit (here or
in another hub process on the same database) is never hidden behind a kept page; and each answer
carries the hub's clock when it is served, not when the page was read.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import requests

from sync.hub import orgs
from sync.hub.core import HubConfig
from sync.hub.server import start_in_thread
from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER, FeedBatch
from tests.support.hub import seed
from tests.sync.hub.helpers import obs, submission

CLIENTS = 12


@pytest.fixture
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(url)
    handle = start_in_thread(url, config=HubConfig(db_url=url))
    yield handle, tokens, url
    handle.stop()


def _session(tokens, role: str = "room_lead") -> requests.Session:
    s = requests.Session()
    s.headers.update({VERSION_HEADER: PROTOCOL_VERSION, "Authorization": f"Bearer {tokens[role]}"})
    return s


def _get(session, url, after, fmt="columnar", wait=0.0, limit=5000):
    return session.get(url + "/v1/feed", params={"after": after, "limit": limit, "wait": wait, "format": fmt},
                       timeout=30)


def _feed_reads(monkeypatch) -> list[int]:
    """The feed page reads the hub makes from now (``sync.hub.feed``'s ``read_columnar`` / ``render_batch``, which
    its handler looks up at each request), by cursor.  Not the engine's statements: the hub's own background work
    (the /m/ board's warm-up after a start halving the feed by time) runs feed queries on the same engine, and a
    loaded clean-clone run counted two of them as a second page read."""
    from sync.hub import feed

    seen: list[int] = []
    for name in ("read_columnar", "render_batch"):
        real = getattr(feed, name)

        def counted(hub, after, limit, real=real):
            seen.append(after)
            return real(hub, after, limit)
        monkeypatch.setattr(feed, name, counted)
    return seen


def _without_time(body: bytes) -> dict:
    doc = json.loads(body)
    doc.pop("server_time")
    return doc


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["columnar", "items"])
def test_desktops_at_one_cursor_share_one_read_and_get_the_same_correct_page(served, fmt, monkeypatch):
    handle, tokens, _url = served
    admin = _session(tokens, "admin")
    r = admin.post(handle.url + "/v1/submissions", json=submission(
        [obs("ga_bed_occupancy_pct", 80.0 + i, minutes=i) for i in range(30)]), timeout=30)
    assert r.status_code == 200 and r.json()["accepted"] == 30
    sessions = [_session(tokens, role) for role in ("room_lead", "viewer", "clinician") * (CLIENTS // 3)]
    # What a fresh read says, from a hub that has kept nothing (read outside the cache): made before the
    # page is kept, so the desktops ask well inside the kept page's 5 s (feed.KEEP_SECONDS); made between,
    # on a loaded machine it let the page lapse and 5 of 6 desktops read again (a clean-clone CI run).
    from sync.hub import feed
    fresh = (feed.read_columnar if fmt == "columnar" else feed.render_batch)(handle.hub, 0, 5000).body
    truth = _get(admin, handle.url, 0, fmt).content
    assert _without_time(truth) == _without_time(fresh)
    reads = _feed_reads(monkeypatch)
    with ThreadPoolExecutor(CLIENTS) as pool:
        bodies = list(pool.map(lambda s: _get(s, handle.url, 0, fmt).content, sessions))
    assert len(reads) == 0, "every desktop at that cursor, whatever its reading role, took the kept page"
    assert {json.dumps(_without_time(b), sort_keys=True) for b in bodies} == {json.dumps(_without_time(truth),
                                                                                         sort_keys=True)}
    batch = FeedBatch.model_validate_json(bodies[0])
    seqs = [i.seq for i in batch.items] + (list(batch.observations.seq) if batch.observations else [])
    assert sorted(seqs) == list(range(1, batch.head + 1)), "positions 1..head, each once"
    assert batch.next_after == batch.head


@pytest.mark.timeout(60)
def test_a_token_that_may_not_read_the_feed_is_refused_though_a_page_is_kept(served):
    handle, tokens, _url = served
    lead = _session(tokens)
    assert _get(lead, handle.url, 0).status_code == 200   # the page at 0 is now kept
    r = _get(_session(tokens, "provider_submitter"), handle.url, 0)
    assert r.status_code == 403 and "observations" not in r.text
    r = requests.get(handle.url + "/v1/feed", params={"after": 0, "format": "columnar"},
                     headers={VERSION_HEADER: PROTOCOL_VERSION}, timeout=10)
    assert r.status_code == 401 and "observations" not in r.text


@pytest.mark.timeout(60)
@pytest.mark.parametrize("fmt", ["columnar", "items"])
def test_after_a_commit_the_kept_page_is_not_served(served, fmt):
    handle, tokens, _url = served
    lead, admin = _session(tokens), _session(tokens, "admin")
    head = _get(lead, handle.url, 0, fmt).json()["head"]
    empty = _get(lead, handle.url, head, fmt).json()
    assert empty["next_after"] == head and not empty["items"]   # the empty page at the head, kept
    r = admin.post(handle.url + "/v1/submissions", json=submission([obs("ga_bed_occupancy_pct", 91.0)]), timeout=30)
    assert r.status_code == 200
    after = FeedBatch.model_validate(_get(lead, handle.url, head, fmt).json())
    assert after.head > head and after.next_after == after.head, "the commit is served at once, not the kept page"
    got = [i.seq for i in after.items] + (list(after.observations.seq) if after.observations else [])
    assert sorted(got) == list(range(head + 1, after.head + 1))


@pytest.mark.timeout(60)
def test_a_commit_in_another_hub_process_is_served_within_its_head_watch(served):
    handle, tokens, url = served
    lead = _session(tokens)
    head = _get(lead, handle.url, 0).json()["head"]
    assert _get(lead, handle.url, head).json()["next_after"] == head   # kept: empty at the head
    other = start_in_thread(url, config=HubConfig(db_url=url))   # a second hub on the same database
    try:
        orgs.upsert(other.hub, [orgs.OrgSpec("RTEST9", "Late Joiner Trust", "community")])
        deadline = time.monotonic() + 10 * handle.hub.config.head_poll_seconds + 2
        while _get(lead, handle.url, head).json()["head"] == head:
            assert time.monotonic() < deadline, "a commit elsewhere stayed hidden behind the kept page"
            time.sleep(0.02)
        # And a desktop waiting there is woken by it too (the same signal that drops the kept page).
        newer = _get(lead, handle.url, head).json()["head"]
        t0 = time.monotonic()
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(_get, lead, handle.url, newer, "columnar", 20)
            time.sleep(0.3)
            orgs.upsert(other.hub, [orgs.OrgSpec("RTEST8", "Later Joiner Trust", "community")])
            batch = waiting.result(timeout=15).json()
        assert batch["head"] == newer + 1 and time.monotonic() - t0 < 5
    finally:
        other.stop()


@pytest.mark.timeout(60)
def test_a_kept_page_carries_the_time_it_is_served_at(served, monkeypatch):
    handle, tokens, _url = served
    lead = _session(tokens)
    head = _get(lead, handle.url, 0).json()["head"]
    reads = _feed_reads(monkeypatch)
    first = _get(lead, handle.url, head).json()
    time.sleep(0.3)
    second = _get(lead, handle.url, head).json()
    assert len(reads) == 1, "the second answer was the kept page"
    t1, t2 = (datetime.fromisoformat(b["server_time"].replace("Z", "+00:00")) for b in (first, second))
    assert (t2 - t1).total_seconds() >= 0.25, "served with the hub's clock now, not the read's"
    first.pop("server_time")
    second.pop("server_time")
    assert first == second
