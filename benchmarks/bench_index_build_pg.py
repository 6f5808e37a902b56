"""Writes to the feed while a hub's start builds ``ix_feed_kind_seq`` on PostgreSQL: a plain ``CREATE INDEX`` in a
transaction (the start before session 31) against the start's own ``CONCURRENTLY`` build
(``sync.hub.db.HubDB.init_schema``), alternated ``--rounds`` times on one database.

A throwaway PostgreSQL cluster (tests/support/postgres.py: initdb, loopback, removed after), a hub schema with
``--positions`` feed rows (eight kinds, 180 bytes of data each, loaded by ``INSERT ... SELECT``); the index dropped
before each build. Meanwhile another connection writes a feed row every 0.2 s, as a process of the old version
left running would. Printed for each build: its time, how many writes went through meanwhile, their median and
longest wait.

    python benchmarks/bench_index_build_pg.py [--positions 2000000] [--rounds 2]

docs/deployment.md ("PostgreSQL builds the index CONCURRENTLY") has the numbers at 2 million.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KINDS = "ARRAY['observation','alert','decision','organisation','opel','ack','note','level']"


def main() -> None:
    import psycopg

    from sync.hub.db import HubDB
    from tests.support.postgres import start_cluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=2_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    cluster = start_cluster()
    try:
        url = cluster.create_database()
        dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname={url.rsplit('/', 1)[1]}"
        db = HubDB(url)
        db.init_schema()
        db.dispose()
        with psycopg.connect(dsn, autocommit=True) as conn:
            began = time.monotonic()
            conn.execute(f"INSERT INTO feed (seq, kind, org_code, data, created_at) SELECT g, ({KINDS})[1 + g %% 8], "
                         "'RTEST1', repeat('x', 180), '2026-01-01T00:00:00.000000Z' "
                         "FROM generate_series(10, %s) g", (args.positions,))
            conn.execute("VACUUM ANALYZE feed")
            print(f"{args.positions:,} feed positions loaded in {time.monotonic() - began:.1f} s", flush=True)
        seq = [args.positions + 1000]

        def build(how: str) -> None:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("DROP INDEX IF EXISTS ix_feed_kind_seq")
            done, took = threading.Event(), []

            def run() -> None:
                began = time.monotonic()
                if how == "plain":
                    with psycopg.connect(dsn) as conn:
                        conn.execute("CREATE INDEX ix_feed_kind_seq ON feed (kind, seq)")
                        conn.commit()
                else:
                    start = HubDB(url)
                    start.init_schema()
                    start.dispose()
                took.append(time.monotonic() - began)
                done.set()

            thread = threading.Thread(target=run)
            thread.start()
            waits = []
            with psycopg.connect(dsn, autocommit=True) as writer:
                time.sleep(0.3)   # the build under way
                while not done.is_set():
                    seq[0] += 1
                    began = time.monotonic()
                    writer.execute("INSERT INTO feed (seq, kind, data, created_at) VALUES (%s, 'note', '{}', 'x')",
                                   (seq[0],))
                    waits.append(time.monotonic() - began)
                    time.sleep(0.2)
            thread.join()
            print(f"{how:>12}: built in {took[0]:.1f} s; {len(waits)} writes meanwhile, median "
                  f"{statistics.median(waits) * 1000:.0f} ms, longest {max(waits) * 1000:.0f} ms", flush=True)

        for _ in range(args.rounds):
            build("plain")
            build("concurrently")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
