"""Provider drill-down queries: band, points and next threshold match models.rules.opel; no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from datetime import timedelta

import pytest

from models.queries import provider as qp
from models.rules.opel import score_parameter
from models.rules.opel_table import load_shipped
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed, ago


@pytest.fixture
def acute(store):
    f = Feed()
    f.org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    for key, value in ACUTE_VALUES.items():
        f.observation("RAA", key, ago(75), value - 1).observation("RAA", key, ago(15), value)
    f.assessment("RAA", "acute", ago(15), ACUTE_VALUES, declared=3,
                 reason="Escalating early for the evening peak")
    f.apply(store)
    return f


def test_lines_match_models_opel_for_known_values(store, acute):
    table = load_shipped("acute")
    with store.session() as s:
        d = qp.provider_detail(s, "RAA")
    assert {ln.key for ln in d.lines} == set(table.keys)
    for ln in d.lines:
        expected = score_parameter(table.parameter(ln.key), ACUTE_VALUES[ln.key])
        assert (ln.value, ln.band, ln.points, ln.weight) == (
            expected.value, expected.band, expected.points, expected.weight), ln.key
        assert ln.next_worse == expected.next_worse, ln.key
        assert ln.in_worst_band == (expected.next_worse is None)
        assert ln.observed_at == ago(15)
    handover = next(ln for ln in d.lines if ln.key == "mean_handover_minutes")
    # 30 minutes exactly is in (15, 30]; the next worse band starts just above 30.
    assert (handover.band, handover.next_worse.value, handover.next_worse.direction) == ("(15, 30]", 30, "above")
    four_hour = next(ln for ln in d.lines if ln.key == "ed_four_hour_performance_pct")
    assert four_hour.in_worst_band and four_hour.next_worse is None and four_hour.threshold_note is None


def test_declared_against_calculated_with_the_reason(store, acute):
    with store.session() as s:
        d = qp.provider_detail(s, "RAA")
    assert d.declared_level == 3 and d.level is not None and d.level != 3 and d.overridden
    assert d.shown_level == 3 and d.override_reason == "Escalating early for the evening peak"
    assert (d.edition, d.desktop_edition, d.verified) == ("2024-26", "2024-26", False)
    weighted = [ln.weighted_points for ln in d.lines]
    assert weighted == sorted(weighted, reverse=True)                # drivers first


def test_missing_parameter_is_named_and_listed_first(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.assessment("RAA", "acute", ago(10), {**ACUTE_VALUES, "ga_bed_occupancy_pct": None}).apply(store)
    with store.session() as s:
        d = qp.provider_detail(s, "RAA")
    first = d.lines[0]
    assert (first.key, first.points, first.next_worse) == ("ga_bed_occupancy_pct", None, None)
    assert "missing" in first.problem and d.level is None and d.at_least_level is not None


def test_no_threshold_from_another_edition(store):
    f = Feed().org("RAA", "Alpha Hospitals NHS Trust")
    f.assessment("RAA", "acute", ago(10), ACUTE_VALUES, edition="2026-28").apply(store)
    with store.session() as s:
        d = qp.provider_detail(s, "RAA")
    assert all(ln.next_worse is None and not ln.in_worst_band for ln in d.lines)
    assert "scored under table 2026-28; this desktop has 2024-26" in d.lines[0].threshold_note


def test_series_and_provider_list(store, acute):
    with store.session() as s:
        series = qp.parameter_series(s, "RAA", ["ga_bed_occupancy_pct", "nctr_patients_count"], ago(60))
        longer = qp.parameter_series(s, "RAA", ["ga_bed_occupancy_pct"], NOW - timedelta(days=7))
        refs = qp.scored_providers(s)
        none = qp.provider_detail(s, "RBB")
    assert series == {"ga_bed_occupancy_pct": [(ago(15), 93.0)], "nctr_patients_count": []}
    assert longer["ga_bed_occupancy_pct"] == [(ago(75), 92.0), (ago(15), 93.0)]
    assert [r.org_code for r in refs] == ["RAA"] and none is None


def test_query_modules_do_not_import_qt():
    code = ("import sys, models.queries.provider, models.queries.ambulance, models.queries.offload, "
            "models.queries.critcon; print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
