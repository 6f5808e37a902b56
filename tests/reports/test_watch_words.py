"""How the handover's watch points and the papers' transfer tables word two things (session 25's paper
review of the year replica's handover): a provider one point below its next level is "1 point to OPEL 4"
(it printed "1 pts"), and a transfer edited on two desktops names the field as a reader knows it,
"receiving site" (it printed "to code", the stored field's name)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.reports import words
from models.service import reports
from tests.reports.test_files import pages_text
from tests.reports.world import NOW, build_world
from tests.ui.records.seed import DESK_B, DESK_C, RecordFeed


@pytest.fixture(scope="module")
def conflict_world(tmp_path_factory):
    path, store = build_world(tmp_path_factory.mktemp("watch-words"))
    with store.session() as s:
        from models.queries.ambulance import hospital_codes
        acute = hospital_codes(s)
    f = RecordFeed(first_seq=910_000)
    uid = f.case("T-3102", "inter_hospital", "urgent", acute[1], acute[0], "Neurosurgical opinion and bed",
                 NOW - timedelta(minutes=50), "Room support", [("accepted", NOW - timedelta(minutes=30))])
    f.event(uid, "to_code", acute[3], NOW - timedelta(minutes=25), old=acute[0], device=DESK_B)
    f.event(uid, "to_code", acute[5], NOW - timedelta(minutes=24), old=acute[0], device=DESK_C,
            author="Room lead (desk C)")
    f.apply(store)
    yield store
    store.close()


def test_a_transfer_conflict_names_the_receiving_site(conflict_world, tmp_path):
    handover = reports.build(conflict_world, "handover", NOW)
    watch = [r[1] for r in handover.table("watch_points").rows if r[0] == "Transfer conflict to settle"]
    assert watch == ["T-3102 (accepted): receiving site changed on two desktops without seeing each other"]
    text = " ".join("\n".join(pages_text(reports.make(conflict_world, "handover", tmp_path, NOW).pdf)).split())
    assert "T-3102 (accepted): receiving site changed on two desktops" in text and "to code" not in text
    for name in ("brief", "handover", "bc-pack"):
        report = reports.build(conflict_world, name, NOW)
        cells = [str(v) for s in report.sections for p in s.parts if hasattr(p, "rows") for r in p.rows for v in r]
        assert any(c.endswith("; CONFLICT: receiving site") for c in cells), name
        assert not any("to code" in c for c in cells), name


def test_points_to_the_next_level_agree_with_their_number(conflict_world):
    handover = reports.build(conflict_world, "handover", NOW)
    near = [r[1] for r in handover.table("watch_points").rows if r[0] == "Provider near its next level"]
    assert near and not any(" 1 pts " in w or " 1 points " in w for w in near)
    assert all(" point to OPEL " in w or " points to OPEL " in w for w in near)
    assert words.transfer_field("to_code") == "receiving site" and words.transfer_field("clinical_need") == "clinical need"


def test_a_parameter_worth_one_point_says_pt():
    """The worst sites' reasons: "(1 pt)", "(4.5 pts)" (a one-point band printed "(1 pts)")."""
    from models.queries.opel_latest import Driver

    assert words.driver(Driver("ed_four_hour_performance_pct", 71.0, "b", 1.0, None)).endswith(" (1 pt)")
    assert words.driver(Driver("ed_four_hour_performance_pct", 71.0, "b", 1.5, None, 3.0)).endswith(" (4.5 pts)")
