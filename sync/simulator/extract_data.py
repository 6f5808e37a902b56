"""Regenerate ``resources/data/`` (the real NHS figures the simulator is shaped by).

Usage, from the project root::

    python -m sync.simulator.extract_data PATH/TO/shared/data [--out resources/data]
        [--trusts RX1,RK5,RTG,RFS,RWD,RWE,RNQ,RNS] [--winter 2017-18]
        [--ambsys-from 2017-11-01 --ambsys-to 2018-03-01]

``PATH/TO/shared/data`` is the folder described by its ``README.md`` (the
copied NHS England publications). Rows and columns are selected only; every
value is copied verbatim as text, nothing is recomputed, rounded or imputed.
The simulator never reads the source folder: it reads only the subset this
script writes. Not run by the tests. After running it, update
``resources/data/PROVENANCE.md`` if the selection changed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

DEFAULT_TRUSTS = ("RX1", "RK5", "RTG", "RFS", "RWD", "RWE", "RNQ", "RNS")

SITREP_COLUMNS = ("date", "winter", "org_code", "ambulance_arrivals", "handover_delays_30_60_min",
                  "handover_delays_over_60_min", "ga_core_beds_open", "ga_escalation_beds_open",
                  "ga_beds_open", "ga_beds_occupied", "beds_occupied_los_21plus_days",
                  "adult_cc_beds_open", "adult_cc_beds_occupied")
TRUST_COLUMNS = ("org_code", "org_name", "nhs_region_at_last_report", "winters_reported",
                 "first_date", "last_date")
AMBSYS_COLUMNS = ("month_start", "org_code", "org_name", "region", "org_level",
                  "incidents_c1", "incidents_c2", "incidents_c3", "incidents_c4",
                  "c1_mean_response_seconds", "c1_p90_response_seconds",
                  "c2_mean_response_seconds", "c2_p90_response_seconds",
                  "c3_mean_response_seconds", "c3_p90_response_seconds",
                  "c4_mean_response_seconds", "c4_p90_response_seconds")
AE_COLUMNS = ("month_start", "org_code", "total_attendances", "attendances_over_4h")


def _copy(src: Path, dst: Path, columns: tuple[str, ...], keep) -> int:
    with src.open(newline="", encoding="utf-8") as fin:
        reader = csv.DictReader(fin)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{src}: missing columns {', '.join(missing)}")
        rows = [{c: row[c] for c in columns} for row in reader if keep(row)]
    with dst.open("w", newline="", encoding="utf-8") as fout:
        writer = csv.DictWriter(fout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def extract(source: Path, out: Path, trusts: tuple[str, ...], winter: str,
            ambsys_from: str, ambsys_to: str) -> dict[str, int]:
    """Write the four subset files into ``out``; returns rows written per file."""
    out.mkdir(parents=True, exist_ok=True)
    wanted = set(trusts)
    counts = {
        "sitrep_daily_trust_winter.csv": _copy(
            source / "sitrep_daily_trust_winter.csv", out / "sitrep_daily_trust_winter.csv",
            SITREP_COLUMNS, lambda r: r["org_code"] in wanted and r["winter"] == winter),
        "sitrep_trusts.csv": _copy(
            source / "sitrep_trusts.csv", out / "sitrep_trusts.csv", TRUST_COLUMNS,
            lambda r: r["org_code"] in wanted),
        # Every ambulance service (org_level provider), so a room can shape its own service.
        "ambsys_monthly_response_times.csv": _copy(
            source / "ambsys_monthly_response_times.csv", out / "ambsys_monthly_response_times.csv",
            AMBSYS_COLUMNS,
            lambda r: r["org_level"] == "provider" and ambsys_from <= r["month_start"] <= ambsys_to),
        "ae_monthly_by_trust_2021_2025.csv": _copy(
            source / "ae_monthly_by_trust_2021_2025.csv", out / "ae_monthly_by_trust_2021_2025.csv",
            AE_COLUMNS, lambda r: r["org_code"] in wanted),
    }
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder holding the full CSV files and README.md")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "resources" / "data")
    parser.add_argument("--trusts", default=",".join(DEFAULT_TRUSTS),
                        help="comma-separated acute trust ODS codes (default: %(default)s)")
    parser.add_argument("--winter", default="2017-18", help="sitrep winter to keep (default: %(default)s)")
    parser.add_argument("--ambsys-from", default="2017-11-01", help="first AmbSYS month kept")
    parser.add_argument("--ambsys-to", default="2018-03-01", help="last AmbSYS month kept")
    args = parser.parse_args(argv)
    trusts = tuple(t.strip().upper() for t in args.trusts.split(",") if t.strip())
    counts = extract(args.source, args.out, trusts, args.winter, args.ambsys_from, args.ambsys_to)
    for name, rows in counts.items():
        size = (args.out / name).stat().st_size
        print(f"{name}: {rows} rows, {size:,} bytes", file=sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
