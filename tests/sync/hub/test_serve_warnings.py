"""What ``hub serve`` warns about as it starts, from real processes.

- SQLite is for one machine: on loopback nothing is said; bound to every interface, the warning
  names the SQLite file and points to PostgreSQL and docs/deployment.md.
- Tokens about to expire: the ones that expire within two weeks are named, to be rotated.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.support.hub import REPO

WARNING = "which is for one machine"


def serve_output(tmp_path, host: str, db_url: str | None = None) -> str:
    """What ``hub serve --host HOST`` prints up to 'hub listening on' (then it is stopped)."""
    name = host.replace(":", "_")
    db_url = db_url or f"sqlite:///{tmp_path / f'hub-{name}.db'}"
    log = tmp_path / f"serve-{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scc_desktop", "hub", "serve", "--db", db_url,
                                 "--host", host, "--port", "0", "--log-level", "warning"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if re.search(r"hub listening on \S+", log.read_text()):
                return log.read_text()
            time.sleep(0.05)
        raise AssertionError(f"the hub did not start:\n{log.read_text()}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.mark.timeout(90)
def test_sqlite_beyond_loopback_warns_and_on_loopback_does_not(tmp_path):
    from scc_desktop.commands.hub import _loopback

    assert [_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]")] == [True] * 5
    assert [_loopback(h) for h in ("0.0.0.0", "::", "10.1.2.3", "hub.example.nhs.uk")] == [False] * 4
    assert WARNING not in serve_output(tmp_path, "127.0.0.1")
    text = serve_output(tmp_path, "0.0.0.0")
    assert WARNING in text and "PostgreSQL" in text and "docs/deployment.md" in text, text
    assert "hub-0.0.0.0.db" in text   # names the file


@pytest.mark.timeout(60)
def test_serve_names_the_tokens_that_expire_within_two_weeks(tmp_path):
    from datetime import timedelta

    from sync.hub import auth
    from sync.hub.db import HubDB

    db_url = f"sqlite:///{tmp_path / 'expiring.db'}"
    db = HubDB(db_url)
    try:
        db.init_schema()
        soon = auth.create_token(db, "soon", "viewer", lifetime=timedelta(days=3))[0]
        auth.create_token(db, "later", "viewer")
        rotated = auth.create_token(db, "rotated", "viewer", lifetime=timedelta(days=2))[0]
        auth.rotate_token(db, rotated)
    finally:
        db.dispose()
    text = serve_output(tmp_path, "127.0.0.1", db_url)
    assert f"1 token(s) expire within 14 days (ids {soon})" in text and "hub token rotate" in text, text
