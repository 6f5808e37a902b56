"""The sender against real HTTP servers on loopback: a recording server, then the real hub."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

from sync.protocol import PROTOCOL_VERSION
from sync.simulator import Sender, Simulator, backfill, load_config, run
from tests.support.hub import start_hub
from tests.sync.simulator.conftest import SEED, START


class Recorder(ThreadingHTTPServer):
    """Answers POSTs following a script of actions, then "ok"; records every request."""

    daemon_threads = True

    def __init__(self, script: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = list(script)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: Recorder = self.server
        with server.lock:
            server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            action = server.script.pop(0) if server.script else "ok"
        if action == "drop":  # close without a reply: the client sees a connection error
            self.close_connection = True
            return
        if action == "slow":  # longer than the client's read timeout
            time.sleep(1.0)
        if action.isdigit():
            self._reply(int(action), {"error": {"code": "test", "message": f"scripted HTTP {action}"}})
            return
        payload = json.loads(body)
        self._reply(200, {"submission_id": payload["submission_id"], "accepted": len(payload["items"]),
                          "rejected": [], "duplicate": False})

    def _reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def recorder(script: list[str]) -> Iterator[Recorder]:
    server = Recorder(script)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _payload(clean_sim) -> dict:
    return clean_sim.submissions(START, START + timedelta(minutes=15))[0].payload


def test_retries_after_a_dropped_connection_with_the_same_submission(clean_sim):
    payload = _payload(clean_sim)
    with recorder(["drop", "503", "slow"]) as server:
        sender = Sender(server.url, "tok-1", timeout=(1.0, 0.3), retries=4, backoff=0.01, jitter_seed=1)
        result = sender.send(payload)
    assert result.status == "accepted" and result.attempts == 4
    assert result.receipt.accepted == len(payload["items"])
    bodies = {r["body"] for r in server.requests}
    assert len(server.requests) == 4 and len(bodies) == 1  # byte-identical retries
    assert json.loads(bodies.pop())["submission_id"] == payload["submission_id"]
    for r in server.requests:
        assert r["path"] == "/v1/submissions"
        assert r["headers"]["Authorization"] == "Bearer tok-1"
        assert r["headers"]["SCC-Protocol"] == PROTOCOL_VERSION
    assert sender.stats.retries == 3 and sender.stats.accepted_items == len(payload["items"])


def test_a_refusal_is_not_retried_and_is_reported(clean_sim):
    with recorder(["422"]) as server:
        sender = Sender(server.url, "tok", retries=3, backoff=0.01)
        result = sender.send(_payload(clean_sim))
    assert (result.status, result.http_status, result.attempts) == ("refused", 422, 1)
    assert "scripted HTTP 422" in result.error
    assert len(server.requests) == 1 and sender.stats.refused == 1


def test_gives_up_after_its_retries_when_nothing_listens(clean_sim):
    with socket.socket() as s:  # a port that was free a moment ago and has no listener now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = Sender(f"http://127.0.0.1:{port}", "tok", timeout=(0.5, 0.5), retries=2, backoff=0.01)
    started = time.monotonic()
    result = sender.send(_payload(clean_sim))
    assert result.status == "failed" and result.attempts == 3
    assert "ConnectionError" in result.error
    assert "connection refused" in result.error and "HTTPConnectionPool" not in result.error  # a few words
    assert time.monotonic() - started < 5


def test_per_organisation_tokens(clean_sim):
    subs = clean_sim.submissions(START, START + timedelta(minutes=15))
    with recorder([]) as server:
        sender = Sender(server.url, None, org_tokens={"RX1": "tok-rx1"})
        results = [sender.send(s.payload) for s in subs]
    sent = [s for s, r in zip(subs, results) if r.status == "accepted"]
    assert {s.org_code for s in sent} == {"RX1"}
    assert all(r["headers"]["Authorization"] == "Bearer tok-rx1" for r in server.requests)
    assert sender.stats.refused == len(subs) - len(sent) > 0


def test_live_run_is_paced_bounded_and_stoppable(clean_sim):
    got = []
    started = time.monotonic()
    report = run(clean_sim, got.append, start=START, tick=timedelta(minutes=5), speed=3000, ticks=4)
    elapsed = time.monotonic() - started
    assert report.ticks == 4 and report.simulated_until == START + timedelta(minutes=15)
    assert 0.25 < elapsed < 3  # three tick gaps of 0.1 s
    assert got and all(START - timedelta(minutes=5) < s.submitted_at <= START + timedelta(minutes=15) for s in got)

    stop = threading.Event()
    stop.set()
    assert run(clean_sim, got.append, start=START, tick=timedelta(minutes=5), ticks=3, stop=stop).stopped

    report = run(clean_sim, got.append, start=START, tick=timedelta(minutes=5), speed=60, duration=0.5)
    assert report.ticks == 1  # the next tick is 5 s of real time away

    # Held at "real time" = START: the second tick would be in the future, so it waits and the duration ends it.
    report = run(clean_sim, got.append, start=START, tick=timedelta(minutes=5), speed=1e6, duration=0.3,
                 not_after=lambda: START)
    assert report.ticks == 1


def test_against_the_real_hub(tmp_path):
    """Backfill then live ticks into a real hub: faults are exactly what it rejects; resends are duplicates."""
    sim = Simulator(load_config().with_fault_rates(late=0.1, missing=0.1, malformed=0.03), SEED)
    hub = start_hub(tmp_path, orgs=sim.organisations())
    try:
        sender = Sender(hub.url, hub.tokens["admin"], timeout=(3.05, 30), retries=2, backoff=0.1)
        sent, refused = [], []

        def sink(sub):
            sent.append(sub)
            result = sender.send(sub.payload)
            assert result.status in ("accepted", "refused"), result.error
            if result.receipt is not None:
                assert sorted(r.index for r in result.receipt.rejected) == sorted(f.index for f in sub.faults)
            else:  # refused as a whole: only when every item was a deliberate fault
                assert len(sub.faults) == len(sub.payload["items"]), result.error
                refused.append(sub)

        backfill(sim, sink, START - timedelta(hours=1), START, batch_minutes=60)
        run(sim, sink, start=START + timedelta(minutes=5), tick=timedelta(minutes=5), ticks=3, paced=False)
        stats = sender.stats
        assert stats.failed == 0 and stats.accepted_items > 100
        assert stats.refused == len(refused)
        assert stats.rejected_items == sum(len(s.faults) for s in sent) - sum(len(s.faults) for s in refused)
        assert stats.rejected_items > 0 and any(s.late for s in sent) and any(s.missing for s in sent)

        again = Sender(hub.url, hub.tokens["admin"])
        accepted_before = [s for s in sent if len(s.faults) < len(s.payload["items"])]
        result = again.send(accepted_before[0].payload)
        assert result.receipt.duplicate

        feed = requests.get(hub.url + "/v1/feed", headers=hub.headers("room_lead"),
                            params={"after": 0, "limit": 5000}, timeout=30).json()
        kinds = {i["kind"] for i in feed["items"]}
        assert {"observation", "handover", "ambulance_status", "response_times", "critcon"} <= kinds
    finally:
        hub.stop()


def test_deliberate_faults_are_logged_as_deliberate_not_warned(tmp_path, caplog):
    """The hub's rejections of the simulator's own malformed items are expected: INFO, saying so."""
    import logging

    sim = Simulator(load_config().with_fault_rates(late=0, missing=0, malformed=0.2), SEED)
    hub = start_hub(tmp_path, orgs=sim.organisations())
    try:
        sender = Sender(hub.url, hub.tokens["admin"], timeout=(3.05, 30), retries=1, backoff=0.1)
        with caplog.at_level(logging.INFO, logger="sync.simulator"):
            backfill(sim, lambda sub: sender.send(sub.payload, deliberate=len(sub.faults)),
                     START - timedelta(hours=2), START, batch_minutes=60)
        assert sender.stats.rejected_items > 0
        assert f"{sender.stats.rejected_items} rejected (all malformed on purpose)" in sender.stats.summary()
        ours = [r for r in caplog.records if r.name == "sync.simulator"]
        assert not [r.getMessage() for r in ours if r.levelno >= logging.WARNING]
        deliberate = [r.getMessage() for r in ours if r.getMessage().startswith("deliberate fault:")]
        assert deliberate and all(r.levelno == logging.INFO for r in ours)
    finally:
        hub.stop()
