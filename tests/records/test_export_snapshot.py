"""The records export of decisions made in the app: full situation snapshots of a 40-provider ICS.

Decisions are saved through the real decision dialog (which takes the snapshot from the replica), so the
PDF gets what a room's export gets: ~20 KB of snapshot per entry, long free text, many actions.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from PIL import Image

from models.replica.orm import DecisionEntry
from models.queries.situation_snapshot import FORMAT
from models.records.export.records import export_records
from sync import authoring
from tests.records.ics_seed import SUMMER, seed_ics
from ui import tasks
from ui.records.decision_dialog import DecisionDialog

DAY = date(2025, 7, 14)
LONG_WORD = "https://example.nhs.uk/" + "escalation-plan/" * 40 + "annex-b.pdf"
RATIONALE = " ".join(
    f"Paragraph {n}: Alpha has crews waiting over an hour, majors is full, the discharge lounge closed at "
    "noon and the community teams report no capacity for step-down until tomorrow morning." for n in range(60))


def _run(*cmd):
    tool = shutil.which(cmd[0])
    if tool is None:
        pytest.fail(f"{cmd[0]} is missing: install poppler-utils", pytrace=False)
    return subprocess.run([tool, *cmd[1:]], capture_output=True, text=True, timeout=60, check=True).stdout


def _decide(qtbot, store, at, decision, rationale="Queues rising at most acute sites", actions=2,
            information=""):
    dialog = DecisionDialog(store, lambda: at, "Room support")
    qtbot.addWidget(dialog)
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decided_at.setDateTime(dialog.decided_at.dateTime())  # the clock's time, as shown
    dialog.decision.setPlainText(decision)
    dialog.rationale.setPlainText(rationale)
    dialog.information.setPlainText(information)
    for n in range(actions):
        assert dialog.add_action(f"Action {n}: phone the site manager at RA{n % 22 + 1:02d}", "Room support",
                                 at + timedelta(minutes=15 * (n + 1)))
    dialog.save()   # records off the UI thread; the dialog keeps the outcome once it has landed
    assert tasks.manager().wait_idle(30_000)
    assert dialog.saved is not None, dialog.error.text()
    return dialog.saved


@pytest.fixture
def decided(qtbot, store):
    seed_ics(store)
    entries = [
        _decide(qtbot, store, SUMMER, "Divert conveyances from RA01 to RA02 for two hours"),
        _decide(qtbot, store, SUMMER + timedelta(minutes=20), "Open 12 escalation beds across the acute sites",
                rationale=RATIONALE, actions=30),
        _decide(qtbot, store, SUMMER + timedelta(minutes=40), "Ask for mutual aid from the neighbouring ICB",
                information=f"Plan at {LONG_WORD} " + "x" * 3000),
        _decide(qtbot, store, SUMMER + timedelta(hours=1), "Stand down the divert"),
    ]
    with store.session() as s:
        snap = s.get(DecisionEntry, entries[0].uuid).situation_snapshot
    assert len(snap["providers"]) == 39 and len(json.dumps(snap)) > 15_000  # real size, not one line
    return entries, snap


def test_decisions_with_full_snapshots_export_and_the_pdf_shows_the_snapshot_as_read(store, decided, tmp_path):
    entries, snap = decided
    result = export_records(store, DAY, DAY, tmp_path / "x", icb="Test Shire ICB", user="tester", host="desk")
    assert result.entries == 4 and result.pdf_pages >= 4
    pdf = result.out_dir / "decisions.pdf"
    text = _run("pdftotext", "-layout", str(pdf), "-")
    flat = " ".join(text.split())
    # Times in UK local time (10:00 BST is 09:00 UTC), never the stored UTC text or raw JSON.
    assert "Situation at Mon 14 Jul 2025 10:00 BST" in flat
    assert "2025-07-14T09:00:00" not in flat and '{"' not in flat and "override_reason" not in flat
    # Every provider of the snapshot is there with the level shown and when it was assessed (UK time).
    for code, p in snap["providers"].items():
        assert code in flat, code
    ra05 = snap["providers"]["RA05"]
    assert ra05["declared_level"] == 4 and ra05["override_reason"].startswith("Declared OPEL 4 at RA05")
    assert "two wards closed with norovirus" in flat
    assert "System OPEL 3" in flat and "Acute OPEL 3" in flat and "Community OPEL 2" in flat
    assert "REAP 3" in flat and "CSP 2" in flat
    assert f"{snap['offload']['waiting']} ambulances waiting" in flat
    # The long rationale and the unbroken URL are printed whole (no text lost to a clipped cell).
    assert "Paragraph 59:" in flat and "annex-b.pdf" in text.replace("\n", "")
    assert "Action 29: phone the site manager at RA08" in flat
    # Every page carries body text beyond its header and footer, and renders.
    furniture = ("Decision log: Test Shire ICB", "Period Mon 14 Jul 2025", "Corporate record export",
                 "Exported ", "SHA-256 of this file", "page ")
    for number, page in enumerate(text.split("\f")[:result.pdf_pages], start=1):
        body = [line for line in page.splitlines() if line.strip() and not any(f in line for f in furniture)]
        assert len(body) >= 3, f"page {number} is (nearly) empty"
    _run("pdftoppm", "-png", "-r", "50", str(pdf), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == result.pdf_pages
    with Image.open(images[1]) as im:
        assert sum(im.convert("L").histogram()[:128]) > 3000  # a page of tables, not a blank one


def test_csv_and_json_carry_the_whole_snapshot_with_uk_times(store, decided, tmp_path):
    entries, snap = decided
    result = export_records(store, DAY, DAY, tmp_path / "x", icb="Test Shire ICB", user="tester", host="desk")
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    first = doc["entries"][0]
    assert first["situation_snapshot"] == json.loads(json.dumps(snap, sort_keys=True))  # exactly as hashed
    summary = first["situation_summary"]
    assert summary.startswith("Situation at Mon 14 Jul 2025 10:00 BST") and "RA05: OPEL 4" in summary
    assert "T09:" not in summary and "two wards closed with norovirus" in summary
    rows = list(csv.DictReader(io.StringIO((result.out_dir / "decisions.csv").read_text(encoding="utf-8"))))
    assert json.loads(rows[0]["situation_snapshot"]) == first["situation_snapshot"]
    assert rows[0]["situation_summary"] == summary


def test_snapshots_of_any_shape_and_size_export(store, tmp_path):
    """A snapshot comes from whichever desktop decided: odd types, an older free-form shape, huge values and
    markup must all export, shown as text."""
    odd = [
        {"format": FORMAT, "taken_at": 7, "system": "x", "providers": [1, 2], "offload": {"hospitals": {"A": 5}}},
        {"format": FORMAT, "taken_at": "not a time", "providers": {"RZZ": {"name": "N" * 20_000, "level": "4",
                                                                           "override_reason": "<b>loud</b>"},
                                                               "Q" * 900: {"name": "line\n" * 3000}}},
        {"legacy_note": "y" * 30_000, "nested": {"deep": list(range(3000))}},
        {"format": FORMAT, "taken_at": "2025-07-14T09:00:00.000000+00:00",
         "missing": "no list", "ambulance": {"RX9": None}, "offload": None},
    ]
    for n, snap in enumerate(odd):
        authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                                  decision=f"Odd {n}", rationale="r", recorded_by="Room support",
                                  decided_at=SUMMER + timedelta(minutes=n), situation_snapshot=snap)
    result = export_records(store, DAY, DAY, tmp_path / "x", icb="ICB", user="tester", host="desk")
    assert result.entries == 4
    flat = " ".join(_run("pdftotext", str(result.out_dir / "decisions.pdf"), "-").split())
    assert "<b>loud</b>" in flat and "RZZ" in flat and "whole in decisions.json" in flat
    assert "legacy_note: yyyy" in flat and "Situation at Mon 14 Jul 2025 10:00 BST" in flat
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    assert [e["situation_snapshot"] for e in doc["entries"]] == [json.loads(json.dumps(s, sort_keys=True))
                                                                for s in odd]
    assert all(e["situation_summary"] for e in doc["entries"])
    # A spreadsheet holds at most 32,767 characters a cell and spills or drops the rest, so a longer
    # cell is cut in the CSV and says so; decisions.json keeps the whole value.
    text = (result.out_dir / "decisions.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and all(len(v) <= 32_767 for row in rows for v in row.values())
    cut = rows[2]["situation_snapshot"]
    assert cut.endswith("characters in all: the whole value is in decisions.json]") and "[cut here, " in cut
    assert cut.startswith(json.dumps(odd[2], sort_keys=True, separators=(",", ":"))[:1000])
