"""Ambulance handover (offload) events at each hospital.

Per hospital and UTC hour, the number of arriving ambulances is Poisson with
mean = the replayed real day's ambulance arrivals x the hour's share of
arrivals. Each ambulance's wait from arrival to handover is
``min_wait + lognormal(mu, sigma)`` minutes, where ``(mu, sigma)`` were fitted
to that real day's shares of handovers over 30 and over 60 minutes, shifted by
the log of the hour's crowding factor (so waits lengthen into the evening
peak) and by slowly varying noise shared by the hospital (so bad hours
cluster). Then the crew clears after a turnaround.

States: ``en_route`` (reported ``travel`` minutes before arrival, with an ETA)
-> ``arrived`` -> ``handed_over`` -> ``cleared``; a few are ``cancelled``
while en route and never arrive. Every event is a pure function of
(seed, hospital, hour), so any window of time can be generated on its own.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from sync.simulator.config import HandoverModel
from sync.simulator.data import TrustProfile
from sync.simulator.noise import normal, poisson, smooth, uniform
from sync.simulator.rhythm import Clock, Curves

HOUR = 3600
STATE_ORDER = {"en_route": 0, "arrived": 1, "handed_over": 2, "cleared": 3, "cancelled": 4}
_EVENT_NS = uuid.UUID("6f1c1c52-3d1e-4d6e-9a4e-5c0b9f7a1d20")


@dataclass(frozen=True)
class HandoverEvent:
    """One ambulance at one hospital; times are epoch seconds (None when not reached)."""

    event_uuid: str
    hospital_code: str
    vehicle_ref: str
    en_route_at: int
    eta_at: int
    arrived_at: int | None
    handed_over_at: int | None
    cleared_at: int | None
    cancelled_at: int | None

    @property
    def wait_minutes(self) -> float | None:
        """Arrival to handover, minutes."""
        if self.arrived_at is None or self.handed_over_at is None:
            return None
        return (self.handed_over_at - self.arrived_at) / 60.0

    def changes(self) -> list[tuple[int, str]]:
        """``(time, state)`` for every state this event reaches, in order."""
        if self.cancelled_at is not None:
            return [(self.en_route_at, "en_route"), (self.cancelled_at, "cancelled")]
        return [(self.en_route_at, "en_route"), (self.arrived_at, "arrived"),
                (self.handed_over_at, "handed_over"), (self.cleared_at, "cleared")]

    def state_at(self, t: int) -> str | None:
        """State at ``t`` (None before it was en route)."""
        state = None
        for when, name in self.changes():
            if when <= t:
                state = name
        return state


def events_for_hour(seed: int, hospital: str, profile: TrustProfile, hour_index: int, clock: Clock,
                    curves: Curves, model: HandoverModel, ambulance_code: str) -> tuple[HandoverEvent, ...]:
    """Every ambulance arriving at ``hospital`` in UTC hour ``hour_index`` (hours since the epoch)."""
    start = hour_index * HOUR
    day = clock.day_index(start)
    _, local_hour, _ = clock.local(start)
    lam = profile.arrivals[day] * curves.arrival_share[int(local_hour) % 24] * model.arrivals_scale
    n = poisson(seed, lam, "arrivals", hospital, hour_index)
    events = []
    for i in range(n):
        key = ("handover", hospital, hour_index, i)
        arrived = start + int(uniform(seed, *key, "at") * HOUR)
        _, h, _ = clock.local(arrived)
        travel = _between(model.travel_minutes, uniform(seed, *key, "travel"))
        en_route = arrived - int(travel * 60)
        eta = arrived + int(round(normal(seed, *key, "eta") * 2.0)) * 60  # crews' ETAs are a little off
        event_id = str(uuid.uuid5(_EVENT_NS, f"{seed}/{hospital}/{hour_index}/{i}"))
        vehicle = f"{ambulance_code}-{1000 + int(uniform(seed, *key, 'vehicle') * 9000)}"
        if uniform(seed, *key, "cancel") < model.cancel_rate:
            cancelled = en_route + int(travel * 60 * uniform(seed, *key, "cancel-at"))
            events.append(HandoverEvent(event_id, hospital, vehicle, en_route, eta, None, None, None,
                                        max(cancelled, en_route + 60)))
            continue
        wait = wait_minutes(seed, profile, day, arrived, h, curves, model, key)
        handed = arrived + int(wait * 60)
        turnaround = _between(model.turnaround_minutes, uniform(seed, *key, "turnaround"))
        events.append(HandoverEvent(event_id, hospital, vehicle, en_route, eta, arrived, handed,
                                    handed + int(turnaround * 60), None))
    return tuple(events)


def wait_minutes(seed: int, profile: TrustProfile, day: int, arrived: int, local_hour: float,
                 curves: Curves, model: HandoverModel, key: tuple) -> float:
    """Arrival-to-handover minutes for one ambulance (clamped to the configured range)."""
    log_wait = (profile.wait_mu[day] + math.log(curves.crowding(local_hour))
                + model.wait_noise * smooth(seed, arrived, 3 * HOUR, "wait-noise", profile.code)
                + _sigma(profile, day, curves, model) * normal(seed, *key, "wait"))
    return min(max(model.min_wait_minutes + math.exp(log_wait), model.min_wait_minutes),
               model.max_wait_minutes)


def _sigma(profile: TrustProfile, day: int, curves: Curves, model: HandoverModel) -> float:
    """The individual spread left once the crowding curve and the shared noise have added theirs.

    The fitted sigma describes a whole real day; the intraday curve and the
    hospital-wide noise already spread the waits, so they are taken out (in
    variance) to keep the day's shares over 30 and 60 minutes near the real ones.
    """
    s = float(profile.wait_sigma[day])
    rest = s * s - curves.crowd_log_var - model.wait_noise ** 2
    return math.sqrt(max(rest, model.sigma_range[0] ** 2 / 2.0))


def expected_wait(profile: TrustProfile, day: int, local_hour: float, curves: Curves,
                  model: HandoverModel) -> float:
    """Mean wait (minutes) of the day's distribution at a local hour, without noise."""
    mu = profile.wait_mu[day] + math.log(curves.crowding(local_hour))
    return model.min_wait_minutes + math.exp(mu + profile.wait_sigma[day] ** 2 / 2.0)


def item(event: HandoverEvent, state: str, iso) -> dict:
    """The protocol ``handover`` item for ``event`` in ``state`` (times it has reached so far)."""
    out = {"type": "handover", "event_uuid": event.event_uuid, "hospital_code": event.hospital_code,
           "vehicle_ref": event.vehicle_ref, "state": state, "eta_at": iso(event.eta_at)}
    rank = STATE_ORDER[state]
    if state != "cancelled":
        if rank >= 1:
            out["arrived_at"] = iso(event.arrived_at)
        if rank >= 2:
            out["handed_over_at"] = iso(event.handed_over_at)
        if rank >= 3:
            out["cleared_at"] = iso(event.cleared_at)
    return out


def _between(bounds: tuple[float, float], u: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * u
