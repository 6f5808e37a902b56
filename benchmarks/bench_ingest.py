"""Benchmark: bulk ingest of observations into the encrypted replica.

Three measurements over the same deterministic rows (40 organisations x 25
catalogue metrics every 15 minutes, in feed order), each in a fresh temp
folder and a fresh Python process (so peak RSS is per measurement and no
page cache or allocator state carries over):

``plain``
    BASELINE.  Raw APSW ``executemany`` into an unencrypted SQLite file with
    the observation table's DDL taken from the ORM metadata, the per-connection
    settings read back from a ``models.replica.store.connect_raw`` connection (WAL,
    ``synchronous=FULL``, cache size, ...) and the same INSERT statement as
    ``models.replica.ingest``, in one transaction.
``raw``
    The same code path into an encrypted file opened by
    ``models.replica.store.connect_raw`` with each cipher: ``raw / plain`` is the cost
    of encryption alone.
``ingest``
    The product path: ``Store.create`` (small scrypt cost, outside the timing)
    then ``models.replica.ingest.ingest_observations`` with a validator built from the
    metric catalogue; only the ingest call is timed.

The timed part of ``plain``/``raw`` is ``BEGIN .. executemany .. COMMIT`` and
of ``ingest`` the ``ingest_observations`` call (which does the same plus
validation); both include the WAL checkpoint SQLite runs as the transaction
commits.  Closing the connection (final checkpoint, WAL removal) is timed
separately.  Every run checks afterwards that exactly rows 1..N are stored.

Runs are interleaved (plain, then raw and ingest for each cipher, then the
next repeat) so drift on a busy machine hits every variant alike; the report
gives medians and, for ratios, the median of the per-repeat ratios to the
plain run of the same repeat.  Process CPU time is reported beside wall time.

``--cache-kib``, ``--page-size``, ``--wal-autocheckpoint`` and
``--journal-mode`` try settings the product does not use (see ``Tuning``);
the AEGIS variants (``--ciphers aegis-128l ...``) run on the raw path only.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py --rows 1000000 --repeats 3 \\
        --ciphers chacha20 aegis --out /tmp/ingest.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models` importable
    sys.path.insert(0, str(ROOT))

from models.replica import ingest as _product_ingest  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks.report import fmt as _fmt, load as _load, rss_peak_mib as _rss_peak_mib  # noqa: E402

CATALOGUE = ROOT / "resources" / "metrics" / "catalogue.toml"
DEFAULT_ROWS = 1_000_000
DEFAULT_REPEATS = 3
ORGS = 40
METRICS_PER_ORG = 25
SEED = 20250106
START = datetime(2025, 1, 6, tzinfo=timezone.utc)
STEP = timedelta(minutes=15)
PASSPHRASE = "benchmark passphrase, not a secret"
KINDS = ("plain", "raw", "ingest")
# Targets from the issue.
TARGET_INGEST_RATIO = 0.5      # product ingest >= 0.5x the raw plain rate
TARGET_ENCRYPTION_OVERHEAD = 0.15  # encrypted raw time <= 1.15x plain raw time

SOURCES = {"acute": "sitrep", "community": "community-sitrep", "mental_health": "mhsds",
           "nhs111": "iucadc", "ambulance": "ambsys", "critical_care": "critcon",
           "system": "scc"}


# -- rows ------------------------------------------------------------------
def load_catalogue(path: Path = CATALOGUE) -> list[dict]:
    """The metric catalogue entries (code, pillar, valid_min, valid_max)."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)["metrics"]


def catalogue_ranges(metrics: list[dict]) -> dict[str, tuple[float | None, float | None]]:
    """``{code: (valid_min, valid_max)}`` as ``ObservationValidator`` takes it."""
    return {m["code"]: (m.get("valid_min"), m.get("valid_max")) for m in metrics}


def _utc_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def generate_rows(n: int, seed: int = SEED) -> list[tuple]:
    """``n`` deterministic observation rows in the form ``ingest_observations`` takes.

    40 organisations, each reporting 25 catalogue metrics every 15 minutes,
    in feed order (time, then organisation, then metric); values stay inside
    the catalogue's valid range (small-range metrics such as OPEL levels are
    whole numbers); ``received_at`` lags ``observed_at`` by 1-9 minutes;
    ``feed_seq`` is 1..n.  The same ``n`` and ``seed`` give the same rows.
    """
    rng = random.Random(seed)
    metrics = load_catalogue()
    orgs = [f"R{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}" for i in range(ORGS)]  # RAA, RAB, ...
    series = []  # (org, code, source, lo, span, whole)
    for org in orgs:
        for m in rng.sample(metrics, METRICS_PER_ORG):
            lo = float(m.get("valid_min", 0) or 0)
            hi = m.get("valid_max", math.inf)
            hi = math.inf if hi is None else float(hi)
            whole = hi - lo <= 10
            # A typical operating band: the lower part of a wide valid range.
            span = hi - lo if whole else min(hi - lo, 100.0 if hi <= 150 else 2000.0)
            series.append((org, m["code"], SOURCES.get(m["pillar"], "hub"), lo, span, whole))
    rows: list[tuple] = []
    append = rows.append
    rand = rng.random
    seq = 0
    tick = 0
    while seq < n:
        observed = START + tick * STEP
        obs_text = _utc_text(observed)
        received = [_utc_text(observed + timedelta(minutes=lag, seconds=7 * lag))
                    for lag in range(1, 10)]
        for org, code, source, lo, span, whole in series:
            if seq >= n:
                break
            seq += 1
            value = float(lo + int(rand() * (span + 1))) if whole else round(lo + rand() * span, 1)
            append((org, code, obs_text, value, source, received[seq % 9], seq))
        tick += 1
    return rows


# -- schema ----------------------------------------------------------------
def observation_ddl() -> list[str]:
    """CREATE TABLE and CREATE INDEX for ``observation``, compiled for SQLite from the ORM."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from models.replica.orm import Observation

    dialect = sqlite.dialect()
    table = Observation.__table__
    ddl = [str(CreateTable(table).compile(dialect=dialect)).strip()]
    ddl += [str(CreateIndex(ix).compile(dialect=dialect)).strip()
            for ix in sorted(table.indexes, key=lambda ix: ix.name)]
    return ddl


# -- one measurement (runs in a child process) -----------------------------
# AEGIS variants sqlite3mc offers besides its default (aegis-256), set with
# ``PRAGMA algorithm`` after ``PRAGMA cipher='aegis'``.  The product cannot
# select them (``Store`` takes a cipher name only), so they run on the raw
# path alone.  The 128-bit variants read the 64-hex-digit raw key as a
# 16-byte key plus a 16-byte salt.
AEGIS_VARIANTS = ("aegis-128l", "aegis-128x2", "aegis-128x4", "aegis-256x2", "aegis-256x4")
# Ciphers the product no longer offers (unauthenticated, and they use only part
# of a raw key), kept measurable on the raw path for comparison.
RETIRED = ("aes256cbc", "aes128cbc")
RAW_ONLY = AEGIS_VARIANTS + RETIRED
# The product's own statement, so the baseline inserts exactly what ingest does.
INSERT_SQL = getattr(_product_ingest, "_INSERT", None) or (
    "INSERT INTO observation (org_code, metric_code, observed_at, value, source, received_at, "
    "feed_seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_seq) DO NOTHING")


@dataclass
class Tuning:
    """Optional pragmas; None = what the product does today.

    Every field applies to the raw paths (``plain`` and ``raw`` alike);
    ``cache_kib`` and ``wal_autocheckpoint`` also to the pooled connection the
    product ingest runs on (that shows what the same change in
    ``models/replica/ingest.py`` or ``models/replica/store.py`` would give).  ``page_size`` and
    ``journal_mode`` cannot reach the product path: its file exists already.
    """

    page_size: int | None = None
    cache_kib: int | None = None
    wal_autocheckpoint: int | None = None
    journal_mode: str | None = None  # for the bulk transaction, e.g. DELETE; WAL again after

    def label(self) -> str:
        parts = [f"page_size={self.page_size}" if self.page_size else "",
                 f"cache_size={self.cache_kib} KiB" if self.cache_kib else "",
                 f"wal_autocheckpoint={self.wal_autocheckpoint}"
                 if self.wal_autocheckpoint is not None else "",
                 f"journal_mode={self.journal_mode} for the bulk load" if self.journal_mode else ""]
        return ", ".join(p for p in parts if p) or "product defaults"


# Per-connection settings copied from a ``connect_raw`` connection to the
# plain baseline (and the AEGIS variants), so they follow any change there.
_MIRRORED = ("synchronous", "foreign_keys", "temp_store", "cache_size",
             "wal_autocheckpoint", "journal_size_limit", "busy_timeout")


def product_pragmas(folder: Path) -> dict:
    """The settings ``connect_raw`` gives a connection (read back from a throwaway file)."""
    from models.replica import store

    probe = folder / "probe.db"
    conn = store.connect_raw(probe, os.urandom(32), store.DEFAULT_CIPHER)
    try:
        values = {name: conn.execute(f"PRAGMA {name}").fetchall()[0][0] for name in _MIRRORED}
        values["journal_mode"] = conn.execute("PRAGMA journal_mode").fetchall()[0][0]
    finally:
        conn.close()
    for leftover in folder.glob("probe.db*"):
        leftover.unlink()
    return values


def _configure(conn, pragmas: dict) -> None:
    """Do to a plain (or differently keyed) connection what ``connect_raw`` does after keying."""
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    conn.execute(f"PRAGMA journal_mode = {pragmas['journal_mode']}")
    for name in _MIRRORED:
        conn.execute(f"PRAGMA {name} = {int(pragmas[name])}")


def _connect(path: Path, cipher: str | None, page_size: int | None = None):
    """The connection for the raw paths: plain, ``connect_raw``, or an AEGIS variant.

    ``PRAGMA journal_mode = WAL`` writes page 1 of a new file, which fixes its
    page size, so a different page size has to be set between keying and WAL:
    that (and the AEGIS variants) open the file here with ``connect_raw``'s
    steps instead of calling it.
    """
    import apsw

    from models.replica import store

    if cipher in store.CIPHERS and not page_size:
        return store.connect_raw(path, os.urandom(32), cipher)
    conn = apsw.Connection(str(path))
    if cipher is not None:
        if cipher not in store.CIPHERS + RAW_ONLY:
            raise ValueError(f"unknown cipher {cipher!r}")
        conn.execute(f"PRAGMA cipher = '{'aegis' if cipher in AEGIS_VARIANTS else cipher}'")
        if cipher in AEGIS_VARIANTS:
            conn.execute(f"PRAGMA algorithm = '{cipher}'")
        conn.execute(f"PRAGMA key = \"x'{os.urandom(32).hex()}'\"")
    if page_size:
        conn.execute(f"PRAGMA page_size = {int(page_size)}")
    _configure(conn, product_pragmas(path.parent))
    return conn


def _pragmas(conn, tuning: Tuning) -> None:
    if tuning.cache_kib:
        conn.execute(f"PRAGMA cache_size = -{int(tuning.cache_kib)}")
    if tuning.wal_autocheckpoint is not None:
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(tuning.wal_autocheckpoint)}")


_COUNTERS = ("CACHE_MISS", "CACHE_WRITE", "CACHE_SPILL")


def _cache_counters(conn, reset: bool = False) -> dict[str, int]:
    """Pages read into / written from this connection's cache (sqlite3_db_status)."""
    import apsw

    return {f"pages_{name[6:].lower()}": conn.status(getattr(apsw, f"SQLITE_DBSTATUS_{name}"), reset)[0]
            for name in _COUNTERS}


def measure_one(kind: str, cipher: str | None, n: int, folder: Path,
                tuning: Tuning = Tuning()) -> dict:
    """Run one measurement in ``folder``; return its figures (seconds, sizes, checks)."""
    from models.replica import ingest
    from models.replica import store

    rows = generate_rows(n)
    path = folder / "replica.db"
    rss_before = _rss_peak_mib()
    result: dict = {"kind": kind, "cipher": cipher or "none", "rows": n}
    if kind in ("plain", "raw"):
        conn = _connect(path, None if kind == "plain" else cipher, tuning.page_size)
        if tuning.journal_mode:
            conn.execute(f"PRAGMA journal_mode = {tuning.journal_mode}")
        _pragmas(conn, tuning)
        with conn:
            for statement in observation_ddl():
                conn.execute(statement)
        result["page_size"] = conn.execute("PRAGMA page_size").fetchall()[0][0]
        _cache_counters(conn, reset=True)
        result["load_before"] = _load()
        t0, c0 = time.perf_counter(), time.process_time()
        with conn:
            conn.executemany(INSERT_SQL, rows)
        result["seconds"] = time.perf_counter() - t0
        result["cpu_seconds"] = time.process_time() - c0
        result.update(_cache_counters(conn))
        if tuning.journal_mode:
            t0 = time.perf_counter()
            conn.execute("PRAGMA journal_mode = WAL")
            result["seconds"] += time.perf_counter() - t0  # back to the product's mode: part of the load
        count = conn.execute("SELECT count(*), min(feed_seq), max(feed_seq) FROM observation").fetchall()[0]
        wal_bytes = _size(Path(f"{path}-wal"))
        t0 = time.perf_counter()
        conn.close()
        result["close_seconds"] = time.perf_counter() - t0
        result["accepted"] = n
    elif kind == "ingest":
        from models.replica.keyfile import KdfParams

        if cipher not in store.CIPHERS:
            raise ValueError(f"the product path cannot use cipher {cipher!r}")
        s = store.Store.create(path, PASSPHRASE, cipher=cipher, kdf=KdfParams(n=2**10, r=8, p=1))
        validator = ingest.ObservationValidator(catalogue_ranges(load_catalogue()))
        with s.raw() as raw:
            result["page_size"] = raw.execute("PRAGMA page_size").fetchall()[0][0]
            _pragmas(raw, tuning)
            _cache_counters(raw, reset=True)
            pooled = raw
        result["load_before"] = _load()
        t0, c0 = time.perf_counter(), time.process_time()
        report = ingest.ingest_observations(s, rows, validator, source="benchmark")
        result["seconds"] = time.perf_counter() - t0
        result["cpu_seconds"] = time.process_time() - c0
        result["accepted"] = report.accepted
        result["quarantined"] = report.quarantined
        with s.raw() as raw:
            if raw is pooled:  # the pool handed back the connection the ingest used
                result.update(_cache_counters(raw))
            count = raw.execute("SELECT count(*), min(feed_seq), max(feed_seq) FROM observation").fetchall()[0]
        wal_bytes = _size(Path(f"{path}-wal"))
        t0 = time.perf_counter()
        s.close()
        result["close_seconds"] = time.perf_counter() - t0
    else:
        raise ValueError(f"unknown kind {kind!r}")
    result["stored_rows"] = count[0]
    result["rows_ok"] = tuple(count) == (n, 1, n) and result["accepted"] == n
    result["rate"] = n / result["seconds"]
    result["load_after"] = _load()
    result["wal_peak_mib"] = wal_bytes / 2**20
    result["db_mib"] = _size(path) / 2**20
    peak = _rss_peak_mib()
    result["peak_rss_mib"] = peak
    result["rss_growth_mib"] = None if peak is None or rss_before is None else peak - rss_before
    return result


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _run_child(kind: str, cipher: str | None, n: int, tuning: Tuning, tmpdir: str | None) -> dict:
    """One measurement in a fresh interpreter and a fresh temp folder."""
    with tempfile.TemporaryDirectory(prefix="scc-bench-", dir=tmpdir) as folder:
        return report.run_child(__file__, [kind, "--child-cipher", cipher or "", "--rows", str(n),
                                           "--child-folder", folder, "--child-tuning", json.dumps(asdict(tuning))],
                                what=f"{kind}/{cipher}")


# -- the whole benchmark ---------------------------------------------------
@dataclass
class Summary:
    kind: str
    cipher: str
    runs: list[dict] = field(default_factory=list)
    ratio_to_plain: list[float] = field(default_factory=list)  # rate / plain rate, per repeat
    cpu_ratio_to_plain: list[float] = field(default_factory=list)  # plain CPU s / CPU s, per repeat

    def median(self, key: str) -> float | None:
        values = [r[key] for r in self.runs if r.get(key) is not None]
        return statistics.median(values) if values else None

    @property
    def rows_ok(self) -> bool:
        return all(r["rows_ok"] for r in self.runs)


@dataclass
class BenchResult:
    rows: int
    repeats: int
    ciphers: list[str]
    tuning: Tuning
    summaries: list[Summary]
    wall_seconds: float

    def get(self, kind: str, cipher: str = "none") -> Summary:
        return next(s for s in self.summaries if s.kind == kind and s.cipher == cipher)

    @property
    def all_rows_ok(self) -> bool:
        return all(s.rows_ok for s in self.summaries)


def run(rows: int = DEFAULT_ROWS, repeats: int = DEFAULT_REPEATS, ciphers=None,
        tuning: Tuning = Tuning(), kinds=KINDS, tmpdir: str | None = None,
        progress=None) -> BenchResult:
    """Run every measurement ``repeats`` times, interleaved; return the summaries."""
    from models.replica import store

    ciphers = list(ciphers or store.CIPHERS)
    unknown = [c for c in ciphers if c not in store.CIPHERS + RAW_ONLY]
    if unknown:
        raise ValueError(f"unknown cipher(s) {unknown}; choose from {store.CIPHERS + RAW_ONLY}")
    plan = [("plain", None)] + [(k, c) for c in ciphers for k in ("raw", "ingest")
                                if k in kinds and (k == "raw" or c in store.CIPHERS)]
    summaries = {(k, c or "none"): Summary(k, c or "none") for k, c in plan}
    started = time.perf_counter()
    for rep in range(repeats):
        plain_rate = plain_cpu = None
        for kind, cipher in plan:
            result = _run_child(kind, cipher, rows, tuning, tmpdir)
            result["repeat"] = rep
            summary = summaries[(kind, cipher or "none")]
            summary.runs.append(result)
            if kind == "plain":
                plain_rate, plain_cpu = result["rate"], result["cpu_seconds"]
            summary.ratio_to_plain.append(result["rate"] / plain_rate)
            summary.cpu_ratio_to_plain.append(plain_cpu / result["cpu_seconds"])
            if progress:
                progress(f"[{rep + 1}/{repeats}] {kind:6} {cipher or 'none':10} "
                         f"{result['seconds']:7.2f} s {result['rate']:>10,.0f} rows/s "
                         f"cpu {result['cpu_seconds']:6.2f} s load {_fmt(result['load_before'], '.1f')} "
                         f"rows_ok={result['rows_ok']}")
    return BenchResult(rows, repeats, ciphers, tuning, list(summaries.values()),
                       time.perf_counter() - started)


# -- report ----------------------------------------------------------------



def markdown(result: BenchResult, heading_level: int = 2) -> str:
    """The benchmark's report: one table with medians and ratios, then the verdicts."""
    h = "#" * heading_level
    lines = [f"{h} Bulk ingest of {result.rows:,} observations ({result.tuning.label()})",
             "",
             f"Median of {result.repeats} interleaved run(s), each in a fresh process and temp "
             f"folder. Tuning: {result.tuning.label()}. "
             "Ratio = rate / plain rate of the same repeat (median over repeats); "
             "overhead = plain rate / rate - 1 (extra wall time). "
             "CPU overhead is the same from the process's CPU time, which other load on the "
             "machine disturbs less (it leaves out fsync waits). "
             f"Targets: ingest >= {TARGET_INGEST_RATIO:g}x plain, encryption overhead <= "
             f"{TARGET_ENCRYPTION_OVERHEAD:.0%}.",
             "",
             "| path | cipher | seconds | rows/s | ratio to plain | overhead | CPU s | CPU overhead | "
             "cache misses | pages written | close s | DB MiB | WAL peak MiB | peak RSS MiB | RSS growth MiB | "
             "load | rows ok |",
             "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|"]
    for s in result.summaries:
        ratio = statistics.median(s.ratio_to_plain)
        lines.append(
            f"| {s.kind} | {s.cipher} | {s.median('seconds'):.2f} | {s.median('rate'):,.0f} | "
            f"{ratio:.3f} | {1 / ratio - 1:+.1%} | {s.median('cpu_seconds'):.2f} | "
            f"{1 / statistics.median(s.cpu_ratio_to_plain) - 1:+.1%} | "
            f"{_fmt(s.median('pages_miss'), ',.0f')} | {_fmt(s.median('pages_write'), ',.0f')} | "
            f"{s.median('close_seconds'):.2f} | "
            f"{s.median('db_mib'):.1f} | {s.median('wal_peak_mib'):.1f} | "
            f"{_fmt(s.median('peak_rss_mib'), '.0f')} | {_fmt(s.median('rss_growth_mib'), '.0f')} | "
            f"{_fmt(s.median('load_before'), '.1f')} | {'yes' if s.rows_ok else 'NO'} |")
    lines += ["", "Against the targets (median ratios):", ""]
    for cipher in result.ciphers:
        parts = []
        raw = next((s for s in result.summaries if s.kind == "raw" and s.cipher == cipher), None)
        ing = next((s for s in result.summaries if s.kind == "ingest" and s.cipher == cipher), None)
        if raw:
            overhead = 1 / statistics.median(raw.ratio_to_plain) - 1
            ok = "meets" if overhead <= TARGET_ENCRYPTION_OVERHEAD else "misses"
            cpu = 1 / statistics.median(raw.cpu_ratio_to_plain) - 1
            parts.append(f"encryption overhead {overhead:+.1%} wall, {cpu:+.1%} CPU ({ok} <= "
                         f"{TARGET_ENCRYPTION_OVERHEAD:.0%})")
        if ing:
            ratio = statistics.median(ing.ratio_to_plain)
            ok = "meets" if ratio >= TARGET_INGEST_RATIO else "misses"
            parts.append(f"product ingest {ratio:.2f}x plain ({ok} >= {TARGET_INGEST_RATIO:g}x)")
        lines.append(f"- **{cipher}**: " + "; ".join(parts))
    lines += ["", "Cache misses and pages written count the pages the ingest's connection read "
              "into and wrote out of its page cache during the timed part (sqlite3_db_status): "
              "each is one decryption or encryption on an encrypted file. "
              "The load column is the machine's 1-minute load average when each run "
              "started (median); above the core count, other work competed for the CPU.",
              "", f"All row counts checked after every run: "
              f"{'all rows stored' if result.all_rows_ok else 'MISMATCH, see the rows ok column'}. "
              f"Benchmark wall time {result.wall_seconds / 60:.1f} min.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    from models.replica import store

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per run (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=DEFAULT_REPEATS, help="runs of each variant (default 3)")
    parser.add_argument("--ciphers", nargs="+", choices=store.CIPHERS + RAW_ONLY,
                        default=list(store.CIPHERS), metavar="CIPHER",
                        help=f"ciphers to measure (default all the product offers: {' '.join(store.CIPHERS)}); "
                        f"the AEGIS variants {' '.join(AEGIS_VARIANTS)} and retired {' '.join(RETIRED)} "
                        "run on the raw path only")
    parser.add_argument("--kinds", nargs="+", choices=("raw", "ingest"), default=["raw", "ingest"],
                        help="encrypted paths to measure besides the plain baseline (default both)")
    parser.add_argument("--out", type=Path, help="write the markdown report here")
    parser.add_argument("--json", type=Path, help="write every run's figures here as JSON")
    parser.add_argument("--tmpdir", help="folder for the temp databases (default: the system temp)")
    parser.add_argument("--page-size", type=int, help="raw paths: PRAGMA page_size for the new file")
    parser.add_argument("--cache-kib", type=int, help="PRAGMA cache_size in KiB (raw paths and the ingest's connection)")
    parser.add_argument("--wal-autocheckpoint", type=int, help="PRAGMA wal_autocheckpoint (pages)")
    parser.add_argument("--journal-mode", choices=("DELETE", "TRUNCATE", "MEMORY", "OFF"),
                        help="raw paths: journal mode for the bulk transaction (WAL again afterwards)")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--child-cipher", help=argparse.SUPPRESS)
    parser.add_argument("--child-folder", help=argparse.SUPPRESS)
    parser.add_argument("--child-tuning", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rows <= 0 or args.repeats <= 0:
        parser.error("--rows and --repeats must be positive")

    if args.child:
        tuning = Tuning(**json.loads(args.child_tuning or "{}"))
        result = measure_one(args.child, args.child_cipher or None, args.rows,
                             Path(args.child_folder), tuning)
        print(json.dumps(result))
        return 0

    tuning = Tuning(args.page_size, args.cache_kib, args.wal_autocheckpoint, args.journal_mode)
    result = run(args.rows, args.repeats, args.ciphers, tuning, kinds=("plain", *args.kinds),
                 tmpdir=args.tmpdir, progress=lambda line: print(line, file=sys.stderr, flush=True))
    text = markdown(result)
    print(text)
    report.write_outputs(text, out=args.out, json_path=args.json,
                         json_value=[asdict(s) for s in result.summaries])
    return 0 if result.all_rows_ok else 1


if __name__ == "__main__":
    sys.exit(main())
