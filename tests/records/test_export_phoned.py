"""Phoned-in figures in the records export: a decision taken while a provider's figures were phoned in has
them in its snapshot (``phoned_in``: who phoned, who took the call, which figures), and the export says so:
a ``phoned_in`` field in the CSV and JSON, a "Phoned in" column and a note of the calls in the PDF.  The
seeded 40-provider ICS, the call and the decision recorded through the door."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from models.records.export import snapshot as reading
from models.records.export.records import export_records
from models.replica.orm import DecisionEntry
from models.service import decisions
from models.service import phoned_in as phoned_door
from tests.records.ics_seed import SUMMER, seed_ics
from tests.ui.feeds import AMBULANCE

DAY = date(2025, 7, 14)
CALLED = SUMMER + timedelta(minutes=2)
DECIDED = SUMMER + timedelta(minutes=5)


def _decide(store, text: str, at):
    return decisions.record_decision(store, decisions.NewDecision(
        decision_maker="Dr Priya Raman", decision_maker_role="Director on-call", decision=text,
        rationale="Feed down at RA05", recorded_by="Room support", decided_at=at), snapshot_at=at)


@pytest.fixture
def exported(store, tmp_path):
    seed_ics(store)
    _decide(store, "Before the call", SUMMER)
    for org, figures in (("RA05", {"ga_bed_occupancy_pct": 99.0}), (AMBULANCE, {"reap_level": 4})):
        phoned_door.record_figures(store, org_code=org, phoned_at=CALLED, caller_name="Sam Patel",
                                   caller_role="Site manager", taken_by="Room support", figures=figures,
                                   now=DECIDED)
    _decide(store, "After the call", DECIDED)
    with store.session() as s:
        snaps = {e.decision: e.situation_snapshot for e in s.query(DecisionEntry)}
    return snaps, export_records(store, DAY, DAY, tmp_path / "x", icb="Test Shire ICB", user="tester", host="desk")


def test_the_snapshot_records_who_phoned_which_figures(exported):
    snaps, _result = exported
    assert "phoned_in" not in snaps["Before the call"]   # no call yet: the snapshot's shape as before
    called = snaps["After the call"]["phoned_in"]
    assert set(called) == {"RA05", AMBULANCE}
    assert called["RA05"] == {"phoned_at": "2025-07-14T09:02:00.000000+00:00", "caller_name": "Sam Patel",
                              "caller_role": "Site manager", "taken_by": "Room support",
                              "keys": ["ga_bed_occupancy_pct"], "sent": False}


def test_csv_and_json_carry_a_phoned_in_field(exported):
    _snaps, result = exported
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == 11
    by = {e["decision"]: e for e in doc["entries"]}
    assert by["Before the call"]["phoned_in"] == ""
    lines = by["After the call"]["phoned_in"].splitlines()
    assert lines == ["RA05: G&A bed occupancy phoned in 10:02 BST by Sam Patel (Site manager), taken by Room "
                     "support; the call had not reached the hub",
                     f"{AMBULANCE}: REAP level phoned in 10:02 BST by Sam Patel (Site manager), taken by Room "
                     "support; the call had not reached the hub"]
    rows = {r["decision"]: r for r in csv.DictReader(io.StringIO(
        (result.out_dir / "decisions.csv").read_text(encoding="utf-8")))}
    assert rows["After the call"]["phoned_in"] == by["After the call"]["phoned_in"]
    assert "Figures phoned in (shown at the time)" in by["After the call"]["situation_summary"]


def test_the_reading_marks_the_rows_and_leaves_an_old_snapshot_as_it_was(exported):
    snaps, _result = exported
    after = reading.read(snaps["After the call"])
    providers = next(p for p in after.parts if isinstance(p, reading.Table) and p.title.startswith("Provider"))
    assert providers.headers[-1] == "Phoned in"
    marks = {row[0]: row[-1] for row in providers.rows}
    assert marks["RA05"] == "phoned in 10:02 BST" and marks["RA01"] == "—"
    ambulance = next(p for p in after.parts if isinstance(p, reading.Table) and p.title.startswith("Ambulance"))
    assert ambulance.rows[0][-1] == "phoned in 10:02 BST"
    before = reading.read(snaps["Before the call"])
    assert all("Phoned in" not in p.headers for p in before.parts if isinstance(p, reading.Table))


def test_the_pdf_shows_the_mark(exported):
    _snaps, result = exported
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: install poppler-utils", pytrace=False)
    text = subprocess.run([tool, "-layout", str(result.out_dir / "decisions.pdf"), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    assert "Phoned in" in text and "phoned in 10:02 BST" in text
    assert "Figures phoned in (shown at the time)" in text and "Sam Patel (Site manager)" in text
