"""A desktop catching up on a busy night's transfers: 500 open cases and a year's 3,000 closed ones (12,628
events, ``tests/ui/records/test_transfers_busy_night``) applied in one feed batch through ``sync.apply`` to a
real encrypted replica; CPU seconds and per event.  ``--old`` refolds each case at once after each event, as
before ``sync.transfer_refolds`` (with this version's statements built once: the commit before it took 31.8 s
CPU, 2.5 ms an event, where this took 11.1 s, at load 1-3); ``--profile`` prints cProfile's top entries.

    .venv/bin/python benchmarks/bench_transfer_apply.py [--old] [--profile] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sync import transfer_refolds  # noqa: E402
from tests.models.conftest import FAST_KDF, PASSPHRASE  # noqa: E402
from tests.support.replica import fresh_replica  # noqa: E402
from tests.ui.records import test_transfers_busy_night as night  # noqa: E402
from tests.ui.records.seed import RecordFeed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", action="store_true", help="each event refolds its case at once (as before)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the night's cases")
    args = ap.parse_args(argv)
    if args.old:
        transfer_refolds.held = lambda conn: None
    night.OPEN, night.CLOSED = max(1, int(500 * args.scale)), max(1, int(3000 * args.scale))
    measured: dict[str, float] = {}
    apply = RecordFeed.apply

    def timed(feed, store):
        measured["events"] = len(feed.items)
        profile = cProfile.Profile() if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        report = apply(feed, store)
        if profile:
            profile.disable()
        measured["cpu"], measured["wall"] = time.process_time() - cpu, time.perf_counter() - wall
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
        return report

    RecordFeed.apply = timed
    with tempfile.TemporaryDirectory(prefix="bench-transfer-apply-") as tmp:
        store = fresh_replica(Path(tmp) / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        try:
            night._busy_night(store)
        finally:
            store.close()
            RecordFeed.apply = apply
    n = measured["events"]
    print(f"{'old: each event refolds' if args.old else 'new: refolded once a batch'}: {n:,} transfer events, "
          f"{measured['cpu']:.2f} s CPU ({1000 * measured['cpu'] / n:.2f} ms an event), {measured['wall']:.2f} s wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
