"""Target lines for charts of a metric, from ``resources/metrics/targets.toml``.

A target is drawn only on the days it is in force. An ambition that has run out, with no later
one for the same metric in the file, is reported by :meth:`MetricTargets.lapsed` so a chart says
the current year's figure is missing instead of keeping the old line on as if it still applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import resources
from models.rules.ambulance_standards import financial_year
from models.rules.tabledata import Collector, Header, InForce, read_toml

KINDS = ("standard", "ambition")


@dataclass(frozen=True)
class Target(InForce):
    metric: str
    value: float             # in the metric's catalogue unit
    label: str               # short: it sits on the chart's right-hand axis
    kind: str                # "standard" or "ambition"
    period: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


@dataclass(frozen=True)
class MetricTargets:
    header: Header
    targets: tuple[Target, ...]

    def lines(self, metric: str, on: dt.date) -> tuple[Target, ...]:
        """The targets for ``metric`` in force on ``on``, lowest value first."""
        return tuple(sorted((t for t in self.targets if t.metric == metric and t.in_force(on)),
                            key=lambda t: t.value))

    def lapsed_targets(self, metric: str, on: dt.date) -> tuple[Target, ...]:
        """The ambitions for ``metric`` that ran out before ``on`` with none after them."""
        return tuple(t for t in self.targets
                     if t.metric == metric and t.kind == "ambition" and t.valid_until is not None
                     and t.valid_until < on
                     and not any(o.metric == metric and o.kind == "ambition" and o.valid_until is not None
                                 and o.valid_until > t.valid_until for o in self.targets))

    def lapsed(self, metric: str, on: dt.date) -> tuple[str, ...]:
        """A sentence for each ambition for ``metric`` that ran out before ``on`` with none after it."""
        return tuple(f"The {t.label} ({t.period or 'interim'}) ran to {t.valid_until:%d/%m/%Y}; "
                     f"no interim target is set for {financial_year(on)}, so no line is drawn for it."
                     for t in self.lapsed_targets(metric, on))


@lru_cache(maxsize=4)
def load_targets(path: Path | str | None = None) -> MetricTargets:
    """Read and validate the targets file (default: the bundled one); TableError lists every problem."""
    path = Path(path) if path is not None else resources.path("metrics", "targets.toml")
    data = read_toml(path)
    c = Collector(path)
    header = c.header(data)
    c.top_level(data, ("table", "targets"))
    targets = []
    for i, raw in enumerate(c.field(data, "targets", list, "[[targets]]", default=[])):
        t = _parse(c, raw, f"targets[{i}]")
        if t is not None:
            targets.append(t)
    c.raise_if_any()
    return MetricTargets(header, tuple(targets))


def _parse(c: Collector, raw: Any, where: str) -> Target | None:
    before = len(c.problems)
    metric = c.field(raw, "metric", str, where)
    value = c.number(raw, "value", where)
    label = c.field(raw, "label", str, where)
    kind = c.field(raw, "kind", str, where)
    if kind is not None and kind not in KINDS:
        c.add(where, f"kind must be one of {', '.join(KINDS)}, got '{kind}'")
    window = c.validity(raw, where, period_required=kind == "ambition")
    if len(c.problems) > before:
        return None
    return Target(metric, value, label, kind, window.period, window.valid_from, window.valid_until)
