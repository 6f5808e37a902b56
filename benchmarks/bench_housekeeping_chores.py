"""The housekeeping pass, chore by chore: how long each holds the desktop's write thread.

The window runs its writes one at a time on one write thread (``ui.tasks``); the housekeeping pass
(``models.service.housekeeping.run``) is one of them, asked after each sync batch and on the minute.  This
times each part of a pass on a real encrypted replica holding a year of 15-minute data for 40 providers
(``benchmarks.desktop_fixture``, built once and cached; 4.2 GB), at the fixture's last quarter hour:

- ``quality read``: the data-quality checks' reading (``housekeeping.assess_quality``), a read session;
- ``chase overdue``, ``OPEL checklists``, ``quality store``, ``open alerts``: the chores inside the one write
  transaction (``housekeeping.chores``), each timed alone; ``commit`` ends it;
- ``before``: ``housekeeping.run(store, now)``, the pass reading the checks itself, as the window ran it on
  its write thread to session 27; ``after``: the reading on the read lane
  (``housekeeping.assess_quality(store, now)``), then ``housekeeping.run(store, now, assessed)`` on the write
  thread, as the window runs them now.

The chain check is not here: it runs on the read lane (``benchmarks/bench_chain_watch.py``).

    python benchmarks/bench_housekeeping_chores.py [--passes 3] [--cache DIR] [--smoke]

``--smoke`` uses the 7-day, 5-provider fixture (a few seconds once built; a test runs it).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(took: dict, name: str, work):
    started = time.perf_counter()
    result = work()
    took[name].append(time.perf_counter() - started)
    return result


def one_pass(store, now: datetime, took: dict) -> None:
    """Each part of a pass, timed alone, in the order ``run`` makes them; then ``run`` itself."""
    from models.records import actions_due, housekeeping as chores, opel_checklist
    from models.service import housekeeping

    with store.session() as s:
        assessed = _timed(took, "quality read (assess_quality)", lambda: chores.assess_quality(s, now))
    started = time.perf_counter()
    with store.writing() as s:
        _timed(took, "chase overdue actions", lambda: actions_due.chase_overdue(s, now))
        _timed(took, "OPEL checklists", lambda: opel_checklist.raise_checklists(s, now))
        if assessed is not None:
            _timed(took, "quality store (findings)", lambda: chores._quality(s, assessed))
        _timed(took, "open alerts count", lambda: chores.open_alerts(s))
        commit_from = time.perf_counter()
    took["commit"].append(time.perf_counter() - commit_from)
    took["write transaction, whole"].append(time.perf_counter() - started)
    _timed(took, "before: pass reading quality itself (write thread)", lambda: housekeeping.run(store, now))
    read = _timed(took, "after: quality reading (read lane)", lambda: housekeeping.assess_quality(store, now))
    _timed(took, "after: pass given the reading (write thread)", lambda: housekeeping.run(store, now, read))


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    from benchmarks import desktop_fixture
    from models.replica.store import Store

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=desktop_fixture.CACHE)
    parser.add_argument("--smoke", action="store_true", help="the 7-day, 5-provider fixture")
    args = parser.parse_args(argv)
    scale = desktop_fixture.SMOKE if args.smoke else desktop_fixture.FULL
    folder, meta = desktop_fixture.ensure(scale, cache=args.cache)
    now = desktop_fixture.END + timedelta(minutes=5)
    took: dict[str, list[float]] = defaultdict(list)
    with Store.open_with_key(folder / "replica.db", desktop_fixture.key_of(folder)) as store:
        for k in range(args.passes):
            one_pass(store, now + timedelta(minutes=k), took)
    print(f"{scale.label} ({meta.get('db_mib', 0):,.0f} MiB), {args.passes} pass(es), seconds (first pass first):")
    for name, values in took.items():
        print(f"  {name:45s} " + "  ".join(f"{v:.3f}" for v in values))
    return dict(took)


if __name__ == "__main__":
    main()
