"""A hub's start through PgBouncer in transaction mode (r2's review, finding 2). c47e1849 took the schema lock for
the start's session (``pg_try_advisory_lock``) and SET the build's settings on it: behind a transaction-mode pooler
(PgBouncer's default) both stayed on a pooled server connection after the start returned, and the next start, from
any process, waited for ever. Now the lock is the start's transaction's and the build's settings are given as its
connection starts, so nothing outlives the start. Needs ``pgbouncer`` on the PATH (apt-get install pgbouncer):
skipped without it (CI has none)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from sync.hub import schema_start
from sync.hub.db import HubDB
from tests.support import index_build as b

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(shutil.which("pgbouncer") is None, reason="needs pgbouncer (apt-get install pgbouncer)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bouncer(folder: Path, pg_port: int) -> tuple[subprocess.Popen, int]:
    """PgBouncer in transaction mode in front of the cluster (it runs as nobody: its folder readable by all); it
    needs ``ignore_startup_parameters=options`` for the hub's startup options."""
    port = _free_port()
    (folder / "users.txt").write_text('"postgres" ""\n')
    (folder / "pgb.ini").write_text(f"""[databases]
* = host=127.0.0.1 port={pg_port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
auth_type = trust
auth_file = {folder}/users.txt
pool_mode = transaction
ignore_startup_parameters = options,extra_float_digits
unix_socket_dir =
logfile = {folder}/pgb.log
""")
    for f in folder.iterdir():
        os.chmod(f, 0o666)
    proc = subprocess.Popen(["pgbouncer", "-u", "nobody", str(folder / "pgb.ini")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"pgbouncer did not listen: {(folder / 'pgb.log').read_text(errors='replace')}")
            time.sleep(0.05)


def test_a_start_through_pgbouncer_leaves_no_lock_or_setting_and_the_next_start_goes_on(postgres_cluster):
    db_url = postgres_cluster.create_database()
    name = b.database_name(db_url)
    b.from_before_the_index(db_url)
    folder = Path(tempfile.mkdtemp())
    os.chmod(folder, 0o777)
    proc, port = _bouncer(folder, postgres_cluster.port)
    try:
        first = HubDB(db_url.replace(f":{postgres_cluster.port}/", f":{port}/"))
        try:
            first.init_schema()   # builds ix_feed_kind_seq CONCURRENTLY through the pooler
            with first.engine.connect() as conn:   # a pooled server connection: the start's settings not on it
                said = {k: conn.exec_driver_sql(f"SHOW {k}").scalar()
                        for k in ("client_connection_check_interval", "lock_timeout", "statement_timeout")}
            assert said == {"client_connection_check_interval": "0", "lock_timeout": "0", "statement_timeout": "0"}, said
        finally:
            first.dispose()
        with b.connect(postgres_cluster) as admin:
            locks = admin.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory'").fetchall()
        assert locks == [], f"the schema lock outlived the start on a pooled server connection: {locks}"
        with b.connect(postgres_cluster, name) as look:
            assert ("ix_feed_kind_seq", True, "btree (kind, seq)") in b.feed_indexes(look)
        second = HubDB(db_url)   # another process's start, straight to PostgreSQL
        done = threading.Event()

        def run():
            try:
                second.init_schema(schema_start.StartProgress([]))
            finally:
                done.set()
        threading.Thread(target=run, daemon=True).start()
        try:
            assert done.wait(10), "a later start waits for a lock the first start's pooled server connection holds"
        finally:
            second.dispose()
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(folder, ignore_errors=True)
