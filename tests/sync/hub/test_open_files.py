"""A hub started with a low open-files limit still holds every long-polling desktop (sync/hub/open_files.py).

Every desktop holds one connection to the hub all the time. A hub process started with a soft limit
of 1,024 descriptors (a login shell's ``ulimit -n``, systemd's default) ran out at about 1,000
desktops: with 1,000 long-polling, 5 of 27 provider submissions were refused with a connection
reset (benchmarks/bench_load.py, docs/reliability.md "Open files"). Here the same at a quarter of the
size: a real hub process at a soft limit of 256, 400 desktops' long-polls, then a provider submits.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
import requests

from benchmarks.load_desktops import Conn
from sync.protocol import MAX_COLUMNAR_BATCH
from tests.support.hub import start_hub
from tests.sync.hub.helpers import obs, submission


def _hard_limit() -> int:
    try:
        import resource
    except ImportError:
        return 0
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 1 << 30 if hard == resource.RLIM_INFINITY else hard


pytestmark = [pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="counts descriptors in Linux /proc"),
              pytest.mark.skipif(_hard_limit() < 1024, reason="needs a hard open-files limit of 1,024 or more")]

DESKTOPS = 400


def _at_soft(soft: int, hard: int | None = None) -> str:
    """Python run in the hub's process before the CLI: its open-files limit as a shell's ulimit sets it."""
    return ("import resource\n_s, _h = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
            f"resource.setrlimit(resource.RLIMIT_NOFILE, ({soft}, {hard if hard else '_h'}))")


def _soft_limit(pid: int) -> int:
    line = next(x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if x.startswith("Max open files"))
    return int(line.split()[3])


def _open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


async def _long_polls_then_submit(hub, after: int) -> tuple[list, requests.Response]:
    host, port = "127.0.0.1", hub.port
    conns = [Conn(host, port, hub.tokens["room_lead"]) for _ in range(DESKTOPS)]
    head = (f"GET /v1/feed?after={after}&limit={MAX_COLUMNAR_BATCH}&wait=20.0&format=columnar "
            "HTTP/1.1\r\n").encode()

    async def poll(conn: Conn):
        try:
            return await conn.request(head, b"", 40.0)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
            return exc
        finally:
            conn.close()

    polls = [asyncio.ensure_future(poll(c)) for c in conns]
    deadline = time.monotonic() + 15
    while _open_files(hub.proc.pid) < DESKTOPS and time.monotonic() < deadline:   # every long-poll parked
        await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)
    body = submission([obs("ga_bed_occupancy_pct", 88.0)])
    answer = await asyncio.to_thread(hub.request, "POST", "/v1/submissions", role="admin", json=body, timeout=10)
    return await asyncio.gather(*polls), answer


@pytest.mark.timeout(120)
def test_a_hub_started_at_a_soft_limit_of_256_files_holds_400_desktops_and_takes_a_submission(tmp_path):
    hub = start_hub(tmp_path, preamble=_at_soft(256))
    try:
        assert _soft_limit(hub.proc.pid) > DESKTOPS + 64, "the hub kept the soft limit it was started with"
        after = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0, "limit": 1000}).json()["next_after"]
        answers, posted = asyncio.run(_long_polls_then_submit(hub, after))
        assert posted.status_code == 200, posted.text
        failed = [a for a in answers if not isinstance(a, tuple) or a[0] != 200]
        assert not failed, f"{len(failed)} of {DESKTOPS} long-polls failed, e.g. {failed[:3]}"
        assert all(b'"intake_notice"' in body for _, body in answers), "a long-poll answered without the submission"
        assert "LimitNOFILE" not in hub.log()
    finally:
        hub.stop()


@pytest.mark.timeout(60)
def test_a_hard_limit_below_what_the_hub_may_answer_is_said_naming_the_setting(tmp_path):
    hub = start_hub(tmp_path, preamble=_at_soft(256, 1024))
    try:
        assert _soft_limit(hub.proc.pid) == 1024
        log = hub.log()
        assert "may open only 1024 files" in log and "about 960 desktops" in log, log
        assert "ulimit -Hn" in log and "LimitNOFILE=" in log and "docs/deployment.md" in log
        assert hub.request("GET", "/health").status_code == 200
    finally:
        hub.stop()
