"""Benchmark: a desktop catching up on weeks of ambulance handovers (``sync.apply.apply_batch``), before and after.

A desktop joining a room, or back after days away, applies the hub's backlog in batches of up to
``--batch`` items.  Here that backlog is ``--days`` of handovers for ``--sites`` acute sites (about
40 arrivals a site a day, each sent as "arrived" then "handed_over"), with one handover in
``--refused-every`` whose late report moves its arrival to after its handover: the replica's check
refuses it and the apply quarantines it, as real feeds do now and then.  Two fresh replicas get the
same batches: one applied by ``sync/apply.py`` at git revision ``--baseline`` (default ``main``), one
by the working tree's.  Samples alternate which goes first.  Both must end with the same rows.

Why it exists: a refused item used to leave its savepoint open (SQLAlchemy's ``begin_nested`` ends a
failed one with ``ROLLBACK TO`` only), and every later item's ``RELEASE`` in that batch then walked
an in-memory sub-journal of every page changed since: six weeks for 7 sites (32,740 items) took 49 s
to apply on this machine, 600 items a second.

Usage::

    .venv/bin/python benchmarks/bench_catch_up.py                       # 42 days, 7 sites, baseline main
    .venv/bin/python benchmarks/bench_catch_up.py --baseline 9b1d6a0 --json docs/bench-catch-up.json
    .venv/bin/python benchmarks/bench_catch_up.py --days 3 --sites 2 --repeats 1   # what CI runs
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `sync` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import report, source_at  # noqa: E402
from benchmarks.bench_apply import APPLY  # noqa: E402

PASSPHRASE = "bench catch-up passphrase"
COMPARED = {
    "handover_event": "SELECT event_uuid, ambulance_org, hospital_code, state, arrived_at, handed_over_at, "
                      "updated_at, feed_seq FROM handover_event ORDER BY event_uuid",
    "quarantined": "SELECT count(*) FROM quarantined_record",
    "feed_cursor": "SELECT feed, position FROM feed_cursor",
}


def backlog(days: int, sites: int, refused_every: int, end: datetime) -> list[dict]:
    """The handover items, in feed order (by the time each state was reached), as the hub serves them."""
    events = []
    start = end - timedelta(days=days)
    for s in range(sites):
        gap = timedelta(minutes=36 + 3 * s)     # about 40 a day at the first site
        t, k = start + timedelta(minutes=7 * s), 0
        while t < end:
            uuid = f"bench-{s:02d}-{k:06d}"
            base = {"ambulance_org": "RBAMB", "event_uuid": uuid, "hospital_code": f"RB{s:03d}"}
            events.append((t, {**base, "state": "arrived", "arrived_at": t.isoformat(), "updated_at": t.isoformat()}))
            handed = t + timedelta(minutes=15 + (k * 7) % 50)
            later = {**base, "state": "handed_over", "handed_over_at": handed.isoformat(),
                     "updated_at": handed.isoformat()}
            if refused_every and k % refused_every == refused_every // 2:
                later["arrived_at"] = (handed + timedelta(hours=2)).isoformat()   # refused by the replica
            events.append((handed, later))
            t, k = t + gap, k + 1
    events.sort(key=lambda e: e[0])
    return [data for _, data in events]


def batches(items: list[dict], size: int, end: datetime):
    from sync.protocol import FeedBatch, FeedItem

    head = len(items)
    out = []
    for first in range(0, head, size):
        chunk = [FeedItem(seq=first + i + 1, kind="handover", data=d) for i, d in enumerate(items[first:first + size])]
        out.append(FeedBatch(items=chunk, observations=None, next_after=chunk[-1].seq, head=head,
                             server_time=end.isoformat(), last_provider_data_at=end.isoformat()))
    return out


def _rows(store) -> dict:
    with store.raw() as raw:
        return {name: raw.execute(sql).fetchall() for name, sql in COMPARED.items()}


def run(args) -> dict:
    from models.replica import ingest, keyfile
    from models.replica.store import Store
    from sync import apply as current

    baseline = source_at.load(APPLY, args.baseline, args.baseline_file)
    impls = {"before": baseline, "after": current}
    end = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    items = backlog(args.days, args.sites, args.refused_every, end)
    feed = batches(items, args.batch, end)
    validator = ingest.ObservationValidator({})
    kdf = keyfile.KdfParams(n=2**10, r=8, p=1)    # the key's stretching is not what is measured
    tmp = Path(tempfile.mkdtemp(prefix="scc-bench-catch-up-"))
    times: dict[str, list[float]] = {"before": [], "after": []}
    reports: dict[str, dict] = {}
    same = True
    try:
        for r in range(args.repeats):
            order = ["before", "after"] if r % 2 == 0 else ["after", "before"]
            stores = {}
            for name in order:
                store = stores[name] = Store.create(tmp / f"{name}-{r}" / "replica.db", PASSPHRASE, kdf=kdf)
                t0 = time.perf_counter()
                applied = quarantined = 0
                for batch in feed:
                    result = impls[name].apply_batch(store, batch, validator)
                    applied, quarantined = applied + result.applied, quarantined + result.quarantined
                times[name].append(time.perf_counter() - t0)
                reports[name] = {"applied": applied, "quarantined": quarantined}
            same = same and _rows(stores["before"]) == _rows(stores["after"])
            for store in stores.values():
                store.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not same:
        raise RuntimeError("the two replicas differ after the same batches")
    out = {"days": args.days, "sites": args.sites, "items": len(items), "batches": len(feed), "batch": args.batch,
           "refused_every": args.refused_every, "baseline": args.baseline_file or args.baseline,
           "repeats": args.repeats, "same_rows": same, "load": report.load(), "reports": reports}
    for name, samples in times.items():
        med = statistics.median(samples)
        out[name] = {"median_s": med, "items_per_s": len(items) / med, "samples_s": samples}
    out["ratio_after_before"] = out["after"]["median_s"] / out["before"]["median_s"]
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--sites", type=int, default=7)
    parser.add_argument("--batch", type=int, default=50000, help="feed positions a batch at most (a columnar page)")
    parser.add_argument("--refused-every", type=int, default=1000, help="one handover in N refused (0: none)")
    parser.add_argument("--repeats", type=int, default=3)
    source_at.add_arguments(parser, APPLY)
    out = report.run_keeping_json(parser, run, argv)
    for name in ("before", "after"):
        r = out[name]
        print(f"{name:6s} median {r['median_s']:7.2f} s  {r['items_per_s']:8.0f} items/s  "
              f"(samples {', '.join(f'{s:.2f}' for s in r['samples_s'])})")
    print(f"ratio after/before (medians): {out['ratio_after_before']:.3f}; same rows: {out['same_rows']}; "
          f"{out['items']} items in {out['batches']} batches, {out['reports']['after']['quarantined']} refused; "
          f"load {out['load']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
