"""The forecasting engine: exponential smoothing with weekly seasonality, holiday effects and
empirical intervals, run causally over a panel of daily series.

On the log scale (``log1p``: the series are counts whose day-to-day changes are proportional),
each series is a level plus a day-of-week term (additive Holt-Winters without trend,
ETS(A,N,A)), plus, on a holiday, that holiday kind's effect.  One pass walks the days in order;
at each day it first scores the forecasts made 1..H days earlier against that day, then updates
the state, then forecasts the next H days from what it has seen so far.  Nothing at a day ever
uses a later day, so the pass that forecasts the last day also is the rolling-origin backtest.

- Smoothing weights: every (alpha, gamma) of a small grid runs side by side; at each origin the
  forecast is the equal-weight mean of the best third of the pairs by mean absolute error over
  horizons 1..H so far (a bed count moves slowly and wants a high alpha; arrivals are noisy and
  want a low one; the data decide).  Averaging the leaders rather than picking the single best
  is a trimmed forecast combination: with a few dozen errors the "best" pair is partly luck,
  and a mean of the good ones is more robust to that luck than any one of them.
- The ranking is learned across series (cross-learning): every series of a pool (``groups``: the
  same series for every organisation of a run) ranks the pairs by the pool's mean of each series'
  own mean absolute log error, so one series' few dozen errors do not decide alone.  Each series
  keeps its own state; only the choice of weights is shared.
- Holidays (``calendar.KINDS``) never update the level or weekday terms; their effect is the mean
  log residual of that kind seen so far in the file, shrunk toward the mean of the pool's other
  organisations that have seen it (``POOL_K``: empirical Bayes), or that pool mean where the series
  has seen none, or the shipped prior for the kind, or none.
- Intervals: split-conformal, from the combination's own out-of-sample errors: percentiles of
  the last ``ERROR_WINDOW`` errors at each horizon (finite-sample order statistics), so they widen
  when a winter gets volatile.  Which percentiles is adapted online per series and horizon
  (adaptive conformal inference, ``STEP``): starting at the 10th and 90th, a horizon that has been
  missing more than 20% of outcomes widens, one missing fewer narrows.  An ordinary target day's
  interval comes from ordinary target days' errors only; a festive (holiday) target's is that
  interval times ``festive_ratio``, how many times an ordinary error a festive one is, learned
  from other winters (round eleven), so a winter's festive errors never widen its January; the
  widening is at most that ratio on the count scale too (a small count's wide interval is not squared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.forecast.calendar import KINDS

ALPHAS = (0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
GAMMAS = (0.0, 0.1, 0.25)
GRID = [(a, g) for a in ALPHAS for g in GAMMAS]
DEFAULT = GRID.index((0.35, 0.1))   # until enough errors exist to choose
TOP = len(GRID) // 3   # the pairs combined: the best third
INIT_DAYS = 7          # ordinary observed days that start a segment's state
MIN_HISTORY = 21       # ordinary observed days in a segment before a forecast is offered
MIN_CHOOSE = 14        # one-step errors before the weights are chosen by the data
ERROR_WINDOW = 56      # errors (per horizon) behind an interval: the last eight weeks
MIN_QUANTILE = 10      # errors at a horizon for its own interval; fewer: scaled from the nearest shorter one
COVERAGE = 0.8
# Adaptive conformal inference (Gibbs and Candes, 2021): after each scored outcome a horizon's
# target miss rate moves by STEP x (0.2 - missed), so a run of misses widens its intervals and a
# run of hits narrows them, whatever the errors' distribution.  0.03 was chosen on the 2017-18
# winter (0.01: trusts' coverage 0.83-0.84; 0.05: England handovers 0.745) and checked on 2016-17.
STEP = 0.03
K = len(KINDS)
# Holiday effects borrowed across a pool's organisations (empirical Bayes, round seven): a series' own
# mean of a kind seen n times counts n, the mean of the pool's other members that have seen it counts
# POOL_K; a kind the series has not seen takes that pool mean before the shipped prior.  1 was taken
# over 4 on the 2017-18 winter (both passed; the smaller change, by the rule written before the run).
POOL_K = 1.0


@dataclass(frozen=True)
class Result:
    """Per origin ``t`` and horizon ``h`` (index h-1): forecasts in the series' own units; NaN
    where no forecast was made (too little history, or not asked for)."""

    point: np.ndarray      # (S, T, H)
    low: np.ndarray
    high: np.ndarray
    effects: np.ndarray    # (S, K) log holiday effects in use after the last day (NaN: none known)


def run(values: np.ndarray, segment: np.ndarray, weekday: np.ndarray, kind: np.ndarray,
        ahead_weekday: np.ndarray, ahead_kind: np.ndarray, horizon: int,
        prior: np.ndarray | None = None, want: np.ndarray | None = None,
        groups: np.ndarray | None = None, festive_ratio: np.ndarray | None = None) -> Result:
    """Forecast every series of ``values`` (S, T; NaN missing) from every origin in ``want``.

    ``weekday``/``kind`` (T,) describe each day; ``ahead_weekday``/``ahead_kind`` (T, H) the day
    h ahead of each origin (which may lie past the file's end).  ``prior`` (K,), (T, K) per origin
    or (S, T, K) per series and origin: log effects to use for a holiday kind the file has not
    shown yet (NaN: none).  ``groups`` (S,) numbers the pools whose series rank the pairs together
    (default: all one pool).  ``festive_ratio`` (T, H): per origin and horizon, how many times an
    ordinary target's interval a festive target's is (NaN or None: unknown).
    """
    S, T = values.shape
    H = horizon
    P = len(GRID)
    alpha = np.array([a for a, _ in GRID])
    gamma = np.array([g for _, g in GRID])
    x = np.log1p(values)
    want = np.ones(T, dtype=bool) if want is None else want
    prior = np.full(K, np.nan) if prior is None else np.asarray(prior, dtype=float)
    prior = np.broadcast_to(prior, (S, T, K))
    prior_eff = np.where(np.isfinite(prior), prior, 0.0)
    prior_eff[:, :, 0] = 0.0

    # Series and weights are the last two axes throughout, so each day's work is whole-block arithmetic.
    level = np.full((S, P), np.nan)
    season = np.zeros((7, S, P))
    seg_obs = np.zeros(S, dtype=np.int64)
    week_obs = np.zeros((7, S), dtype=np.int64)
    seg_start = 0
    ring = np.full((H, H, S, P + 1), np.nan)          # [origin slot, lead]: forecasts of the last H origins
    #                                                   (each pair's, then the combination's)
    errs = np.full((S, H, ERROR_WINDOW), np.nan, dtype=np.float32)   # the combination's errors of the
    #                                                   last ERROR_WINDOW targets (float32: sorted daily)
    errs_ord = np.full_like(errs, np.nan)             # the same, ordinary target days' only
    ratio = np.full((T, H), np.nan) if festive_ratio is None else np.asarray(festive_ratio, dtype=float)
    cum_abs = np.zeros((H, S, P))
    cum_n = np.zeros((H, S))
    groups = np.zeros(S, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    pools = (groups[None, :] == np.arange(groups.max() + 1 if S else 0)[:, None]).astype(float)   # (G, S)
    weights = _weights(cum_abs, cum_n, pools, groups)
    bounds = np.full((2, H, H, S), np.nan)            # [low/high, origin slot, lead]: interval offsets issued
    miss_rate = np.full((S, H), 1 - COVERAGE)         # the share of misses each horizon's interval aims at
    hsum = np.zeros((K, S, P))
    hcnt = np.zeros((K, S))
    eff = np.zeros((K, S, P))

    point = np.full((S, T, H), np.nan)
    low = np.full((S, T, H), np.nan)
    high = np.full((S, T, H), np.nan)
    lags = np.arange(1, H + 1)

    for t in range(T):
        new_segment = t == 0 or segment[t] != segment[t - 1]
        if new_segment:
            level[:] = np.nan
            season[:] = 0.0
            seg_obs[:] = 0
            week_obs[:] = 0
            seg_start = t
            ring[:] = np.nan
        xt = x[:, t]
        w, k = weekday[t], kind[t]
        back = min(H, t - seg_start)
        # An ordinary target's error sets ordinary days' intervals (and, times the festive ratio, festive
        # days'); every error, a holiday's too, sets them until there are enough of those.  Only an
        # ordinary day's chooses the weights (a holiday's error says little about smoothing).
        e = np.full((H, S, P + 1), np.nan)
        if back:
            e[:back] = xt[None, :, None] - ring[(t - lags[:back]) % H, lags[:back] - 1]
        errs[:, :, t % ERROR_WINDOW] = e[:, :, P].T
        errs_ord[:, :, t % ERROR_WINDOW] = e[:, :, P].T if k == 0 else np.nan
        if back:
            issued = bounds[:, (t - lags[:back]) % H, lags[:back] - 1]       # (2, back, S)
            scored = np.isfinite(e[:back, :, P]) & np.isfinite(issued[0])
            missed = (e[:back, :, P] < issued[0]) | (e[:back, :, P] > issued[1])
            miss_rate[:, :back] += np.where(scored, STEP * ((1 - COVERAGE) - missed), 0.0).T
            np.clip(miss_rate, 0.0, 1.0, out=miss_rate)
        if k == 0:
            if back:
                ok = np.isfinite(e[:, :, 0])                         # (H, S)
                cum_abs += np.where(ok[:, :, None], np.abs(e[:, :, :P]), 0.0)
                cum_n += ok
                weights = _weights(cum_abs, cum_n, pools, groups)    # (S, P): changes only with new scores
            # Gains start as running means (1/n) and settle to the smoothing weights: a state
            # drawn from one week would otherwise carry that week's noise for weeks.
            step = xt[:, None] - (level + season[w])                 # NaN where not ready or missing
            step = np.where(np.isfinite(step), step, 0.0)
            level += np.maximum(alpha, 1.0 / (seg_obs[:, None] + 1)) * step
            season[w] += np.maximum(gamma, 1.0 / (week_obs[w, :, None] + 1)) * step
            seen = np.isfinite(xt)
            seg_obs += seen
            week_obs[w] += seen
            start = seen & ~np.isfinite(level[:, 0]) & (seg_obs >= INIT_DAYS)
            if start.any():
                _initialise(x[start, seg_start:t + 1], kind[seg_start:t + 1], weekday[seg_start:t + 1],
                            level, season, np.flatnonzero(start))
        else:
            r = xt[:, None] - (level + season[w])
            ok = np.isfinite(r[:, 0])
            hsum[k] += np.where(ok[:, None], r, 0.0)
            hcnt[k] += ok
        if new_segment or k:
            seen_mean = hsum / np.maximum(hcnt, 1)[:, :, None]
            eff = _borrowed(seen_mean, hcnt, pools, groups, prior_eff[:, t].T[:, :, None])

        ring[t % H] = np.nan
        bounds[:, t % H] = np.nan
        if not np.isfinite(level[:, 0]).any():
            continue
        f = ring[t % H]
        f[:, :, :P] = level[None] + season[ahead_weekday[t]] + eff[ahead_kind[t]]      # (H, S, P)
        f[:, :, P] = np.einsum("hsp,sp->hs", f[:, :, :P], weights)
        # Every origin's interval is issued (and later scored), asked for or not: the adaptation
        # must see the same history whether the app asks at the last day or the backtest at each.
        # An ordinary target's interval comes from ordinary targets' errors (festive errors in the
        # window would widen it for weeks), a festive target's is that interval times the festive
        # ratio learned from other winters (round eleven); either, where it cannot be had yet (too
        # few ordinary errors, no ratio), the interval from every error.
        # The widening is at most the ratio on the count scale too (the interval's ends moved out by at most
        # that factor): a small count's ordinary interval is already wide in logs, and doubling its log
        # offsets squared it (a demo system's over-60 handovers on 22 December: 31, 2 to 1,895).  Where
        # the log offsets are small (every England series, a trust's flows) the log widening is the lesser.
        lo, hi = _interval(errs_ord, miss_rate)       # (S, H) each, log offsets
        scale = np.where(ahead_kind[t] == 0, 1.0, ratio[t])[None, :]        # (1, H)
        most = np.log(scale)
        lo, hi = np.maximum(lo * scale, lo - most), np.minimum(hi * scale, hi + most)
        # (Sorting every error too, each day, would cost a third of the pass: only where needed.)
        need = ~np.isfinite(lo).all(axis=1)
        if need.any():
            lo_a, hi_a = _interval(errs[need], miss_rate[need])
            lo[need] = np.where(np.isfinite(lo[need]), lo[need], lo_a)
            hi[need] = np.where(np.isfinite(hi[need]), hi[need], hi_a)
        bounds[0, t % H], bounds[1, t % H] = lo.T, hi.T
        if not want[t]:
            continue
        offer = (seg_obs >= MIN_HISTORY) & np.isfinite(level[:, 0])
        if not offer.any():
            continue
        fc = f[:, :, P].T                                                # (S, H)
        offer &= np.isfinite(lo[:, 0])
        point[offer, t] = np.maximum(np.expm1(fc[offer]), 0.0)
        low[offer, t] = np.maximum(np.expm1(fc[offer] + lo[offer]), 0.0)
        high[offer, t] = np.maximum(np.expm1(fc[offer] + hi[offer]), 0.0)
    # The effects in use after the last day, each series' pairs weighted as its forecast weights them.
    known = (hcnt > 0) | (_pool_mean(hsum / np.maximum(hcnt, 1)[:, :, None], hcnt, pools, groups)[1])
    effects = np.where(known.T, np.einsum("ksp,sp->sk", eff, weights), prior[:, -1] if T else np.nan)
    effects[:, 0] = 0.0
    return Result(point, low, high, effects)


def _pool_mean(seen_mean: np.ndarray, hcnt: np.ndarray, pools: np.ndarray, groups: np.ndarray):
    """Per kind, series and pair (K, S, P): the equal-weight mean of the seen means of the other
    members of the series' pool that have seen the kind; and (K, S) whether any has."""
    has = (hcnt > 0).astype(float)                                            # (K, S)
    total = np.einsum("gs,ks,ksp->kgp", pools, has, seen_mean)[:, groups]    # (K, S, P)
    others = (has @ pools.T)[:, groups] - has                                 # (K, S)
    return (total - has[:, :, None] * seen_mean) / np.maximum(others, 1)[:, :, None], others > 0


def _borrowed(seen_mean, hcnt, pools, groups, prior):
    """The holiday effects in use (K, S, P): the series' own seen mean shrunk toward its pool's,
    (n own + POOL_K pool) / (n + POOL_K); the pool's where the series has seen none; else ``prior``
    (K, S, 1); the own mean alone where no other member has seen the kind; 0 for an ordinary day."""
    pool, pooled = _pool_mean(seen_mean, hcnt, pools, groups)
    n = hcnt[:, :, None]
    own = np.where(n > 0, seen_mean, prior)
    eff = np.where(pooled[:, :, None], (n * seen_mean + POOL_K * pool) / (n + POOL_K), own)
    eff[0] = 0.0
    return eff


def _weights(cum_abs: np.ndarray, cum_n: np.ndarray, pools: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per series (S, P), each pair's share of the forecast: 1/TOP for the TOP pairs with the lowest
    score, the mean over the series' pool (``pools`` (G, S) one-hot, ``groups`` (S,)) of each ready
    series' mean absolute error over the horizons so far; until a series has MIN_CHOOSE one-step
    errors, the default."""
    own = (cum_abs / np.maximum(cum_n, 1)[:, :, None]).mean(axis=0)        # (S, P)
    ready = cum_n[0] >= MIN_CHOOSE
    counted = pools * ready[None, :]
    scores = ((counted @ np.where(ready[:, None], own, 0.0)) / np.maximum(counted.sum(axis=1), 1)[:, None])[groups]
    best = np.argsort(scores, axis=1, kind="stable")[:, :TOP]
    w = np.zeros_like(scores)
    np.put_along_axis(w, best, 1.0 / TOP, axis=1)
    return np.where(ready[:, None], w, np.arange(scores.shape[1])[None] == DEFAULT)


def _initialise(x, kinds, weekdays, level, season, which) -> None:
    """Level = mean of a segment's ordinary days so far; weekday terms = their mean offsets."""
    ordinary = (kinds == 0)[None, :] & np.isfinite(x)
    vals = np.where(ordinary, x, 0.0)
    lev = vals.sum(axis=1) / ordinary.sum(axis=1)
    for w in range(7):
        on = ordinary & (weekdays == w)[None, :]
        n = on.sum(axis=1)
        off = np.where(on, x - lev[:, None], 0.0).sum(axis=1) / np.maximum(n, 1)
        season[w, which] = np.where(n > 0, off, 0.0)[:, None]
    level[which] = lev[:, None]


def _interval(errs: np.ndarray, miss_rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Percentile offsets per series and horizon from errors (S, H, W), NaN-padded: the
    ``miss_rate / 2`` and ``1 - miss_rate / 2`` quantiles (S, H)."""
    S, H, W = errs.shape
    e = np.sort(errs, axis=2).reshape(S * H, W)   # NaN sorts last
    n = np.isfinite(errs).sum(axis=2)             # (S, H)
    tail = miss_rate / 2
    k_lo = np.clip(np.floor(tail * (n + 1)).astype(int) - 1, 0, None)
    k_hi = np.clip(np.ceil((1 - tail) * (n + 1)).astype(int) - 1, 0, np.maximum(n - 1, 0))
    flat = np.arange(S * H)
    lo = e[flat, k_lo.ravel()].reshape(S, H)
    hi = e[flat, k_hi.ravel()].reshape(S, H)
    # A horizon with too few errors of its own is scaled from the nearest shorter horizon that has
    # enough (random-walk spread: by the square root of the horizons' ratio).  Horizons have fewer
    # errors the further out they are, so that is the last known one below it.  Scaling from
    # horizon 1 instead multiplied its spread by up to the square root of 7 (2.6): three weeks into
    # a series, 7 days ahead read "17 (0 to 22,094)" for counts of 20-60 a day.
    known = n >= MIN_QUANTILE
    h = np.arange(H)[None, :]
    src = np.maximum.accumulate(np.where(known, h, 0), axis=1)     # (S, H): own, else nearest below
    rows = np.arange(S)[:, None]
    scale = np.where(known, 1.0, np.sqrt((h + 1) / (src + 1)))
    lo = lo[rows, src] * scale
    hi = hi[rows, src] * scale
    none = ~known[:, :1]
    # An interval never leaves out its own forecast: where every error so far ran one way (a series
    # still rising past the model early on), the nearer bound is widened to the forecast, not beyond.
    # The interval issued, and scored by the adaptation, is the one shown.
    lo, hi = np.minimum(lo, 0.0), np.maximum(hi, 0.0)
    return np.where(none, np.nan, lo), np.where(none, np.nan, hi)
