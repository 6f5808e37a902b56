"""Render the overview for the documentation: light, dark and high contrast at 1366×768, and the
same room with the feed down for three hours:

    QT_QPA_PLATFORM=offscreen python -m tests.ui.overview_screenshots docs/screenshots

Forty acute trusts, two community providers, a mental health trust and NHS 111, each scored by
the bundled tables; the pillars and the system rolled up by ``resources/opel/system.toml`` as
the hub does, in a throwaway replica."""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from models.replica.store import Store
from models.rules.opel import RollupInput, load_system, pillar_score, score, system_score
from models.rules.opel_table import load_shipped
from scc_desktop import gui
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.ui.feeds import ACUTE_VALUES, NOW, Feed

SHOTS = ((timedelta(0), "light", "overview-honest.png"),
         (timedelta(0), "dark", "themes/overview-honest-dark.png"),
         (timedelta(0), "high_contrast", "themes/overview-honest-high_contrast.png"),
         (timedelta(hours=3), "light", "overview-feed-down-3h.png"),
         (timedelta(hours=3), "dark", "themes/overview-feed-down-3h-dark.png"),
         (timedelta(hours=3), "high_contrast", "themes/overview-feed-down-3h-high_contrast.png"))

OTHERS = {
    "community": [("RY1", "Shire Community Health NHS Trust", {
        "virtual_ward_occupancy_pct": 96, "community_bed_occupancy_pct": 97,
        "ucr_two_hour_performance_pct": 61, "community_nctr_bed_occupancy_pct": 18}),
        ("RY2", "Vale Community Services", {
            "virtual_ward_occupancy_pct": 70, "community_bed_occupancy_pct": 88,
            "ucr_two_hour_performance_pct": 79, "community_nctr_bed_occupancy_pct": 9})],
    "mental_health": [("RX4", "Shire Mental Health NHS Foundation Trust", {
        "mh_adult_acute_bed_occupancy_pct": 99, "mh_out_of_area_placements_count": 7,
        "mh_ed_waits_over_12h_count": 2, "mh_nctr_bed_occupancy_pct": 14})],
    "nhs111": [("NWX", "Shire NHS 111", {
        "nhs111_calls_abandoned_pct": 4, "nhs111_average_speed_to_answer_seconds": 95,
        "nhs111_clinical_callback_in_time_pct": 70})],
}


def _values(pillar: str, given: dict) -> dict:
    """The table's keys filled from ``given`` (a key the table lacks is left out, a missing one
    gets a mid value), so the picture does not depend on exact parameter names."""
    table = load_shipped(pillar)
    out = {}
    for p in table.parameters:
        if p.key in given:
            out[p.key] = float(given[p.key])
        else:
            mid = p.bands[len(p.bands) // 2].range
            out[p.key] = (mid.lo + mid.hi) / 2 if mid.hi != float("inf") else mid.lo + 1
    return out


def seed(store) -> None:
    f = Feed()
    system = load_system()
    results: dict[str, list[RollupInput]] = {}
    for n in range(40):
        code, size = f"R{n:02d}", 400 + 10 * n
        f.org(code, f"Provider {n:02d} NHS Trust", size=size)
        values = {**ACUTE_VALUES, "ga_bed_occupancy_pct": 84.0 + (n * 7) % 14,
                  "mean_handover_minutes": 12.0 + (n * 13) % 70, "ed_over_12h_from_arrival_pct": (n * 3) % 22}
        at = NOW - timedelta(minutes=3 + (n * 7) % 40)
        if n == 17:
            at = NOW - timedelta(minutes=84)   # one trust's feed stopped: the tile must say so
        f.assessment(code, "acute", at, values)
        r = score(load_shipped("acute"), values)
        results.setdefault("acute", []).append(RollupInput(code, r.total, r.level, size))
    for pillar, orgs in OTHERS.items():
        for code, name, given in orgs:
            values = _values(pillar, given)
            f.org(code, name, pillar, size=100)
            f.assessment(code, pillar, NOW - timedelta(minutes=6), values)
            r = score(load_shipped(pillar), values)
            results.setdefault(pillar, []).append(RollupInput(code, r.total, r.level, 100))
    rolled = {p: pillar_score(system, p, ins) for p, ins in results.items()}
    at = NOW - timedelta(minutes=3)
    for p, r in rolled.items():
        f.add("opel_assessment", {"scope": "pillar", "org_code": None, "pillar": p, "assessed_at": at.isoformat(),
                                  "edition": "2024-26", "verified": False, "total": r.score, "level": r.level,
                                  "complete": True, "parameters": []})
    s = system_score(system, rolled)
    f.add("opel_assessment", {"scope": "system", "org_code": None, "pillar": "system", "assessed_at": at.isoformat(),
                              "edition": "2024-26", "verified": False, "total": s.score, "level": s.level,
                              "complete": True, "parameters": []})
    f.apply(store)
    print("system", round(s.score, 2), "OPEL", s.level, "set by", s.drivers,
          {p: (round(r.score, 1), r.level) for p, r in rolled.items()})


def _shoot(store, out: Path, later: timedelta, theme: str, name: str) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(store, clock=lambda: NOW + later)
    try:
        print("wrote", gui.render(window, out / name, "overview", theme=theme))
    finally:
        window.close()
        window.deleteLater()


def main(out: Path) -> None:
    gui.application()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.create(Path(folder) / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        try:
            seed(store)
            for shot in SHOTS:
                _shoot(store, out, *shot)
        finally:
            store.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
