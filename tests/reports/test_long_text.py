"""Reports with long free text: a decision whose rationale runs to pages, an open action described at
length, a URL with no spaces. As one table cell each was taller than a page, and the brief, the handover
and the business-continuity pack all refused to be made (found by a records review at a year's size:
"tallest cell 669.0 points, too large on page 4"). Now the text goes on in rows of their own, every word of
it in the PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta

import pytest

from models.service import reports
from sync import authoring
from tests.reports.world import NOW, build_world

pytestmark = [pytest.mark.timeout(240),
              pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")]
PARA = ("The Director on-call weighed mutual aid, a divert and the full-capacity protocol against the risk to "
        "patients waiting in the community (paragraph {n}).\n")
URL = "https://example.nhs.uk/" + "verylongpathsegment/" * 60 + "end"   # no hyphens: pdftotext joins them


@pytest.fixture(scope="module")
def long_world(tmp_path_factory):
    path, store = build_world(tmp_path_factory.mktemp("long-text"))
    rationale = "".join(PARA.format(n=n) for n in range(60)) + URL   # about 9,000 characters
    authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                              decision="Open escalation beds at every acute site", rationale=rationale,
                              recorded_by="Room lead", decided_at=NOW - timedelta(minutes=30))
    authoring.add_action(store, description="".join(PARA.format(n=100 + n) for n in range(40)),
                         owner="Room lead", author="t", due_at=NOW + timedelta(hours=1))
    yield store
    store.close()


def _text(pdf) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True).stdout
    return re.sub(r"\s+", "", out)   # words and pieces, wherever the lines broke


@pytest.mark.parametrize("name", ("brief", "handover", "bc-pack"))
def test_long_text_goes_on_over_pages_and_none_of_it_is_lost(long_world, tmp_path, name):
    written = reports.make(long_world, name, tmp_path, NOW)
    text = _text(written.pdf)
    wanted = [n for n in range(100, 140)]   # the open action: in every one of the three papers
    if name == "handover":                  # the day's decisions: the handover's
        wanted += list(range(60))
        # The URL may go on overleaf (under the repeated table header): read it without the page furniture
        # between (a footer, the next page's header and the table's header row).
        whole = re.sub(r"OPELtable[^·]*?page\d+of\d+Handovertothe.*?RationaleActions", "", text)
        assert re.sub(r"\s+", "", URL) in whole, "the unbroken URL whole"
    missing = [n for n in wanted if f"(paragraph{n})." not in text]
    assert missing == [], missing


def test_a_rationale_carried_onto_a_new_page_says_which_decision_it_continues(long_world, tmp_path):
    """Session 25's paper review: the rationale's second and third pages began with its text under the
    table's header and nothing to say whose decision it was; now the first row of such a page says."""
    written = reports.make(long_world, "handover", tmp_path, NOW)
    label = re.sub(r"\s+", "", "(continued: decision of 09:30 by Dr A)")
    carried = 0
    for n in range(1, written.pdf_pages + 1):
        page = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(written.pdf), "-"],
                                                 capture_output=True, text=True, timeout=60, check=True).stdout)
        first_piece = re.search(r"\(paragraph(\d{1,2})\)\.", page)   # the rationale's (the action's are 100+)
        if "Openescalationbedsateveryacutesite" in page:
            assert label not in page, n   # not on the page where the decision itself is
            continue
        if first_piece is None:   # no rationale here, or only its unbroken URL's pieces
            continue
        carried += 1
        assert label in page, f"page {n} goes on with the rationale without naming its decision"
        assert page.index(label) < page.index(first_piece.group(0)), n
    assert carried >= 1
