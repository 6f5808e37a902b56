"""Each transfer's clinical need (the bed or service the patient needs) is on the papers that list
transfers: the brief's late cases, the handover's and the bc-pack's open ones, in their PDF, CSV and
JSON.  Found by a paper review (session 25): they listed a case by reference, sites, stage and wait
only, so the next shift, or a room working from the printed pack with no IT, could not tell that
T-2611 needs a Level 3 critical care bed.  A long need wraps in its cell, whole."""

from __future__ import annotations

import csv
import json
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.replica.orm.records import Transfer
from models.service import reports
from models.service.transfers import transfers_page
from sync import authoring
from tests.reports.test_files import pages_text
from tests.reports.world import NOW, build_world

pytestmark = pytest.mark.timeout(300)

LONG = ("Paediatric intensive care bed with ECMO capability, out of area if none in region; retrieval team "
        "to confirm airway plan before departure; parents travelling separately and need a family room; "
        "isolation for suspected RSV; weight 14 kg, infusions via two lines, needs a bed by 14:00 at latest")
TABLES = {"brief": "transfers_past_threshold", "handover": "open_transfers", "bc-pack": "open_transfers"}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    _path, store = build_world(tmp_path_factory.mktemp("needs"))
    with store.session() as s:
        seeded = s.scalars(select(Transfer).where(Transfer.local_ref == "T-2611")).one()
        pair = seeded.from_code, seeded.to_code
    authoring.create_transfer(store, local_ref="T-2790", kind="inter_hospital", from_code=pair[0], to_code=pair[1],
                              author="t", clinical_need=LONG, priority="emergency",
                              requested_at=NOW - timedelta(hours=5))
    authoring.create_transfer(store, local_ref="T-2791", kind="inter_hospital", from_code=pair[0], to_code=pair[1],
                              author="t", clinical_need="", priority="urgent", requested_at=NOW - timedelta(hours=9))
    yield store
    store.close()


def _need(table) -> dict[str, str]:
    i, ref = table.headers.index("Clinical need"), table.headers.index("Ref")
    return {row[ref]: row[i] for row in table.rows}


@pytest.mark.parametrize("name", list(TABLES))
def test_each_listed_case_says_what_it_needs(cases, name):
    table = reports.build(cases, name, NOW).table(TABLES[name])
    door = {x.transfer.local_ref: x.transfer.clinical_need for x in transfers_page(cases, NOW).lines}
    need = _need(table)
    assert need and all(need[ref] == (door[ref] or "not recorded") for ref in need), need
    assert need["T-2790"] == LONG and need["T-2791"] == "not recorded"
    if name != "brief":   # the brief lists only the late ones
        assert need["T-2611"] == "Level 3 critical care bed" and need["T-2613"] == "PICU bed, out of area"


def _in_order(wanted: list[str], words: list[str], span: int | None = None) -> bool:
    """``wanted`` is in ``words`` in order, from its first word on, with only another column's cells between
    (``span``: within that many words; a page break's footer and headers between allowed by a larger one)."""
    starts = [i for i, w in enumerate(words) if w == wanted[0]]
    for start in starts:
        it = iter(words[start:start + (span or 3 * len(wanted))])
        if all(w in it for w in wanted):
            return True
    return False


@pytest.mark.parametrize("name", list(TABLES))
def test_the_pdf_csv_and_json_carry_it(cases, name, tmp_path):
    written = reports.make(cases, name, tmp_path, NOW)
    text = "\n".join(pages_text(written.files["pdf"]))   # as laid out, for the line lengths
    plain = subprocess.run(["pdftotext", str(written.pdf), "-"], capture_output=True, text=True, timeout=60,
                           check=True).stdout   # cell by cell; a long cell goes on in a piece of its own
    squashed = re.sub(r"\s+", "", plain)
    # Whole, in order; where a page break falls inside the row, its rest goes on under the next page's headers
    # with "(continued: T-2790)" in the row (the pack's directory grew a Checked column and moved it there).
    assert _in_order(LONG.split(), plain.split()) or (
        _in_order(LONG.split(), plain.split(), span=3 * len(LONG.split()) + 120)
        and "(continued:" in re.sub(r"\s+", "", plain)), \
        "the long need is not printed whole"
    assert max(len(line) for line in text.splitlines()) < 200   # wrapped: no line runs off the page
    if name != "brief":
        assert re.sub(r"\s+", "", "PICU bed, out of area") in squashed
    rows = list(csv.DictReader((tmp_path / f"{written.pdf.stem}-{TABLES[name]}.csv").open(encoding="utf-8")))
    assert {r["Ref"]: r["Clinical need"] for r in rows}["T-2790"] == LONG
    assert json.dumps(LONG)[1:-1] in written.files["json"].read_text(encoding="utf-8")
