"""A reassigned action in the room's records, on two desktops through a real hub on loopback (real
encrypted replicas): the records export says who it went to, when, by whom and in which decision (PDF, CSV,
JSON) where it read only as an action never done; and two desktops that each reassigned the same action
offline both stand, each new action marked as a clash on the actions list, in the decision log and in
the export, where the room had silently two owners."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from datetime import timedelta

import pytest

from models.records import verify as records_verify
from models.records.export.records import export_records
from models.service import actions as door
from models.uk_time import UK, uk_time
from tests.records.conftest import synced


def _export(desk, now, out):
    day = now.astimezone(UK).date()
    result = export_records(desk.store, day - timedelta(days=1), day + timedelta(days=1), out, icb="Test ICB",
                            now=now, user="tester", host="desk")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: install poppler-utils", pytrace=False)
    pdf = subprocess.run([pdftotext, "-layout", str(result.files["decisions.pdf"]), "-"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    rows = list(csv.DictReader(io.StringIO((out / "decisions.csv").read_text(encoding="utf-8"))))
    entries = json.loads((out / "decisions.json").read_text(encoding="utf-8"))["entries"]
    return result, " ".join(pdf.split()), rows, entries


def _old_action(entries, gave_uuid, old):
    [entry] = [e for e in entries if e["uuid"] == gave_uuid]
    [action] = [a for a in entry["actions"] if a["uuid"] == old]
    return action


def test_the_export_says_who_a_reassigned_action_went_to_when_by_whom_and_in_which_decision(
        action_given, tmp_path):
    a, b, now, gave, old = action_given
    out = door.reassign_action(a.store, old, "Pat Right", "Sam is off today", "Dr Lead", "Director on-call", now)
    synced(a, b)
    said = f"reassigned to Pat Right {uk_time(now)}, by Dr Lead (decision"
    result, pdf, rows, entries = _export(b, now, tmp_path / "out")
    assert result.manifest["chain"]["verification"]["intact"]   # records verify still passes
    action = _old_action(entries, gave.uuid, old)
    assert action["done_at"] is None
    [move] = action["reassigned"]
    assert (move["to"], move["by"], move["decision"], move["new_action"]) == ("Pat Right", "Dr Lead", out.uuid,
                                                                            out.uuids[0])
    assert move["said"] == f"{said} {out.uuid})"
    [row] = [r for r in rows if r["uuid"] == gave.uuid]
    assert f"{said} {out.uuid})" in row["actions"]
    assert "Call RAA site manager: Sam Wrong" in pdf and said in pdf, pdf[:3000]
    assert "clash" not in pdf.lower()
    assert "Reassigns the action 'Call RAA site manager' (owner Sam Wrong, given by entry 1 of this export)" in pdf
    assert "a kind of link this version does not describe" not in pdf
    with b.store.session() as s:
        assert records_verify.verify(s).intact


def test_two_desktops_reassigning_the_same_action_offline_both_stand_marked_as_a_clash(
        action_given, tmp_path):
    a, b, now, gave, old = action_given
    # Both offline: each reassigns the action without seeing the other's entry.
    to_pat = door.reassign_action(a.store, old, "Pat Right", "Sam is off today", "Dr Lead", "Director on-call", now)
    to_jo = door.reassign_action(b.store, old, "Jo Other", "Jo covers RAA", "Dr Night", "Tactical commander",
                                 now + timedelta(minutes=1))
    synced(a, b)
    for desk in (a, b):
        page = door.actions_page(desk.store, now + timedelta(minutes=2))
        shown = {i.owner: i for i in page.actions}
        assert set(shown) == {"Pat Right", "Jo Other"}, desk   # both stand: neither is silently dropped
        assert "also reassigned to Jo Other" in shown["Pat Right"].clash
        assert "by Dr Night" in shown["Pat Right"].clash and to_jo.uuid in shown["Pat Right"].clash
        assert "also reassigned to Pat Right" in shown["Jo Other"].clash and to_pat.uuid in shown["Jo Other"].clash
        with desk.store.session() as s:
            assert records_verify.verify(s).intact
    # Settled by hand: once Jo's action is done, Pat's is no longer marked (the export still says both).
    door.complete_action(b.store, to_jo.uuids[0], "Jo Other", now + timedelta(minutes=3))
    synced(a, b)
    for desk in (a, b):
        [left] = door.actions_page(desk.store, now + timedelta(minutes=4)).actions
        assert (left.owner, left.clash) == ("Pat Right", None), desk
    result, pdf, rows, entries = _export(a, now + timedelta(minutes=4), tmp_path / "out")
    assert result.manifest["chain"]["verification"]["intact"]
    moves = _old_action(entries, gave.uuid, old)["reassigned"]
    assert [(m["to"], m["decision"]) for m in moves] == [("Pat Right", to_pat.uuid), ("Jo Other", to_jo.uuid)]
    [row] = [r for r in rows if r["uuid"] == gave.uuid]
    assert "reassigned to Pat Right" in row["actions"] and "reassigned to Jo Other" in row["actions"]
    assert "clash: reassigned to Pat Right" in pdf and "and reassigned to Jo Other" in pdf, pdf[:4000]
    assert "both new actions stand" in pdf
    # Each reassigning entry's link says the action it replaces was reassigned twice, and to whom.
    [link_ref] = {r for e in entries if e["uuid"] == to_jo.uuid for r in e["link_references"] if "Reassigns" in r}
    assert "clash: it was reassigned 2 times" in link_ref and "to Pat Right" in link_ref and "to Jo Other" in link_ref
