"""Benchmark: ``/m/`` (the hub's page for phones) served at 40 providers, and its weight (issue 21).

A real hub process (``scc-desktop hub serve`` on an SQLite file, on loopback, default alert
rules on) holds 40 providers: 30 acute trusts, 4 community, 3 mental health, 2 NHS 111 and one
ambulance service. Each sends its whole OPEL table every 15 minutes for ``--hours`` (default 6)
of history; the acute trusts also report ambulances arriving and handed over (some still
waiting), the ambulance service its REAP and CSP. The room pushes a rota, a decision and
transfers. So the page holds every section at a real size, and the alert engine has run.

Timed from the request to the whole answer with ``requests`` on a kept-alive connection, as a
browser's refresh would be:

``/health``
    BASELINE: the hub's cheapest answer (reads the feed head);
``/m/``
    a logged-in director's page, steady state (the feed followed up to the head);
``/m/ after new data``
    the same right after a provider submitted (the page follows the feed's new items first).

The ratio is each median to the baseline's median of the same run. Target: ``/m/`` served in
at most 100 ms and at most 100 KB with its stylesheet and script.

``--acute N`` serves a larger ICS instead (``tests.web.ics_world``): N acute trusts (up to 40) with four
weeks of their handovers and hourly occupancy, so the week ahead is worked out and each site has a
table, and the other sectors' ten providers; the page is timed once the week ahead is on it, and one
site's page (``/m/week/<code>``) is timed and weighed too.

Usage::

    .venv/bin/python benchmarks/bench_web.py             # 6 h of history, 200 samples
    .venv/bin/python benchmarks/bench_web.py --quick     # 1 h, 20 samples
    .venv/bin/python benchmarks/bench_web.py --acute 40 --hours 2 --samples 50   # 40 acute sites, the week ahead
    .venv/bin/python benchmarks/bench_web.py --out /tmp/w.md --json /tmp/w.json --update-doc docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync`, `tests` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report  # noqa: E402

DEFAULT_HOURS, QUICK_HOURS = 6.0, 1.0
DEFAULT_SAMPLES, QUICK_SAMPLES = 200, 20
WARMUP = 3
TARGET_MS = 100.0
TARGET_KB = 100.0
PASSWORD = "bench web passphrase"
SECTORS = (("acute", 30), ("community", 4), ("mental_health", 3), ("nhs111", 2), ("ambulance", 1))


@dataclass
class WebResult:
    providers: int
    hours: float
    samples: int
    feed_head: int
    page_bytes: int
    asset_bytes: int
    medians_ms: dict[str, float] = field(default_factory=dict)
    p90_ms: dict[str, float] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    load: float | None = None
    acute: int | None = None          # --acute: the ICS world's acute sites, with the week ahead
    site_bytes: int | None = None     # --acute: one site's week-ahead page

    @property
    def weight_kb(self) -> float:
        return (self.page_bytes + self.asset_bytes) / 1024

    @property
    def ok(self) -> bool:
        return self.medians_ms["/m/"] <= TARGET_MS and self.weight_kb <= TARGET_KB


def organisations() -> list[dict]:
    out = []
    for sector, count in SECTORS:
        for i in range(count):
            out.append({"ods_code": f"B{sector[:2].upper()}{i:02d}", "name": f"Bench {sector.replace('_', ' ')} "
                        f"provider {i + 1} NHS Trust", "sector": sector,
                        "size": 300.0 + 20 * i if sector == "acute" else None})
    return out


def _history(hub, orgs: list[dict], hours: float, now: datetime, rng: random.Random) -> None:
    from models.rules.catalogue import load_catalogue
    from models.rules.opel_table import load_shipped

    catalogue = load_catalogue(())
    keys = {p: load_shipped(p).keys for p in ("acute", "community", "mental_health", "nhs111")}
    steps = max(1, int(hours * 4))
    for org in orgs:
        items, sector = [], org["sector"]
        for step in range(steps):
            at = (now - timedelta(minutes=15 * (steps - 1 - step))).isoformat()
            if sector == "ambulance":
                items.append({"type": "ambulance_status", "declared_at": at, "reap_level": rng.randint(2, 4),
                              "csp_level": str(rng.randint(1, 3))})
                continue
            for key in keys[sector]:
                m = catalogue.metrics[key]
                span = min(m.valid_max, 100.0) - m.valid_min
                items.append({"type": "observation", "metric": key, "observed_at": at,
                              "value": round(m.valid_min + span * rng.uniform(0.2, 0.8), 1)})
            if sector == "acute":
                arrived = now - timedelta(minutes=15 * (steps - 1 - step) + rng.randint(5, 90))
                event = uuid.uuid4().hex
                items.append({"type": "handover", "event_uuid": event, "hospital_code": org["ods_code"],
                              "state": "arrived", "arrived_at": arrived.isoformat()})
                if step < steps - 2:
                    done = arrived + timedelta(minutes=rng.randint(10, 80))
                    items.append({"type": "handover", "event_uuid": event, "hospital_code": org["ods_code"],
                                  "state": "handed_over", "arrived_at": arrived.isoformat(),
                                  "handed_over_at": min(done, now).isoformat()})
        _submit(hub, org["ods_code"], items, now)


def _submit(hub, org: str, items: list[dict], now: datetime) -> None:
    for i in range(0, len(items), 5000):
        resp = hub.request("POST", "/v1/submissions", json={
            "submission_id": f"bench-{uuid.uuid4().hex}", "org_code": org, "submitted_at": now.isoformat(),
            "items": items[i:i + 5000]})
        if resp.status_code != 200:
            raise RuntimeError(f"submission for {org} refused: {resp.status_code} {resp.text[:500]}")


def _room(hub, orgs: list[dict], now: datetime) -> None:
    acute = [o["ods_code"] for o in orgs if o["sector"] == "acute"]
    person = str(uuid.uuid4())

    def rec(kind, data):
        return {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": "bench", "authored_at": now.isoformat(),
                "data": data}

    records = [rec("contact", {"contact_uuid": person, "at": now.isoformat(),
                               "changes": {"name": {"old": None, "new": "Bench Director"}}}),
               rec("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                                     "contact_uuid": person, "starts_at": (now - timedelta(hours=1)).isoformat(),
                                     "ends_at": (now + timedelta(hours=11)).isoformat()})]
    for i in range(10):
        text = f"Bench decision {i}: divert from {acute[i]} to {acute[i + 1]}"
        records.append(rec("decision", {"content_hash": hashlib.sha256(text.encode()).hexdigest(),
                                        "device_seq": i + 1, "decided_at": now.isoformat(),
                                        "decision_maker": "Bench Director", "decision_maker_role": "Director",
                                        "decision": text, "rationale": "bench", "recorded_by": "bench",
                                        "recorded_at": now.isoformat()}))
        created = {"local_ref": f"TR-{i:04d}", "kind": "inter_hospital", "priority": "urgent",
                   "status": "requested", "requested_at": (now - timedelta(minutes=30 * i)).isoformat(),
                   "from_code": acute[i], "to_code": acute[-1 - i]}
        records.append(rec("transfer_event", {"transfer_uuid": str(uuid.uuid4()), "field": "created",
                                              "at": created["requested_at"], "new_value": json.dumps(created)}))
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    if resp.status_code != 200:
        raise RuntimeError(f"room records refused: {resp.text[:500]}")


def _timed(session, url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    resp = session.get(url, timeout=30, allow_redirects=False)
    elapsed = (time.perf_counter() - t0) * 1000
    if resp.status_code != 200:
        raise RuntimeError(f"{url} answered {resp.status_code}")
    return elapsed, len(resp.content)


def _week_shown(web, url: str, seconds: float = 180) -> None:
    """Until /m/ shows the week ahead's tables (worked out in the hub's own thread)."""
    deadline = time.monotonic() + seconds
    while 'class="week"' not in web.get(url + "/m/", timeout=30).text:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the week ahead was not on /m/ after {seconds:.0f} s")
        time.sleep(1)


def run(hours: float = DEFAULT_HOURS, samples: int = DEFAULT_SAMPLES, tmpdir: str | None = None,
        progress=None, acute: int | None = None) -> WebResult:
    from sync.hub.schema import utcnow
    from tests.support.hub import start_hub
    from tests.web import ics_world
    from tests.web.support import add_account, login

    rng = random.Random(21)
    orgs = ics_world.orgs(acute) if acute else organisations()
    acute_codes = [o["ods_code"] for o in orgs if o["sector"] == "acute"]
    site = f"/m/week/{acute_codes[0]}"
    with tempfile.TemporaryDirectory(prefix="scc-bench-web-", dir=tmpdir) as folder:
        hub = start_hub(Path(folder), orgs=orgs)
        try:
            now = utcnow()
            if acute:
                ics_world.send(hub, now, days=28, hours=hours, acute=acute)
            else:
                _history(hub, orgs, hours, now, rng)
                _room(hub, orgs, now)
            add_account(hub.db_url, "bench-director", "director_on_call", password=PASSWORD)
            web, answer = login(hub.url, "bench-director", PASSWORD)
            if answer.status_code != 303:
                raise RuntimeError(f"login refused: {answer.status_code}")
            if acute:
                _week_shown(web, hub.url)
            page_bytes = _timed(web, hub.url + "/m/")[1]
            site_bytes = _timed(web, hub.url + site)[1] if acute else None
            assets = sum(len(web.get(hub.url + f"/web/{n}", timeout=10).content) for n in ("m.css", "m.js"))
            series: dict[str, list[float]] = {"/health": [], "/m/": [], "/m/ after new data": []}
            if acute:
                series[site] = []
            for i in range(WARMUP + samples):
                timings = {"/health": _timed(web, hub.url + "/health")[0], "/m/": _timed(web, hub.url + "/m/")[0]}
                if acute:
                    timings[site] = _timed(web, hub.url + site)[0]
                org = acute_codes[i % min(30, len(acute_codes))]
                _submit(hub, org, [{"type": "observation", "metric": "ga_bed_occupancy_pct", "value": 90.0 + i % 9,
                                    "observed_at": datetime.now(timezone.utc).isoformat()}], now)
                timings["/m/ after new data"] = _timed(web, hub.url + "/m/")[0]
                if i >= WARMUP:
                    for name, ms in timings.items():
                        series[name].append(ms)
                if progress and i % 20 == 0:
                    progress(f"sample {i}/{WARMUP + samples}")
            with_head = hub.request("GET", "/health").json()["head"]
        finally:
            hub.stop()
    medians = {k: statistics.median(v) for k, v in series.items()}
    p90 = {k: sorted(v)[max(0, int(len(v) * 0.9) - 1)] for k, v in series.items()}
    return WebResult(len(orgs), hours, samples, with_head, page_bytes, assets, medians, p90,
                     {k: v / medians["/health"] for k, v in medians.items()}, report.load(), acute, site_bytes)


def markdown(r: WebResult, heading_level: int = 2) -> str:
    h = "#" * heading_level
    rows = "\n".join(f"| `{name}` | {r.medians_ms[name]:.1f} | {r.p90_ms[name]:.1f} | {r.ratios[name]:.2f}x |"
                     for name in r.medians_ms)
    world = (f"{r.acute} of them acute sites with four weeks of handovers and occupancy (the week ahead on the "
             f"page), " if r.acute else "")
    site = (f" One site's week-ahead page: {r.site_bytes / 1024:.1f} KB of HTML.\n" if r.site_bytes else "")
    return f"""{h} Web page `/m/`: served at {r.providers} providers (issue 21)

{r.providers} providers, {world}{r.hours:g} h of 15-minute history (feed head {r.feed_head}), {r.samples} samples
on a kept-alive connection; load {report.fmt(r.load, '.2f')}. Target: `/m/` in at most {TARGET_MS:.0f} ms and
{TARGET_KB:.0f} KB with its stylesheet and script. **{'met' if r.ok else 'NOT met'}**.

| request | median ms | p90 ms | ratio to `/health` |
|---|---|---|---|
{rows}

Page weight: {r.page_bytes / 1024:.1f} KB of HTML + {r.asset_bytes / 1024:.1f} KB of stylesheet and script =
{r.weight_kb:.1f} KB (uncompressed).{site}
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help=f"{QUICK_HOURS:g} h of history, {QUICK_SAMPLES} samples")
    ap.add_argument("--hours", type=float)
    ap.add_argument("--samples", type=int)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--update-doc", type=Path)
    ap.add_argument("--tmpdir")
    ap.add_argument("--acute", type=int, help="an ICS of this many acute sites (up to 40) with the week ahead")
    args = ap.parse_args(argv)
    hours = args.hours or (QUICK_HOURS if args.quick else DEFAULT_HOURS)
    samples = args.samples or (QUICK_SAMPLES if args.quick else DEFAULT_SAMPLES)
    result = run(hours, samples, args.tmpdir, progress=lambda m: print(m, file=sys.stderr, flush=True),
                 acute=args.acute)
    text = markdown(result)
    print(text)
    report.write_outputs(text, out=args.out, json_path=args.json,
                         json_value={**asdict(result), "weight_kb": result.weight_kb, "ok": result.ok})
    if args.update_doc:
        report.update_doc(args.update_doc, "web", markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
