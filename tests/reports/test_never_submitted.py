"""A provider that has never sent a figure, on the seeded 40-provider replica with a week behind it: the
papers name it as never submitted rather than leave it out (the business-continuity pack's list of every
provider to phone, the brief's and the handover's picture) or count it as zero (the sitrep's and the
board's handovers by site).  Found by a paper review (session 25): the pack's "every provider" list had
no row for it and the sitrep said "0 handovers, 0 hours lost" for a site the ambulance feed never named.
Read from the PDFs (pdftotext) as a reader meets them."""

from __future__ import annotations

import pytest

from models.service import reports
from tests.reports.period_world import NOW, SUNDAY, copy_of_period_world
from tests.reports.test_files import pages_text
from tests.ui.feeds import Feed

CODE, NAME = "RZZ99", "Ysbyty Maelor Wrecsam NHS Trust"


@pytest.fixture(scope="module")
def silent_world(tmp_path_factory):
    path, store = copy_of_period_world(tmp_path_factory.mktemp("never-submitted"))
    Feed(first_seq=900_000).org(CODE, NAME, "acute", 900.0).apply(store)   # known to the hub, never a figure
    yield store
    store.close()


def _text(store, name, folder, **days) -> str:
    written = reports.make(store, name, folder, NOW, **days)
    return "\n".join(pages_text(written.files["pdf"]))


def _row(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(name))


def test_the_bc_pack_lists_it_among_the_acute_providers_as_never_submitted(silent_world, tmp_path):
    report = reports.build(silent_world, "bc-pack", NOW)
    rows = report.table("providers").rows
    names = [r[0] for r in rows]
    assert "Ysbyty Maelor Wrecsam" in names
    row = rows[names.index("Ysbyty Maelor Wrecsam")]
    assert row[1:3] == ("Acute", "no level") and row[5] == "NEVER SUBMITTED"
    acute = [r[0] for r in rows if r[1] == "Acute"]
    assert acute == sorted(acute, key=str.lower)   # in its place, not at the end
    text = _text(silent_world, "bc-pack", tmp_path)
    assert "NEVER" in _row(text, "Ysbyty Maelor Wrecsam")
    assert "NEVER SUBMITTED: no figure has ever been received from it" in " ".join(text.split())


@pytest.mark.parametrize("name", ("brief", "handover", "bc-pack"))
def test_the_picture_names_it(silent_world, tmp_path, name):
    flat = " ".join(_text(silent_world, name, tmp_path).split())
    assert ("Never submitted: 1 provider this replica knows has never sent a figure, so it is in no level or "
            "count below (not zero): Ysbyty Maelor Wrecsam (Acute).") in flat


def test_a_provider_that_reports_is_not_called_silent(silent_world):
    """The 40 seeded providers all send figures (the ambulance service with no REAP status among them)."""
    r = reports.build(silent_world, "brief", NOW)
    flat = " ".join(str(p) for s in r.sections for p in s.parts)
    assert flat.count("Never submitted") == 1 and "Ysbyty Maelor Wrecsam (Acute)." in flat


@pytest.mark.parametrize("name", ("sitrep", "board"))
def test_its_handovers_are_never_received_not_zero(silent_world, tmp_path, name):
    days = {"first": SUNDAY, "last": SUNDAY} if name == "sitrep" else {}
    report = reports.build(silent_world, name, NOW, **days)
    table = report.table("handovers_by_site")
    row = next(r for r in table.rows if r[0] == "Ysbyty Maelor Wrecsam")
    assert row[1:6] == ("never received", None, None, None, None)
    others = [r for r in table.rows if r[0] not in ("Ysbyty Maelor Wrecsam", "All sites")]
    assert others and all(isinstance(r[1], int) for r in others)
    line = _row(_text(silent_world, name, tmp_path, **days), "Ysbyty Maelor Wrecsam")
    assert "never" in line and " 0 " not in f"{line} "


@pytest.mark.parametrize("name", ("sitrep", "board"))
def test_the_period_reports_name_it_before_the_providers_table(silent_world, tmp_path, name):
    days = {"first": SUNDAY, "last": SUNDAY} if name == "sitrep" else {}
    report = reports.build(silent_world, name, NOW, **days)
    assert "Ysbyty Maelor Wrecsam" not in [r[0] for r in report.table("provider_levels").rows]
    flat = " ".join(_text(silent_world, name, tmp_path, **days).split())
    assert "Never submitted: 1 provider this replica knows has never sent a figure" in flat
    assert flat.index("Never submitted") < flat.index("Each provider: levels and hours at each")
