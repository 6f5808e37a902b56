"""Text the room typed that looks like markup reaches every room report's PDF as typed.

The PDFs are drawn with reportlab, whose paragraphs read a mini-language of tags (``<b>``, ``<font>``,
``<br/>``) and entities (``&amp;``): a decision, an action, a contact's name or a transfer's clinical need
holding ``<b>`` or ``a < b & c`` must print those characters, not turn bold, lose a word, or stop the
paper being made (reportlab refuses a paragraph with a tag it cannot parse). The hazard log had this
as "no test yet" (H-10): only the records export was tested with markup. Each planted text is looked
for, whole, in every paper whose JSON holds it (the JSON is the same report's data, so it says which
paper should show it), and each must be shown by at least one paper.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.replica.orm.records import Transfer
from models.service import reports
from sync import authoring
from tests.reports.world import NOW, build_world

pytestmark = [pytest.mark.timeout(300),
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")]

DECISION = "Divert <b>all</b> ambulances & <i>hold</i> RA21's <br/> queue"
RATIONALE = "Handovers > 60 min at 3 sites; occupancy < 85% at none &amp; rising <font size=40>fast</font>"
ACTION = "Ring <script>alert(1)</script> site lead & confirm <para>beds</para>"
CONTACT = "Dr A <O'Neil> & Partners"
NEED = "Level 3 bed <unclosed & <b>ventilated</b>"
PLANTED = (DECISION, RATIONALE, ACTION, CONTACT, NEED)
IN_SOME_PAPER = PLANTED   # a case's clinical need too, since the transfer tables print it (session 25)


@pytest.fixture(scope="module")
def marked_world(tmp_path_factory):
    path, store = build_world(tmp_path_factory.mktemp("markup"))
    authoring.record_decision(store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                              decision=DECISION, rationale=RATIONALE, recorded_by="Room lead",
                              decided_at=NOW - timedelta(minutes=20))
    authoring.add_action(store, description=ACTION, owner="Room lead", author="t", due_at=NOW - timedelta(minutes=5))
    authoring.upsert_contact(store, author="t", name=CONTACT, organisation="Test ICB", org_code="QXX",
                             role="Director on-call", service="icb", phone="07700 900109",
                             email="oneil@nhs.net", cover="both")
    with store.session() as s:   # the world's own acute pair (T-2611's), so the case names real providers
        seeded = s.scalars(select(Transfer).where(Transfer.local_ref == "T-2611")).one()
        pair = seeded.from_code, seeded.to_code
    authoring.create_transfer(store, local_ref="T-2700", kind="inter_hospital", from_code=pair[0],
                              to_code=pair[1], author="t", clinical_need=NEED, priority="emergency",
                              requested_at=NOW - timedelta(hours=5))
    yield store
    store.close()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("name", reports.NAMES)
def test_typed_markup_prints_as_typed_in_every_paper(marked_world, tmp_path, name):
    written = reports.make(marked_world, name, tmp_path, NOW)
    data = written.files["json"].read_text(encoding="utf-8")
    # In the order drawn (-raw): a cell's wrapped lines together. Laid out, a name wrapped in a narrow column
    # reads with its neighbour's cell between its lines ("Dr A <O'Neil> & Director on-call / Partners").
    shown = subprocess.run(["pdftotext", "-raw", str(written.pdf), "-"], capture_output=True, text=True, timeout=60,
                           check=True).stdout
    held = [t for t in PLANTED if json.dumps(t)[1:-1] in data]
    missing = [t for t in held if _squash(t) not in _squash(shown)]
    assert missing == [], f"{name}: held in its data but not printed as typed: {missing}"
    _shown_by[name] = held


_shown_by: dict[str, list[str]] = {}


def test_every_planted_text_is_in_some_paper(marked_world, tmp_path):
    for name in reports.NAMES:
        if name not in _shown_by:
            test_typed_markup_prints_as_typed_in_every_paper(marked_world, tmp_path / name, name)
    seen = {t for held in _shown_by.values() for t in held}
    assert seen >= set(IN_SOME_PAPER), f"never in any paper: {set(IN_SOME_PAPER) - seen}"
