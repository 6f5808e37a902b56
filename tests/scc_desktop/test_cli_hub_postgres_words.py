"""What an operator setting up a hub on PostgreSQL is told when the database refuses the hub.

Found in a walkthrough of docs/deployment.md (session 24): with no password file the hub said only
"fe_sendauth: no password supplied", and nothing in it said where the password goes (the docs
forbid it in the URL). A real cluster of its own with scram-sha-256 passwords (the session's
shared cluster trusts every local connection), real processes.
"""

from __future__ import annotations

import pytest

from tests.scc_desktop.test_cli_db import run
from tests.support.postgres import start_cluster

PASSWORD = "hub-role-password-24"


@pytest.fixture(scope="module")
def cluster():
    import psycopg

    cluster = start_cluster()
    try:
        with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f"CREATE ROLE scc_hub LOGIN PASSWORD '{PASSWORD}'")
            conn.execute("CREATE DATABASE scc_hub OWNER scc_hub")
        (cluster.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 scram-sha-256\n")
        cluster._run("pg_ctl", "-D", str(cluster.data), "reload")
        yield cluster
    finally:
        cluster.stop()


def hub_says(cluster, tmp_path, pgpass: str | None, database: str = "scc_hub"):
    env = {"PGPASSFILE": str(tmp_path / "absent")}
    if pgpass is not None:
        (tmp_path / "pgpass").write_text(pgpass)
        (tmp_path / "pgpass").chmod(0o600)
        env = {"PGPASSFILE": str(tmp_path / "pgpass")}
    url = f"postgresql+psycopg://scc_hub@127.0.0.1:{cluster.port}/{database}"
    return run("hub", "token", "list", "--db", url, env_extra=env, home=tmp_path)


@pytest.mark.timeout(120)
def test_no_password_file_says_where_the_password_goes(cluster, tmp_path):
    done = hub_says(cluster, tmp_path, None)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "no password supplied" in done.stderr
    assert "the password goes in PGPASSFILE or ~/.pgpass (a line HOST:PORT:DATABASE:USER:PASSWORD" in done.stderr


@pytest.mark.timeout(120)
def test_a_wrong_password_says_which_file_to_check(cluster, tmp_path):
    done = hub_says(cluster, tmp_path, f"127.0.0.1:{cluster.port}:scc_hub:scc_hub:not-it\n")
    assert done.returncode == 1 and 'password authentication failed for user "scc_hub"' in done.stderr
    assert "check that user's line in PGPASSFILE or ~/.pgpass" in done.stderr
    assert "not-it" not in done.stderr


@pytest.mark.timeout(120)
def test_a_missing_database_says_who_creates_it_and_the_right_one_opens(cluster, tmp_path):
    done = hub_says(cluster, tmp_path, f"127.0.0.1:{cluster.port}:*:scc_hub:{PASSWORD}\n", database="scc_hubb")
    assert done.returncode == 1 and 'database "scc_hubb" does not exist' in done.stderr
    assert "a PostgreSQL superuser creates the role and the database first" in done.stderr
    done = hub_says(cluster, tmp_path, f"127.0.0.1:{cluster.port}:*:scc_hub:{PASSWORD}\n")
    assert done.returncode == 0, done.stderr   # the hub makes its tables in the role's own database
