"""Directory import from CSV and vCard: bad rows reported and quarantined, round trips, the CLI."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from models.records import contacts
from models.replica.orm import Contact, OutboxItem, QuarantinedRecord
from scc_desktop import cli
from sync import authoring
from tests.support.replica import fresh_replica

BAD_CSV = (
    "Full name,Organisation,Job title,Service,Telephone,E-mail,Cover,Notes,Shoe size\r\n"
    "Asha Patel,Test NHS 111,Clinical lead,nhs111,111,asha.patel@nhs.net,ooh,,9\r\n"  # row 2: good
    ",Test Mental Health Trust,Bed manager,mental_health,01632 960100,,,,\r\n"  # 3: no name
    "Jo Bloggs,Test Acute Trust One,Site manager,acute,01632 960001,jo@,,,\r\n"  # 4: bad email
    "Pierre Dupont,Test Ambulance Service,Liaison,ambulance,+33 1 23 45 67 89,,,,\r\n"  # 5: not UK
    ",,,,,,,,\r\n"  # 6: blank
    "Kim Lee,Test Community Services,UCR lead,community,0163 296,,weekends,,\r\n"  # 7: two problems
    'Sam Reid,Test Acute Trust Two,Director on-call,acute,+44 (0)20 7946 0000,,both,"Line one\r\nline two, with comma",\r\n'  # 8
    "Ann Other,Test ICB,Room lead,icb,020 7946 0001,,,,,extra\r\n"  # 9: too many values
    "asha patel,Test NHS 111,Clinical lead,nhs111,111,,,,\r\n"  # 10: duplicate of row 2
)


def _count(store, model, *where):
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_bad_csv_rows_are_reported_with_row_field_reason_and_quarantined(store, tmp_path):
    path = tmp_path / "directory.csv"
    path.write_bytes(BAD_CSV.encode("utf-8"))
    parsed = contacts.read_file(path)
    result = authoring.import_contacts(store, parsed, "Room lead")
    got = [(r.row, r.field) for r in result.rejections]
    assert got == [(3, "name"), (4, "email"), (5, "phone"), (7, "cover"), (7, "phone"), (9, "(row)"),
                   (10, "(row)")]
    reasons = {(r.row, r.field): r.reason for r in result.rejections}
    assert "no name" in reasons[(3, "name")]
    assert "'jo@' is not a valid email address" == reasons[(4, "email")]
    assert "not a UK number" in reasons[(5, "phone")]
    assert "7 digits" in reasons[(7, "phone")] and "weekends" in reasons[(7, "cover")]
    assert "10 values but the header has 9" in reasons[(9, "(row)")]
    assert "duplicate of row 2" in reasons[(10, "(row)")]
    assert result.rejections[0].sentence() == "row 3: name: no name: every contact needs a name"
    assert parsed.blank_rows == [6]
    assert any("Shoe size" in w for w in parsed.warnings)
    assert (len(result.created), result.rejected_rows, result.quarantined) == (2, 6, 6)
    with store.session() as s:
        names = sorted(c.name for c in s.scalars(select(Contact)))
        sam = s.scalars(select(Contact).where(Contact.name == "Sam Reid")).one()
        kept = s.scalars(select(QuarantinedRecord).where(QuarantinedRecord.source == "contacts_import")
                         .order_by(QuarantinedRecord.id)).all()
    assert names == ["Asha Patel", "Sam Reid"]
    assert sam.notes == "Line one\nline two, with comma" and sam.cover == "both"
    assert [json.loads(k.payload)["row"] for k in kept] == [3, 4, 5, 7, 9, 10]
    assert json.loads(kept[1].payload)["raw"]["email"] == "jo@"
    assert kept[3].errors == ["row 7: cover: 'weekends' is not a cover; use in_hours, out_of_hours or both",
                              "row 7: phone: '0163 296' has 7 digits; a UK number has 10 or 11 (counting the "
                              "leading 0)"]
    assert _count(store, OutboxItem, OutboxItem.kind == "contact") == 2


VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Okafor;Amara;;Dr;\r\nFN:Dr Amara Okafor\r\n"
    "ORG:Test Acute Trust One;Emergency Department\r\nTITLE:Consultant\\, ED\r\n"
    "TEL;TYPE=CELL:07700 900123\r\nTEL;TYPE=WORK,PREF:01632 960555\r\n"
    "EMAIL;TYPE=INTERNET:amara.okafor@nhs.net\r\nNOTE:Bleep 2345 via switchboard\\nAfter 18:00 use mob\r\n"
    " ile\r\nX-SCC-SERVICE:acute\r\nX-SCC-COVER:in hours\r\nPHOTO;ENCODING=b:AAAA\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:8c5c1c35-7b39-4b6a-9df0-3f1ad3e0e2a1\r\n"
    "FN:Łucja Nowak\r\nORG:Test Mental Health Trust\r\nTEL;VALUE=uri;TYPE=work:tel:+44-1632-960777\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Old Card\r\nORG:Somewhere\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:4.0\r\nORG:Test ICB\r\nEMAIL:spoc@nhs.net\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad Mail\r\nORG:Test ICB\r\nEMAIL:bad mail@nhs.net\r\nEND:VCARD\r\n"
)


def test_vcard_3_and_4_are_read_and_bad_cards_reported_by_card_and_line(store, tmp_path):
    path = tmp_path / "cards.vcf"
    path.write_bytes(VCARDS.encode("utf-8"))
    parsed = contacts.read_file(path)
    result = authoring.import_contacts(store, parsed, "Room lead")
    assert [r.sentence() for r in result.rejections] == [
        "card 3 (line 23): VERSION: vCard 2.1 is not supported; export the cards as vCard 3.0 or 4.0",
        "card 4 (line 28): name: no name: every contact needs a name",
        "card 5 (line 33): email: 'bad mail@nhs.net' is not a valid email address"]
    assert any("PHOTO" in w for w in parsed.warnings)
    with store.session() as s:
        amara = s.scalars(select(Contact).where(Contact.name == "Dr Amara Okafor")).one()
        lucja = s.get(Contact, "8c5c1c35-7b39-4b6a-9df0-3f1ad3e0e2a1")
    assert (amara.organisation, amara.role, amara.phone, amara.email, amara.service, amara.cover) == (
        "Test Acute Trust One, Emergency Department", "Consultant, ED", "01632 960555",
        "amara.okafor@nhs.net", "acute", "in_hours")
    assert amara.notes == "Bleep 2345 via switchboard\nAfter 18:00 use mobile\nOther phone: 07700 900123"
    assert (lucja.name, lucja.phone) == ("Łucja Nowak", "+44-1632-960777")
    assert _count(store, QuarantinedRecord, QuarantinedRecord.source == "contacts_import") == 3


def _seed(store):
    rows = [dict(name="Zoë Brontë-Smith", organisation="Test Acute Trust One", org_code="RTEST1",
                 role="Site manager; nights", service="acute", phone="01632 960001",
                 email="zoe.bronte@nhs.net", cover="out_of_hours",
                 notes='Says "call twice",\nthen page'),
            dict(name="Director On-Call", organisation="Test ICB", role="Director on-call",
                 service="icb", phone="+44 20 7946 0999", cover="out_of_hours"),
            dict(name="SPOC mailbox", organisation="Test ICB", service="icb", email="scc.spoc@nhs.net")]
    return [authoring.upsert_contact(store, author="Room lead", **row) for row in rows]


def _views(store):
    with store.session() as s:
        return contacts.export_rows(s)


@pytest.mark.parametrize("fmt", ["csv", "vcard-4.0", "vcard-3.0"])
def test_export_then_import_round_trips_every_field(store, tmp_path, fmt, make_other_store):
    _seed(store)
    before = _views(store)
    if fmt == "csv":
        data, name = contacts.write_csv(before), "out.csv"
    else:
        data, name = contacts.write_vcard(before, fmt.split("-")[1]), "out.vcf"
    (tmp_path / name).write_bytes(data)
    other = make_other_store()
    result = authoring.import_contacts(other, contacts.read_file(tmp_path / name), "Room lead B")
    assert result.rejections == [] and len(result.created) == 3
    assert _views(other) == before  # uuids too: the identity survives the round trip
    # Importing the same file again changes nothing and queues nothing.
    pending = _count(other, OutboxItem)
    again = authoring.import_contacts(other, contacts.read_file(tmp_path / name), "Room lead B")
    assert (again.created, again.updated, again.unchanged) == ([], [], 3)
    assert _count(other, OutboxItem) == pending


@pytest.fixture
def make_other_store(tmp_path):
    from tests.records.conftest import PASSPHRASE
    from tests.models.conftest import FAST_KDF

    made = []

    def make():
        made.append(fresh_replica(tmp_path / f"other{len(made)}" / "scc.db", PASSPHRASE, kdf=FAST_KDF))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_a_changed_row_updates_only_the_changed_field(store, tmp_path):
    uid = _seed(store)[0]
    rows = _views(store)
    path = tmp_path / "edit.csv"
    text = contacts.write_csv(rows).decode("utf-8").replace("01632 960001", "01632 960002")
    path.write_text(text, encoding="utf-8")
    result = authoring.import_contacts(store, contacts.read_file(path), "Room lead")
    assert (result.updated, result.unchanged) == ([uid], 2)
    with store.session() as s:
        last = s.scalars(select(OutboxItem).order_by(OutboxItem.seq.desc()).limit(1)).one()
    assert last.payload["data"]["changes"] == {"phone": {"old": "01632 960001", "new": "01632 960002"}}


def test_upsert_refuses_an_invalid_contact_and_writes_nothing(store):
    with pytest.raises(ValueError, match=r"phone: '12345'.*; email: 'x@y' is not"):
        authoring.upsert_contact(store, author="A", name="N", organisation="O", phone="12345", email="x@y")
    assert _count(store, Contact) == 0 and _count(store, OutboxItem) == 0


def test_cli_import_reports_rejections_and_exits_1(store, store_path, tmp_path, cli_env, capsys):
    path = tmp_path / "directory.csv"
    path.write_bytes(BAD_CSV.encode("utf-8"))
    assert cli.main(["contacts", "import", str(path), "--path", str(store_path), "--dry-run"]) == 1
    assert "Would import directory.csv: 2 new" in capsys.readouterr().out
    assert _count(store, Contact) == 0
    assert cli.main(["contacts", "import", str(path), "--path", str(store_path), "--author", "Lead"]) == 1
    out = capsys.readouterr().out
    assert "2 new, 0 updated, 0 unchanged, 6 row(s) rejected" in out
    assert "row 4: email: 'jo@' is not a valid email address" in out
    assert "blank rows skipped: 6" in out
    export = tmp_path / "out.vcf"
    assert cli.main(["contacts", "export", "--format", "vcard", "--out", str(export),
                     "--path", str(store_path)]) == 0
    assert export.read_bytes().count(b"BEGIN:VCARD") == 2
    (tmp_path / "nohead.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert cli.main(["contacts", "import", str(tmp_path / "nohead.csv"), "--path", str(store_path)]) == 2
    assert "no name or organisation column" in capsys.readouterr().err
