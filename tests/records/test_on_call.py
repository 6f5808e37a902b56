"""The rota: who is on call now per rota (gaps show), slots checked, a CSV import with bad rows kept."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from models.records import on_call
from models.replica.orm import OnCallShift, OutboxItem, QuarantinedRecord
from sync import authoring
from tests.records.conftest import T0


@pytest.fixture
def people(store):
    """Contacts by a short key; two are both called "Cal Manager" (at different trusts)."""
    return {key: authoring.upsert_contact(store, author="Lead", name=name, organisation=org, cover="both")
            for key, name, org in (("Dr Ada Director", "Dr Ada Director", "Test ICB"),
                                   ("Dr Ben Director", "Dr Ben Director", "Test ICB"),
                                   ("Cal Manager", "Cal Manager", "Test Acute Trust One"),
                                   ("Cal 2", "Cal Manager", "Test Acute Trust Two"))}


def _now(store, at):
    with store.session() as s:
        return {rota: [o.contact.name for o in found] for rota, found in on_call.on_call_now(s, at).items()}


def test_on_call_now_per_rota_with_gaps_and_the_handover_instant_to_the_incoming_shift(store, people):
    day, night = T0.replace(hour=8, minute=0), T0.replace(hour=20, minute=0)
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=people["Dr Ada Director"],
                                starts_at=day, ends_at=night, author="Lead")
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=people["Dr Ben Director"],
                                starts_at=night, ends_at=night + timedelta(hours=12), author="Lead")
    shift = authoring.add_on_call_shift(store, rota="Site manager", contact_uuid=people["Cal Manager"],
                                        starts_at=day, ends_at=day + timedelta(hours=4), author="Lead")
    assert _now(store, day + timedelta(hours=1)) == {"Director on-call": ["Dr Ada Director"],
                                                     "Site manager": ["Cal Manager"]}
    assert _now(store, night) == {"Director on-call": ["Dr Ben Director"], "Site manager": []}
    assert authoring.cancel_on_call_shift(store, shift, "Lead")
    assert authoring.cancel_on_call_shift(store, shift, "Lead") is False
    assert _now(store, day + timedelta(hours=1)) == {"Director on-call": ["Dr Ada Director"]}
    with store.session() as s:
        ops = [i.payload["data"]["op"] for i in s.scalars(select(OutboxItem).where(
            OutboxItem.kind == "on_call_shift").order_by(OutboxItem.seq))]
    assert ops == ["create", "create", "create", "cancel"]


def test_a_bad_slot_is_refused_naming_the_field(store, people):
    with pytest.raises(ValueError, match="ends_at: a shift must end after it starts"):
        authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=people["Dr Ada Director"],
                                    starts_at=T0, ends_at=T0, author="Lead")
    with pytest.raises(ValueError, match="rota: must not be empty"):
        authoring.add_on_call_shift(store, rota=" ", contact_uuid=people["Dr Ada Director"],
                                    starts_at=T0, ends_at=T0 + timedelta(hours=1), author="Lead")
    with pytest.raises(ValueError, match="contact_uuid"):
        authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid="missing",
                                    starts_at=T0, ends_at=T0 + timedelta(hours=1), author="Lead")
    with store.session() as s:
        assert s.scalars(select(OnCallShift)).all() == [] and s.scalars(select(OutboxItem).where(
            OutboxItem.kind == "on_call_shift")).all() == []


def test_rota_csv_import_adds_good_rows_and_quarantines_each_bad_row_with_reasons(store, people, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text(
        "Rota,Name,Organisation,Starts at,Ends at,Pager\n"
        "Director on-call,dr ada director,,2025-03-30 08:00,2025-03-30 20:00,1\n"  # UK time: BST
        "Director on-call,Dr Ben Director,Test ICB,2025-03-30T20:00+01:00,2025-03-31T08:00+01:00,2\n"
        "Site manager,Cal Manager,,2025-03-30 08:00,2025-03-30 12:00,\n"  # two Cal Managers
        "Site manager,Nobody Known,,2025-03-30 08:00,2025-03-30 12:00,\n"
        "Director on-call,Dr Ada Director,,2025-03-30 01:30,2025-03-30 08:00,\n"  # 01:30 skipped (BST)
        ",,,,,\n"
        "Director on-call,Dr Ada Director,,2025-03-31 08:00,2025-03-31 07:00,\n", encoding="utf-8")
    result = authoring.import_on_call(store, path, "Lead", name="rota.csv")
    assert (len(result.created), result.rejected_rows, result.quarantined) == (2, 4, 4)
    assert result.ignored_columns == ["pager"]
    assert result.problems[0].startswith("row 4: name: 2 contacts are named 'Cal Manager'")
    assert result.problems[1].startswith("row 5: name: no contact named 'Nobody Known'")
    assert result.problems[2].startswith("row 6: starts_at: '2025-03-30 01:30' does not exist in UK time")
    assert result.problems[3] == "row 8: ends_at: a shift must end after it starts"
    with store.session() as s:
        shifts = s.scalars(select(OnCallShift).order_by(OnCallShift.starts_at)).all()
        assert [(x.contact_uuid, x.starts_at.hour) for x in shifts] == [(people["Dr Ada Director"], 7),
                                                                         (people["Dr Ben Director"], 19)]
        kept = s.scalars(select(QuarantinedRecord).where(QuarantinedRecord.source == "on_call_import")).all()
        assert [json.loads(k.payload)["row"] for k in kept] == [4, 5, 6, 8]
        assert json.loads(kept[0].payload)["raw"]["name"] == "Cal Manager"


def test_a_rota_file_without_the_needed_columns_is_refused_whole(store, people, tmp_path):
    path = tmp_path / "rota.csv"
    path.write_text("rota,who\nDirector on-call,Ada\n", encoding="utf-8")
    result = authoring.import_on_call(store, path, "Lead")
    assert result.created == [] and result.rejected_rows == 1
    assert result.problems == ["row 1: header: no 'starts_at' column", "row 1: header: no 'ends_at' column",
                               "row 1: header: no 'contact_uuid or name' column"]
