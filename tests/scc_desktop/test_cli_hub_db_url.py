"""A hub database URL written with its password (which docs/deployment.md says not to do, yet an IT person
trying the hub out will) never has the password printed back: the one-line error of a management command
or of ``hub serve`` that cannot open the database shows it as ***. Real processes, a real connection
attempt (to a port with nothing listening)."""

from __future__ import annotations

import socket

import pytest

from tests.scc_desktop.test_cli_db import run

SECRET = "s3cret-hub-pw"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", [("hub", "token", "list"), ("hub", "account", "list"),
                                     ("hub", "serve", "--port", "0")])
def test_a_password_in_the_database_url_is_not_printed(tmp_path, command):
    port = _closed_port()
    url = f"postgresql+psycopg://scc_hub:{SECRET}@127.0.0.1:{port}/scc_hub"
    done = run(*command, "--db", url, home=tmp_path)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert SECRET not in done.stderr + done.stdout
    said = done.stderr.strip().splitlines()[0]
    assert said.startswith("scc-desktop: cannot open the hub database ")
    assert f"postgresql+psycopg://scc_hub:***@127.0.0.1:{port}/scc_hub" in said   # which database, still
