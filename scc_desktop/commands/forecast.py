"""``scc-desktop forecast backtest``: the daily model against seasonal naive on any sitrep-shaped CSV;
``scc-desktop forecast week``: the week ahead from the replica (``models.service.week_ahead``).

    scc-desktop forecast backtest --csv FILE --series COLUMN [--org ODS] [--horizon 7] [--pool FILE] --json
    scc-desktop forecast week [--path REPLICA] [--site ODS] [--at TIME] [--json]

Rolling origin over the file (``models.forecast.backtest``).  Exit codes: 0 success; 2 bad input
(the message names the field and the reason: a missing file or column, a bad date or number, an
organisation the file does not hold, too little history to forecast).
"""

from __future__ import annotations

import json
from pathlib import Path

from scc_desktop.errors import UserError


def register(subparsers) -> None:
    forecast = subparsers.add_parser("forecast", help="the daily forecast: backtest it on a sitrep series, or the week ahead from the replica")
    sub = forecast.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)
    back = sub.add_parser("backtest", help="rolling-origin backtest of the model against seasonal naive")
    back.add_argument("--csv", type=Path, required=True, help="daily CSV: date, winter, [org_code], series columns")
    back.add_argument("--series", required=True, help="the column to forecast, e.g. ambulance_arrivals")
    back.add_argument("--org", default=None, help="organisation (ODS code) when the file holds several")
    back.add_argument("--pool", type=Path, default=None,
                      help="another CSV with the same series (e.g. the trusts beside an England total) whose "
                           "organisations help choose the smoothing weights, each up to the origin only; not scored")
    back.add_argument("--horizon", default="7", help="days ahead, 1 to 14 (default 7)")
    back.add_argument("--json", action="store_true", help="one JSON object (the default is a table)")
    back.set_defaults(handler=_backtest)
    week = sub.add_parser(
        "week", help="the week ahead from the replica: the system's and each acute site's "
                     "daily arrivals, long handovers and occupancy, 7 days with 80%% intervals",
        description="Print the week ahead as the app's Week ahead view shows it, from the replica alone (no hub "
                    "needed): for the system (its acute sites summed) and each acute site, the next seven UK days' "
                    "forecasts with 80% intervals of ambulance arrivals, handovers over 30 and up to 60 minutes, "
                    "handovers over 60 minutes and (sites only) G&A bed occupancy, each with how its own "
                    "forecasts have done over the history.  The forecasts learn from up to the last twelve weeks "
                    "of whole UK days the replica holds, to yesterday (earlier, with a warning, when the feed has "
                    "been quiet).  When the feed has been heard today, today's counts so far (arrivals and "
                    "handovers by the UK day of arrival, to the time shown) are printed beside today's forecast, "
                    "and said when already above its range.")
    week.add_argument("--path", type=Path, default=None, help="replica file (default: the per-user data folder)")
    week.add_argument("--site", default=None, help="only this acute site (ODS code); the default is every site")
    week.add_argument("--at", default=None, help="the time to forecast as at (ISO 8601 or dd/mm/yyyy hh:mm; no "
                                                 "offset = UK time): only what the replica held by then; default now")
    week.add_argument("--json", action="store_true", help="one JSON object (the default is text)")
    week.set_defaults(handler=_week)


def _horizon(text: str) -> int:
    from models.forecast.model import MAX_HORIZON

    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_HORIZON:
        raise UserError(f"horizon: {text!r} is not a whole number of days from 1 to {MAX_HORIZON}", 2)
    return value


def _backtest(args) -> int:
    from models.forecast.backtest import backtest
    from models.forecast.series import read_csv

    try:
        panel = read_csv(args.csv, args.series, args.org)
        horizon = _horizon(args.horizon)
        if args.org is not None:
            # The weights are chosen across every organisation of the file (cross-learning), as the
            # shipped tables are made; only --org's figures are printed.
            panel = read_csv(args.csv, args.series, all_orgs=True)
        pool = read_csv(args.pool, args.series, all_orgs=True) if args.pool else None
        results = backtest(panel, horizon, pool)
        result = results[0] if args.org is None else next(b for b in results if b.org == args.org)
    except ValueError as exc:
        raise UserError(str(exc), 2) from None
    if result.origins == 0:
        raise UserError(f"series: {args.series} has too little history in {args.csv} to forecast from "
                        f"(a forecast needs three weeks of values in a run of days)", 2)
    if args.json:
        print(json.dumps(result.as_json(), indent=1))
        return 0
    who = f" for {result.org}" if result.org else ""
    print(f"{result.series}{who}: {result.origins} origins")
    print(f"{'h':>2}  {'MAE':>10}  {'naive MAE':>10}  {'MASE':>6}  {'80% cover':>9}")
    for h in result.horizons:
        print(f"{h.h:>2}  {h.mae:>10.1f}  {h.mae_seasonal_naive:>10.1f}  {h.mase:>6.3f}  {h.coverage_80:>9.2f}")
    print(f"mean MASE {result.mean_mase:.3f}, mean coverage {result.mean_coverage:.2f}")
    return 0


def _week(args) -> int:
    from models.forecast.calendar import WORDS
    from models.replica.orm.types import utcnow
    from models.service import week_ahead as door
    from models.uk_time import UK, parse_uk_time, uk_date, uk_time
    from scc_desktop import paths, unlock

    try:
        at = utcnow() if args.at is None else parse_uk_time(args.at)
    except ValueError as exc:
        raise UserError(f"--at: {exc}", 2) from None
    with unlock.open_store(args.path or paths.default_replica()) as store:
        page = door.week_ahead(store, at)
    if args.site is not None and args.site not in page.places:
        known = ", ".join(c for c in page.places if c != door.SYSTEM) or "none"
        raise UserError(f"site: {args.site!r} is not an acute site this replica holds (it holds: {known})", 2)
    places = [p for code, p in page.places.items() if args.site in (None, code)]
    if args.json:
        print(json.dumps({
            "origin": page.origin.isoformat() if page.origin else None,
            "data_to": page.data_to.isoformat() if page.data_to else None,
            "stale_days": page.stale_days,
            "so_far_to": page.so_far_to.isoformat() if page.so_far_to else None,
            "places": [{"code": p.code, "name": p.name,
                        "left_out": [{"code": c, "name": n, "day": d.isoformat(), "why": w} for c, n, d, w in p.left_out],
                        "series": [{
                "key": s.measure.key, "label": s.measure.label, "unit": s.measure.unit,
                "reason": s.forecast.reason or None,
                "record": {"mase": round(s.record.mase, 4), "coverage_80": round(s.record.coverage, 4),
                           "days": s.record.days} if s.record else None,
                "days": [{"day": d.day.isoformat(), "value": round(d.value, 2), "low": round(d.low, 2),
                          "high": round(d.high, 2), "holiday": WORDS[d.holiday] if d.holiday else None}
                         for d in s.forecast.days],
                "so_far_today": _so_far_json(page, s)} for s in p.series.values()]} for p in places]},
            indent=1, ensure_ascii=False))
        return 0
    if page.origin is None:
        print("No data to forecast from: this replica holds no arrivals or occupancy for any acute site yet.")
        return 0
    print(f"Week ahead: daily forecasts with 80% intervals, from data to {uk_date(page.origin)} "
          f"(UK days; newest data {uk_time(page.data_to)}; learned from {door.history_words(page)}).")
    if page.so_far_to:
        print(f"Today's counts so far (to {page.so_far_to.astimezone(UK):%H:%M} UK time) are beside today's forecast, "
              "counted by the UK day of arrival as the history is; occupancy has none (the mean of the hours so "
              "far is not the day's).")
    if page.stale_days:
        print(f"WARNING: built on data {page.stale_days} day{'s' if page.stale_days != 1 else ''} old: "
              "no arrivals or figures newer than that have reached this desktop.")
    for p in places:
        print(f"\n{p.name}" + (f" ({p.code})" if p.code != door.SYSTEM else ""))
        if p.left_out:
            print(f"  {door.left_out_words(p)}")
        for s in p.series.values():
            if not s.forecast.days:
                print(f"  {s.measure.label}: {s.forecast.reason}")
                if s.so_far is not None:
                    print(f"    {door.so_far_label(page)}: {_number(s.so_far, '')}")
                continue
            print(f"  {s.measure.label}:  {door.record_words(s.record)}")
            spans = [f"(80%: {_number(d.low, s.measure.unit)} to {_number(d.high, s.measure.unit)})"
                     for d in s.forecast.days]
            for d, span in zip(s.forecast.days, spans):
                shown = _number(d.value, s.measure.unit)
                note = f"  ({WORDS[d.holiday]})" if d.holiday else ""
                if d is s.today:
                    standing = door.standing_words(s)
                    note += (f"  {door.so_far_label(page)}: {_number(s.so_far, '')}"
                             + (f", {standing.upper() if s.above_range else standing}" if standing else ""))
                # The date padded to its longest ("Wed 30 Sep 2026"): the figures line up on every day.
                print(f"    {uk_date(d.day):<15}  {shown:>7}  {span:<{max(map(len, spans))}}{note}".rstrip())
    return 0


def _so_far_json(page, s) -> dict | None:
    """Today's count so far, and how it stands against today's forecast ("above" its range, "past" its
    figure, or None); None when the series has no count so far (occupancy, a quiet feed)."""
    from models.service import week_ahead as door
    from models.uk_time import UK

    if s.so_far is None:
        return None
    return {"day": page.so_far_to.astimezone(UK).date().isoformat(), "to": page.so_far_to.isoformat(),
            "value": round(s.so_far), "standing": door.standing(s) or None, "above_range": s.above_range}


def _number(value: float, unit: str) -> str:
    return f"{value:.1f}%" if unit == "%" else f"{value:,.0f}"
