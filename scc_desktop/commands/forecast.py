"""``scc-desktop forecast backtest``: the daily model against seasonal naive on any sitrep-shaped CSV.

    scc-desktop forecast backtest --csv FILE --series COLUMN [--org ODS] [--horizon 7] [--pool FILE] --json

Rolling origin over the file (``models.forecast.backtest``).  Exit codes: 0 success; 2 bad input
(the message names the field and the reason: a missing file or column, a bad date or number, an
organisation the file does not hold, too little history to forecast).
"""

from __future__ import annotations

import json
from pathlib import Path

from scc_desktop.errors import UserError


def register(subparsers) -> None:
    forecast = subparsers.add_parser("forecast", help="backtest the daily forecast model on a sitrep series")
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
