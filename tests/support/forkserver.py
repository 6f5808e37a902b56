"""Hub processes forked from one that has already imported the hub, instead of a cold interpreter each.

A cold ``python -m scc_desktop hub serve`` spends ~1.5 s importing FastAPI, SQLAlchemy, uvicorn
and the project before it listens (over 4 s on a loaded 2-core CI machine), and the suite starts
a hub for hundreds of tests.  The fork server is one process per test run that imports all that
once and then waits; each hub is a fork of it that takes the command line, environment, working
folder and log file it is given and runs ``scc_desktop.cli.main()`` exactly as ``__main__`` does.
So every test still gets its own hub process, database and port; only the imports are shared.
The CLI's own start (a cold interpreter) stays covered by the tests that run it as a subprocess
(tests/sync/hub/test_cli.py, tests/scc_desktop/*).

The forks are children of the server, not of the test process, so :class:`ForkedProcess` asks the
server for their exit status and signals them directly; it offers the part of ``subprocess.Popen``
that :class:`tests.support.hub.HubProcess` uses.  Set ``SCC_TEST_HUB_FORKSERVER=0`` to start every
hub as a cold subprocess instead.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DISABLE_ENV = "SCC_TEST_HUB_FORKSERVER"
# What ``hub serve`` imports on the way to listening, on SQLite and PostgreSQL.
PRELOAD = (
    "scc_desktop.cli", "scc_desktop.commands.hub", "sync.hub.server", "sync.hub.app", "sync.hub.core",
    "sync.hub.db", "sqlalchemy.dialects.sqlite.pysqlite", "sqlalchemy.dialects.postgresql.psycopg",
    "uvicorn.loops.auto", "uvicorn.loops.asyncio", "uvicorn.protocols.http.auto",
    "uvicorn.protocols.websockets.auto", "uvicorn.lifespan.on",
)

# The server's own code, run as ``python -c``: preload, then answer one JSON request per line.
# A forked child leaves the loop (the function returns its argv) and runs the CLI as __main__ does.
_SERVER = r'''
import importlib, json, os, sys

def _serve(preload):
    for name in preload:
        importlib.import_module(name)
    import threading
    assert threading.active_count() == 1, "the fork server must not run threads"
    done = {}

    def reply(obj):
        os.write(1, (json.dumps(obj) + "\n").encode())

    reply({"ready": True})
    buf = b""
    while True:
        while b"\n" not in buf:
            chunk = os.read(0, 65536)
            if not chunk:            # the test run went away
                os._exit(0)
            buf += chunk
        line, buf = buf.split(b"\n", 1)
        req = json.loads(line)
        if req["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                null = os.open(os.devnull, os.O_RDONLY)
                log = os.open(req["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(null, 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                os.close(null)
                os.close(log)
                os.chdir(req["cwd"])
                os.environ.clear()
                os.environ.update(req["env"])
                sys.argv = req["argv"]
                return
            reply({"pid": pid})
        elif req["op"] == "poll":
            pid = req["pid"]
            if pid not in done:
                got, status = os.waitpid(pid, os.WNOHANG)
                if got:
                    done[pid] = os.waitstatus_to_exitcode(status)
            reply({"returncode": done.get(pid)})

_serve(json.loads(sys.argv[1]))
del _serve
from scc_desktop.cli import main
sys.exit(main())
'''


class ForkServer:
    def __init__(self, repo: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONUNBUFFERED": "1"}
        # Its own errors go to a file of its own, not to the output pytest captures for the first test.
        self._errors = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-c", _SERVER, json.dumps(PRELOAD)], cwd=repo, env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._errors, bufsize=0)
        self._lock = threading.Lock()
        first = self._proc.stdout.readline()
        if json.loads(first or b"{}").get("ready") is not True:
            self._proc.kill()
            raise RuntimeError(f"the hub fork server did not start (exit {self._proc.wait()}):\n{self._stderr()}")

    def _stderr(self) -> str:
        self._errors.seek(0)
        return self._errors.read().decode(errors="replace")[-3000:]

    def _ask(self, request: dict) -> dict:
        with self._lock:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the hub fork server died (exit {self._proc.poll()}):\n{self._stderr()}")
        return json.loads(line)

    def spawn(self, args: list[str], env: dict[str, str], cwd: Path, log: Path) -> ForkedProcess:
        pid = self._ask({"op": "spawn", "argv": [str(Path(cwd) / "scc_desktop" / "__main__.py"), *args],
                         "env": env, "cwd": str(cwd), "log": str(log)})["pid"]
        return ForkedProcess(self, pid)

    def returncode(self, pid: int) -> int | None:
        return self._ask({"op": "poll", "pid": pid})["returncode"]

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()   # end of input: it exits
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)


class ForkedProcess:
    """The part of ``subprocess.Popen`` a hub process needs, for a fork of the server."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server, self.pid, self.returncode = server, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.returncode(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:   # not reaped yet, so the pid is still ours
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def server(repo: Path) -> ForkServer | None:
    """The run's fork server (started on first use), or None when turned off."""
    global _server
    if os.environ.get(DISABLE_ENV, "1") == "0":
        return None
    with _server_lock:
        if _server is None:
            _server = ForkServer(repo)
            atexit.register(_server.close)
        return _server
