"""Benchmark: the SPoC message dialog's read (``models.service.messages.compose_page``), before and after.

The room's "send a message" dialog shows nothing until ``compose_page`` has read the templates, the
directory's groups, every provider's newest level and the system's level with the one before it.  On
the desktop benchmark's year (``benchmarks/desktop_fixture.py``: 40 providers, 365 days, 4.1 M OPEL
assessments of which 1.37 M are the system's roll-ups) it took 1.8-1.9 s: the system's levels were read
with ``WHERE scope = 'system' ORDER BY assessed_at DESC, id DESC LIMIT 2000``, which sorted every
system roll-up the replica held to keep the newest 2,000.  Now three seeks along the (scope, org_code,
assessed_at) index read the newest roll-up, the newest at another level and the first after it.

Here ``compose_page`` from ``models/service/messages.py`` at git revision ``--baseline`` (or a copy in
``--baseline-file``) and the working tree's run on the same replica, alternating which goes first after
one warm-up each (SQLite's page cache, as in a running app); the fields where the two pages differ are
reported (none, unless the baseline predates the level-since fix: see docs/benchmarks.md).  The other
doors that read the newest levels (``latest_opel``) are timed too, working tree only: the overview, the
system picture, the papers' reads (``models.reports.reads.read_room``) and the decision snapshot a sent
message takes (``situation_snapshot.take``).

Usage::

    .venv/bin/python benchmarks/bench_message_dialog.py --baseline 52bd09a          # the year (cached)
    .venv/bin/python benchmarks/bench_message_dialog.py --cache /elsewhere --json out.json
    .venv/bin/python benchmarks/bench_message_dialog.py --days 2 --providers 5 --repeats 1   # what CI runs
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `models`, `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks import desktop_fixture as fixture  # noqa: E402
from benchmarks import report, source_at  # noqa: E402

MESSAGES = "models/service/messages.py"


def _shown(page) -> tuple:
    """What the dialog shows from a page (field by field: the two modules' page classes differ)."""
    return tuple(getattr(page, f.name) for f in dataclasses.fields(page))


def _timed(call) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = call()
    return time.perf_counter() - t0, out


def _doors(store, now) -> dict:
    """The other doors that read the newest OPEL levels: name -> a call."""
    from models.queries import situation_snapshot
    from models.queries.opel_latest import latest_opel
    from models.reports.reads import read_room
    from models.service.overview import overview_page
    from models.service.system_picture import system_picture

    def snapshot():
        with store.session() as s:
            return situation_snapshot.take(s, now)

    def latest():
        with store.session() as s:
            return [latest_opel(s, scope) for scope in ("provider", "pillar", "system")]

    return {"latest_opel x3": latest, "overview_page": lambda: overview_page(store, now),
            "system_picture": lambda: system_picture(store, now), "read_room (papers)": lambda: read_room(store, now),
            "situation_snapshot.take": snapshot}


def run(args) -> dict:
    from models.replica.store import Store
    from models.service import messages as current

    scale = fixture.Scale(args.days, args.providers) if args.days else \
        {"full": fixture.FULL, "window": fixture.Scale(56, fixture.FULL.providers), "smoke": fixture.SMOKE}[args.scale]
    cache = Path(args.cache) if args.cache else fixture.CACHE
    folder, facts = fixture.ensure(scale, cache, progress=None)
    baseline = source_at.load(MESSAGES, args.baseline, args.baseline_file)
    impls = {"before": baseline, "after": current}
    now = fixture.END - timedelta(minutes=1)
    times: dict[str, list[float]] = {"before": [], "after": []}
    doors: dict[str, list[float]] = {}
    same = True
    with Store.open_with_key(folder / "replica.db", fixture.key_of(folder)) as store:
        pages = {name: _shown(impl.compose_page(store, now)) for name, impl in impls.items()}   # warm-up
        calls = _doors(store, now)
        for call in calls.values():
            call()
        for r in range(args.repeats):
            for name in (["before", "after"] if r % 2 == 0 else ["after", "before"]):
                took, page = _timed(lambda: impls[name].compose_page(store, now))
                times[name].append(took)
                same = same and _shown(page) == pages[name]     # each the same every time
            for door, call in calls.items():
                doors.setdefault(door, []).append(_timed(call)[0])
        page = current.compose_page(store, now)
    if not same:
        raise RuntimeError("the dialog's page changed between runs on the same replica")
    names = [f.name for f in dataclasses.fields(page)]
    differs = {n: [str(b), str(a)] for n, b, a in zip(names, pages["before"], pages["after"]) if b != a}
    out = {"scale": dataclasses.asdict(scale), "counts": facts.get("counts"),
           "baseline": args.baseline_file or args.baseline,
           "repeats": args.repeats, "same_page": not differs, "differs": differs, "load": report.load(),
           "system_level": page.system_level, "previous_level": page.previous_level, "level_since": page.level_since,
           "providers": len(page.providers)}
    for name, samples in times.items():
        out[name] = {"median_s": statistics.median(samples), "samples_s": samples}
    out["ratio_after_before"] = out["after"]["median_s"] / out["before"]["median_s"]
    out["doors"] = {door: {"median_s": statistics.median(s), "samples_s": s} for door, s in doors.items()}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["full", "window", "smoke"], default="full",
                        help="the desktop fixture (full: the year, 40 providers; built once and cached)")
    parser.add_argument("--days", type=int, help="a fixture of this many days instead of --scale")
    parser.add_argument("--providers", type=int, default=5, help="with --days: how many providers")
    parser.add_argument("--cache", help="where the fixture is cached (default benchmarks/.cache)")
    parser.add_argument("--repeats", type=int, default=5)
    source_at.add_arguments(parser, MESSAGES)
    out = report.run_keeping_json(parser, run, argv)
    for name in ("before", "after"):
        r = out[name]
        print(f"compose_page {name:6s} median {r['median_s'] * 1000:8.1f} ms  "
              f"(samples {', '.join(f'{s * 1000:.1f}' for s in r['samples_s'])})")
    print(f"ratio after/before (medians): {out['ratio_after_before']:.4f}; same page: {out['same_page']}; "
          f"system {out['system_level']} (before: {out['previous_level']}, since {out['level_since']}); "
          f"{out['providers']} providers; load {out['load']}")
    for field, (before, after) in out["differs"].items():
        print(f"  {field}: before {before!r}, after {after!r}")
    for door, r in out["doors"].items():
        print(f"{door:24s} median {r['median_s'] * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
