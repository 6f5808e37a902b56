"""The CI backtest (issue 20): the model run rolling-origin over the winters the project ships, for
England and for every trust, against seasonal naive over the same origins.  It must beat seasonal
naive at every horizon on average: for each England series, and for the median trust of each.
(~15 s on an idle core; the table in docs/forecasting.md is this run.)"""

from __future__ import annotations

import numpy as np
import pytest

import resources
from models.forecast.backtest import backtest
from models.forecast.model import SERIES
from models.forecast.series import read_csv

ENGLAND = resources.path("data", "sitrep_daily_england_winter.csv")
TRUSTS = resources.path("data", "sitrep_daily_trust_forecast.csv")


@pytest.fixture(scope="module")
def england():
    # England's total chooses its smoothing weights with the trusts (cross-learning; their rows up
    # to each origin only), as docs/forecasting.md's tables are made.
    return {s: backtest(read_csv(ENGLAND, s), pool=read_csv(TRUSTS, s, all_orgs=True))[0] for s in SERIES}


@pytest.fixture(scope="module")
def trusts():
    # A trust whose series never moved (all zero delays) has no MASE: seasonal naive is exact.
    return {s: [b for b in backtest(read_csv(TRUSTS, s, all_orgs=True)) if b.origins and np.isfinite(b.mean_mase)]
            for s in SERIES}


def test_every_england_series_beats_seasonal_naive_at_every_horizon(england):
    for series, result in england.items():
        assert result.origins >= 80, series
        assert len(result.horizons) == 7
        for h in result.horizons:
            assert h.pairs >= 70, (series, h)
            assert h.mae < h.mae_seasonal_naive, (series, h)


def test_every_england_series_beats_seasonal_naive_by_a_margin_with_calibrated_intervals(england):
    # The targets are mean MASE < 0.85 and coverage 0.75-0.85.  Every England series meets
    # the MASE target since round seven's pooled holiday effects (emergency admissions 0.846; 0.858
    # before, which fails here; 0.875 before round four's pooled ranking), and the coverage target
    # since round eleven's festive intervals (A&E attendances 0.824; 0.863 before, which fails here;
    # the lowest now England's 30-60 minute handovers, 0.756).
    for series, result in england.items():
        assert result.mean_mase < 0.85, (series, result.mean_mase)
        assert 0.75 <= result.mean_coverage <= 0.85, (series, result.mean_coverage)


def test_the_mean_over_england_series_beats_seasonal_naive_with_room(england):
    for h in range(7):
        assert np.mean([r.horizons[h].mase for r in england.values()]) < 0.9


def test_the_median_trust_beats_seasonal_naive_at_every_horizon(trusts):
    for series, results in trusts.items():
        assert len(results) >= 100, series       # every acute trust that reported the series
        for h in range(7):
            assert np.median([r.horizons[h].mase for r in results]) < 0.9, (series, h + 1)
        assert np.median([r.mean_mase for r in results]) < 0.85, series


def test_intervals_cover_about_eighty_percent(england, trusts):
    for series, result in england.items():
        assert 0.7 <= result.mean_coverage <= 0.9, (series, result.mean_coverage)
    for series, results in trusts.items():
        assert 0.75 <= np.median([r.mean_coverage for r in results]) <= 0.85, series
