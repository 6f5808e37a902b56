"""The records export names what a decision's links point at, and takes the room's retention file."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid as uuidlib
from datetime import date, timedelta

import pytest

from models.records.export import link_refs
from models.records.export.records import RetentionError, export_records, retention_class
from models.replica.orm import OpelChecklistItem, Organisation, SpocMessage
from models.service import decisions
from scc_desktop import cli
from sync import authoring
from tests.records.conftest import T0

DAY = date(2025, 3, 30)


@pytest.fixture
def linked(store):
    with store.writing() as s:
        s.add_all([Organisation(ods_code="RBB", name="Beta Hospitals NHS Trust", sector="acute"),
                   Organisation(ods_code="RAA", name="Alpha Hospitals NHS Trust", sector="acute")])
        card = str(uuidlib.uuid4())
        message = str(uuidlib.uuid4())
        s.add(SpocMessage(uuid=message, template="mutual_aid", subject="Mutual aid asked of Alpha", body="...",
                          groups=["org:RAA"], recipients=[{"name": "A", "email": "a@example.nhs.uk"}] * 3,
                          sent_by="Room support", sent_by_role="Room support", composed_at=T0,
                          decision_uuid=str(uuidlib.uuid4()), device_id="d", state="sent",
                          outcome_at=T0 + timedelta(minutes=1), attempts=1))
        s.add(OpelChecklistItem(uuid=card, scope="provider", org_code="RBB", pillar="acute", from_level=2,
                                level=3, changed_at=T0, card_id="acute-3-1", title="Open the escalation ward",
                                raised_at=T0))
    transfer = authoring.create_transfer(store, local_ref="T-2611", kind="repatriation", from_code="RBB",
                                         to_code="RAA", author="Room support", requested_at=T0)
    open_ended = authoring.create_transfer(store, local_ref="T-2612", kind="repatriation", from_code="RAA",
                                           author="Room support", requested_at=T0)
    who = authoring.upsert_contact(store, author="Room support", name="Dr Nadia Rahman", organisation="ICB",
                                   role="Director on-call", phone="0113 496 0000", cover="out_of_hours")
    shift = authoring.add_on_call_shift(store, rota="director", contact_uuid=who, starts_at=T0,
                                        ends_at=T0 + timedelta(hours=12), author="Room support")
    first = authoring.record_decision(
        store, decision_maker="Dr A Lead", decision_maker_role="Room lead", recorded_by="Room support",
        decision="Ask Alpha to take two patients from Beta", rationale="Beta at OPEL 3", decided_at=T0)
    later = authoring.record_decision(
        store, decision_maker="Dr A Lead", decision_maker_role="Room lead", recorded_by="Room support",
        decision="Mutual aid agreed", rationale="Alpha has beds", decided_at=T0 + timedelta(hours=1),
        links=[{"kind": "organisation", "org_code": "RBB"}, {"kind": "transfer", "uuid": transfer},
               {"kind": "transfer", "uuid": open_ended}, {"kind": "on_call_shift", "uuid": shift},
               {"kind": "decision", "uuid": first.uuid}, {"kind": "action_card", "checklist_item": card},
               {"kind": "transfer", "uuid": "00000000-0000-4000-8000-000000000000"},
               {"kind": "ambulance_divert", "uuid": "abc"}, {"kind": "spoc_message", "uuid": message},
               {"kind": "spoc_message", "uuid": "not-synced"}])
    return later


def test_each_link_is_named_for_what_it_points_at_in_json_csv_and_pdf(store, linked, tmp_path):
    result = export_records(store, DAY, DAY, tmp_path / "out", icb="Test ICB", user="t", host="h")
    doc = json.loads((tmp_path / "out" / "decisions.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == 11
    entry = next(e for e in doc["entries"] if e["uuid"] == linked.uuid)
    refs = entry["link_references"]
    assert len(refs) == len(entry["links"]) == 10
    assert refs[0] == "Organisation: Beta Hospitals NHS Trust (RBB)"
    assert refs[1] == ("Transfer T-2611: Beta Hospitals NHS Trust (RBB) to Alpha Hospitals NHS Trust (RAA); "
                       "asked for Sun 30 Mar 2025 00:30 GMT; status requested")
    assert refs[2].startswith("Transfer T-2612: Alpha Hospitals NHS Trust (RAA) to destination not agreed")
    assert refs[3] == ("On-call shift (director): Dr Nadia Rahman (Director on-call), "
                       "Sun 30 Mar 2025 00:30 GMT to Sun 30 Mar 2025 13:30 BST")
    assert refs[4] == ("Decision of Sun 30 Mar 2025 00:30 GMT by Dr A Lead (entry 1 of this export): "
                       "Ask Alpha to take two patients from Beta")
    assert refs[5] == "OPEL action card for RBB at OPEL 3: Open the escalation ward"
    assert refs[6] == "Transfer 00000000-0000-4000-8000-000000000000: not held in this replica"
    assert "ambulance_divert abc" in refs[7] and "does not describe" in refs[7]
    assert refs[8] == ('SPoC message of Sun 30 Mar 2025 00:30 GMT by Room support: "Mutual aid asked of Alpha" '
                       'to 3 recipient(s) (org:RAA); sent Sun 30 Mar 2025 00:31 GMT')
    assert refs[9] == "SPoC message not-synced: not held in this replica"
    csv_text = (tmp_path / "out" / "decisions.csv").read_text(encoding="utf-8")
    assert "link_references" in csv_text.splitlines()[0] and "Transfer T-2611" in csv_text
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.fail("pdftotext is missing: install poppler-utils", pytrace=False)
    text = subprocess.run([pdftotext, "-layout", str(result.files["decisions.pdf"]), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    flat = " ".join(text.split())
    assert "Transfer T-2611: Beta Hospitals NHS Trust (RBB) to Alpha Hospitals NHS Trust (RAA)" in flat
    assert "(entry 1 of this export)" in flat and "not held in this replica" in flat


def test_a_room_s_retention_file_is_stamped_and_a_bad_one_is_refused_naming_the_field(store, linked, tmp_path,
                                                                                        monkeypatch):
    good = tmp_path / "retention.toml"
    good.write_text('[table]\nedition = "Room 2026-1"\nverified = true\n[decision_log]\nclass = "SCC-DL"\n'
                    'description = "SCC decision log"\nschedule_entry = "Corporate: incident logs"\n'
                    'retention_period = "20 years"\n', encoding="utf-8")
    result = export_records(store, DAY, DAY, tmp_path / "a", icb="Test ICB", user="t", host="h", retention=good)
    assert result.manifest["retention"]["class"] == "SCC-DL"
    assert result.manifest["retention"]["retention_period"] == "20 years"
    assert result.manifest["retention"]["verified"] is True
    monkeypatch.setenv("SCC_RECORDS_RETENTION", str(good))
    assert retention_class()["edition"] == "Room 2026-1"
    monkeypatch.delenv("SCC_RECORDS_RETENTION")
    assert retention_class()["verified"] is False   # the shipped placeholder
    bad = tmp_path / "bad.toml"
    bad.write_text('[table]\nverified = "yes"\n[decision_log]\nclass = "SCC-DL"\nretention_period = ""\n',
                   encoding="utf-8")
    with pytest.raises(RetentionError) as caught:
        export_records(store, DAY, DAY, tmp_path / "b", retention=bad)
    message = str(caught.value)
    for field in ("decision_log.description", "decision_log.schedule_entry", "decision_log.retention_period",
                  "table.verified"):
        assert field in message
    assert not (tmp_path / "b").exists()    # refused before anything was written


def test_the_cli_takes_a_retention_file_and_a_bad_one_exits_2(store, store_path, linked, tmp_path, cli_env,
                                                              capsys):
    store.close()
    bad = tmp_path / "bad.toml"
    bad.write_text("not toml [", encoding="utf-8")
    code = cli.main(["export", "records", "--path", str(store_path), "--from", "2025-03-30", "--to", "2025-03-30",
                     "--out", str(tmp_path / "x"), "--retention", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "retention file" in err and "bad.toml" in err and "Traceback" not in err


def test_the_actions_a_decision_recorded_are_said_as_recorded_and_none_is_said(store, tmp_path):
    from models.service import decisions

    def record(decision, actions):
        new = decisions.NewDecision(decision_maker="Dr A Lead", decision_maker_role="Room lead", decision=decision,
                                    rationale="r", recorded_by="Room support", decided_at=T0)
        return decisions.record_decision(store, new, actions).uuid

    with_two = record("Divert from Alpha", [decisions.NewAction("Tell the EOC", "Sam Okafor", T0 + timedelta(hours=2)),
                                            decisions.NewAction("Review the divert", "Site manager")])
    without = record("Hold the divert", [])
    result = export_records(store, DAY, DAY, tmp_path / "out", icb="Test ICB", user="t", host="h")
    doc = json.loads((tmp_path / "out" / "decisions.json").read_text(encoding="utf-8"))
    refs = {e["uuid"]: e["link_references"] for e in doc["entries"]}
    assert refs[with_two] == ["Actions recorded with this decision (2): Tell the EOC (owner Sam Okafor, due "
                              "Sun 30 Mar 2025 03:30 BST); Review the divert (owner Site manager, no due time)"]
    assert refs[without] == ["Actions recorded with this decision: none"]
    text = subprocess.run(["pdftotext", "-layout", str(result.files["decisions.pdf"]), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout
    flat = " ".join(text.split())
    assert "[actions: 2 in the entry's hash]" in flat and '"items"' not in flat


@pytest.mark.parametrize("kind, verb", [("action_reassigned", "Reassigns"), ("action_withdrawn", "Withdraws")])
def test_an_action_link_names_its_decision_outside_the_export_or_says_it_is_not_held(store, kind, verb):
    gave = decisions.record_decision(store, decisions.NewDecision(
        "Dr Lead", "Director on-call", "Open the discharge lounge early", "Corridor care at RAA", "Dr Lead", T0),
        [decisions.NewAction("Call RAA site manager", "Sam Wrong", T0 + timedelta(minutes=30))])
    with store.session() as s:
        said = [link_refs.reference(s, {"kind": kind, "action_uuid": uid}, {}, {})
                for uid in (gave.uuids[0], "not-synced", None)]
    assert said == [f"{verb} the action 'Call RAA site manager' (owner Sam Wrong, given by decision {gave.uuid})",
                    f"{verb} the action not-synced: not held in this replica",
                    f"{verb} the action None: not held in this replica"]
