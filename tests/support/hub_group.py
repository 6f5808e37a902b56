"""Several hub processes on one database listening on one address (``hub serve --reuse-port``).

    hubs = start_hubs(folder, db_url, orgs, processes=2)
    hubs.url, hubs.tokens["room_lead"], hubs.procs[0].kill(), hubs.stop()

The database is seeded first (schema, organisations, one token per role: as
:func:`tests.support.hub.seed`); every process is a real ``scc-desktop hub serve``
started as a plain subprocess, each waited for in turn (bounded), all stopped by ``stop``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.hub import seed
from tests.support.postgres import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a live process (Linux ``/proc``), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):  # no /proc, or no sysconf (Windows)
        return None


@dataclass
class Hubs:
    """``processes`` hub processes on one database, all listening on ``url`` (``--reuse-port``)."""

    url: str
    tokens: dict
    procs: list
    logs: list

    def cpu_s(self) -> float | None:
        each = [process_cpu_s(p.pid) for p in self.procs]
        return None if None in each else sum(each)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


def start_hubs(folder: Path, db_url: str, orgs: list, processes: int) -> Hubs:
    tokens = seed(db_url, orgs)
    port = free_port()
    hubs = Hubs(f"http://127.0.0.1:{port}", tokens, [], [])
    for n in range(processes):
        log = folder / f"hub-{n}.log"
        hubs.logs.append(log)
        cmd = [sys.executable, "-m", "scc_desktop", "hub", "serve", "--db", db_url, "--host", "127.0.0.1",
               "--port", str(port), "--log-level", "warning"] + (["--reuse-port"] if processes > 1 else [])
        with open(log, "wb") as out:
            hubs.procs.append(subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                                               stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        deadline = time.monotonic() + START_TIMEOUT_S
        while f"listening on {hubs.url}" not in log.read_text():
            if hubs.procs[-1].poll() is not None or time.monotonic() > deadline:
                hubs.stop()
                raise RuntimeError(f"hub process {n} did not start:\n{log.read_text()}")
            time.sleep(0.05)
    requests.get(hubs.url + "/health", timeout=10).raise_for_status()
    return hubs
