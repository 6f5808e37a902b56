"""A records export is written as the entries are read, in memory that does not grow with the period.

A year's export (2,951 decisions with 40-provider snapshots: a 109 MB JSON, an 82 MB CSV, an 8,177-page PDF)
took 1.9 GB when every file was built in memory before it was written; these tests fail if one is again."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import sys
import tracemalloc
from datetime import date, datetime, timedelta, timezone

import pytest

from models.queries import situation_snapshot
from models.records.export import pdf, records
from models.records.export.records import ExportError, export_records
from models.uk_time import uk_period
from sync import authoring
from tests.records.ics_seed import SUMMER, seed_ics

DAY = date(2025, 7, 14)
NOW = datetime(2025, 7, 15, 9, tzinfo=timezone.utc)
FILES = ("decisions.csv", "decisions.json", "decisions.pdf")


def _decisions(store, count: int):
    """``count`` decisions of one day, each with the whole ICS's situation snapshot (39 providers, ~20 KB)."""
    seed_ics(store)
    with store.session() as s:
        snap = situation_snapshot.take(s, SUMMER)
    assert len(snap["providers"]) == 39 and len(json.dumps(snap)) > 15_000
    for i in range(count):
        authoring.record_decision(
            store, decision_maker=f"Dr Decider {i}", decision_maker_role="Director on-call",
            decision=f"Decision {i}: open escalation beds at RA{i % 22 + 1:02d}",
            rationale=f"Rationale {i}: " + "queues rising at most acute sites; " * 20, recorded_by="Room support",
            decided_at=SUMMER + timedelta(minutes=2 * i), situation_snapshot=snap)
    return store


def _export(store, out, day=DAY, **kw):
    kw.setdefault("now", NOW)
    return export_records(store, day, day, out, icb="Test Shire ICB", user="tester", host="desk", **kw)


def test_the_json_and_csv_written_entry_by_entry_are_the_bytes_of_the_whole_document():
    period = uk_period(DAY, DAY)
    entries = [dict.fromkeys(records.CSV_COLUMNS, None) | {
        "uuid": f"u{i}", "decision": "Zoë said \"=1+1\"\n  – indented\u2028", "actions": [],
        "situation_snapshot": {"b": [1, {"c": None}], "a": {}, "é": 1.5}, "links": [{"kind": "x"}] * i}
        for i in range(3)]
    for some in (entries[:0], entries[:1], entries):
        doc = {"format": records.FORMAT, "format_version": records.FORMAT_VERSION, "icb": "Test ICB",
               "period": period.as_dict(), "entry_count": len(some), "entries": some}
        whole = (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
        assert records.json_bytes(some, period, "Test ICB") == whole
        buf = io.StringIO()   # the CSV as it was made before it was written row by row
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(records.CSV_COLUMNS)
        for e in some:
            writer.writerow(records._csv_row(e))
        assert records.csv_bytes(some) == buf.getvalue().encode("utf-8")
    short = records.JsonWriter(io.BytesIO(), period, "Test ICB", 2)
    short.add(entries[0])
    with pytest.raises(ExportError, match="1 of the 2 entries"):
        short.close()


def _xref_points_at_every_object(data: bytes) -> None:
    """The PDF's cross-reference table (written after pages that went to the file early) gives each object's
    true offset: a reader that follows it finds ``N 0 obj`` there."""
    start = int(data[data.rindex(b"startxref") + len(b"startxref"):].split()[0])
    assert data[start:start + 4] == b"xref"
    lines = data[start:].split(b"\n")
    first, count = map(int, lines[1].split())
    offsets = [int(line.split()[0]) for line in lines[2:2 + count]]
    assert first == 0 and count > 3
    for number, offset in enumerate(offsets[1:], start=1):
        assert data[offset:offset + 20].startswith(b"%d 0 obj" % number), number


def _peak_rss() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))


def _rss() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads and resets the peak RSS in /proc")
def test_an_export_is_written_as_the_entries_are_read_in_memory_less_than_its_biggest_file(store, tmp_path,
                                                                                           monkeypatch):
    count = 120
    _decisions(store, count)
    _export(store, tmp_path / "warm", day=DAY - timedelta(days=1))   # fonts registered, modules imported
    out = tmp_path / "out"
    held_at_half: dict[str, int] = {}
    read = records.PeriodEntries.__iter__

    def reading(self):
        for n, entry in enumerate(read(self), start=1):
            if n == count // 2:
                held_at_half.update({name: os.stat(out / f"{name}.part").st_size for name in FILES})
            yield entry

    monkeypatch.setattr(records.PeriodEntries, "__iter__", reading)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")   # the peak RSS starts again from now
    before = _rss()
    result = _export(store, out)
    grew = _peak_rss() - before
    sizes = {f["name"]: f["bytes"] for f in result.manifest["files"]}
    assert result.entries == count and sizes["decisions.json"] > 4_000_000 and result.pdf_pages > count
    # Half-way through the entries each file holds about half its bytes (not none, to be written at the end).
    for name in FILES:
        assert held_at_half[name] > 0.35 * sizes[name], (name, held_at_half[name], sizes[name])
    _xref_points_at_every_object((out / "decisions.pdf").read_bytes())
    # The process never grew by as much as the JSON alone (built whole: ~60 MB for these 120 entries; ~3 MB).
    assert grew < sizes["decisions.json"], (grew, sizes)


def test_reading_and_writing_the_csv_and_json_hold_a_few_entries_at_a_time(store, tmp_path, monkeypatch):
    """Measured exactly (tracemalloc), the PDF left out (drawing a page allocates too much to trace fast)."""
    _decisions(store, 300)

    def no_pdf(out, entries, count, index, meta, handover=None):
        for _entry in entries:
            pass
        return pdf.Rendered(b"", 0, "none", None)

    monkeypatch.setattr(pdf, "write", no_pdf)
    _export(store, tmp_path / "warm", day=DAY - timedelta(days=1))
    gc.collect()
    tracemalloc.start()
    try:
        result = _export(store, tmp_path / "out")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sizes = {f["name"]: f["bytes"] for f in result.manifest["files"]}
    assert result.entries == 300 and sizes["decisions.json"] > 7_000_000
    assert peak < 0.25 * sizes["decisions.json"], (peak, sizes)   # ~1 MB: one chunk of entries


@pytest.mark.parametrize("failing", FILES)
def test_a_failure_part_way_leaves_the_export_replaced_as_it_was_and_no_part_files(store, tmp_path, monkeypatch,
                                                                                  failing):
    _decisions(store, 12)
    earlier = _export(store, tmp_path / "out", now=NOW - timedelta(days=1))
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    write = records._Part.write

    def filling(self, data):
        if self.path.name == failing and self.bytes > 50_000:
            raise OSError(28, "No space left on device")
        return write(self, data)

    monkeypatch.setattr(records._Part, "write", filling)
    with pytest.raises(ExportError, match="No space left on device"):
        _export(store, tmp_path / "out", force=True)
    # The export being replaced is as it was (its manifest names its own files), with nothing beside it.
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    assert json.loads(before["manifest.json"]) == earlier.manifest
    with pytest.raises(ExportError):
        _export(store, tmp_path / "new")
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == []


def test_a_manifest_is_never_left_beside_files_it_did_not_hash(store, tmp_path, monkeypatch):
    """A failure while the new files take their names (--force over an export) leaves no manifest at all."""
    _decisions(store, 3)
    _export(store, tmp_path / "out")
    commit = records._Part.commit

    def failing(self):
        if self.path.name == "decisions.pdf":
            raise OSError(5, "Input/output error")
        return commit(self)

    monkeypatch.setattr(records._Part, "commit", failing)
    with pytest.raises(ExportError, match="Input/output error"):
        _export(store, tmp_path / "out", force=True, now=NOW + timedelta(days=1))
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "manifest.json" not in names and not [n for n in names if n.endswith(".part")]
