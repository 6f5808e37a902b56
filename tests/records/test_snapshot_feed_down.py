"""A decision recorded while the feed is down says how old its snapshot's figures were (review r1, session 31,
finding 4: recorded offline at 20:40, its snapshot read "Situation snapshot at 20:40 ... Offload: 8 waiting,
longest 34.2 min" with 14:38 figures and no age, in the log and in the exported PDF).

A whole ICS (40 providers, a queue at every acute site) synced at 14:30; the decision is recorded 6 h 02 min
later through the real dialog.  The log's detail and the export (PDF, JSON, CSV, the export's own checker)
say "no sync since" and each part's time; a snapshot from before the feed part reads as it did."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest

from models.queries import records as rq
from models.queries import situation_snapshot
from models.records.export import check
from models.records.export import snapshot as snapshot_reading
from models.records.export.records import export_records
from models.replica.orm import FeedCursor
from tests.records.ics_seed import seed_ics
from ui import tasks
from ui.records.decision_dialog import DecisionDialog
from ui.records.decisions_view import detail_html

SYNCED = datetime(2026, 12, 6, 14, 30, tzinfo=timezone.utc)   # winter: UK time is UTC
DECIDED = SYNCED + timedelta(hours=6, minutes=2)              # 20:32, the hub down since


def _pdf_text(pdf) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.fail("pdftotext is missing: install poppler-utils", pytrace=False)
    return " ".join(subprocess.run([tool, "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60,
                                   check=True).stdout.split())


def test_a_decision_recorded_with_the_feed_down_says_how_old_its_figures_were_in_the_log_and_the_export(
        qtbot, store, tmp_path):
    seed_ics(store, SYNCED)
    with store.writing() as s:
        s.get(FeedCursor, "main").last_sync_at = SYNCED   # the last sync; the hub was not reached after
    dialog = DecisionDialog(store, lambda: DECIDED, "Night Lead")
    qtbot.addWidget(dialog)
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.decision.setPlainText("Divert conveyances from RA01 to RA02 overnight")
    dialog.rationale.setPlainText("Queues at RA01 on the last figures held")
    dialog.save()
    assert tasks.manager().wait_idle(30_000)
    assert dialog.saved is not None, dialog.error.text()
    with store.session() as s:
        rows = rq.decisions(s)
    snap = rows[0].entry.situation_snapshot
    assert len(snap["providers"]) == 39 and snap["feed"]["sync_stale"] is True
    assert snap["feed"]["last_sync_at"].startswith("2026-12-06T14:30")
    # The queue is as its service was last heard (the newest arrival, 14:18), not 20:32.
    off = snap["offload"]
    assert off["as_at"].startswith("2026-12-06T14:18") and off["hospitals"]["RA01"]["stale"] is True
    assert snap["feed"]["newest_figure_at"] < snap["feed"]["last_sync_at"]

    # The log's detail pane.
    shown = detail_html(rows[0])
    assert "<b>Feed: no sync since 14:30 (6 h 02 min before this snapshot); the newest figure is from 14:23." in shown
    assert "Offload as at 14:18:" in shown and "RA01 as at 14:18:" in shown
    assert "Providers (assessed " in shown and "System: OPEL 3 (assessed 14:23)" in shown

    # The export: PDF, JSON and CSV say it; the export's own checker finds it whole.
    result = export_records(store, date(2026, 12, 6), date(2026, 12, 6), tmp_path / "x", icb="Test ICB",
                            user="tester", host="desk")
    flat = _pdf_text(result.out_dir / "decisions.pdf")
    assert "Feed: no sync since 14:30 GMT (6 h 02 min before this snapshot)" in flat
    assert "ambulances waiting (as at 14:18 GMT: no handover data came after that)" in flat and "As at" in flat
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    summary = doc["entries"][0]["situation_summary"]
    assert "Feed: no sync since 14:30 GMT" in summary and "RA01: " in summary and " as at 14:18 GMT" in summary
    assert check.check(result.out_dir).problems == []
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "3", str(result.out_dir / "decisions.pdf"),
                    str(tmp_path / "page")], check=True, timeout=60)   # looked at while writing this test


def test_a_snapshot_from_before_the_feed_part_reads_as_it_did():
    """Taken by an older desktop: no feed part, no times on the offload; the log and the export say nothing new
    (no "Feed:" line, no "as at", the offload table's eight columns)."""
    path = __file__.replace("test_snapshot_feed_down.py", "snapshot_before_feed.json")
    with open(path, encoding="utf-8") as fh:
        old = json.load(fh)
    assert "feed" not in old
    lines = situation_snapshot.describe(old)
    assert lines[0] == "System: OPEL 3" and lines[3].startswith("Ambulance RX9: REAP 3, CSP 2")
    assert not any("Feed" in line or "as at" in line or "assessed" in line for line in lines)
    reading = snapshot_reading.read(old)
    tables = [p for p in reading.parts if isinstance(p, snapshot_reading.Table)]
    assert tables[-1].headers == ("Code", "Hospital", "Waiting", "Longest wait", "Handovers today",
                                  "Mean handover", "Hours lost beyond 15 min", "Serious delays")
    summary = snapshot_reading.summary(old)
    assert "Feed:" not in summary and "as at" not in summary
    newer = copy.deepcopy(old)
    newer["feed"] = {"last_sync_at": old["taken_at"], "newest_figure_at": old["taken_at"], "sync_stale": False,
                     "sync_stale_after_minutes": 30}
    assert situation_snapshot.describe(newer)[0].startswith("Feed: synced ")
