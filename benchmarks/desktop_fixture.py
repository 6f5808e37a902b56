"""The desktop benchmark's replica: a year of 15-minute data for an ICS, built once and cached.

``Scale(days, providers)`` describes it.  The providers are a mix of the
kinds the simulator knows (``sync/simulator``): one of each kind first
(acute, ambulance, community, mental health, NHS 111), the rest shared
acute 60%, community 20%, mental health 14%, NHS 111 6% (40 providers:
22 acute, 1 ambulance, 8 community, 6 mental health, 3 NHS 111).

Every 15 minutes each provider submits one value of each metric it reports:
an OPEL provider its pillar table's parameters (``resources/opel``), the
ambulance service the catalogue's ambulance metrics.  Values follow a daily
and a seasonal wave with per-provider phases and seeded noise, inside the
span of the table's bands, so levels move through OPEL 1-4.  For each OPEL
submission the feed then carries what the hub's scoring produces for it
(``sync/hub/opel.py``): the provider's assessment with one parameter score
per table parameter (``models.rules.opel.score``), the pillar roll-up and the
system roll-up (``models.rules.opel_rollup``), in feed order, each with its own
feed position.  Some assessments carry a declared level that differs from the
calculated one, with a reason.

Observations go in through the store's bulk ingest
(``models.replica.ingest.ingest_observations``, validated against the catalogue);
assessments and their parameter scores with APSW ``executemany`` in the
same feed order, in chunks of days, one transaction each.  The replica is a
normal encrypted replica (``Store.create``, default cipher and key
derivation), so opening it costs what opening a user's replica costs.

:func:`feed_batch` builds the next 15 minutes of the same feed as a
``sync.protocol.FeedBatch`` (columnar observations plus assessment items), for
``sync.apply.apply_batch``.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
PASSPHRASE = "benchmark passphrase, not a secret"
SEED = 20261125
STEP = timedelta(minutes=15)
STEP_S = 900
# Fixed, so the same scale gives the same replica whenever it is built.
END = datetime(2026, 11, 1, tzinfo=timezone.utc)
GENERATOR_VERSION = 2
KIND_ORDER = ("acute", "ambulance", "community", "mental_health", "nhs111")
REST_SHARES = (("acute", 0.60), ("community", 0.20), ("mental_health", 0.14), ("nhs111", 0.06))
DECLARED_RATE = 0.02  # share of provider assessments with a declared level unlike the calculated one
CHUNK_DAYS = 7
# Where values sit on average between the best and the worst band edges (0 best, 1 worst).
CENTRE = 0.3


@dataclass(frozen=True)
class Scale:
    days: int
    providers: int

    @property
    def label(self) -> str:
        return f"{self.days}d-{self.providers}p"

    @property
    def points(self) -> int:
        return self.days * 96


FULL = Scale(365, 40)
SMOKE = Scale(7, 5)


@dataclass(frozen=True)
class Provider:
    code: str
    kind: str
    name: str
    size: float
    metrics: tuple[str, ...]


def provider_mix(n: int) -> list[str]:
    """Kinds of ``n`` providers: one of each kind first, then the shares above."""
    if n < len(KIND_ORDER):
        return list(KIND_ORDER[:n])
    rest = n - len(KIND_ORDER)
    counts = {k: int(rest * s) for k, s in REST_SHARES}
    by_remainder = sorted(REST_SHARES, key=lambda ks: -(rest * ks[1] - int(rest * ks[1])))
    for k, _ in by_remainder[:rest - sum(counts.values())]:  # largest remainders
        counts[k] += 1
    kinds = list(KIND_ORDER)
    for k, _ in REST_SHARES:
        kinds += [k] * counts[k]
    return kinds


def providers(scale: Scale, tables: dict, catalogue) -> list[Provider]:
    prefix = {"acute": "BA", "ambulance": "BM", "community": "BC", "mental_health": "BH", "nhs111": "BN"}
    title = {"acute": "Acute Trust", "ambulance": "Ambulance Service", "community": "Community Services",
             "mental_health": "Mental Health Trust", "nhs111": "NHS 111 Service"}
    ambulance = tuple(m.code for m in catalogue.by_pillar("ambulance"))
    rng = random.Random(SEED)
    out, seen = [], {}
    for kind in provider_mix(scale.providers):
        seen[kind] = seen.get(kind, 0) + 1
        metrics = ambulance if kind == "ambulance" else tables[kind].keys
        size = float(rng.randrange(300, 1400)) if kind == "acute" else float(rng.randrange(40, 300))
        out.append(Provider(f"{prefix[kind]}{seen[kind]:03d}", kind,
                            f"Benchmark {title[kind]} {seen[kind]:02d}", size, tuple(metrics)))
    return out


# -- values ----------------------------------------------------------------------------
def _span(param, lo_valid: float, hi_valid: float) -> tuple[float, float]:
    """Values from a little below the first band edge to a little above the last."""
    edges = sorted({x for b in param.bands for x in (b.range.lo, b.range.hi) if math.isfinite(x)})
    if not edges:
        return lo_valid, hi_valid
    width = (edges[-1] - edges[0]) or max(abs(edges[0]), 1.0)
    lo, hi = edges[0] - 0.3 * width, edges[-1] + 0.3 * width
    return max(lo, lo_valid, param.valid_range.lo), min(hi, hi_valid, param.valid_range.hi)


class Values:
    """value(provider, metric, t): deterministic, smooth, inside the catalogue's valid range."""

    def __init__(self, provs: list[Provider], tables: dict, catalogue) -> None:
        self.spec: dict[tuple[str, str], tuple] = {}
        for p in provs:
            rng = random.Random(f"{SEED}:{p.code}")
            for m in p.metrics:
                d = catalogue[m]
                lo_v = -1e9 if d.valid_min is None else d.valid_min
                hi_v = 1e9 if d.valid_max is None else d.valid_max
                if p.kind in tables:
                    param = tables[p.kind].parameter(m)
                    lo, hi = _span(param, lo_v, hi_v)
                    higher_worse = param.worse == "higher"
                else:
                    lo, hi = max(lo_v, 0.0), min(hi_v, 3600.0 if d.unit == "seconds" else 100.0)
                    higher_worse = True
                integer = d.unit == "count" or m in ("reap_level", "csp_level")
                self.spec[(p.code, m)] = (lo, hi, rng.random(), rng.random(), 0.6 + 0.8 * rng.random(),
                                          higher_worse, integer, d.unit == "seconds")

    def __call__(self, code: str, metric: str, t: int) -> float:
        lo, hi, ph1, ph2, amp, higher_worse, integer, seconds = self.spec[(code, metric)]
        day = t / 86400.0
        x = (CENTRE + 0.22 * amp * math.sin(2 * math.pi * (day + ph1))
             + 0.25 * math.sin(2 * math.pi * (day / 365.0 + ph2))
             + 0.08 * math.sin(2 * math.pi * (day * 5.3 + ph2 * 7.0)))
        x = min(max(x, 0.0), 1.0)
        if not higher_worse:
            x = 1.0 - x
        v = lo + (hi - lo) * x
        if integer:
            return float(round(v))
        return round(v, 0 if seconds else 1)


# -- the feed ----------------------------------------------------------------------------
def utc_text(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Feed:
    """The hub's feed for these providers, tick by tick (a tick is 15 minutes)."""

    def __init__(self, scale: Scale) -> None:
        from models.rules.catalogue import load_catalogue
        from models.rules.opel_rollup import load_system
        from models.rules.opel_table import load_shipped

        self.catalogue = load_catalogue()
        self.system = load_system()
        self.tables = {k: load_shipped(k) for k in ("acute", "community", "mental_health", "nhs111")}
        self.providers = providers(scale, self.tables, self.catalogue)
        self.values = Values(self.providers, self.tables, self.catalogue)
        self.latest: dict[str, object] = {}  # provider code -> its newest OpelResult
        self.pillars: dict[str, object] = {}  # pillar -> newest RollupResult

    def tick(self, t: int, seq: int):
        """One tick's items from feed position ``seq + 1``: (observations, assessments, last seq).

        observations: ``(org, metric, observed_at, value, source, received_at, seq)``;
        assessments: ``(seq, scope, org, pillar, assessed_at, edition, verified, total, level,
        at_least, complete, declared, reason, received_at, [(key, value, band, points, weight, problem)])``.
        """
        from models.rules.opel import RollupInput, pillar_score, score, system_score

        observations, assessments = [], []
        observed = utc_text(t)
        for i, p in enumerate(self.providers):
            received = utc_text(t + 30 + (i * 7) % 60)
            values = {}
            for m in p.metrics:
                seq += 1
                v = self.values(p.code, m, t)
                values[m] = v
                observations.append((p.code, m, observed, v, "provider", received, seq))
            table = self.tables.get(p.kind)
            if table is None:
                continue
            result = score(table, values)
            self.latest[p.code] = result
            declared = reason = None
            rng = random.Random(f"{p.code}:{t}")
            if rng.random() < DECLARED_RATE and result.level:
                declared = min(4, result.level + 1) if result.level < 4 else 3
                reason = "Declared after the system call: staffing gaps not in the figures"
            params = [(r.key, r.value, r.band, r.points, r.weight, None) for r in result.parameters]
            seq += 1
            assessments.append((seq, "provider", p.code, p.kind, observed, table.edition, table.verified,
                                result.total, result.level, result.at_least_level, result.complete,
                                declared, reason, received, params))
            inputs = [RollupInput.from_result(q.code, self.latest[q.code], q.size)
                      for q in self.providers if q.kind == p.kind and q.code in self.latest]
            pillar = pillar_score(self.system, p.kind, inputs)
            self.pillars[p.kind] = pillar
            seq += 1
            assessments.append((seq, "pillar", None, p.kind, observed, self.system.header.edition,
                                self.system.header.verified, pillar.score, pillar.level, pillar.at_least_level,
                                pillar.complete, None, None, received, []))
            system = system_score(self.system, dict(self.pillars))
            seq += 1
            assessments.append((seq, "system", None, "system", observed, self.system.header.edition,
                                self.system.header.verified, system.score, system.level, system.at_least_level,
                                system.complete, None, None, received, []))
        return observations, assessments, seq


def _insert_assessments(raw, assessments, next_id: int) -> int:
    rows, params = [], []
    for a in assessments:
        (seq, scope, org, pillar, at, edition, verified, total, level, at_least, complete,
         declared, reason, received, ps) = a
        rows.append((next_id, scope, org, pillar, at, edition, int(verified), total, level, at_least,
                     int(complete), declared, reason, received, seq))
        params += [(next_id, *p) for p in ps]
        next_id += 1
    raw.executemany(
        "INSERT INTO opel_assessment (id, scope, org_code, pillar, assessed_at, table_edition, "
        "table_verified, total_score, calculated_level, at_least_level, complete, declared_level, "
        "override_reason, received_at, feed_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    raw.executemany(
        "INSERT INTO opel_parameter_score (assessment_id, parameter_key, value, band, points, weight, "
        "problem) VALUES (?, ?, ?, ?, ?, ?, ?)", params)
    return next_id


def _organisation_rows(feed: Feed) -> list[tuple]:
    return [(p.code, p.name, p.kind, "Benchmark ICS", p.size, 1) for p in feed.providers]


def build(folder: Path, scale: Scale, progress=None) -> dict:
    """Create the replica in ``folder`` (replica.db + key header) and return its facts."""
    from models.replica import ingest
    from models.replica import migrate
    from models.replica.store import Store

    say = progress or (lambda line: None)
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "replica.db"
    store = Store.create(path, PASSPHRASE)
    feed = Feed(scale)
    validator = ingest.ObservationValidator(
        {m.code: (m.valid_min, m.valid_max) for m in feed.catalogue.metrics.values()})
    seq, next_id = 0, 1
    counts = {"observation": 0, "opel_assessment": 0, "opel_parameter_score": 0}
    with store.raw() as raw:
        with raw:
            raw.executemany("INSERT INTO organisation (ods_code, name, sector, region, size, active) "
                            "VALUES (?, ?, ?, ?, ?, ?)", _organisation_rows(feed))
    end = int(END.timestamp())
    start = end - scale.days * 86400
    t = start + STEP_S
    chunk = CHUNK_DAYS * 96
    while t <= end:
        obs, assess = [], []
        for _ in range(chunk):
            if t > end:
                break
            o, a, seq = feed.tick(t, seq)
            obs += o
            assess += a
            t += STEP_S
        report = ingest.ingest_observations(store, obs, validator, source="benchmark")
        if report.quarantined:
            raise RuntimeError(f"fixture rows refused by the store: {report.problems}")
        with store.raw() as raw:
            with raw:
                next_id = _insert_assessments(raw, assess, next_id)
                ingest.set_cursor(raw, "main", seq)
        counts["observation"] += report.accepted
        counts["opel_assessment"] += len(assess)
        counts["opel_parameter_score"] += sum(len(a[14]) for a in assess)
        say(f"fixture {scale.label}: {utc_text(t - STEP_S)[:10]} {counts['observation']:,} observations, "
            f"{counts['opel_assessment']:,} assessments ({time.perf_counter() - started:.0f} s)")
    revision = store.schema_revision()
    store.close()
    with Store.open_with_key(path, _key(folder)) as check:  # reopened like a user's replica
        with check.raw() as raw:
            stored = {table: raw.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] for table in counts}
    if stored != counts:
        raise RuntimeError(f"fixture incomplete: stored {stored}, generated {counts}")
    return {"scale": asdict(scale), "generator": GENERATOR_VERSION, "revision": revision,
            "head_revision": migrate.head_revision(), "start": utc_text(start + STEP_S), "end": utc_text(end),
            "head_seq": seq, "counts": counts, "build_seconds": time.perf_counter() - started,
            "db_mib": path.stat().st_size / 2**20,
            "providers": [asdict(p) for p in feed.providers]}


def _key(folder: Path) -> bytes:
    from models.replica import keyfile

    return keyfile.unlock(folder / "replica.db", PASSPHRASE)[0]


def key_of(folder: Path) -> bytes:
    """The replica's database key (one scrypt derivation)."""
    return _key(folder)


def ensure(scale: Scale, cache: Path = CACHE, progress=None, rebuild: bool = False) -> tuple[Path, dict]:
    """The cached replica for ``scale`` (built on first use); returns (folder, facts).

    A replica built by another generator version is rebuilt; one at an older
    schema revision is upgraded in place on open (as a user's would be) and the
    time that took is recorded.
    """
    from models.replica import migrate
    from models.replica.store import Store

    cache.mkdir(parents=True, exist_ok=True)
    ignore = cache / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# benchmark replicas, rebuilt on demand\n*\n", encoding="utf-8")
    folder = cache / f"desktop-{scale.label}"
    meta_path = folder / "fixture.json"
    meta = None
    if meta_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("generator") != GENERATOR_VERSION or meta.get("scale") != asdict(scale):
            meta = None
    if meta is None:
        if folder.exists():
            shutil.rmtree(folder)
        tmp = cache / f"desktop-{scale.label}.building"
        if tmp.exists():
            shutil.rmtree(tmp)
        meta = build(tmp, scale, progress)
        (tmp / "fixture.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        tmp.rename(folder)
    head = migrate.head_revision()
    if meta.get("revision") != head:
        t0 = time.perf_counter()
        with Store.open_with_key(folder / "replica.db", _key(folder)) as store:
            meta["revision"] = store.schema_revision()
        meta.setdefault("upgrades", []).append({"to": head, "seconds": time.perf_counter() - t0})
        meta["head_revision"] = head
        meta_path.write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder, meta


def feed_batch(feed: Feed, t: int, seq: int, head: int):
    """The feed's tick at ``t`` from position ``seq + 1`` as a columnar ``FeedBatch``."""
    from sync.protocol import FeedBatch, FeedItem, FeedObservationColumns

    obs, assess, last = feed.tick(t, seq)
    items = []
    for a in assess:
        (s, scope, org, pillar, at, edition, verified, total, level, at_least, complete,
         declared, reason, _received, ps) = a
        items.append(FeedItem(seq=s, kind="opel_assessment", data={
            "scope": scope, "org_code": org, "pillar": pillar, "assessed_at": at, "edition": edition,
            "verified": verified, "total": total, "level": level, "at_least_level": at_least,
            "complete": complete, "declared_level": declared, "override_reason": reason,
            "parameters": [{"key": k, "value": v, "band": b, "points": pt, "weight": w, "problem": pr}
                           for k, v, b, pt, w, pr in ps]}))
    columns = FeedObservationColumns(
        seq=[o[6] for o in obs], org_code=[o[0] for o in obs], metric=[o[1] for o in obs],
        observed_at=[o[2] for o in obs], value=[o[3] for o in obs], source=[o[4] for o in obs],
        received_at=[o[5] for o in obs])
    now = datetime.now(timezone.utc)
    batch = FeedBatch(items=items, observations=columns, next_after=last, head=max(head, last),
                      server_time=now, last_provider_data_at=datetime.fromtimestamp(t, timezone.utc))
    return batch, last, len(obs), len(assess)
