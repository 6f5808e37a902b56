"""Deterministic randomness as pure functions of (seed, keys).

Every random draw in the simulator is a hash of the seed and of integer or
string keys naming what is drawn (organisation, metric, time index...), so the
value at a simulated instant does not depend on what was generated before it:
a backfill and a live run over the same hours produce the same items, and the
output is identical across platforms and Python versions (BLAKE2b, not
``random`` or ``hash()``).
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache
from statistics import NormalDist

_STD = NormalDist()
_EPS = 1e-12


def uniform(seed: int, *keys: object) -> float:
    """A uniform draw in [0, 1) determined by ``seed`` and ``keys`` (ints and strings)."""
    text = "|".join([str(seed), *map(str, keys)]).encode()
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return (int.from_bytes(digest, "big") >> 11) * (1.0 / (1 << 53))


def normal(seed: int, *keys: object) -> float:
    """A standard normal draw determined by ``seed`` and ``keys``."""
    u = uniform(seed, *keys)
    return _STD.inv_cdf(min(max(u, _EPS), 1.0 - _EPS))


def std_normal_quantile(p: float) -> float:
    """Inverse standard normal CDF, with ``p`` clamped away from 0 and 1."""
    return _STD.inv_cdf(min(max(p, _EPS), 1.0 - _EPS))


def poisson(seed: int, lam: float, *keys: object) -> int:
    """A Poisson(``lam``) count by inverting the CDF at one uniform draw."""
    if lam <= 0:
        return 0
    u = uniform(seed, *keys)
    k, p = 0, math.exp(-lam)
    cdf = p
    while u > cdf and k < 10_000:
        k += 1
        p *= lam / k
        cdf += p
    return k


@lru_cache(maxsize=1 << 16)
def _knot(seed: int, keys: tuple, i: int) -> float:
    return normal(seed, *keys, i)


def smooth(seed: int, t_seconds: float, knot_seconds: float, *keys: object) -> float:
    """Slowly varying noise (roughly standard normal) at time ``t_seconds``.

    Standard normal values sit on knots every ``knot_seconds``; between knots
    they are joined by a smoothstep curve, so neighbouring ticks are
    correlated the way real readings are, and the curve is still a pure
    function of time.
    """
    x = t_seconds / knot_seconds
    i = math.floor(x)
    f = x - i
    f = f * f * (3.0 - 2.0 * f)
    a = _knot(seed, keys, i)
    b = _knot(seed, keys, i + 1)
    # Renormalise: the blend of two independent normals has variance below 1.
    return (a * (1.0 - f) + b * f) / math.sqrt((1.0 - f) ** 2 + f ** 2)
