"""Daily forecasts of the sitrep series, 1..7 days ahead with 80% intervals (issue 20).

Pure functions over numpy: no Qt, no network, no replica.  ``model`` is the API (``forecast``,
``forecast_many``), ``backtest`` the rolling-origin evaluation, ``smoothing`` the engine,
``calendar`` bank holidays by rule, ``series`` reading sitrep-shaped CSV files.  The method and
its measured accuracy: docs/forecasting.md.
"""
