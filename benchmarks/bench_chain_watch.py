"""The decision log's chain check: how long it holds the desktop's write thread, and how long a save waits.

A real encrypted replica holding ``--decisions`` decisions with 40-provider snapshots, every one hub-chained
(``tests.records.year_log``).  The window runs its writes one at a time on one write thread and its reads on
read threads (``ui.tasks``); here a one-thread pool plays the write thread and another the read lane.  Each
pass asks the housekeeping pass and, just after it, a user's save (a decision recorded through the door).

- ``before``: the check inside the write pass, as it was to session 26 (``check_chain`` then ``run``, one job
  on the write thread);
- ``after``: the check on the read lane (``check_chain``), the write pass (``run``) on the write thread.

Each mode starts afresh (a new ``Store`` object: nothing known, as after a restart) and makes passes until a
check has covered every row, then one pass with nothing changed; ``after`` then changes a row with SQL and
makes a pass, which must name it.  Printed per mode: the longest hold of the write thread by a pass, the
longest wait of a save, the passes a first whole check took, the longest read-lane check.

    python benchmarks/bench_chain_watch.py [--decisions 600] [--dir DIR]

The default size runs in a few seconds (``tests/records/test_bench_chain_watch_smoke.py``); docs/records.md
has the numbers at 30,000.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


@dataclass
class Mode:
    name: str
    holds: list[float] = field(default_factory=list)   # the write thread's pass, each pass
    waits: list[float] = field(default_factory=list)   # a save asked just after the pass was asked
    checks: list[float] = field(default_factory=list)  # the read lane's check (``after`` only)
    first_whole: int = 0                                # passes until a check covered every row
    unchanged: float = 0.0                              # the write thread's pass once checked, nothing changed
    idle: float = 0.0                                   # a pass with no check due (the minute timer's, mostly)

    def line(self) -> str:
        checks = f"; read-lane check longest {max(self.checks):.2f} s" if self.checks else ""
        return (f"{self.name}: write thread held longest {max(self.holds):.2f} s a pass "
                f"(first whole check over {self.first_whole} pass(es); once checked {self.unchanged:.2f} s; "
                f"no check due {self.idle:.2f} s); "
                f"a save waited longest {max(self.waits):.2f} s{checks}")


def _save(store, n: int, at):
    from models.service import decisions

    new = decisions.NewDecision(decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                decision=f"Benchmark save {n}", rationale="OPEL 4 at two trusts",
                                recorded_by="Room support", decided_at=at)
    return decisions.record_decision(store, new)


def _timed(fn):
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def one_pass(store, now, n: int, mode: Mode, writes: ThreadPoolExecutor, reads: ThreadPoolExecutor) -> None:
    """One pass asked, then a save: the write thread's hold, the save's wait."""
    from models.service import housekeeping

    if mode.name == "before":
        def write_pass():
            housekeeping.check_chain(store, now)
            housekeeping.run(store, now)
        check = None
    else:
        def write_pass():
            housekeeping.run(store, now)
        check = reads.submit(_timed, lambda: housekeeping.check_chain(store, now))
    asked = time.perf_counter()
    hold = writes.submit(_timed, write_pass)
    saved = writes.submit(lambda: (_save(store, n, now), time.perf_counter() - asked)[1])
    mode.holds.append(hold.result())
    mode.waits.append(saved.result())
    if check is not None:
        mode.checks.append(check.result())
        if mode.name == "after":   # what the window does next: a broken report's alert raised by a write pass
            writes.submit(housekeeping.run, store, now).result()


def measure(path: Path, passphrase: str, now, name: str, *, tamper: str | None = None) -> Mode:
    from models.replica.store import Store
    from models.service import housekeeping

    mode = Mode(name)
    with Store.unlock(path, passphrase) as store, ThreadPoolExecutor(1) as writes, ThreadPoolExecutor(1) as reads:
        watch = housekeeping.chain_watch_of(store)
        k = 0
        while watch.checked_at is None:
            one_pass(store, now + timedelta(seconds=k), k, mode, writes, reads)
            k += 1
        mode.first_whole = k
        now += housekeeping.chain_watch.CHECK_EVERY + timedelta(seconds=k)
        one_pass(store, now, k, mode, writes, reads)   # nothing changed since
        mode.unchanged = mode.holds[-1]
        one_pass(store, now + timedelta(minutes=1), k, mode, writes, reads)   # the next minute: none due
        mode.idle = mode.holds[-1]
        if tamper is not None:
            with store.raw() as conn:
                conn.execute("UPDATE decision_entry SET decision_maker = 'Someone Else' WHERE uuid = ?", (tamper,))
            one_pass(store, now + housekeeping.chain_watch.CHECK_EVERY, k + 1, mode, writes, reads)
            with store.session() as s:
                from sqlalchemy import select

                from models.records import chain_watch
                from models.replica.orm import AlertEvent
                details = list(s.scalars(select(AlertEvent.detail).where(AlertEvent.rule_code == chain_watch.RULE_CODE)))
            if not any(tamper in d for d in details):
                raise SystemExit(f"the changed row {tamper} was not alerted: {details}")
    return mode


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=600)
    parser.add_argument("--providers", type=int, default=40)
    parser.add_argument("--dir", type=Path, default=None, help="where the replica is made (default: a temporary folder)")
    args = parser.parse_args(argv)

    from models.replica.orm.types import utcnow
    from tests.models.conftest import FAST_KDF, PASSPHRASE
    from tests.records.year_log import write_year
    from tests.support.replica import fresh_replica

    folder = Path(tempfile.mkdtemp(prefix="bench-chain-", dir=args.dir))
    try:
        path = folder / "scc.db"
        now = utcnow()
        started = time.perf_counter()
        with fresh_replica(path, PASSPHRASE, kdf=FAST_KDF) as store:
            uuids = write_year(store, args.decisions, now, providers=args.providers)
        size = path.stat().st_size + sum(p.stat().st_size for p in folder.glob("scc.db-wal"))
        print(f"{args.decisions:,} decisions, {args.providers}-provider snapshots: replica {size / 1e6:,.0f} MB, "
              f"written in {time.perf_counter() - started:.1f} s")
        from models.replica.store import Store
        from models.service import housekeeping
        with Store.unlock(path, PASSPHRASE) as store:   # not measured: the first imports, the first pass's set-up
            housekeeping.run(store, now)
            _save(store, -1, now)
        print(measure(path, PASSPHRASE, now, "before").line())
        print(measure(path, PASSPHRASE, now, "after", tamper=uuids[len(uuids) * 9 // 10]).line())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
