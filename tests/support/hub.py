"""A real feed hub for tests: ``python -m scc_desktop hub serve`` on loopback, in a subprocess.

    hub = start_hub(tmp_path)                       # SQLite file under tmp_path
    hub = start_hub(tmp_path, cluster.create_database())   # PostgreSQL
    hub.url, hub.tokens["room_lead"], hub.headers("viewer")
    hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0})
    hub.restart(); hub.kill(); hub.stop()
    peer = hub.peer()                               # a second process on the same database
    with connection(hub.db_url) as conn: ...        # its database read directly (write=True: one transaction)

Before the process starts, the helper creates the schema, one token per role
(``provider_submitter`` bound to :data:`SUBMITTER_ORG`) and the
:data:`TEST_ORGS` directly in the database, so the feed begins with one
``organisation`` item per organisation (positions 1..len(orgs)). Every wait is
bounded; a hub that does not answer ``/health`` in time fails with its log.
Each process is forked from a server that has imported the hub already (tests/support/forkserver.py):
the same command line in its own process, without ~1.5 s of imports per start.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from sync.protocol import PROTOCOL_VERSION, VERSION_HEADER
from tests.support import forkserver

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10
ROLES = ("room_lead", "room_support", "director_on_call", "clinician", "viewer",
         "provider_submitter", "admin")
SUBMITTER_ORG = "RTEST1"

# A small made-up ICS: two acute trusts (sizes are G&A beds), one of each other pillar.
TEST_ORGS: tuple[dict[str, Any], ...] = (
    {"ods_code": "RTEST1", "name": "Test Acute Trust One", "sector": "acute", "size": 800.0},
    {"ods_code": "RTEST2", "name": "Test Acute Trust Two", "sector": "acute", "size": 400.0},
    {"ods_code": "RAMB1", "name": "Test Ambulance Service", "sector": "ambulance"},
    {"ods_code": "RCHS1", "name": "Test Community Services", "sector": "community"},
    {"ods_code": "RMH1", "name": "Test Mental Health Trust", "sector": "mental_health"},
    {"ods_code": "R111A", "name": "Test NHS 111", "sector": "nhs111"},
)
_LISTENING = re.compile(r"hub listening on (http://\S+)")


def seed(db_url: str, orgs=TEST_ORGS) -> dict[str, str]:
    """Create the schema, the organisations and one token per role; returns tokens by role."""
    from sync.hub import auth, orgs as hub_orgs
    from sync.hub.core import Hub, HubConfig

    hub = Hub(HubConfig(db_url=db_url))
    try:
        if orgs:
            hub_orgs.upsert(hub, [hub_orgs.OrgSpec(**o) for o in orgs])
        return {role: auth.create_token(hub.db, f"test-{role}", role,
                                        SUBMITTER_ORG if role == "provider_submitter" else None)[1]
                for role in ROLES}
    finally:
        hub.close()


@contextmanager
def connection(db_url: str, write: bool = False) -> Iterator[Any]:
    """A SQLAlchemy connection to a hub's database, its engine disposed after; with ``write``, in a
    transaction committed at the end (``engine.begin()``)."""
    from sqlalchemy import create_engine

    engine = create_engine(db_url)
    try:
        with (engine.begin() if write else engine.connect()) as conn:
            yield conn
    finally:
        engine.dispose()


def create_token(db_url: str, user: str, role: str, org: str | None = None) -> str:
    from sync.hub import auth
    from sync.hub.db import HubDB

    db = HubDB(db_url)
    try:
        return auth.create_token(db, user, role, org)[1]
    finally:
        db.dispose()


@dataclass
class HubProcess:
    """One hub process. ``tokens`` maps each role to a working bearer token."""

    db_url: str
    workdir: Path
    tokens: dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    url: str = ""
    proc: subprocess.Popen | forkserver.ForkedProcess | None = None
    log_path: Path | None = None
    _runs: int = 0
    # Python run in the hub process before the CLI (a benchmark reproducing an old behaviour).
    preamble: str = ""
    args: tuple[str, ...] = ()   # further ``hub serve`` options (e.g. "--openapi")

    # --- process control --------------------------------------------------------
    def start(self) -> HubProcess:
        self._runs += 1
        self.log_path = self.workdir / f"hub-{os.getpid()}-{id(self)}-{self._runs}.log"
        cmd = [sys.executable, "-m", "scc_desktop", "hub", "serve", "--db", self.db_url,
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", *self.args]
        if self.preamble:
            cmd[1:3] = ["-c", self.preamble + "\nimport sys\nfrom scc_desktop.cli import main\n"
                        "sys.exit(main(sys.argv[1:]))"]
        env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **self.env}
        server = None if self.preamble else forkserver.server(REPO)
        if server is not None:
            self.proc = server.spawn(cmd[3:], env, REPO, self.log_path)
        else:
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._listens():
                try:
                    if requests.get(self.url + "/health", timeout=2).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"hub did not answer /health within {START_TIMEOUT_S} s:\n{self.log()}")

    def _listens(self) -> bool:
        """Whether the process says it listens (its address then kept); raises when it has exited."""
        if self.proc.poll() is not None:
            raise RuntimeError(f"hub exited with code {self.proc.returncode}:\n{self.log()}")
        match = _LISTENING.search(self.log())
        if match:
            self.url = match.group(1)
            self.port = int(self.url.rsplit(":", 1)[1])
        return match is not None

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(STOP_TIMEOUT_S)

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)

    def restart(self) -> HubProcess:
        """Stop and start again on the same port and database (same URL)."""
        self.stop()
        return self.start()

    def peer(self) -> HubProcess:
        """Another hub process on the same database (own port), sharing the tokens."""
        other = HubProcess(self.db_url, self.workdir, dict(self.tokens), dict(self.env))
        return other.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace") if self.log_path else ""
        except FileNotFoundError:
            return ""

    # --- talking to it ------------------------------------------------------------
    def create_token(self, user: str, role: str, org: str | None = None) -> str:
        return create_token(self.db_url, user, role, org)

    def headers(self, role: str | None = "admin", token: str | None = None) -> dict[str, str]:
        """Protocol header plus the bearer token of ``role`` (or ``token``)."""
        h = {VERSION_HEADER: PROTOCOL_VERSION}
        tok = token or (self.tokens[role] if role else None)
        if tok:
            h["Authorization"] = f"Bearer {tok}"
        return h

    def request(self, method: str, path: str, role: str | None = "admin", token: str | None = None,
                timeout: float = 40, **kwargs) -> requests.Response:
        headers = {**self.headers(role, token), **kwargs.pop("headers", {})}
        return requests.request(method, self.url + path, headers=headers, timeout=timeout, **kwargs)


    def refused_soon(self, token: str, path: str = "/v1/feed") -> requests.Response:
        """The 401 a token revoked or rotated away *by another process* gets: the hub process trusts a
        token it has just checked for ``sync.hub.auth.CACHE_SECONDS``, so it is refused within that
        (plus a request's time), and from then on.  Fails if it is still served after that."""
        from sync.hub.auth import CACHE_SECONDS
        deadline = time.monotonic() + CACHE_SECONDS + 1.0
        while True:
            r = self.request("GET", path, token=token)
            if r.status_code == 401 or time.monotonic() > deadline:
                assert r.status_code == 401, f"still served {CACHE_SECONDS + 1.0:.0f} s after: {r.status_code}"
                return r
            time.sleep(0.1)


def start_hub(tmp_path: Path, db_url: str | None = None, *, orgs=TEST_ORGS,
              env: dict[str, str] | None = None, args: tuple[str, ...] = (), preamble: str = "") -> HubProcess:
    """Seed a database (SQLite under ``tmp_path`` by default) and start a hub process on it."""
    db_url = db_url or f"sqlite:///{tmp_path / 'hub.db'}"
    tokens = seed(db_url, orgs)
    return HubProcess(db_url, Path(tmp_path), tokens, dict(env or {}), preamble=preamble, args=tuple(args)).start()


def shown_as(name: str, role: str = "room_lead") -> str:
    """How every desktop shows ``name`` signed in a record pushed with this hub's token for ``role``
    (user ``test-<role>``): the token's user first (``models.record_signer``)."""
    return f'test-{role} (signed "{name}")'
