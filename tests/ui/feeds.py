"""Realistic feed items for view and query tests, applied to a real replica with sync.apply.

Items are shaped as the hub puts them on the feed (``sync.protocol.Feed*``);
OPEL assessments are scored with the bundled tables exactly as the hub does,
so a test's expected band, points and thresholds come from ``models.rules.opel``.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.rules.opel import score
from models.rules.opel_table import load_shipped
from sync.apply import apply_batch
from sync.engine import catalogue_validator
from tests.sync.test_apply import batch

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)  # a Monday in winter: UK time = UTC
VALIDATOR = catalogue_validator()
AMBULANCE = "RX9"


def ago(minutes: float, now: datetime = NOW) -> datetime:
    return now - timedelta(minutes=minutes)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


class Feed:
    """Collects feed items with rising sequence numbers; ``apply`` writes them to a replica."""

    def __init__(self, first_seq: int = 0) -> None:
        self.seq = first_seq
        self.items: list[tuple[int, str, dict]] = []

    def add(self, kind: str, data: dict) -> "Feed":
        self.seq += 1
        self.items.append((self.seq, kind, data))
        return self

    def apply(self, store):
        report = apply_batch(store, batch(self.items), VALIDATOR)
        self.items = []
        assert report.quarantined == 0, "a test feed item was quarantined: fix the fixture"
        return report

    # --- kinds ----------------------------------------------------------------
    def org(self, code: str, name: str, sector: str = "acute", size: float | None = None) -> "Feed":
        return self.add("organisation", {"ods_code": code, "name": name, "sector": sector, "size": size})

    def handover(self, uuid: str, hospital: str, state: str, *, arrived: datetime | None = None,
                 handed: datetime | None = None, cleared: datetime | None = None,
                 eta: datetime | None = None, vehicle: str | None = None,
                 updated: datetime | None = None) -> "Feed":
        stamp = updated or max(t for t in (arrived, handed, cleared, eta, NOW - timedelta(hours=1)) if t)
        return self.add("handover", {
            "ambulance_org": AMBULANCE, "event_uuid": uuid, "hospital_code": hospital,
            "vehicle_ref": vehicle or f"{AMBULANCE}-{uuid[-4:]}", "state": state, "eta_at": iso(eta),
            "arrived_at": iso(arrived), "handed_over_at": iso(handed), "cleared_at": iso(cleared),
            "updated_at": iso(stamp)})

    def waiting(self, uuid: str, hospital: str, minutes: float, now: datetime = NOW) -> "Feed":
        """An ambulance that arrived ``minutes`` before ``now`` and has not handed over."""
        arrived = now - timedelta(minutes=minutes)
        return self.handover(uuid, hospital, "arrived", arrived=arrived, eta=arrived, updated=arrived)

    def handed_over(self, uuid: str, hospital: str, arrived: datetime, minutes: float,
                    cleared: bool = False) -> "Feed":
        handed = arrived + timedelta(minutes=minutes)
        return self.handover(uuid, hospital, "cleared" if cleared else "handed_over", arrived=arrived,
                             handed=handed, cleared=handed + timedelta(minutes=10) if cleared else None,
                             eta=arrived)

    def ambulance_status(self, declared: datetime, reap: int, csp: str | None = None,
                         org: str = AMBULANCE) -> "Feed":
        return self.add("ambulance_status", {"org_code": org, "declared_at": iso(declared),
                                             "reap_level": reap, "csp_level": csp})

    def response(self, category: str, end: datetime, *, mean_s: float | None, p90_s: float | None,
                 incidents: int | None = 20, hours: float = 1, org: str = AMBULANCE) -> "Feed":
        return self.add("response_times", {
            "org_code": org, "category": category, "period_start": iso(end - timedelta(hours=hours)),
            "period_end": iso(end), "incidents": incidents, "mean_seconds": mean_s, "p90_seconds": p90_s})

    def critcon(self, org: str, reported: datetime, level: int, staffed: int | None,
                occupied: int | None) -> "Feed":
        return self.add("critcon", {"org_code": org, "reported_at": iso(reported), "level": level,
                                    "staffed_beds": staffed, "occupied_beds": occupied})

    def observation(self, org: str, metric: str, at: datetime, value: float) -> "Feed":
        return self.add("observation", {"org_code": org, "metric": metric, "observed_at": iso(at),
                                        "value": value, "source": "provider", "received_at": iso(at)})

    def assessment(self, org: str, pillar: str, at: datetime, values: dict[str, float | None], *,
                   declared: int | None = None, reason: str | None = None,
                   edition: str | None = None) -> "Feed":
        """Score ``values`` with the bundled table, as the hub does on receipt, and put it on the feed."""
        table = load_shipped(pillar)
        result = score(table, {k: v for k, v in values.items() if v is not None})
        scored = {r.key: r for r in result.parameters}
        params = []
        for p in table.parameters:
            if p.key in scored:
                r = scored[p.key]
                params.append({"key": p.key, "value": r.value, "band": r.band, "points": r.points,
                               "weight": p.weight})
            else:
                params.append({"key": p.key, "value": values.get(p.key), "weight": p.weight,
                               "problem": "missing: no value received yet"})
        if declared is None:
            declared = result.level
        return self.add("opel_assessment", {
            "scope": "provider", "org_code": org, "pillar": pillar, "assessed_at": iso(at),
            "edition": edition or table.edition, "verified": table.verified, "total": result.total,
            "level": result.level, "at_least_level": result.at_least_level,
            "complete": result.complete, "declared_level": declared, "override_reason": reason,
            "parameters": params})


# Known acute values, each on or near a band edge of the bundled acute table.
ACUTE_VALUES = {
    "mean_handover_minutes": 30.0,            # (15, 30]: on the upper edge, not yet (30, 45]
    "ed_over_12h_from_arrival_pct": 7.5,
    "ed_majors_resus_occupancy_pct": 85.0,
    "ed_four_hour_performance_pct": 58.0,      # lower is worse: already the worst band
    "ed_median_time_to_treatment_minutes": 45.0,
    "ed_referred_to_service_pct": 12.0,
    "ga_bed_occupancy_pct": 93.0,
    "escalation_beds_open_pct": 1.0,
    "nctr_bed_occupancy_pct": 12.6,
}


def fill_system(store, now: datetime = NOW) -> Feed:
    """A small system with something in every view: two acute trusts, an ambulance service."""
    f = Feed()
    f.org("RAA", "Alpha Hospitals NHS Trust", size=800).org("RBB", "Beta Hospitals NHS Foundation Trust")
    f.org(AMBULANCE, "Test Ambulance Service NHS Trust", "ambulance")
    for minutes in range(24 * 60, -1, -60):
        at = now - timedelta(minutes=minutes)
        for key, value in ACUTE_VALUES.items():
            f.observation("RAA", key, at, value * (0.9 + 0.1 * (1 - minutes / 1440)))
    f.assessment("RAA", "acute", now - timedelta(hours=6), {**ACUTE_VALUES, "ga_bed_occupancy_pct": 80.0})
    f.assessment("RAA", "acute", now - timedelta(minutes=15), ACUTE_VALUES, declared=3,
                 reason="Escalating early for the evening peak")
    f.assessment("RBB", "acute", now - timedelta(minutes=20), {**ACUTE_VALUES, "mean_handover_minutes": 12.0})
    f.ambulance_status(now - timedelta(hours=8), 2, "1").ambulance_status(now - timedelta(hours=1), 3, "2")
    f.ambulance_status(now - timedelta(hours=1), 3, "2")
    for h in range(6, 0, -1):
        end = now - timedelta(hours=h - 1)
        f.response("C1", end, mean_s=400 + 10 * h, p90_s=800).response("C2", end, mean_s=1500 + 30 * h,
                                                                        p90_s=2600)
    f.response("C3", now, mean_s=4000, p90_s=7000).response("C4", now, mean_s=None, p90_s=None, incidents=0)
    f.waiting("amb-2001", "RAA", 50, now).waiting("amb-2002", "RAA", 14, now).waiting("amb-2003", "RBB", 65, now)
    f.handover("amb-2004", "RBB", "en_route", eta=now + timedelta(minutes=6))
    for i, minutes in enumerate((12, 22, 38, 47, 70)):
        f.handed_over(f"amb-30{i:02d}", "RAA", now - timedelta(hours=5 - i), minutes, cleared=True)
    f.critcon("RAA", now - timedelta(hours=3), 1, 20, 15).critcon("RAA", now - timedelta(minutes=30), 2, 20, 19)
    f.critcon("RBB", now - timedelta(minutes=30), 0, 12, 6)
    f.apply(store)
    return f


def forty_acute_providers(store, now: datetime = NOW, count: int = 40) -> Feed:
    """A real-sized acute pillar: ``count`` trusts, each with a recent assessment (snapshots of size)."""
    f = Feed()
    for n in range(count):
        f.org(f"R{n:02d}", f"Provider {n:02d} NHS Trust", size=400 + 10 * n)
    for n in range(count):
        f.assessment(f"R{n:02d}", "acute", now - timedelta(minutes=10 + n),
                     {**ACUTE_VALUES, "ga_bed_occupancy_pct": 85.0 + n / 4})
    f.apply(store)
    return f
