"""What checking the figures costs the hub per escalation email, at 40 providers.

The 40-provider simulated ICS (tests.quality.sim_ics) sends the hub 30 hours of data through its own
intake: every position the check reads in steady state (the desktop's 18-hour window and the 6 hours
before it that ``sync.hub.figures_doubt.AHEAD`` adds; all written within them, so the whole feed is
read, which is the most it can be).  One email's check (one unit's "No critical care bed free") and a
storm's (every acute trust's critical care and G&A occupancy alerts in one email) and an OPEL storm's
(every provider to OPEL 4 in one email: each rests on the parameters its level was scored from) are timed on a real
hub database (SQLite and PostgreSQL); each must stay well inside a check's period, and the figures are
printed for docs/escalation.md.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from models.rules.escalation import OpenAlert
from sync.hub import figures_doubt, intake
from sync.hub.app import _envelope
from sync.hub.auth import Principal
from sync.hub.core import Hub, HubConfig
from sync.hub.validate import Checked
from sync.hub import orgs as hub_orgs
from tests.quality import sim_ics

# About 100 s per database to build 30 hours of 40 providers: run on demand (-m slow), figures in docs/escalation.md.
pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]
WHO = Principal(token_id=0, user="test", role="admin", org_code=None)
HOURS = 30
MOST_SECONDS = 1.0   # a check runs every 30 s; the email waits for this at most


def _hub(url: str, sim) -> Hub:
    hub = Hub(HubConfig(db_url=url, alerts=False))   # the data only: alerts are made up below
    hub_orgs.upsert(hub, [hub_orgs.OrgSpec(**o) for o in sim.organisations()])
    return hub


def _feed(hub: Hub, sim, now: datetime) -> int:
    n = 0
    for sub in sim.submissions(now - timedelta(hours=HOURS), now):
        envelope, raw = _envelope(json.loads(json.dumps(sub.payload, default=str)))
        try:
            intake.submit(hub, WHO, envelope.submission_id, envelope.org_code, envelope.submitted_at,
                          [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)
            n += 1
        except Exception:  # noqa: BLE001 - a simulated item the hub refuses is quarantined there; go on
            pass
    return n


def _alert(org: str, metric: str, raised: datetime) -> OpenAlert:
    return OpenAlert(f"{org}-{metric}", "test", org, raised, None, 15, "critical", "", "test",
                     raised, metric=metric)


def _timed(hub, alerts, now, runs: int = 5) -> tuple[float, dict]:
    """The median time of the check, and what it found; the same check within its deadline (as the email
    and /m/ run it) must find the same, and its time is printed beside."""
    times, found, bounded = [], {}, []
    for _ in range(runs):
        t0 = time.perf_counter()
        found = figures_doubt.doubted(hub.db, alerts, now)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        assert figures_doubt.doubted_within(hub.db, alerts, now) == found
        bounded.append(time.perf_counter() - t0)
    print(f"\n{hub.db.kind}: {len(alerts)} alert(s): {sorted(times)[runs // 2] * 1000:.0f} ms, within its "
          f"deadline {sorted(bounded)[runs // 2] * 1000:.0f} ms (medians of {runs})")
    return sorted(times)[len(times) // 2], found


def test_checking_the_figures_costs_an_email_little_at_40_providers(hub_db_url):
    sim = sim_ics.simulator()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    hub = _hub(hub_db_url, sim)
    try:
        t0 = time.perf_counter()
        sent = _feed(hub, sim, now)
        fed = time.perf_counter() - t0
        with hub.db.read() as conn:
            head = hub.db.head(conn)
        acute = sim_ics.by_kind(sim)["acute"]
        raised = now - timedelta(minutes=20)
        one, _ = _timed(hub, [_alert(acute[0], "cc_available_beds", raised)], now)
        storm = [_alert(org, metric, raised) for org in acute
                 for metric in ("cc_available_beds", "ga_bed_occupancy_pct")]
        many, found = _timed(hub, storm, now)
        # An OPEL storm: every provider to OPEL 4 in one email, each resting on the parameters it scored.
        opel = [_alert(o.code, "opel_level", raised) for o in sim.config.organisations]
        levels, in_doubt = _timed(hub, opel, now)
        with hub.db.read() as conn:
            scored = sum(len(b) for b in figures_doubt._opel_figures(conn, [o.code for o in sim.config.organisations])
                         .values())
        print(f"\n{hub.db.kind}: {sent} submissions, {head} feed positions in {fed:.0f} s; figures checked for "
              f"1 alert in {one * 1000:.0f} ms, {len(storm)} alerts ({len(acute)} acute trusts) in "
              f"{many * 1000:.0f} ms (median of 5); {len(found)} in doubt; {len(opel)} OPEL level alerts "
              f"(resting on {scored} scored parameters) in {levels * 1000:.0f} ms, {len(in_doubt)} in doubt")
        # Every unit's newest report impossible (190 occupied of 20 staffed): the storm again, every unit's
        # alert in doubt, each finding's sender read (session 28: the item, then its notice).
        for org in acute:
            report = {"type": "critcon", "reported_at": now.isoformat(), "level": 1, "staffed_beds": 20,
                      "occupied_beds": 190}
            envelope, raw = _envelope({"submission_id": f"planted-{org}", "org_code": org,
                                       "submitted_at": now.isoformat(), "items": [report]})
            intake.submit(hub, WHO, envelope.submission_id, org, envelope.submitted_at,
                          [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)
        doubted, found = _timed(hub, storm, now)
        said = [d.sent_by for ds in found.values() for d in ds]
        refs = {d.submission for ds in found.values() for d in ds}
        with hub.db.read() as conn:
            head = hub.db.head(conn)
            alone = []
            for _ in range(5):
                t0 = time.perf_counter()
                figures_doubt.sent_by(conn, head, refs)
                alone.append(time.perf_counter() - t0)
        print(f"\n{hub.db.kind}: the storm with {len(found)} alerts in doubt ({len(said)} findings, each naming "
              f"its sender) in {doubted * 1000:.0f} ms, of which the {len(refs)} senders "
              f"{sorted(alone)[2] * 1000:.1f} ms (medians of 5)")
        assert len(found) >= len(acute) // 2, found   # each unit with critical care
        assert said and all(w == "Sent by the API, a token of user 'test'." for w in said), set(said)
        assert doubted < MOST_SECONDS
        assert head > 20_000, head   # 30 hours of 40 providers
        assert scored > 0, "no parameter scored: the OPEL storm would read nothing"
        assert one < MOST_SECONDS and many < MOST_SECONDS and levels < MOST_SECONDS
    finally:
        hub.close()
