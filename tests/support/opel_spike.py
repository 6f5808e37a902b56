"""An acute trust's OPEL parameters, hourly, for tests of an OPEL level raised on a figure in doubt.

Under the bundled acute table (weighted totals 0-40; OPEL 4 from 30): ``AT_3`` scores 27 (OPEL 3), every
parameter in its third band but ED majors/resus occupancy in its best (80%, 0 points).  One hour's
occupancy of 480% (a slip for 48.0) scores 4 more: OPEL 4, on a value the jump check calls a spike.
``AT_4`` scores 32 (OPEL 4 on every hour) with escalation beds in their best band (0%, 0 points).
"""

from __future__ import annotations

from datetime import datetime, timedelta

SPIKED = "ed_majors_resus_occupancy_pct"
IDLE = "escalation_beds_open_pct"
AT_3 = {"mean_handover_minutes": 50, "ed_over_12h_from_arrival_pct": 18, SPIKED: 80,
        "ed_four_hour_performance_pct": 65, "ed_median_time_to_treatment_minutes": 150,
        "ed_referred_to_service_pct": 35, "ga_bed_occupancy_pct": 97, IDLE: 8, "nctr_bed_occupancy_pct": 18}
AT_4 = {"mean_handover_minutes": 70, "ed_over_12h_from_arrival_pct": 25, SPIKED: 160,
        "ed_four_hour_performance_pct": 50, "ed_median_time_to_treatment_minutes": 200,
        "ed_referred_to_service_pct": 45, "ga_bed_occupancy_pct": 99, IDLE: 0, "nctr_bed_occupancy_pct": 25}
HOURS = 12


def items(at: datetime, values: dict[str, float]) -> list[dict]:
    return [{"type": "observation", "metric": k, "observed_at": at.isoformat(), "value": v} for k, v in values.items()]


def history(start: datetime, values: dict[str, float]) -> list[list[dict]]:
    """``HOURS`` hourly submissions from ``start``, occupancy moving a little (78-80%) as a real one does."""
    out = []
    for n in range(HOURS):
        hour = dict(values)
        if hour[SPIKED] == 80:
            hour[SPIKED] = 78 + n % 3
        out.append(items(start + timedelta(hours=n), hour))
    return out
