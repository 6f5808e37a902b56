"""Several hub processes on one PostgreSQL database behind one address (``hub serve --reuse-port``).

Regional scale without a new design: the system spreads connections among the processes, a
commit in one wakes the long-polls parked in the others, and the address keeps answering while
any process is up.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
from tests.support.hub import TEST_ORGS
from tests.support.hub_group import start_hubs
from tests.sync.hub.helpers import obs, submission

WAITERS = 24


@pytest.fixture
def hubs(postgres_cluster, tmp_path):
    group = start_hubs(tmp_path, postgres_cluster.create_database(), list(TEST_ORGS), processes=2)
    yield group
    group.stop()


def _headers(hubs, role="room_lead") -> dict:
    return {"Authorization": f"Bearer {hubs.tokens[role]}", VERSION_HEADER: PROTOCOL_VERSION}


@pytest.mark.timeout(90)
def test_long_polls_on_every_process_are_woken_by_a_commit_in_any(hubs):
    head = requests.get(hubs.url + "/health", timeout=10).json()["head"]
    out: dict[int, float] = {}

    def wait(n: int) -> None:  # a fresh connection each: the system picks the process
        r = requests.get(hubs.url + "/v1/feed", headers=_headers(hubs), timeout=40,
                         params={"after": head, "wait": 20, "format": "columnar"})
        if r.status_code == 200 and r.json()["next_after"] > head:
            out[n] = time.monotonic()

    port = urlsplit(hubs.url).port
    threads = [threading.Thread(target=wait, args=(n,), daemon=True) for n in range(WAITERS)]
    for t in threads:
        t.start()
    # Parked in their long-polls, spread over both processes. Both processes hold some of the
    # long-polls (their open connections), so each must wake its own. (Not their CPU while waking:
    # a dozen shared-page answers can take under one clock tick.) Counted until all are open or
    # 15 s pass: on a loaded machine the last thread can take more than a second to connect.
    deadline = time.monotonic() + 15
    while True:
        time.sleep(0.25)
        parked = [clients(p.pid, port) for p in hubs.procs]
        if sum(parked) >= WAITERS or time.monotonic() > deadline:
            break
    assert all(n > 0 for n in parked) and sum(parked) >= WAITERS, f"long-polls held per process: {parked}"
    r = requests.post(hubs.url + "/v1/submissions", headers=_headers(hubs, "admin"), timeout=30,
                      json=submission([obs("ga_bed_occupancy_pct", 91.0)], org="RTEST1"))
    assert r.status_code == 200, r.text
    committed = time.monotonic()
    for t in threads:
        t.join(10)
    assert len(out) == WAITERS, f"only {len(out)} of {WAITERS} long-polls returned the new position"
    assert max(out.values()) - committed < 3.0  # woken (head watch, 0.2 s), not timed out after 20 s


def clients(pid: int, port: int) -> int:
    """How many connections to the hub's ``port`` process ``pid`` holds open (Linux ``/proc``): only
    those, not its database pool's, which open and close during the burst."""
    mine = {_link(fd)[len("socket:["):-1] for fd in Path(f"/proc/{pid}/fd").iterdir()
            if _link(fd).startswith("socket:[")}
    held = 0
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if local_port == port and state == "01" and inode in mine:   # 01: ESTABLISHED
                held += 1
    return held


def _link(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:   # closed while we looked
        return ""


@pytest.mark.timeout(90)
def test_the_address_keeps_answering_while_one_process_is_down(hubs):
    hubs.procs[0].kill()
    hubs.procs[0].wait(10)
    for _ in range(20):  # fresh connections: every one reaches the process still listening
        assert requests.get(hubs.url + "/health", timeout=10).json()["status"] == "ok"
    r = requests.post(hubs.url + "/v1/submissions", headers=_headers(hubs, "admin"), timeout=30,
                      json=submission([obs("ga_bed_occupancy_pct", 90.0)], org="RTEST1"))
    assert r.status_code == 200, r.text
