"""Impossible sequences: a handover cleared before it arrived, a cumulative count going down,
a value stamped after it was received."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from models.rules.quality.facts import Handover, Reading
from models.rules.quality.finding import Finding
from models.uk_time import UK, uk_time

# Counts that only rise through a UK day (they restart at midnight): a fall means a bad value.
CUMULATIVE_TODAY = frozenset({"handover_hours_lost"})
# A value may describe a moment slightly after the hub took it (clocks differ a little);
# beyond this it describes a time that had not happened yet.
FUTURE_TOLERANCE = timedelta(minutes=2)

_ORDER = (("arrived_at", "arrived"), ("handed_over_at", "handed over"), ("cleared_at", "cleared"))


def handovers(events: Iterable[Handover]) -> list[Finding]:
    """Each handover's times as the replica merged them must run arrived, handed over, cleared."""
    out = []
    for e in events:
        times = [(name, label, getattr(e, name)) for name, label in _ORDER if getattr(e, name) is not None]
        for (_, l1, t1), (_, l2, t2) in zip(times, times[1:]):
            if t2 < t1:
                out.append(Finding(
                    "impossible", e.ambulance_org, None,
                    f"Ambulance handover {e.event_uuid} at {e.hospital_code} was {l2} at {uk_time(t2)}, before it "
                    f"was {l1} at {uk_time(t1)}. {e.ambulance_org} should resend the event with corrected times.",
                    severity="warning", submission=e.ref, at=t2, discriminator=f"handover:{e.event_uuid}"))
                break
    return out


def future_values(readings: Iterable[Reading]) -> list[Finding]:
    out = []
    for r in readings:
        ahead = r.observed_at - r.received_at
        if ahead > FUTURE_TOLERANCE:
            out.append(Finding(
                "impossible", r.org_code, r.metric,
                f"{r.metric} from {r.org_code} describes {uk_time(r.observed_at)}, {int(ahead.total_seconds() // 60)} "
                f"minutes after the hub received it ({uk_time(r.received_at)}): a time that had not come yet. "
                "Check the sending system's clock and resend the value with the time it was measured.",
                severity="warning", submission=r.ref, at=r.observed_at,
                discriminator=f"future:{r.observed_at.isoformat()}"))
    return out


def cumulative_falls(readings: Iterable[Reading], metrics: frozenset[str] = CUMULATIVE_TODAY) -> list[Finding]:
    """``readings``: one value per (provider, metric, time), the newest receipt's."""
    series: dict[tuple[str, str, object], list[Reading]] = defaultdict(list)
    for r in readings:
        if r.metric in metrics:
            series[(r.org_code, r.metric, r.observed_at.astimezone(UK).date())].append(r)
    out = []
    for values in series.values():
        values.sort(key=lambda r: r.observed_at)
        for before, after in zip(values, values[1:]):
            if after.value < before.value:
                out.append(Finding(
                    "impossible", after.org_code, after.metric,
                    f"{after.metric} from {after.org_code} fell from {before.value:g} at {uk_time(before.observed_at)} "
                    f"to {after.value:g} at {uk_time(after.observed_at)}; it counts up through the day. "
                    "Resend the value for that time corrected.",
                    severity="warning", submission=after.ref, at=after.observed_at,
                    discriminator=f"fall:{after.observed_at.isoformat()}"))
    return out


def impossible(handover_events: Iterable[Handover], readings: list[Reading]) -> list[Finding]:
    return handovers(handover_events) + future_values(readings) + cumulative_falls(readings)
