"""A throwaway PostgreSQL cluster for tests: real server, loopback only, removed afterwards.

``start_cluster()`` runs ``initdb`` (trust authentication, user ``postgres``)
in a fresh temporary folder and starts the server on a free port with its
socket in that folder. As root the server runs as the ``postgres`` user
(``runuser``); otherwise as the current user. Missing binaries raise
:class:`PostgresUnavailable` naming what to install: CI installs the
``postgresql`` package, so tests must fail, not skip, without it.
Set ``SCC_PG_BINDIR`` to use binaries from another folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

BINDIR_ENV = "SCC_PG_BINDIR"
START_TIMEOUT_S = 60


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    """Folder holding ``initdb`` and ``pg_ctl``: $SCC_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin."""
    if os.environ.get(BINDIR_ENV):
        candidates = [os.environ[BINDIR_ENV]]
    else:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                            key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
                            reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """A running cluster; ``url(db)`` gives a SQLAlchemy URL, ``create_database()`` a fresh database."""

    def __init__(self, bindir: Path, base: Path, port: int, as_postgres: bool) -> None:
        self.bindir, self.base, self.port, self.as_postgres = bindir, base, port, as_postgres
        self.data = base / "data"

    def _run(self, *args: str, timeout: float = START_TIMEOUT_S) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.base)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed ({result.returncode}):\n"
                                      f"{result.stdout}\n{result.stderr}")
        return result

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        opts = (f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.data / "server.log"),
                  "-w", "-t", str(START_TIMEOUT_S), "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "stop", "-m", "immediate", timeout=30)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    bindir = find_bindir()
    if bindir is None:
        where = os.environ.get(BINDIR_ENV) or "/usr/lib/postgresql/*/bin"
        raise PostgresUnavailable(
            f"PostgreSQL server binaries (initdb, pg_ctl) were not found in {where}; install them "
            f"(Debian/Ubuntu: apt-get install postgresql) or set {BINDIR_ENV} to their folder. "
            "The hub's PostgreSQL tests need a real server and do not skip.")
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="scc-pg-"))
    if as_postgres:
        if shutil.which("runuser") is None:
            raise PostgresUnavailable("running as root needs 'runuser' to start PostgreSQL as user postgres")
        try:
            shutil.chown(base, "postgres", "postgres")
        except (LookupError, PermissionError) as exc:
            shutil.rmtree(base, ignore_errors=True)
            raise PostgresUnavailable(f"cannot hand {base} to user 'postgres' ({exc}); "
                                      "is the postgresql package installed?") from None
        os.chmod(base, 0o700)
    cluster = PostgresCluster(bindir, base, free_port(), as_postgres)
    try:
        cluster.start()
    except Exception:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return cluster
