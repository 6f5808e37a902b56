"""Phoned-in figures in the as-at reports (brief, handover, bc-pack): a provider whose OPEL figures, an
ambulance service whose REAP and a unit whose CRITCON were phoned in are marked "phoned in <time>" in every
table that shows them (a "Phoned in" column in the CSV and JSON, the words in the PDF), and a table says who
phoned and who took each call.  The seeded 40-provider replica, calls recorded through the door; the same
bytes on a rebuild."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from models.service import phoned_in as phoned_door
from models.reports import reads, words
from models.service import reports
from tests.reports.test_files import pages_text, pdftotext
from tests.reports.world import NOW, build_world

CALLED = NOW + timedelta(minutes=2)   # after the feed's newest figures: the calls' figures are shown
AT = NOW + timedelta(minutes=5)
MARK = "phoned in Mon 14 Jul 10:02, not sent yet"   # recorded here, the hub not reached


@pytest.fixture(scope="module")
def called(tmp_path_factory):
    _path, store = build_world(tmp_path_factory.mktemp("reports-phoned"))
    brief = reports.build(store, "brief", NOW)
    worst = brief.table("worst_sites")
    names = {p.name: p.org_code for p in reads.read_room(store, NOW).overview.providers}
    short = {words.short_name(n): c for n, c in names.items()}
    site = short[worst.rows[0][0]]
    picture = reads.read_room(store, NOW).picture
    ambulance = picture.ambulance[0].org_code
    unit = next(r.org_code for r in picture.sites if r.critcon is not None and r.org_code != site)
    for org, figures in ((site, {"ga_bed_occupancy_pct": 99.0}), (ambulance, {"reap_level": 4}),
                         (unit, {"critcon_level": 3, "cc_staffed_beds": 9, "cc_occupied_beds": 9})):
        phoned_door.record_figures(store, org_code=org, phoned_at=CALLED, caller_name="Sam Patel",
                                   caller_role="Site manager", taken_by="Room lead", figures=figures, now=AT)
    yield store, site, ambulance, unit
    store.close()


def _column(table, header):
    i = table.headers.index(header)
    return [row[i] for row in table.rows]


def test_the_brief_marks_the_site_the_reap_and_the_critical_care_figures(called):
    store, site, ambulance, unit = called
    brief = reports.build(store, "brief", AT)
    marks = phoned_door.marks(store, AT)
    assert set(marks) == {site, ambulance, unit}
    worst = brief.table("worst_sites")
    marked = [row for row in worst.rows if row[-1]]
    assert [row[-1] for row in marked] == [MARK] and "Phoned in:" in worst.note
    assert all(row[-1] == "" for row in worst.rows if row not in marked)
    key = brief.table("key_figures")
    shown = dict(zip(_column(key, "Figure"), _column(key, "Phoned in")))
    assert any(name.endswith(": REAP") and mark == MARK for name, mark in shown.items())
    assert shown["Worst CRITCON"].startswith("includes ") and MARK in shown["Worst CRITCON"]
    assert shown["Ambulances waiting to hand over"] == ""
    calls = brief.table("phoned_in")
    assert len(calls.rows) == 3
    assert {row[3] for row in calls.rows} == {"Sam Patel (Site manager)"} and {row[4] for row in calls.rows} == {"Room lead"}
    assert {row[5] for row in calls.rows} == {"not sent to the hub yet"}
    assert any("REAP level" in row[2] for row in calls.rows)


def test_the_handover_and_the_bc_pack_mark_them_too(called):
    store, site, ambulance, _unit = called
    handover = reports.build(store, "handover", AT)
    assert len(handover.table("phoned_in").rows) == 3
    assert MARK in _column(handover.table("worst_sites"), "Phoned in")
    pack = reports.build(store, "bc-pack", AT)
    providers = pack.table("providers")
    marked = {row[0]: row[-1] for row in providers.rows if row[-1]}
    assert len(marked) == 3 and set(marked.values()) == {MARK}   # the site, the unit's trust, the ambulance service
    assert any(row[1] == "Ambulance" and row[-1] == MARK for row in providers.rows)
    assert "Phoned in:" in providers.note


def test_an_unmarked_replica_has_the_column_empty(world):
    _path, store = world
    brief = reports.build(store, "brief", NOW)
    assert set(_column(brief.table("worst_sites"), "Phoned in")) == {""}
    assert brief.table("phoned_in").rows == ()


def test_the_files_carry_the_mark_and_are_the_same_bytes_twice(called, tmp_path):
    store, *_ = called
    one = reports.make(store, "brief", tmp_path / "one", AT)
    two = reports.make(store, "brief", tmp_path / "two", AT)
    for key, path in one.files.items():
        assert path.read_bytes() == two.files[key].read_bytes(), key
    rows = list(csv.DictReader(io.StringIO(one.files["csv:worst_sites"].read_text(encoding="utf-8"))))
    assert MARK in [r["Phoned in"] for r in rows]
    data = json.loads(one.files["json"].read_text(encoding="utf-8"))
    assert MARK in json.dumps(data) and "Sam Patel (Site manager)" in json.dumps(data)


@pdftotext
def test_the_pdf_says_phoned_in_where_the_figures_are(called, tmp_path):
    store, *_ = called
    written = reports.make(store, "bc-pack", tmp_path, AT)
    text = "\n".join(pages_text(written.pdf))
    assert "phoned in" in text and "Figures phoned in, shown now" in text and "Sam Patel" in text
