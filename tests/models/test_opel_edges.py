"""Every band edge and every level edge of every shipped OPEL table.

Cases are generated from the TOML files themselves (read here with tomllib and
a deliberately separate, minimal reading of the notation), so a change to a
table changes the cases without touching this file.
"""

from __future__ import annotations

import math
import tomllib

import pytest

import resources
from models.rules.opel import score
from models.rules.opel_table import load_table

TABLE_FILES = sorted(p for p in resources.path("opel").glob("*.toml") if p.stem != "system")


def edges(text: str) -> tuple[float, bool, float, bool]:
    """(lo, lo_included, hi, hi_included) read straight from '[a, b)' text."""
    text = text.strip()
    lo, hi = (float(part) for part in text[1:-1].split(","))
    return lo, text[0] == "[", hi, text[-1] == "]"


def inside(lo: float, lo_in: bool, hi: float, hi_in: bool) -> float:
    """Some value strictly inside an interval (or its single point)."""
    if lo == hi:
        return lo
    lo_f = lo if math.isfinite(lo) else (hi - 1 if math.isfinite(hi) else -1.0)
    hi_f = hi if math.isfinite(hi) else lo_f + 2
    return (lo_f + hi_f) / 2


def baseline(params: list[dict]) -> dict[str, float]:
    return {p["key"]: inside(*edges(p["valid_range"])) for p in params}


def band_cases():
    """(id, file, key, value, expected points or None for invalid, expected band text)."""
    cases = []
    for path in TABLE_FILES:
        data = tomllib.loads(path.read_text())
        for p in data["parameters"]:
            vlo, vlo_in, vhi, vhi_in = edges(p["valid_range"])

            def in_valid(x, vlo=vlo, vlo_in=vlo_in, vhi=vhi, vhi_in=vhi_in):
                return (x > vlo or (x == vlo and vlo_in)) and (x < vhi or (x == vhi and vhi_in))

            bands = sorted(p["bands"], key=lambda b: (edges(b["range"])[0], not edges(b["range"])[1]))
            probes = []
            for lower, upper in zip(bands, bands[1:]):
                edge = edges(lower["range"])[2]
                assert edge == edges(upper["range"])[0], f"{path.name} {p['key']}: bands do not meet"
                on_edge = lower if edges(lower["range"])[3] else upper
                probes += [(edge, on_edge), (math.nextafter(edge, -math.inf), lower),
                           (math.nextafter(edge, math.inf), upper)]
            for x in (vlo, vhi):  # ends of the valid range, and just outside them
                if math.isfinite(x):
                    owner = next(b for b in bands if _holds(b["range"], x))
                    probes.append((x, owner))
            for x in (math.nextafter(vlo, -math.inf), math.nextafter(vhi, math.inf)):
                if math.isfinite(x):
                    probes.append((x, None))
            for value, band in probes:
                if band is not None and not in_valid(value):
                    band = None
                expected = None if band is None else (band["points"], band["range"])
                cases.append(pytest.param(path, p["key"], value, expected,
                                          id=f"{path.stem}-{p['key']}-{value!r}"))
    return cases


def _holds(text: str, x: float) -> bool:
    lo, lo_in, hi, hi_in = edges(text)
    return (x > lo or (x == lo and lo_in)) and (x < hi or (x == hi and hi_in))


CASES = band_cases()


def test_cases_were_generated_for_every_parameter():
    keys = {(c.values[0].stem, c.values[1]) for c in CASES}
    for path in TABLE_FILES:
        data = tomllib.loads(path.read_text())
        assert {(path.stem, p["key"]) for p in data["parameters"]} <= keys
    assert len(CASES) > 100


@pytest.mark.parametrize("path, key, value, expected", CASES)
def test_band_edge(path, key, value, expected):
    table = load_table(path)
    data = tomllib.loads(path.read_text())
    values = baseline(data["parameters"])
    values[key] = value
    result = score(table, values)
    if expected is None:
        assert [i.key for i in result.invalid] == [key]
        assert "outside the valid range" in result.invalid[0].reason
        assert result.level is None and key not in {r.key for r in result.parameters}
        return
    points, band_text = expected
    (scored,) = [r for r in result.parameters if r.key == key]
    assert scored.points == points
    assert scored.band.replace(" ", "") == band_text.replace(" ", "")
    assert result.complete and result.level is not None


def level_cases():
    cases = []
    for path in TABLE_FILES:
        levels = sorted(tomllib.loads(path.read_text())["levels"], key=lambda lv: edges(lv["range"])[0])
        for lower, upper in zip(levels, levels[1:]):
            edge = edges(lower["range"])[2]
            on_edge = lower if edges(lower["range"])[3] else upper
            for total, expected in ((edge, on_edge), (math.nextafter(edge, -math.inf), lower),
                                    (math.nextafter(edge, math.inf), upper)):
                cases.append(pytest.param(path, total, expected["level"], id=f"{path.stem}-{total!r}"))
    return cases


@pytest.mark.parametrize("path, total, level", level_cases())
def test_level_edge(path, total, level):
    assert load_table(path).level_for(total) == level


def reachable_totals(table):
    """Map each exactly reachable weighted total to values producing it (dynamic programming)."""
    reach = {0.0: {}}
    for p in table.parameters:
        nxt = {}
        for total, chosen in reach.items():
            for band in p.bands:
                r = band.range
                lo = max(r.lo, p.valid_range.lo)
                hi = min(r.hi, p.valid_range.hi)
                value = lo if r.contains(lo) else (lo + hi) / 2
                t = round(total + band.points * p.weight, 9)
                nxt.setdefault(t, {**chosen, p.key: value})
        reach = nxt
    return reach


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_level_edges_end_to_end(path):
    """Where a level edge is an exactly reachable total, scoring real values lands on the right side."""
    table = load_table(path)
    reach = reachable_totals(table)
    checked = 0
    for lv in table.levels:
        edge = lv.range.lo
        if edge in reach:
            result = score(table, reach[edge])
            assert result.total == edge
            expected = lv.level if lv.range.lo_closed else lv.level - 1
            assert result.level == expected
            checked += 1
    assert checked >= 3  # the shipped tables put every level edge on a reachable total
