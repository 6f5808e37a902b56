"""The hub's intake of 40-provider submission bursts: how long each quarter hour's burst takes.

The 40-provider simulated ICS of the quality tests (``tests/quality/sim_ics``: 22 acute, 8 community,
6 mental health, 3 NHS 111, 1 ambulance) over ``--hours`` hours, every submission sent in process
through ``sync.hub.intake.submit`` (the API's path after the HTTP layer) to a real hub database
(SQLite by default, or ``--db URL``), in send order, grouped by the quarter hour it was due. Printed:
the bursts of 30 or more submissions, their median and 90th-percentile time, the whole run's time,
and the declarations sent and refused.

    python benchmarks/bench_intake_burst.py [--hours 8] [--db URL]

docs/sync-protocol.md (OPEL declarations) has the numbers before and after session 28's index.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sync.hub import intake  # noqa: E402
from sync.hub.app import _envelope  # noqa: E402
from sync.hub.auth import Principal  # noqa: E402
from sync.hub.core import Hub, HubConfig  # noqa: E402
from sync.hub.errors import ApiError  # noqa: E402
from sync.hub.validate import Checked  # noqa: E402
from tests.quality import sim_ics  # noqa: E402
from tests.support.hub import seed  # noqa: E402

WHO = Principal(token_id=0, user="bench", role="admin", org_code=None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=8.0)
    ap.add_argument("--db", help="a hub database URL (default: a new SQLite file in a temp folder)")
    args = ap.parse_args(argv)
    sim = sim_ics.simulator()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'hub.db'}"
    seed(url, sim.organisations())
    hub = Hub(HubConfig(db_url=url))
    start = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) - timedelta(hours=args.hours + 2)
    bursts = defaultdict(list)
    for sub in sim.submissions(start, start + timedelta(hours=args.hours)):
        bursts[sub.due_at].append(sub.payload)
    times, declared, refused = [], 0, 0
    try:
        for due in sorted(bursts):
            t0 = time.perf_counter()
            for payload in bursts[due]:
                sub, raw = _envelope(json.loads(json.dumps(payload, default=str)))
                checked = [Checked(index=j, raw=r) for j, r in enumerate(raw)]
                try:
                    intake.submit(hub, WHO, sub.submission_id, sub.org_code, sub.submitted_at, checked, "json", True)
                except ApiError:
                    pass   # a submission with no good item: counted below, as the others
                for c in checked:
                    if isinstance(c.raw, dict) and c.raw.get("type") == "opel_declaration":
                        declared += 1
                        refused += bool(c.errors)
            times.append((time.perf_counter() - t0, len(bursts[due])))
    finally:
        hub.close()
    big = sorted(t for t, n in times if n >= 30)
    print(f"{len(big)} bursts of 30+ submissions (of {len(times)} quarter hours): median "
          f"{statistics.median(big) * 1000:.0f} ms, p90 {big[int(len(big) * 0.9)] * 1000:.0f} ms; "
          f"whole run {sum(t for t, _ in times):.2f} s; declarations {declared}, refused {refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
