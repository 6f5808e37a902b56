"""CSV exports never carry a live spreadsheet formula, and phone numbers stay intact."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone

import pytest

from models.records import contacts
from models.records.contacts import ContactView
from models.records.csv_guard import is_phone_number, safe_cell
from models.records.export.records import export_records
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401

PHONE = "+44 20 7946 0000"
FORMULA = "=HYPERLINK(\"http://example.invalid\",\"click\")"


@pytest.mark.parametrize("value", [PHONE, "+44 (0)20 7946 0000", "020 7946 0000",
                                   "+44 20 7946 0000 ext 123", "0161-496-0000"])
def test_phone_numbers_are_kept(value):
    assert is_phone_number(value) and safe_cell(value) == value


@pytest.mark.parametrize("value", ["=1+2", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", FORMULA,
                                   "+44 20 7946 0000=1", "+cmd|' /C calc'!A0", "-", "+123"])
def test_formula_starts_are_neutralised(value):
    assert not is_phone_number(value)
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Dr Ada", "Ward 7 = full", "111", "ops@nhs.net"])
def test_ordinary_text_is_untouched(value):
    assert safe_cell(value) == value


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_contact_csv_export_neutralises_formulas_and_keeps_the_phone():
    view = ContactView("7b0f3f9e-2f7e-4a0e-9a55-7c1f6a1b2c3d", "@Eve", "=Evil Corp", "RAA", "-2+3 lead",
                       "\tmaternity", PHONE, "eve@nhs.net", "both", FORMULA)
    row = _rows(contacts.write_csv([view]))[0]
    assert row["phone"] == PHONE
    assert (row["name"], row["organisation"], row["role"], row["service"], row["notes"]) == (
        "'@Eve", "'=Evil Corp", "'-2+3 lead", "'\tmaternity", "'" + FORMULA)
    assert row["email"] == "eve@nhs.net" and row["org_code"] == "RAA"


def test_decision_csv_export_neutralises_formulas_and_keeps_the_phone(store, tmp_path):
    decided = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
    entry = authoring.record_decision(
        store, decision_maker="=Dr Mallory", decision_maker_role="Director on-call", decision=FORMULA,
        rationale="-1 bed in ED", recorded_by="Room support", decided_at=decided,
        information_available=PHONE, situation_snapshot={"system": {"level": 3}})
    result = export_records(store, date(2026, 1, 12), date(2026, 1, 12), tmp_path / "out", icb="Test ICB",
                            user="tester", host="test-host")
    row = _rows((result.out_dir / "decisions.csv").read_bytes())[0]
    assert row["uuid"] == entry.uuid
    assert (row["decision_maker"], row["decision"], row["rationale"]) == ("'=Dr Mallory", "'" + FORMULA,
                                                                          "'-1 bed in ED")
    assert row["information_available"] == PHONE
    assert json.loads(row["situation_snapshot"]) == {"system": {"level": 3}}
    # The JSON export keeps every value exactly as the log holds it.
    doc = json.loads((result.out_dir / "decisions.json").read_text(encoding="utf-8"))
    assert doc["entries"][0]["decision"] == FORMULA and doc["entries"][0]["decision_maker"] == "=Dr Mallory"
