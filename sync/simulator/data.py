"""The real NHS figures the simulator replays, read from ``resources/data/``.

Only the bundled subset is read (see ``resources/data/PROVENANCE.md``); the
project never reads the shared source folder at run or test time.

- :func:`load_trusts`: per acute trust, one value per day of a sitrep winter
  (ambulance arrivals, shares of arrivals with handover delays over 30 and over
  60 minutes, G&A occupancy, escalation beds, 21+ day stays, adult critical
  care beds) trimmed to whole weeks starting on a Monday, plus a daily
  pressure index and the daily lognormal handover-wait distribution fitted to
  the two delay shares; and the trust's recent four-hour performance.
- :func:`load_ambulance`: an ambulance service's monthly response times.

Missing days (blank, or zero arrivals / zero beds, which the sitrep notes mean
"not submitted") are filled by linear interpolation between neighbouring days.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

import resources
from sync.simulator.noise import std_normal_quantile

DATA_DIR = resources.path("data")
CATEGORIES = ("C1", "C2", "C3", "C4")


class DataError(ValueError):
    pass


@dataclass(frozen=True)
class TrustProfile:
    """Daily series for one acute trust; index 0 is ``first_day`` (a Monday)."""

    code: str
    name: str
    first_day: date
    arrivals: np.ndarray        # ambulance arrivals per day
    p30: np.ndarray             # share of arrivals with a handover delay over 30 minutes
    p60: np.ndarray             # share over 60 minutes
    occupancy_pct: np.ndarray   # G&A beds occupied / open, 0-100+
    escalation_pct: np.ndarray  # G&A escalation beds open / G&A beds open, 0-100
    los21_pct: np.ndarray       # beds occupied by 21+ day stays / beds occupied, 0-100
    cc_staffed: np.ndarray      # adult critical care beds open
    cc_occupied: np.ndarray
    pressure: np.ndarray        # daily pressure index (z-score, see _pressure)
    wait_mu: np.ndarray         # wait = shift + lognormal(mu, sigma) minutes, fitted per day
    wait_sigma: np.ndarray
    four_hour_pct: float        # recent mean A&E four-hour performance, 0-100
    ga_core_beds: float         # mean G&A core beds open over the winter (the hub's roll-up size)

    @property
    def days(self) -> int:
        return len(self.arrivals)

    def real_date(self, index: int) -> date:
        return self.first_day + timedelta(days=index)


@dataclass(frozen=True)
class MonthResponse:
    incidents_per_day: float
    mean_seconds: float
    p90_seconds: float


@dataclass(frozen=True)
class AmbulanceProfile:
    code: str
    name: str
    months: dict[tuple[int, int], dict[str, MonthResponse]]  # (year, month) -> category -> figures

    def month(self, year: int, month: int) -> dict[str, MonthResponse]:
        """Figures for the month, or the nearest month held when that one is absent."""
        if (year, month) in self.months:
            return self.months[(year, month)]
        key = min(self.months, key=lambda ym: abs((ym[0] * 12 + ym[1]) - (year * 12 + month)))
        return self.months[key]


def _read(name: str, data_dir: Path | None) -> list[dict[str, str]]:
    path = (data_dir or DATA_DIR) / name
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except FileNotFoundError:
        raise DataError(f"{path}: bundled data file missing; regenerate it with "
                        "'python -m sync.simulator.extract_data'") from None


def _num(text: str) -> float:
    return float(text) if text.strip() else math.nan


def _fill(values: np.ndarray) -> np.ndarray:
    ok = np.isfinite(values)
    if not ok.any():
        return np.zeros_like(values)
    idx = np.arange(len(values))
    return np.interp(idx, idx[ok], values[ok])


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = float(np.std(x))
    return (x - float(np.mean(x))) / sd if sd > 0 else np.zeros_like(x)


def fit_lognormal(p30: float, p60: float, sigma_range: tuple[float, float],
                  shift: float = 0.0) -> tuple[float, float]:
    """``(mu, sigma)`` so that ``shift + lognormal(mu, sigma)`` minutes has P(>30) = p30, P(>60) = p60.

    ``shift`` is the shortest possible handover. Shares are clamped into a
    solvable range first (p30 within [0.005, 0.95], p60 within
    [1e-6, 0.8 * p30]; a day with no delays over 60 minutes means a thin
    tail, not an undefined one) and sigma into ``sigma_range``; when sigma is
    clamped, mu still matches P(>30).
    """
    p30 = min(max(p30, 0.005), 0.95)
    p60 = min(max(p60, 1e-6), 0.8 * p30)
    a, b = math.log(30.0 - shift), math.log(60.0 - shift)
    z30 = std_normal_quantile(1.0 - p30)
    z60 = std_normal_quantile(1.0 - p60)
    sigma = (b - a) / (z60 - z30)
    sigma = min(max(sigma, sigma_range[0]), sigma_range[1])
    return a - sigma * z30, sigma


def _four_hour(code: str, months: int, data_dir: Path | None) -> float:
    rows = [r for r in _read("ae_monthly_by_trust_2021_2025.csv", data_dir)
            if r["org_code"] == code and r["attendances_over_4h"].strip() and r["total_attendances"].strip()]
    rows.sort(key=lambda r: r["month_start"])
    rows = rows[-months:]
    if not rows:
        raise DataError(f"no four-hour figures for trust {code} in ae_monthly_by_trust_2021_2025.csv")
    shares = [1.0 - float(r["attendances_over_4h"]) / float(r["total_attendances"]) for r in rows]
    return 100.0 * sum(shares) / len(shares)


def load_trusts(codes: list[str], winter: str, sigma_range: tuple[float, float],
                four_hour_months: int = 12, wait_shift: float = 0.0,
                data_dir: Path | None = None) -> dict[str, TrustProfile]:
    """Profiles for ``codes`` from the bundled sitrep subset (raises :class:`DataError`)."""
    names = {r["org_code"]: r["org_name"] for r in _read("sitrep_trusts.csv", data_dir)}
    rows = [r for r in _read("sitrep_daily_trust_winter.csv", data_dir) if r["winter"] == winter]
    out: dict[str, TrustProfile] = {}
    for code in codes:
        mine = sorted((r for r in rows if r["org_code"] == code), key=lambda r: r["date"])
        if not mine:
            raise DataError(f"trust {code} has no {winter} rows in the bundled sitrep subset; "
                            f"set shape_from to one of {', '.join(sorted(names))} or regenerate the "
                            f"subset with 'python -m sync.simulator.extract_data SOURCE --trusts ...'")
        out[code] = _profile(code, names.get(code, code), mine, sigma_range, wait_shift,
                             _four_hour(code, four_hour_months, data_dir))
    return out


def _profile(code: str, name: str, rows: list[dict[str, str]], sigma_range: tuple[float, float],
             wait_shift: float, four_hour: float) -> TrustProfile:
    first = date.fromisoformat(rows[0]["date"])
    skip = (7 - first.weekday()) % 7
    by_date = {r["date"]: r for r in rows}
    start = first + timedelta(days=skip)
    n_days = ((date.fromisoformat(rows[-1]["date"]) - start).days + 1) // 7 * 7
    if n_days < 7:
        raise DataError(f"trust {code}: fewer than 7 whole days in the sitrep subset")
    dates = [(start + timedelta(days=i)).isoformat() for i in range(n_days)]

    def col(name: str, zero_is_missing: bool = False) -> np.ndarray:
        values = np.array([_num(by_date[d][name]) if d in by_date else math.nan for d in dates])
        if zero_is_missing:
            values[values == 0] = math.nan
        return values

    arrivals = col("ambulance_arrivals", zero_is_missing=True)
    beds_open = col("ga_beds_open", zero_is_missing=True)
    occupied = col("ga_beds_occupied", zero_is_missing=True)
    p30 = _fill((col("handover_delays_30_60_min") + col("handover_delays_over_60_min")) / arrivals)
    p60 = _fill(col("handover_delays_over_60_min") / arrivals)
    occupancy = _fill(100.0 * occupied / beds_open)
    escalation = _fill(100.0 * col("ga_escalation_beds_open") / beds_open)
    los21 = _fill(100.0 * col("beds_occupied_los_21plus_days") / occupied)
    arrivals = _fill(arrivals)
    fits = [fit_lognormal(a, b, sigma_range, wait_shift) for a, b in zip(p30, p60)]
    return TrustProfile(
        code=code, name=name, first_day=start, arrivals=arrivals, p30=p30, p60=p60,
        occupancy_pct=occupancy, escalation_pct=escalation, los21_pct=los21,
        cc_staffed=_fill(col("adult_cc_beds_open")), cc_occupied=_fill(col("adult_cc_beds_occupied")),
        pressure=_pressure(p30, occupancy),
        wait_mu=np.array([m for m, _ in fits]), wait_sigma=np.array([s for _, s in fits]),
        four_hour_pct=four_hour, ga_core_beds=float(np.mean(_fill(col("ga_core_beds_open", True)))))


def _pressure(p30: np.ndarray, occupancy: np.ndarray) -> np.ndarray:
    """Daily pressure: the mean of the trust's own z-scores of handover delays and occupancy.

    0 is the trust's average winter day; +1 is one standard deviation worse.
    """
    return (_zscore(p30) + _zscore(occupancy)) / 2.0


def load_ambulance(code: str, data_dir: Path | None = None) -> AmbulanceProfile:
    """Monthly C1-C4 incidents, mean and 90th centile for one service (AmbSYS subset)."""
    rows = [r for r in _read("ambsys_monthly_response_times.csv", data_dir) if r["org_code"] == code]
    months: dict[tuple[int, int], dict[str, MonthResponse]] = {}
    name = code
    for r in rows:
        start = date.fromisoformat(r["month_start"])
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        days = (next_month - start).days
        cats: dict[str, MonthResponse] = {}
        for cat in CATEGORIES:
            c = cat.lower()
            incidents = _num(r[f"incidents_{c}"])
            mean = _num(r[f"{c}_mean_response_seconds"])
            p90 = _num(r[f"{c}_p90_response_seconds"])
            if all(math.isfinite(v) for v in (incidents, mean, p90)) and mean > 0:
                cats[cat] = MonthResponse(incidents / days, mean, p90)
        if len(cats) == len(CATEGORIES):
            months[(start.year, start.month)] = cats
            name = _title(r["org_name"])
    if not months:
        raise DataError(f"ambulance service {code} has no complete months in the bundled AmbSYS subset")
    return AmbulanceProfile(code, name, months)


def _title(upper: str) -> str:
    """'EAST MIDLANDS AMBULANCE SERVICE NHS TRUST' -> 'East Midlands Ambulance Service NHS Trust'."""
    keep = {"NHS", "UK"}
    small = {"and", "of", "the"}
    words = []
    for i, w in enumerate(upper.split()):
        lw = w.lower()
        words.append(w if w in keep else lw if (lw in small and i) else lw.capitalize())
    return " ".join(words)
