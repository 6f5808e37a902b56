"""The simulated ICS as pure functions of time: every figure a provider would report.

:class:`World` answers "what is true at simulated time t" (epoch seconds):
OPEL parameter values per provider, handover events, REAP/CSP, response
times, CRITCON. It holds no mutable state apart from caches, so the same seed
and time always give the same answer, whatever was asked before.

Where the figures come from (details in ``docs/simulator.md``):

- acute: G&A occupancy, escalation beds, the NCTR proxy, critical care beds,
  ambulance arrivals and handover waits replay the trust's real sitrep day;
  four-hour performance starts from the trust's real recent monthly figure;
- the trust's real daily pressure index ``z`` (and the ICS mean of it) drives
  the modelled metrics, the other pillars, ambulance response times and REAP;
- the intraday curves are assumptions (no real hourly series exists).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.rules.catalogue import Catalogue
from sync.limits import MAX_UNIT_CRITCON
from sync.simulator.config import MetricModel, Organisation, PillarModel, SimConfig
from sync.simulator.data import AmbulanceProfile, TrustProfile, load_ambulance, load_trusts
from sync.simulator.handovers import HOUR, HandoverEvent, events_for_hour, expected_wait
from sync.simulator.noise import normal, poisson, smooth
from sync.simulator.rhythm import Clock, Curves

# Data-shaped acute parameters computed here rather than by a MetricModel.
ACUTE_FROM_DATA = ("mean_handover_minutes", "ga_bed_occupancy_pct", "escalation_beds_open_pct",
                   "nctr_bed_occupancy_pct")
CATEGORIES = ("C1", "C2", "C3", "C4")


@dataclass(frozen=True)
class AmbulanceStatus:
    reap_level: int
    csp_level: int
    declared_at: int  # epoch seconds: start of the run of blocks at this (REAP, CSP)


class World:
    def __init__(self, config: SimConfig, seed: int, catalogue: Catalogue) -> None:
        self.config = config
        self.seed = seed
        self.catalogue = catalogue
        self.acute = config.by_kind("acute")
        self.ambulance_org = config.by_kind("ambulance")[0]
        shapes = sorted({o.shape_from or o.code for o in self.acute})
        trusts = load_trusts(shapes, config.replay.winter, config.handover.sigma_range,
                             config.acute.four_hour_months, config.handover.min_wait_minutes)
        self.profiles: dict[str, TrustProfile] = {o.code: trusts[o.shape_from or o.code] for o in self.acute}
        self.ambulance: AmbulanceProfile = load_ambulance(self.ambulance_org.shape_from or self.ambulance_org.code)
        first = next(iter(trusts.values()))
        self.calendar = first  # real dates of the replayed days
        self.clock = Clock(config.replay, min(p.days for p in trusts.values()), seed)
        self.curves = Curves(config.rhythm)
        self._events: dict[tuple[str, int], tuple[HandoverEvent, ...]] = {}
        self._status: dict[int, tuple[int, int]] = {}

    # --- names --------------------------------------------------------------
    def name(self, org: Organisation) -> str:
        if org.name:
            return org.name
        if org.kind == "acute":
            return self.profiles[org.code].name
        if org.kind == "ambulance":
            return self.ambulance.name
        return org.code

    # --- pressure -----------------------------------------------------------
    def pressure(self, org_code: str, t: int) -> float:
        """The acute trust's real pressure index for the replayed day (0 = its average day)."""
        return float(self.profiles[org_code].pressure[self.clock.day_index(t)])

    def system_pressure(self, t: int) -> float:
        """ICS pressure: the acute trusts' indices weighted by that day's ambulance arrivals."""
        day = self.clock.day_index(t)
        weights = [float(p.arrivals[day]) for p in self.profiles.values()]
        values = [float(p.pressure[day]) for p in self.profiles.values()]
        total = sum(weights)
        return sum(w * v for w, v in zip(weights, values)) / total if total else 0.0

    # --- handovers ----------------------------------------------------------
    def events_in_hour(self, hospital: str, hour_index: int) -> tuple[HandoverEvent, ...]:
        key = (hospital, hour_index)
        events = self._events.get(key)
        if events is None:
            if len(self._events) > 100_000:
                self._events.clear()
            events = events_for_hour(self.seed, hospital, self.profiles[hospital], hour_index, self.clock,
                                     self.curves, self.config.handover, self.ambulance_org.code)
            self._events[key] = events
        return events

    def handover_events(self, hospital: str, start: int, end: int) -> list[HandoverEvent]:
        """Events at ``hospital`` whose ambulance arrives (or would have) in hours [start, end)."""
        out: list[HandoverEvent] = []
        for hour in range(start // HOUR, -(-end // HOUR)):
            out.extend(self.events_in_hour(hospital, hour))
        return out

    def lookback_seconds(self) -> int:
        """How long before a state change its event's arrival hour can start."""
        h = self.config.handover
        return int((h.max_wait_minutes + h.turnaround_minutes[1]) * 60) + HOUR

    def mean_handover_minutes(self, hospital: str, t: int) -> float:
        """Mean arrival-to-handover of handovers completed in the window before ``t``.

        With none completed in the window, the mean of the day's wait
        distribution at that hour.
        """
        window = int(self.config.handover.mean_window_minutes * 60)
        waits = [e.wait_minutes for e in self.handover_events(hospital, t - window - self.lookback_seconds(), t)
                 if e.handed_over_at is not None and t - window < e.handed_over_at <= t]
        if waits:
            return sum(waits) / len(waits)
        _, hour, _ = self.clock.local(t)
        return expected_wait(self.profiles[hospital], self.clock.day_index(t), hour, self.curves,
                             self.config.handover)

    # --- OPEL parameters ----------------------------------------------------
    def _modelled(self, m: MetricModel, base: float, crowd: float, z: float, t: int, org: str,
                  knot_minutes: float) -> float:
        n = smooth(self.seed, t, knot_minutes * 60, "metric", org, m.metric)
        value = base * crowd ** m.crowding * math.exp(m.pressure * z + m.noise * n)
        return self._finish(m.metric, value, m.integer)

    def _finish(self, metric: str, value: float, integer: bool = False) -> float:
        d = self.catalogue[metric]
        value = min(max(float(value), d.valid_min), d.valid_max)
        if integer or d.unit == "count":
            return float(round(value))
        return round(value, 0 if d.unit == "seconds" else 1)

    def acute_values(self, org: str, t: int) -> dict[str, float]:
        """Every acute OPEL parameter for trust ``org`` at ``t`` (units as in the catalogue)."""
        a = self.config.acute
        p = self.profiles[org]
        day = self.clock.day_index(t)
        _, hour, _ = self.clock.local(t)
        z = float(p.pressure[day])
        crowd = self.curves.crowding(hour)

        def noise(name: str) -> float:
            return smooth(self.seed, t, a.noise_knot_minutes * 60, "metric", org, name)

        values = {
            "mean_handover_minutes": self._finish("mean_handover_minutes", self.mean_handover_minutes(org, t)),
            "ga_bed_occupancy_pct": self._finish(
                "ga_bed_occupancy_pct", p.occupancy_pct[day] + self.curves.bed_occupancy_offset(hour)
                + a.bed_noise_points * noise("ga_bed_occupancy_pct")),
            "escalation_beds_open_pct": self._finish(
                "escalation_beds_open_pct", p.escalation_pct[day] + a.escalation_noise_points * noise("escalation")),
            "nctr_bed_occupancy_pct": self._finish(
                "nctr_bed_occupancy_pct", p.los21_pct[day] * a.nctr_per_los21 + 0.5 * noise("nctr")),
        }
        for m in a.metrics:
            base = p.four_hour_pct if m.base == "data" else float(m.base)
            values[m.metric] = self._modelled(m, base, crowd, z, t, org, a.noise_knot_minutes)
        return values

    def pillar_values(self, org: Organisation, t: int) -> dict[str, float]:
        """OPEL parameters for a community, mental health or NHS 111 provider at ``t``."""
        model: PillarModel = getattr(self.config, org.kind)
        _, hour, weekday = self.clock.local(t)
        crowd = self.curves.profile(model.crowding_profile, hour, weekday) ** model.crowding_scale
        z = self.system_pressure(t)
        return {m.metric: self._modelled(m, float(m.base), crowd, z, t, org.code, model.noise_knot_minutes)
                for m in model.metrics}

    def opel_values(self, org: Organisation, t: int) -> dict[str, float]:
        if org.kind == "acute":
            return self.acute_values(org.code, t)
        return self.pillar_values(org, t)

    # --- ambulance ----------------------------------------------------------
    def _month(self, t: int):
        real = self.calendar.real_date(self.clock.day_index(t))
        return self.ambulance.month(real.year, real.month)

    def expected_c2_minutes(self, t: int) -> float:
        """Category 2 mean response expected at ``t`` (minutes), without noise."""
        amb = self.config.ambulance
        _, hour, _ = self.clock.local(t)
        c2 = self._month(t)["C2"].mean_seconds
        return (c2 * self.curves.crowding(hour) ** amb.response_crowding
                * math.exp(amb.response_pressure * self.system_pressure(t)) / 60.0)

    def _block_levels(self, block: int) -> tuple[int, int]:
        levels = self._status.get(block)
        if levels is None:
            amb = self.config.ambulance
            c2 = self.expected_c2_minutes(block * amb.reap_block_minutes * 60)
            levels = (1 + sum(c2 > x for x in amb.reap_c2_mean_minutes),
                      sum(c2 > x for x in amb.csp_c2_mean_minutes))
            self._status[block] = levels
        return levels

    def ambulance_status(self, t: int) -> AmbulanceStatus:
        """REAP and CSP at ``t``: decided per block from the expected C2 mean, held for the block."""
        size = self.config.ambulance.reap_block_minutes * 60
        block = t // size
        levels = self._block_levels(block)
        first = block
        while first > block - 7 * 86400 // size and self._block_levels(first - 1) == levels:
            first -= 1
        return AmbulanceStatus(levels[0], levels[1], first * size)

    def response_times(self, period_start: int, period_end: int) -> list[dict]:
        """C1-C4 incidents, mean and 90th centile (seconds) for incidents in the period."""
        amb = self.config.ambulance
        month = self._month(period_start)
        _, hour, _ = self.clock.local(period_start)
        crowd = self.curves.crowding(hour) ** amb.response_crowding
        z = self.system_pressure(period_start)
        share = self.curves.arrival_share[int(hour) % 24] * (period_end - period_start) / HOUR
        out = []
        for cat in CATEGORIES:
            m = month[cat]
            incidents = poisson(self.seed, m.incidents_per_day * share, "incidents", cat, period_start)
            row: dict = {"category": cat, "incidents": incidents, "mean_seconds": None, "p90_seconds": None}
            if incidents:
                n = smooth(self.seed, period_start, amb.noise_knot_minutes * 60, "response", cat)
                mean = m.mean_seconds * crowd * math.exp(amb.response_pressure * z + amb.response_noise * n)
                ratio = m.p90_seconds / m.mean_seconds
                p90 = mean * ratio * math.exp(0.5 * amb.response_noise * normal(self.seed, "p90", cat, period_start))
                row["mean_seconds"] = float(round(mean))
                row["p90_seconds"] = float(round(max(p90, mean)))
            out.append(row)
        return out

    # --- critical care ------------------------------------------------------
    def critcon(self, org: str, t: int) -> dict | None:
        """CRITCON level and adult critical care beds, or None for a trust without any."""
        c = self.config.critcon
        p = self.profiles[org]
        day = self.clock.day_index(t)
        staffed = int(round(p.cc_staffed[day]))
        if staffed <= 0:
            return None
        n = smooth(self.seed, t, c.noise_knot_minutes * 60, "critcon", org)
        occupied = min(max(int(round(p.cc_occupied[day] + c.noise_beds * n)), 0), staffed + 2)
        level = sum(occupied / staffed > x for x in c.occupancy_thresholds)
        return {"level": min(level, MAX_UNIT_CRITCON), "staffed_beds": staffed, "occupied_beds": occupied}
