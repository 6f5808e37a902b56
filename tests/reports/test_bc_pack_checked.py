"""The business-continuity pack prints beside each number when it was last checked (hazard H-05): a UK date,
or "NOT CHECKED since …" in capitals past 90 days, marked, with a line saying how many, in the directory and in
who is on call now; on a real encrypted replica written to a real PDF (read back with pdftotext, page 1
rendered with pdftoppm).  Before, a number unchecked for a year printed as one checked today."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from models.replica.orm.types import utcnow
from models.replica.utc import to_utc_text
from models.service import reports
from tests.models.conftest import store, store_path  # noqa: F401
from tests.reports.test_files import pages_text
from tests.ui.records.seed import seed_contacts


def test_the_pack_prints_the_checked_date_beside_each_number(store, tmp_path):
    # 20:00 UTC today: the seeded rota has Tom Okafor on call from 18:00 to 08:00 (the test assumed it).
    now = utcnow().replace(hour=20, minute=0, second=0, microsecond=0)
    uids = seed_contacts(store, now)
    with store.writing() as w:
        for name, days in (("Tom Okafor", 120), ("Sarah Lindqvist", 400), ("James Achebe", 3)):
            w.execute(text("UPDATE contact SET checked_at = :at WHERE uuid = :u"),
                      {"at": to_utc_text(now - timedelta(days=days)), "u": uids[name]})
    report = reports.build(store, "bc-pack", now)
    directory = report.table("directory")
    assert directory.headers[2:4] == ("Phone", "Checked")
    by_name = {r[0]: r for r in directory.rows}
    old = now - timedelta(days=400)
    assert by_name["Sarah Lindqvist"][3].startswith("NOT CHECKED since ") and str(old.year) in by_name[
        "Sarah Lindqvist"][3]
    assert by_name["Tom Okafor"][3].startswith("NOT CHECKED since ")
    assert not by_name["James Achebe"][3].startswith("NOT")
    late = {directory.rows[i][0] for i in directory.warn_rows}
    assert late == {"Sarah Lindqvist", "Tom Okafor"}
    assert directory.note.startswith("Checked: when someone last confirmed") and "2 not checked in 90 days" in directory.note
    on_call = report.table("on_call_now")
    assert on_call.headers[2:4] == ("Phone", "Checked")
    assert [(r[1], r[3].startswith("NOT CHECKED")) for r in on_call.rows if r[1] != "NOBODY ON CALL"] == [
        ("Tom Okafor", True)]

    written = reports.make(store, "bc-pack", tmp_path / "packs", now)
    pdf = next(p for p in written.files.values() if p.suffix == ".pdf")
    first = pages_text(pdf)[0]
    assert "Checked" in first and "NOT CHECKED since" in first
    shots = Path(os.environ.get("SCC_SHOTS_DIR") or tmp_path)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(pdf), str(shots / "bc-pack-checked")],
                   check=True, timeout=60)
    assert list(shots.glob("bc-pack-checked*.png"))
