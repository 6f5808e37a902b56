"""Benchmark: a new desktop joins a hub from its snapshot, then the feed's tail (sync/snapshot_join.py).

Target (issue 22, item 5): a new desktop joins a hub holding a year of data for 40 providers in
<= 60 s.  Timed end to end on a real hub (``scc-desktop hub serve --snapshots``, SQLite, loopback)
and a real encrypted replica, in phases:

``info``      ``GET /v1/snapshot``
``download``  the file streamed to disk, hashed (sha256) as it arrives
``encrypt``   ``VACUUM INTO`` the replica's own key (models.replica.store.copy_encrypted)
``migrate``   the copy brought to this version's schema if the snapshot is older (the year fixture
              at 0014 builds 0015's covering indexes: about 30 s)
``finish``    the replica's own facts in, checkpoint, atomic rename
``open``      ``Store`` opened (the migrations check)
``tail``      ``SyncEngine.run_once``: every position after the snapshot (``--tail-hours`` of the
              40 providers' observations: a snapshot published daily leaves at most a day)

``--quick`` (CI, a few seconds): a hub filled with ``--rows`` observations directly, its snapshot
made by the hub's own code (``sync.hub.snapshot.update`` + ``publish``), the join timed against a
replay of the same feed from position 0.  The default, the year: the published snapshot is a
copy of the year desktop replica (benchmarks/desktop_fixture.py, 13.8M positions, 4 GB; the
original is only read), made as ``hub snapshot make`` publishes (timed apart: the hub's nightly
job); the hub's feed then holds the tail after the replica's position.  Every copy is deleted
at the end.  The machine's load (``os.getloadavg``) is printed beside each figure.

Usage::

    .venv/bin/python benchmarks/bench_join.py --quick
    .venv/bin/python benchmarks/bench_join.py                # the year (needs ~13 GB free in --work)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench_ingest, bench_sync  # noqa: E402

TARGET_S = 60.0
QUICK_ROWS = 20_000
QUICK_TAIL = 2_000
POSITIONS_PER_HOUR = 13_805_760 / (365 * 24)   # the year fixture's feed rate


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _shift_tail(db_path: Path, after: int, hub_id: str | None) -> int:
    """Move the observations ``seed_hub`` wrote to just after position ``after``; returns the head."""
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        orgs = con.execute("SELECT max(seq) FROM feed WHERE kind = 'organisation'").fetchone()[0]
        head = con.execute("SELECT value FROM feed_counter").fetchone()[0]
        shift = after - orgs
        con.execute("BEGIN IMMEDIATE")
        if shift > 0:
            for table in ("feed_observation", "feed"):
                # Highest first: seq is the primary key.
                con.execute(f"UPDATE {table} SET seq = -(seq + ?) WHERE seq > ?", (shift, orgs))
                con.execute(f"UPDATE {table} SET seq = -seq WHERE seq < 0")
            head += shift
            con.execute("UPDATE feed_counter SET value = ?", (head,))
        if hub_id:
            con.execute("UPDATE hub_meta SET value = ? WHERE key = 'hub_id'", (hub_id,))
        con.execute("COMMIT")
        return head
    finally:
        con.close()


def _hub_id(db_path: Path) -> str:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT value FROM hub_meta WHERE key = 'hub_id'").fetchone()[0]
    finally:
        con.close()


def _tail_rows(n: int, codes: list[str] | None) -> list[tuple]:
    rows = bench_ingest.generate_rows(n)
    if codes:
        ours = {o: codes[i % len(codes)] for i, o in enumerate(sorted({r[0] for r in rows}))}
        rows = [(ours[r[0]], *r[1:]) for r in rows]
    return rows


def _new_replica(folder: Path):
    from models.replica.keyfile import KdfParams
    from models.replica.store import Store

    return Store.create(folder / "scc.db", bench_sync.PASSPHRASE, kdf=KdfParams(n=2**10, r=8, p=1))


def join_once(url: str, token: str, folder: Path, head: int) -> dict:
    """A new replica joins and syncs the tail; phases in seconds, the load beside each."""
    from models.replica.store import Store
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from sync import snapshot_join

    store = _new_replica(folder)
    path, key, cipher = store.path, store.key, store.cipher
    store.close()
    client = HubClient(url, token, read_timeout=120)
    out: dict = {"load_before": _load()}
    t0 = time.perf_counter()
    outcome = snapshot_join.join(path, key, cipher, client)
    if not outcome.joined:
        raise RuntimeError(f"no join: {outcome.line}")
    out.update({k: round(v, 3) for k, v in outcome.phases.items()})
    out["load_after_join"] = _load()
    t = time.perf_counter()
    store = Store(path, key, cipher)
    out["open"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    engine = SyncEngine(store, client)
    result = engine.run_once()
    if result.error:
        raise RuntimeError(f"the tail failed: {result.error}")
    out["tail"] = round(time.perf_counter() - t, 3)
    out["total"] = round(time.perf_counter() - t0, 3)
    out["load_after"] = _load()
    out["tail_positions"] = head - outcome.position
    out["tail_applied"] = result.applied
    out["snapshot_bytes"] = outcome.size
    out["position"] = engine.position()
    out["ok"] = engine.position() == head and result.applied == head - outcome.position
    with store.reading() as conn:
        out["observations"] = conn.execute("SELECT count(*) FROM observation").fetchall()[0][0]
    store.close()
    return out


def window_join_once(url: str, token: str, folder: Path, head: int, timeout_s: float = 900) -> dict:
    """The same join through the app's window (``--window``): a real ``MainWindow`` offscreen whose
    sync (``ui.hub_join.Syncing``) joins the new replica, swaps it in under the open store and
    applies the tail; seconds from the start to each stage and to caught up."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from models.replica.orm.types import utcnow
    from models.service.sync_status import sync_status
    from scc_desktop.gui import engine_factory
    from sync.client import HubClient
    from sync.engine import SyncEngine
    from ui import tasks
    from ui.hub_join import Syncing
    from ui.main_window import MainWindow

    store = _new_replica(folder)
    window = MainWindow(store, clock=utcnow)
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    out: dict = {"load_before": _load()}
    stamps: dict[str, float] = {}
    syncing = Syncing(window, engine_factory(lambda: SyncEngine(store, HubClient(url, token, read_timeout=120))),
                      poll_interval=0.5, long_poll=1.0)
    t0 = time.perf_counter()
    syncing.on_state = lambda state: stamps.setdefault(state, round(time.perf_counter() - t0, 3))
    syncing.start()
    deadline = time.monotonic() + timeout_s
    while not (syncing.state == "syncing" and syncing.joined_in is not None):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the window did not join in {timeout_s:g} s (state {syncing.state})")
        app.processEvents()
        time.sleep(0.005)
    out["total"] = round(time.perf_counter() - t0, 3)
    out["stages"] = stamps   # seconds from the start each stage began
    out["load_after"] = _load()
    out["position"] = sync_status(store).position
    out["ok"] = out["position"] == head and syncing.joined_position is not None
    window.stop_background()
    tasks.manager().wait_idle()
    window.close()
    with store.reading() as conn:
        out["observations"] = conn.execute("SELECT count(*) FROM observation").fetchall()[0][0]
    store.close()
    return out


def replay_once(url: str, token: str, folder: Path, head: int) -> dict:
    from sync.client import HubClient
    from sync.engine import SyncEngine

    store = _new_replica(folder)
    engine = SyncEngine(store, HubClient(url, token, read_timeout=120))
    t0, cycles = time.perf_counter(), 0
    while engine.position() < head and cycles < 100:
        result = engine.run_once()
        if result.error:
            raise RuntimeError(f"replay failed: {result.error}")
        cycles += 1
    out = {"total": round(time.perf_counter() - t0, 3), "position": engine.position(), "load_after": _load()}
    with store.reading() as conn:
        out["observations"] = conn.execute("SELECT count(*) FROM observation").fetchall()[0][0]
    store.close()
    return out


def _serve(folder: Path, db_url: str, tokens: dict, snapshots: Path):
    from tests.support.hub import HubProcess

    return HubProcess(db_url, folder, tokens, args=("--snapshots", str(snapshots))).start()


def quick(work: Path, rows: int, tail: int, window: bool = False) -> dict:
    from sync.hub import snapshot
    from sync.hub.core import Hub, HubConfig

    hub_folder = work / "hub"
    hub_folder.mkdir()
    db_url, tokens, _ = bench_sync.seed_hub(hub_folder, bench_ingest.generate_rows(rows))
    snapshots = work / "snapshots"
    hub = Hub(HubConfig(db_url=db_url, alerts=False))
    t = time.perf_counter()
    try:
        snapshot.update(hub, snapshots)
        info = snapshot.publish(snapshots, hub.db.hub_id)
    finally:
        hub.close()
    made = time.perf_counter() - t
    # The tail: more observations after the snapshot, straight into the hub's feed.
    db_path = hub_folder / "hub.db"
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    extra = bench_ingest.generate_rows(rows + tail)[rows:]
    con.executemany("INSERT INTO feed (seq, kind, org_code, data, created_at) VALUES (?, 'observation', ?, ?, "
                    "'2026-01-01T00:00:00.000000+00:00')",
                    [(info.position + i + 1, r[0], json.dumps({
                        "metric": r[1], "observed_at": r[2], "value": r[3], "org_code": r[0], "received_at": r[5],
                        "source": r[4], "submission_id": "bench-tail"})) for i, r in enumerate(extra)])
    head = info.position + len(extra)
    con.execute("UPDATE feed_counter SET value = ?", (head,))
    con.execute("COMMIT")
    con.close()
    process = _serve(hub_folder, db_url, tokens, snapshots)
    try:
        (work / "join").mkdir()
        (work / "replay").mkdir()
        joined = join_once(process.url, tokens["viewer"], work / "join", head)
        replayed = replay_once(process.url, tokens["viewer"], work / "replay", head)
        if window:
            (work / "window").mkdir()
            through = window_join_once(process.url, tokens["viewer"], work / "window", head)
    finally:
        process.stop()
    joined["ok"] = joined["ok"] and joined["observations"] == replayed["observations"] == rows + tail
    result = {"mode": "quick", "rows": rows, "tail": tail, "snapshot_make_s": round(made, 3),
              "join": joined, "replay": replayed}
    if window:
        through["ok"] = through["ok"] and through["observations"] == rows + tail
        joined["ok"] = joined["ok"] and through["ok"]
        result["window"] = through
    return result


def year(work: Path, tail_hours: float, folder: Path | None = None, window: bool = False) -> dict:
    from benchmarks import desktop_fixture
    from sync.hub import snapshot

    folder = folder or desktop_fixture.CACHE / f"desktop-{desktop_fixture.FULL.label}"
    facts = json.loads((folder / "fixture.json").read_text())
    if not (folder / "replica.db").exists():
        raise SystemExit(f"the year replica is not at {folder}: build it with benchmarks/desktop_fixture.py")
    codes = [p["code"] for p in facts["providers"]]
    hub_folder = work / "hub"
    hub_folder.mkdir()
    tail = int(tail_hours * POSITIONS_PER_HOUR)
    db_url, tokens, _ = bench_sync.seed_hub(hub_folder, _tail_rows(tail, codes))
    hub_id = _hub_id(hub_folder / "hub.db")
    snapshots = work / "snapshots"
    snapshots.mkdir()
    load = _load()
    t = time.perf_counter()
    info = snapshot.publish(snapshots, hub_id, source=folder / "replica.db",
                            source_key=desktop_fixture.key_of(folder))
    made = time.perf_counter() - t
    t = time.perf_counter()
    info = _at_head(snapshots, info)
    migrated = time.perf_counter() - t
    head = _shift_tail(hub_folder / "hub.db", info.position, None)
    process = _serve(hub_folder, db_url, tokens, snapshots)
    try:
        (work / "join").mkdir()
        joined = join_once(process.url, tokens["viewer"], work / "join", head)
        if window:
            shutil.rmtree(work / "join", ignore_errors=True)   # its 4 GB: room for the window's copy
            (work / "window").mkdir()
            through = window_join_once(process.url, tokens["viewer"], work / "window", head)
    finally:
        process.stop()
    joined["ok"] = joined["ok"] and joined["observations"] == facts["counts"]["observation"] + tail
    result = {"mode": "year", "positions": info.position, "tail": tail, "tail_hours": tail_hours,
              "snapshot_publish_s": round(made, 1), "snapshot_migrate_s": round(migrated, 1),
              "publish_load": load, "join": joined}
    if window:
        through["ok"] = through["ok"] and through["observations"] == facts["counts"]["observation"] + tail
        joined["ok"] = joined["ok"] and through["ok"]
        result["window"] = through
    return result


def _at_head(snapshots: Path, info):
    """The published snapshot brought to this version's replica schema, as ``hub snapshot make``
    publishes one (its working replica is migrated when opened): the year fixture may be older (0014
    when 0015 landed), and a join would otherwise time that migration (about 30 s of index building).
    The hub's nightly job, not the join: timed apart."""
    from models.replica import migrate
    from models.replica.store import Store, connect_raw
    from sync.hub.snapshot_files import file_sha256, write_json

    if info.schema_revision == migrate.head_revision():
        return info
    path, key = snapshots / f"snapshot-{info.position}.db", bytes.fromhex(info.key)
    Store(path, key, info.cipher).close()   # its opening runs the migrations
    conn = connect_raw(path, key, info.cipher)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")   # one file, as published
        revision = migrate.raw_revision(conn)
    finally:
        conn.close()
    info = info.model_copy(update={"schema_revision": revision, "size": path.stat().st_size,
                                   "sha256": file_sha256(path)})
    write_json(path.with_suffix(".json"), info.model_dump(mode="json"))
    return info


def markdown(result: dict) -> str:
    j = result["join"]
    phases = ", ".join(f"{k} {j[k]:.2f} s" for k in ("info", "download", "encrypt", "migrate", "finish", "open", "tail") if k in j)
    verdict = (f" (target {TARGET_S:.0f} s: {'met' if j['total'] <= TARGET_S else 'NOT met'})"
               if result["mode"] == "year" else "")
    lines = [f"join ({result['mode']}): {j['total']:.1f} s end to end{verdict}; {phases}; snapshot {j['snapshot_bytes'] / 2**20:,.0f} MiB; "
             f"tail {j['tail_positions']:,} positions; load {j['load_before']} -> {j['load_after']}; checks "
             f"{'ok' if j['ok'] else 'FAILED'}"]
    if "replay" in result:
        r = result["replay"]
        lines.append(f"replay from 0 of the same feed: {r['total']:.2f} s (join {r['total'] / j['total']:.1f}x faster)")
    if "window" in result:
        w = result["window"]
        lines.append(f"through the window: {w['total']:.2f} s to caught up (stages {w['stages']}); "
                     f"checks {'ok' if w['ok'] else 'FAILED'}")
    made = result.get("snapshot_publish_s", result.get("snapshot_make_s"))
    lines.append(f"hub: snapshot made/published in {made} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small hub, a few seconds (CI)")
    parser.add_argument("--rows", type=int, default=QUICK_ROWS, help="--quick: observations in the snapshot")
    parser.add_argument("--tail", type=int, default=QUICK_TAIL, help="--quick: observations after it")
    parser.add_argument("--tail-hours", type=float, default=24.0, help="the year: hours of feed after the snapshot")
    parser.add_argument("--fixture", type=Path, default=None,
                        help="the year replica's folder (default benchmarks/.cache/desktop-365d-40p); only read")
    parser.add_argument("--work", type=Path, default=None, help="folder for the copies (deleted after)")
    parser.add_argument("--json", type=Path, default=None, help="write the result as JSON here too")
    parser.add_argument("--window", action="store_true",
                        help="also join through the app's window offscreen (ui/hub_join.py), after the others")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scc-bench-join-", dir=args.work))
    try:
        result = (quick(work, args.rows, args.tail, args.window) if args.quick
                  else year(work, args.tail_hours, args.fixture, args.window))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2))
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["join"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
