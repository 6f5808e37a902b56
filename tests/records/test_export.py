"""``export records``: reproducible CSV/JSON, manifest hashes, a real PDF read back and rendered."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
from datetime import date, datetime, timedelta, timezone

import pytest
from PIL import Image

from models.replica.orm import Action
from scc_desktop import cli
from models.records.export import pdf
from models.records.export.records import ExportError, export_records
from sync import authoring
from tests.records.conftest import T0, write_decisions

SPRING = date(2025, 3, 30)


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install poppler-utils (apt-get install poppler-utils)", pytrace=False)
    return path


def _run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout


@pytest.fixture
def log(store):
    entries = write_decisions(store, 5)
    amendment = authoring.record_decision(
        store, decision_maker="Zoë Łukasiewicz", decision_maker_role="Room lead",
        decision="Correction: escalation beds at Trust Two, not Trust One", rationale="Wrong trust named",
        recorded_by="Zoë Łukasiewicz", decided_at=T0 + timedelta(hours=5), amends_uuid=entries[0].uuid)
    with store.session() as s, s.begin():
        s.add(Action(decision_uuid=entries[0].uuid, description="Phone Trust One site manager",
                     owner="Room support", due_at=T0 + timedelta(minutes=20)))
    return entries, amendment


def _export(store, out, now=None, **kw):
    return export_records(store, SPRING, SPRING, out, icb="Test Shire ICB", now=now, user="tester",
                          host="desk-1", **kw)


def test_reexport_is_byte_identical_and_the_manifest_hashes_match(store, log, tmp_path):
    first = _export(store, tmp_path / "one", now=datetime(2025, 4, 1, 9, tzinfo=timezone.utc))
    second = _export(store, tmp_path / "two", now=datetime(2025, 4, 2, 10, tzinfo=timezone.utc))
    for name in ("decisions.csv", "decisions.json", "chain_context.json", "verify_export.py", "README.txt"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert first.manifest["exported_at"] != second.manifest["exported_at"]
    for result in (first, second):
        listed = {f["name"]: f for f in result.manifest["files"]}
        assert set(listed) == {"decisions.csv", "decisions.json", "decisions.pdf", "handover.json",
                               "chain_context.json", "verify_export.py", "README.txt", "key_history.json"}
        for name, entry in listed.items():
            data = (result.out_dir / name).read_bytes()
            assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
        on_disk = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
        assert on_disk == result.manifest
    m = first.manifest
    assert m["entries"] == 6 and m["period"]["utc_end_exclusive"] == "2025-03-30T23:00:00Z"
    assert m["exporter"] == {"user": "tester", "host": "desk-1", "app": "scc-desktop 0.1.0",
                             "replica_device_id": log[0][0].device_id}
    assert m["retention"]["class"] == "scc-decision-log" and m["retention"]["verified"] is False
    assert m["chain"]["verification"]["intact"] is True
    assert m["chain"]["device_heads"] == [{"device_id": log[1].device_id, "device_seq": 6,
                                           "content_hash": log[1].content_hash, "entries": 6}]


def test_csv_and_json_carry_every_field_and_the_amendment_links(store, log, tmp_path):
    entries, amendment = log
    result = _export(store, tmp_path / "x")
    rows = list(csv.DictReader(io.StringIO((result.out_dir / "decisions.csv").read_text(encoding="utf-8"))))
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    assert [r["uuid"] for r in rows] == [e["uuid"] for e in doc["entries"]] == \
        [e.uuid for e in entries] + [amendment.uuid]
    first = doc["entries"][0]
    assert first["amended_by"] == [amendment.uuid] and doc["entries"][-1]["amends_uuid"] == entries[0].uuid
    assert first["decided_at"] == "2025-03-30T00:30:00.000000+00:00"
    assert first["decided_at_uk"] == "2025-03-30T00:30:00+00:00"
    assert doc["entries"][1]["decided_at_uk"] == "2025-03-30T02:15:00+01:00"  # after the clock change
    assert first["actions"][0]["owner"] == "Room support"
    assert json.loads(rows[0]["situation_snapshot"]) == {"offload": {"RTEST1": {"mean_minutes": 71.5}},
                                                         "system_opel": 3}
    assert rows[0]["content_hash"] == entries[0].content_hash


def test_uk_dates_become_the_right_utc_bounds_on_both_clock_change_days(store, tmp_path):
    def at(*args):
        return datetime(*args, tzinfo=timezone.utc)

    inside_spring = [at(2025, 3, 30, 0, 0), at(2025, 3, 30, 22, 59)]  # 00:00 GMT .. 23:59 BST
    inside_autumn = [at(2025, 10, 25, 23, 0), at(2025, 10, 26, 23, 59)]  # 00:00 BST .. 23:59 GMT
    outside = [at(2025, 3, 29, 23, 59), at(2025, 3, 30, 23, 0), at(2025, 10, 25, 22, 59), at(2025, 10, 27, 0, 0)]
    for when in inside_spring + inside_autumn + outside:
        write_decisions(store, 1, start=when)
    for day, expected in ((SPRING, inside_spring), (date(2025, 10, 26), inside_autumn)):
        result = export_records(store, day, day, tmp_path / day.isoformat(), icb="ICB")
        doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
        assert [e["decided_at"][:16] for e in doc["entries"]] == [w.strftime("%Y-%m-%dT%H:%M") for w in expected]


def test_the_pdf_reads_back_with_its_pages_text_and_renders(store, log, tmp_path):
    entries, amendment = log
    result = _export(store, tmp_path / "p", now=datetime(2025, 4, 1, 9, tzinfo=timezone.utc))
    path = result.out_dir / "decisions.pdf"
    pages = int(next(line.split()[-1] for line in _run(_tool("pdfinfo"), str(path)).splitlines()
                     if line.startswith("Pages:")))
    assert pages == result.pdf_pages == result.manifest["pdf"]["pages"] >= 2
    text = _run(_tool("pdftotext"), "-layout", str(path), "-")
    per_page = text.split("\f")[:pages]
    for number, page in enumerate(per_page, start=1):
        assert f"page {number} of {pages}" in page
        assert "Decision log: Test Shire ICB" in page and "Period Sun 30 Mar 2025" in page
        assert "Exported Tue 1 Apr 2025 10:00 BST" in page
    flat = " ".join(text.split())
    for e in entries:
        assert e.decision in flat
    assert "Zoë Łukasiewicz" in flat  # DejaVu renders beyond Latin-1
    assert "This entry corrects entry 1" in flat and "Corrected later by entry 6" in flat
    assert "Phone Trust One site manager: Room support, due Sun 30 Mar 2025 00:50 GMT" in flat
    assert "1. Sun 30 Mar 2025 00:30 GMT" in flat and "2. Sun 30 Mar 2025 02:15 BST" in flat
    _run(_tool("pdftoppm"), "-png", "-r", "60", str(path), str(tmp_path / "page"))
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    with Image.open(images[0]) as im:
        assert abs(im.size[0] - 496) <= 1 and abs(im.size[1] - 702) <= 1  # A4 at 60 dpi
        inked = sum(im.convert("L").histogram()[:128])
        assert inked > 2000  # text, not a blank page


def test_a_missing_font_falls_back_and_says_so(store, log, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", [tmp_path / "no-fonts"])
    result = _export(store, tmp_path / "f")
    assert result.manifest["pdf"]["font"] == "Bitstream Vera"
    assert "DejaVu Sans was not found" in result.manifest["pdf"]["font_note"] and result.notes
    text = " ".join(_run(_tool("pdftotext"), str(result.out_dir / "decisions.pdf"), "-").split())
    assert "Font: DejaVu Sans was not found" in text


def test_cli_export_and_refusal_to_overwrite(store, store_path, log, tmp_path, cli_env, capsys):
    out = tmp_path / "cli"
    args = ["export", "records", "--from", "2025-03-30", "--to", "2025-03-30", "--out", str(out),
            "--path", str(store_path), "--icb", "Test Shire ICB"]
    assert cli.main(args) == 0
    said = capsys.readouterr().out
    assert "Exported 6 decisions" in said
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "chain_context.json", "decisions.csv",
                                                     "decisions.json", "decisions.pdf", "handover.json",
                                                     "key_history.json", "manifest.json", "signature.json",
                                                     "verify_export.py"]
    key = json.loads((out / "signature.json").read_text("ascii"))["key_fingerprint"]
    assert f"Signed with this desktop's export key {key}." in said and f"--signed-by {key}," in said
    assert cli.main(["export", "key", "--path", str(store_path)]) == 0   # what the records team registers
    said = capsys.readouterr().out
    assert key in said and " ".join(key[i:i + 4] for i in range(0, 32, 4)) in said
    assert cli.main(args) == 1
    assert "already holds an export" in capsys.readouterr().err
    (out / "manifest.json").unlink()   # a signature alone left in the folder is an export there too
    assert cli.main(args) == 1
    assert cli.main(args + ["--force"]) == 0
    again = json.loads((out / "signature.json").read_text("ascii"))
    assert again["key_fingerprint"] == key   # one replica, one key
    assert cli.main(["export", "verify", str(out), "--signed-by", key]) == 0
    assert cli.main(args[:3] + ["2025-03-31"] + args[4:]) == 2  # --to before --from
    assert "before" in capsys.readouterr().err


def test_an_export_key_changed_in_the_replica_is_said_and_nothing_is_written(store, store_path, log, tmp_path,
                                                                            cli_env, capsys):
    """A key row that is not a key (edited with SQL): the export and 'export key' say so, never a bare ValueError."""
    _export(store, tmp_path / "first")   # makes the key
    with store.raw() as conn:
        conn.execute("UPDATE replica_meta SET value = 'not a key' WHERE key = 'export_signing_key'")
    with pytest.raises(ExportError, match="export key kept in this replica .* cannot be read"):
        _export(store, tmp_path / "second")
    assert not (tmp_path / "second").exists()
    store.close()
    assert cli.main(["export", "key", "--path", str(store_path)]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_an_export_of_a_broken_log_says_so_in_the_pdf_and_manifest(store, log, tmp_path):
    entries, _ = log
    with store.raw() as conn:
        conn.execute("UPDATE decision_entry SET rationale = 'edited' WHERE uuid = ?", (entries[3].uuid,))
    result = _export(store, tmp_path / "b")
    check = result.manifest["chain"]["verification"]
    assert check["intact"] is False and entries[3].uuid in check["first_problem"]
    text = " ".join(_run(_tool("pdftotext"), str(result.out_dir / "decisions.pdf"), "-").split())
    assert f"BROKEN: 1 problem(s); first: entry {entries[3].uuid}" in text


def test_the_export_carries_a_handover_of_open_actions_overdue_first(store, log, tmp_path):
    entries, _ = log
    # The log's action (due 00:50 UTC) is overdue at 09:00; one more due later, one done, one undated.
    later = authoring.add_action(store, description="Send the regional update", owner="Room lead",
                                 author="Lead", due_at=T0 + timedelta(hours=10))
    done = authoring.add_action(store, description="Open the discharge lounge", owner="Room lead",
                                author="Lead", due_at=T0)
    authoring.complete_action(store, done, "Bo", T0 + timedelta(minutes=5))
    authoring.add_action(store, description="Review the rota", owner="Room support", author="Lead")
    now = datetime(2025, 3, 30, 9, tzinfo=timezone.utc)
    result = _export(store, tmp_path / "h", now=now)
    doc = json.loads((result.out_dir / "handover.json").read_text(encoding="utf-8"))
    assert (doc["as_at"], doc["as_at_uk"]) == ("2025-03-30T09:00:00.000000+00:00", "2025-03-30T10:00:00+01:00")
    assert [(a["description"], a["overdue_minutes"], a["decision"]) for a in doc["overdue"]] == [
        ("Phone Trust One site manager", 490.0, entries[0].decision)]
    assert [(a["uuid"], a["due_at_uk"]) for a in doc["open"]] == [(later, "2025-03-30T11:30:00+01:00"),
                                                                  (doc["open"][1]["uuid"], None)]
    assert result.manifest["handover"] == {"overdue_actions": 1, "open_actions": 2}
    text = " ".join(_run(_tool("pdftotext"), str(result.out_dir / "decisions.pdf"), "-").split())
    assert "Handover: actions open at Sun 30 Mar 2025 10:00 BST" in text
    assert ("OVERDUE by 8 h 10 min · Phone Trust One site manager · owner Room support · "
            "due Sun 30 Mar 2025 00:50 GMT") in text
    assert "Open the discharge lounge" not in text.split("Handover:")[1]
    # Forgotten for days, in days and hours as every paper says a span (it read "OVERDUE by 80 h 10 min").
    days = _export(store, tmp_path / "d", now=now + timedelta(hours=72))
    text = " ".join(_run(_tool("pdftotext"), str(days.out_dir / "decisions.pdf"), "-").split())
    assert "OVERDUE by 3 d 8 h · Phone Trust One site manager" in text


def test_the_icb_named_is_the_one_given_else_the_environment_s_else_a_plain_placeholder(monkeypatch):
    from models.records.export.records import icb_name

    monkeypatch.setenv("SCC_ICB_NAME", "NHS Lincolnshire ICB")
    assert icb_name("NHS Norfolk and Waveney ICB") == "NHS Norfolk and Waveney ICB"
    assert icb_name(None) == icb_name("  ") == "NHS Lincolnshire ICB"
    monkeypatch.delenv("SCC_ICB_NAME")
    assert icb_name(None) == "ICB not named"


def test_a_correction_exported_without_its_original_says_what_the_original_was(store, tmp_path):
    """A correction and its original in different periods: the export of the correction's day said only
    "This entry corrects acb45b4a-... (outside this period)" (found by a records review at a year's size:
    11 of 12 monthly exports). Now it gives the original's time, maker and words, and the original's
    export names its later correction the same way; JSON and CSV carry both."""
    original = authoring.record_decision(
        store, decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
        decision="Open six escalation beds at Trust One", rationale="ED full", recorded_by="Room lead",
        decided_at=T0 - timedelta(hours=3))   # Saturday 29 March
    correction = authoring.record_decision(
        store, decision_maker="Zoë Łukasiewicz", decision_maker_role="Room lead",
        decision="Correction: the beds are at Trust Two", rationale="Wrong trust named",
        recorded_by="Zoë Łukasiewicz", decided_at=T0 + timedelta(hours=5), amends_uuid=original.uuid)
    result = _export(store, tmp_path / "sunday")
    (entry,) = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))["entries"]
    assert entry["uuid"] == correction.uuid and entry["amends_uuid"] == original.uuid
    said = "Decision of Sat 29 Mar 2025 21:30 GMT by Dr Priya Raman: Open six escalation beds at Trust One"
    assert entry["amends_reference"] == said
    (row,) = list(csv.DictReader(io.StringIO((result.out_dir / "decisions.csv").read_text(encoding="utf-8"))))
    assert row["amends_reference"] == said
    text = " ".join(_run(_tool("pdftotext"), str(result.out_dir / "decisions.pdf"), "-").split())
    assert f"This entry corrects {original.uuid} (outside this period): {said}." in text
    saturday = export_records(store, date(2025, 3, 29), date(2025, 3, 29), tmp_path / "saturday", icb="Test Shire ICB",
                              user="tester", host="desk-1")
    (before,) = json.loads((saturday.out_dir / "decisions.json").read_text(encoding="utf-8"))["entries"]
    assert before["amended_by_references"] == [
        "Decision of Sun 30 Mar 2025 06:30 BST by Zoë Łukasiewicz: Correction: the beds are at Trust Two"]


def test_line_breaks_of_every_kind_and_indents_are_kept_in_the_pdf(store, tmp_path):
    """A word processor's line break (\\x0b) and U+2028 ran lines together, and nested bullets lost their
    indent (found by a records review); the JSON always kept the text exactly."""
    authoring.record_decision(store, decision_maker="Dr A", decision_maker_role="Director on-call",
                              decision="Open escalation beds", recorded_by="Room lead", decided_at=T0,
                              rationale="First line\x0bsecond line\u2028third line\n- bullet\n    - nested bullet")
    result = _export(store, tmp_path / "x")
    text = _run(_tool("pdftotext"), "-layout", str(result.out_dir / "decisions.pdf"), "-")
    lines = [line.strip() for line in text.splitlines()]
    assert {"second line", "third line"} <= set(lines) and any(x.endswith(" First line") for x in lines), \
        [x for x in lines if "line" in x]
    bullet = next(line for line in text.splitlines() if line.strip() == "- bullet")
    nested = next(line for line in text.splitlines() if line.strip() == "- nested bullet")
    assert len(nested) - len(nested.lstrip()) > len(bullet) - len(bullet.lstrip()), (bullet, nested)


def test_the_pdf_cover_names_the_signing_key(store, log, tmp_path):
    """The printed record says which key signed its manifest, whole, in fours as 'export key' prints them (it
    named none: a reader of the PDF alone could not tell which key to check it against)."""
    result = _export(store, tmp_path / "k")
    fp = result.key_fingerprint
    first = _run(_tool("pdftotext"), "-l", "1", str(result.out_dir / "decisions.pdf"), "-")
    words = " ".join(first.split())
    spaced = " ".join(fp[i:i + 4] for i in range(0, 64, 4))
    assert f"Signed with export key 1, fingerprint {spaced} (manifest.json signed into signature.json" in words


def test_export_verify_loads_the_standalone_checker_once(store, log, tmp_path, monkeypatch, cli_env):
    """It was loaded (its 600 lines compiled and run) twice: to read --signed-by, then to check."""
    from models.records.export import check
    result = _export(store, tmp_path / "once")
    loads = []
    real = check.standalone
    monkeypatch.setattr(check, "standalone", lambda: loads.append(1) or real())
    assert cli.main(["export", "verify", str(result.out_dir), "--signed-by", result.key_fingerprint]) == 0
    assert len(loads) == 1


def test_records_export_the_wrong_way_round_points_to_export_records(capsys):
    """Review r1, session 31: 'records export' answered only argparse's "invalid choice: 'export'"."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(["records", "export", "--from", "2026-12-06", "--to", "2026-12-06", "--out", "x"])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "did you mean: scc-desktop export records" in err
    with pytest.raises(SystemExit) as stopped:   # any other action still gets argparse's own answer
        cli.main(["records", "exprot"])
    assert stopped.value.code == 2 and "did you mean" not in capsys.readouterr().err


def test_a_shifts_export_takes_uk_times_start_included_end_excluded(store, store_path, log, tmp_path, cli_env,
                                                                    capsys):
    """Review r1, session 31: --from/--to took whole UK dates only, so a night shift's export carried the day
    shift too.  On the spring change day: 02:15 BST is 01:15 UTC (an entry's time, included); 03:45 BST is
    02:45 UTC (an entry's time, excluded: the next shift's)."""
    out = tmp_path / "shift"
    args = ["export", "records", "--from", "2025-03-30 02:15", "--to", "2025-03-30T03:45", "--out", str(out),
            "--path", str(store_path), "--icb", "Test Shire ICB"]
    assert cli.main(args) == 0
    said = capsys.readouterr().out
    assert "Exported 2 decisions from Sun 30 Mar 2025 02:15 BST to Sun 30 Mar 2025 03:45 BST (end excluded)" in said
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["period"] == {"from": "2025-03-30", "to": "2025-03-30", "timezone": "Europe/London",
                                  "utc_start": "2025-03-30T01:15:00Z", "utc_end_exclusive": "2025-03-30T02:45:00Z",
                                  "from_uk": "2025-03-30T02:15:00+01:00", "to_uk_exclusive": "2025-03-30T03:45:00+01:00"}
    doc = json.loads((out / "decisions.json").read_text("utf-8"))
    assert doc["format_version"] == 11 and [e["decided_at"][11:16] for e in doc["entries"]] == ["01:15", "02:00"]
    assert cli.main(["export", "verify", str(out)]) == 0
    from models.records.export import check   # both checkers: UK bounds naming other instants than the UTC ones
    checker = check.standalone().Checker(str(out))
    checker.check_period(dict(manifest["period"], from_uk="2025-03-30T02:15:00+00:00"))
    assert [p["field"] for p in checker.problems] == ["period"] and "from_uk" in checker.problems[0]["reason"]
    text = " ".join(_run(_tool("pdftotext"), str(out / "decisions.pdf"), "-").split())
    assert "Sun 30 Mar 2025 02:15 BST to Sun 30 Mar 2025 03:45 BST (end excluded), UK time;" in text
    # Whole dates as before: no UK bounds added to the period.
    assert _export(store, tmp_path / "day").manifest["period"].keys() == {"from", "to", "timezone", "utc_start",
                                                                          "utc_end_exclusive"}
    for option, value, why in (("--from", "2025-03-30 01:30", "the clocks went forward over it"),
                               ("--to", "2025-03-30 25:00", "is not a date or a date and time"),
                               ("--from", "30/03/2025", "write YYYY-MM-DD (a UK date) or YYYY-MM-DD HH:MM"),
                               ("--to", "2025-03-30 02:15", "is not after --from")):
        bad = list(args)
        bad[bad.index(option) + 1] = value
        assert cli.main(bad + ["--force"]) == 2, value
        err = capsys.readouterr().err
        assert f"scc-desktop: {option}" in err and why in err, err


def test_a_night_shifts_export_from_a_years_log_takes_that_shift_only(store, tmp_path):
    """A year's log (2,950 entries, 40-provider snapshots of the older free-form shape, every 3 h) exported for
    one 20:00-08:00 shift: exactly the entries decided in it, read as before, and whole to the export's checker."""
    from sqlalchemy import select

    from models.records.export import check
    from models.replica.orm import DecisionEntry
    from models.uk_time import parse_uk_date_or_time
    from tests.records.year_log import write_year

    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    write_year(store, 2950, now)
    start, end = parse_uk_date_or_time("2026-12-06 20:00"), parse_uk_date_or_time("2026-12-07T08:00")
    with store.session() as s:
        inside = sorted(at for at in s.scalars(select(DecisionEntry.decided_at)) if start <= at < end)
    result = export_records(store, start, end, tmp_path / "night", icb="Test ICB", user="t", host="h")
    assert result.entries == len(inside) >= 3
    doc = json.loads((result.out_dir / "decisions.json").read_text("utf-8"))
    assert [e["decided_at"] for e in doc["entries"]] == [at.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") for at in inside]
    assert all(e["situation_summary"].startswith("Situation at the time (as recorded)") for e in doc["entries"])
    assert check.check(result.out_dir).problems == []


def test_the_autumns_repeated_hour_is_named_by_its_zone_in_a_shifts_bounds():
    """r3's review: --from/--to could not name 01:00-01:59 on the autumn change (it happens twice), so an export of
    exactly that hour could not be made. BST names its first pass, GMT its second; unnamed it is refused saying so."""
    from datetime import datetime, timezone

    from models.uk_time import parse_uk_date_or_time

    assert parse_uk_date_or_time("2026-10-25 01:30 BST") == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    assert parse_uk_date_or_time("2026-10-25T01:30 gmt") == datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="add BST for the first"):
        parse_uk_date_or_time("2026-10-25 01:30")
    with pytest.raises(ValueError, match="do not read BST"):
        parse_uk_date_or_time("2026-12-06 20:00 BST")
