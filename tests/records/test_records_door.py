"""The record views' door (``models.service``: transfers, contacts, rota, decision log): each use case
is one transaction with its outbox rows, checks and writes together, and says what changed; each read
is plain data.

Real encrypted replicas; a real SQLite trigger makes a later step of a use case fail, to show the
earlier steps are not left behind.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import DeclarativeBase

from models.records.contacts import ContactFileError
from models.replica.orm import (
    Contact,
    DecisionEntry,
    OnCallShift,
    OutboxItem,
    QuarantinedRecord,
    Transfer,
    TransferEvent,
)
from models.queries.records import DecisionFilter
from models.service import contacts, decision_log, rota, transfers
from models.service.changes import NOTHING, Changes
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import NOW
from tests.ui.feeds import fill_system
from tests.ui.records.seed import CONTACTS, seed_contacts, seed_decisions, seed_transfers


def _count(store, model, *where) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _fail_insert(store, table: str, when: str) -> None:
    """A real fault inside SQLite: an insert into ``table`` matching ``when`` aborts the statement."""
    with store.raw() as conn:
        conn.execute(f"CREATE TRIGGER fail_step BEFORE INSERT ON {table} WHEN {when} "
                     "BEGIN SELECT RAISE(ABORT, 'disk fault on a later step'); END")


def _plain(value) -> bool:
    if isinstance(value, DeclarativeBase):
        return False
    if is_dataclass(value):
        return all(_plain(getattr(value, f.name)) for f in fields(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    return True


# --- transfers ---------------------------------------------------------------------------------------
def _new(**changes) -> transfers.NewTransfer:
    return transfers.NewTransfer(**{**dict(local_ref="T-5001", kind="inter_hospital", from_code="RAA",
                                           to_code="RBB", priority="urgent", clinical_need="Level 3 bed",
                                           owner="Room support", notes="Family aware"), **changes})


def test_a_case_opens_with_its_notes_in_one_transaction(store):
    out = transfers.open_case(store, _new(), "Sam Lead", at=NOW)
    assert out.applied and out.changes == Changes(frozenset({"transfer_event"})) and out.changes.kinds == {"record"}
    with store.session() as s:
        t = s.get(Transfer, out.uuid)
        assert (t.local_ref, t.to_code, t.notes, t.requested_at) == ("T-5001", "RBB", "Family aware", NOW)
    assert _count(store, TransferEvent) == 2 and _count(store, OutboxItem, OutboxItem.kind == "transfer_event") == 2


def test_when_a_new_cases_notes_cannot_be_written_the_case_is_not_opened(store):
    _fail_insert(store, "transfer_event", "NEW.field = 'notes'")
    with pytest.raises(Exception, match="disk fault on a later step"):
        transfers.open_case(store, _new(), "Sam Lead")
    assert _count(store, Transfer) == 0 and _count(store, TransferEvent) == 0 and _count(store, OutboxItem) == 0


def test_a_new_case_names_every_problem_and_writes_nothing(store):
    with pytest.raises(ValueError) as caught:
        transfers.open_case(store, _new(local_ref=" ", from_code="", to_code="R-1", kind="taxi", priority="soon"),
                            "Sam Lead")
    assert str(caught.value) == (
        "local reference: every case needs the sending unit's reference; "
        "from: the sending organisation's ODS code is needed; "
        "to: 'R-1' is not an ODS code (3 to 12 letters or digits); "
        "kind: 'taxi' is not one of inter_hospital, intra_hospital, repatriation, mh_out_of_area; "
        "priority: 'soon' is not one of emergency, urgent, routine")
    assert _count(store, Transfer) == 0 and _count(store, OutboxItem) == 0


def test_a_step_is_the_status_and_its_time_together(store):
    uids = seed_transfers(store)
    out = transfers.step(store, uids["T-2611"], "accepted", "Sam Lead", NOW)
    assert out.applied and out.changes.records == {"transfer_event"}
    with store.session() as s:
        t = s.get(Transfer, uids["T-2611"])
        assert (t.status, t.accepted_at) == ("accepted", NOW)
    assert _count(store, OutboxItem) == 2
    again = transfers.step(store, uids["T-2611"], "accepted", "Desk B", NOW)   # already there: not twice
    assert (again.applied, again.changes) == (False, NOTHING) and _count(store, OutboxItem) == 2
    assert not transfers.step(store, uids["T-2611"], "arrived", "Sam Lead", NOW).applied   # not the next step


@pytest.mark.parametrize("stamp, status", [("accepted_at", "accepted"), ("departed_at", "departed")])
def test_when_a_steps_time_cannot_be_written_the_status_is_not_either(store, stamp, status):
    uids = seed_transfers(store)
    uid = uids["T-2611"] if status == "accepted" else uids["T-2612"]
    with store.session() as s:
        was = s.get(Transfer, uid).status
    events = _count(store, TransferEvent)
    _fail_insert(store, "transfer_event", f"NEW.field = '{stamp}'")
    with pytest.raises(Exception, match="disk fault on a later step"):
        transfers.step(store, uid, status, "Sam Lead", NOW)
    with store.session() as s:
        assert s.get(Transfer, uid).status == was
    assert _count(store, TransferEvent) == events and _count(store, OutboxItem) == 0


def test_setting_a_field_checks_it_and_settles_a_conflict(store):
    uids = seed_transfers(store)
    uid = uids["T-2612"]
    with pytest.raises(ValueError, match="receiving ODS code: 'NOT A CODE' is not an ODS code"):
        transfers.set_field(store, uid, "to_code", "not a code", "Sam Lead")
    with pytest.raises(ValueError, match="priority: 'soon' is not one of emergency, urgent, routine"):
        transfers.set_field(store, uid, "priority", "soon", "Sam Lead")
    with pytest.raises(ValueError, match="status: not a field that can be set here"):
        transfers.set_field(store, uid, "status", "arrived", "Sam Lead")
    assert transfers.set_field(store, uid, "to_code", " rbb ", "Sam Lead").applied
    assert not transfers.set_field(store, uid, "to_code", "RBB", "Desk B").applied
    history = transfers.history(store, uid)
    assert history.lines[-1].what == "to code: RX9 → RBB" and history.conflicts   # the conflict stays in the story
    assert _count(store, OutboxItem) == 1


def test_the_transfer_board_and_history_are_plain_data(store):
    uids = seed_transfers(store)
    page = transfers.transfers_page(store, NOW, include_closed=True)
    assert [line.transfer.local_ref for line in page.lines][0] == "T-2611" and len(page.lines) == 6
    assert _plain(page) and _plain(transfers.history(store, uids["T-2612"]))


# --- contacts ----------------------------------------------------------------------------------------
def test_a_contact_is_checked_saved_edited_and_deleted_each_in_one_transaction(store):
    bad = {"name": "Nia Evans", "organisation": "", "phone": "12", "email": "nia@@nhs"}
    found = contacts.problems(bad, new=True)
    assert [p.split(":")[0] for p in found] == ["organisation", "phone", "email"]
    with pytest.raises(ValueError, match="phone:"):
        contacts.save_contact(store, "Sam Lead", None, bad)
    assert _count(store, Contact) == 0 and _count(store, OutboxItem) == 0
    made = contacts.save_contact(store, "Sam Lead", None, {"name": "Nia Evans", "organisation": "Test ICB",
                                                           "phone": "+44 113 496 0123"})
    assert made.applied and made.changes.records == {"contact"}
    assert contacts.save_contact(store, "Sam Lead", made.uuid, {"role": "Deputy director"}).uuid == made.uuid
    assert contacts.delete_contact(store, made.uuid, "Sam Lead").applied
    again = contacts.delete_contact(store, made.uuid, "Desk B")   # deleted already: not twice
    assert (again.applied, again.changes) == (False, NOTHING)
    with store.session() as s:
        kept = s.get(Contact, made.uuid)
        assert (kept.role, kept.deleted) == ("Deputy director", True)
    assert _count(store, OutboxItem, OutboxItem.kind == "contact") == 3


def _directory(tmp_path, rows: int):
    lines = ["name,organisation,phone,email,cover"]
    lines += [f"Person {n:03d},Trust {n % 40:02d} NHS Trust,020 7946 {n:04d},p{n}@nhs.net,both" for n in range(rows)]
    lines += ["Bob Badphone,Beta Hospitals,12345,,both"]
    path = tmp_path / "directory.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_an_import_is_one_transaction_even_when_its_last_step_fails(store, tmp_path):
    path = _directory(tmp_path, 400)
    _fail_insert(store, "quarantined_record", "1")   # the rejected row is kept aside after every good one
    with pytest.raises(Exception, match="disk fault on a later step"):
        contacts.import_file(store, path, "Sam Lead")
    assert _count(store, Contact) == 0 and _count(store, OutboxItem) == 0
    with store.raw() as conn:
        conn.execute("DROP TRIGGER fail_step")
    done = contacts.import_file(store, path, "Sam Lead")
    assert (len(done.result.created), done.result.rejected_rows, done.changes.records) == (400, 1, {"contact"})
    assert _count(store, QuarantinedRecord) == 1 and _count(store, OutboxItem) == 400
    again = contacts.import_file(store, path, "Sam Lead")   # the same file again changes nothing
    assert (again.result.unchanged, again.changes) == (400, NOTHING)


def test_a_file_that_cannot_be_read_imports_nothing(store, tmp_path):
    (tmp_path / "x.csv").write_text("who,where\r\nx,y\r\n", encoding="utf-8")
    with pytest.raises(ContactFileError, match="no name or organisation column"):
        contacts.import_file(store, tmp_path / "x.csv", "Sam Lead")
    with pytest.raises(OSError):
        contacts.import_file(store, tmp_path / "missing.csv", "Sam Lead")
    assert _count(store, Contact) == 0 and _count(store, QuarantinedRecord) == 0


def test_the_directory_page_and_export_are_plain(store, tmp_path):
    seed_contacts(store)
    page = contacts.contacts_page(store, NOW)
    everyone = page.index.search("", limit=None)
    assert len(everyone) == len(CONTACTS) and _plain(everyone) and _plain(page.on_call) and _plain(page.spoc)
    assert [c.email for c in page.spoc] == ["scc.spoc@nhs.net"]
    assert [o.contact.name for o in page.on_call["Director on-call"]] == ["Dr Priya Raman"]
    out = contacts.export_file(store, tmp_path / "out.vcf")
    assert (out.count, out.vcard) == (len(CONTACTS), True)


# --- the on-call rota -----------------------------------------------------------------------------------
# (the seeded directory's own contact edits wait in the outbox too: only the rota's rows are counted)
def _shift(uids, who: str, start_h: float, end_h: float, name: str = "Director on-call") -> rota.NewShift:
    return rota.NewShift(name, uids[who], NOW + timedelta(hours=start_h), NOW + timedelta(hours=end_h))


def test_an_overlapping_or_long_shift_is_added_only_once_confirmed(store):
    uids = seed_contacts(store)   # Director on-call: Dr Priya Raman to 18:00, then Tom Okafor to 08:00 tomorrow
    first = rota.add_shift(store, _shift(uids, "Mei Chen", 20, 26), "Sam Lead")
    assert (first.applied, first.too_long, first.changes) == (False, False, NOTHING)
    assert [x.contact.name for x in first.overlaps] == ["Tom Okafor"] and _plain(first.overlaps)
    assert _count(store, OnCallShift) == 3 and _count(store, OutboxItem, OutboxItem.kind != "contact") == 0
    added = rota.add_shift(store, _shift(uids, "Mei Chen", 20, 26), "Sam Lead", confirmed=True)
    assert added.applied and added.changes.records == {"on_call_shift"} and _count(store, OnCallShift) == 4
    long = rota.add_shift(store, _shift(uids, "Mei Chen", 24 * 10, 24 * 20, "SCC room lead"), "Sam Lead")
    assert (long.applied, long.too_long, long.overlaps) == (False, True, ())
    with pytest.raises(ValueError, match="contact_uuid: no contact"):
        rota.add_shift(store, rota.NewShift("SCC room lead", "nobody", NOW, NOW + timedelta(hours=1)), "Sam Lead")
    assert _count(store, OutboxItem, OutboxItem.kind != "contact") == 1


def test_a_cancellation_and_its_reason_are_one_transaction(store):
    uids = seed_contacts(store)
    page = rota.rota_page(store, NOW, None, NOW + timedelta(hours=24))
    tom = next(x for x in page.shifts if x.contact.uuid == uids["Tom Okafor"])
    assert [(g.rota, g.starts_at) for g in rota.gaps_if_cancelled(store, tom, NOW)] == [
        ("Director on-call", tom.starts_at)]
    with pytest.raises(ValueError, match="reason: say why"):
        rota.cancel_shift(store, tom.uuid, "  ", "Room lead", NOW)
    _fail_insert(store, "decision_entry", "1")
    with pytest.raises(Exception, match="disk fault on a later step"):
        rota.cancel_shift(store, tom.uuid, "Off sick", "Room lead", NOW)
    # Not cancelled without its reason kept:
    assert _count(store, OnCallShift) == 3 and _count(store, OutboxItem, OutboxItem.kind != "contact") == 0
    with store.raw() as conn:
        conn.execute("DROP TRIGGER fail_step")
    done = rota.cancel_shift(store, tom.uuid, "Off sick", "Room lead", NOW)
    assert done.applied and done.changes.records == {"on_call_shift", "decision"}
    with store.session() as s:
        entry = s.get(DecisionEntry, done.uuid)
        assert (entry.rationale, entry.decided_at, entry.links) == ("Off sick", NOW,
                                                                    [{"kind": "on_call_shift", "uuid": tom.uuid}])
    assert not rota.cancel_shift(store, tom.uuid, "Again", "Desk B", NOW).applied   # gone already: no second entry
    assert _count(store, DecisionEntry) == 1 and _count(store, OutboxItem, OutboxItem.kind != "contact") == 2


def test_a_rota_import_is_one_transaction(store, tmp_path):
    seed_contacts(store)
    path = tmp_path / "rota.csv"
    first = NOW.replace(hour=20)   # January: UK wall time is UTC; forty 12-hour shifts back to back
    rows = [f"SCC room lead,Mei Chen,{first + timedelta(hours=12 * n):%Y-%m-%d %H:%M},"
            f"{first + timedelta(hours=12 * (n + 1)):%Y-%m-%d %H:%M}" for n in range(40)]
    path.write_text("rota,name,starts_at,ends_at\n" + "\n".join(rows) + "\nSCC room lead,Nobody,2026-02-01 08:00,"
                    "2026-02-01 20:00\n", encoding="utf-8")
    _fail_insert(store, "quarantined_record", "1")
    with pytest.raises(Exception, match="disk fault on a later step"):
        rota.import_file(store, path, "Room lead")
    assert _count(store, OnCallShift) == 3 and _count(store, OutboxItem, OutboxItem.kind != "contact") == 0
    with store.raw() as conn:
        conn.execute("DROP TRIGGER fail_step")
    done = rota.import_file(store, path, "Room lead")
    assert (len(done.result.created), done.result.rejected_rows, done.changes.records) == (40, 1, {"on_call_shift"})
    assert rota.import_file(store, path, "Room lead").changes == NOTHING


# --- the decision log -------------------------------------------------------------------------------------
def test_the_decision_log_page_is_plain_and_names_every_entry(store):
    fill_system(store)
    first, second, amend = seed_decisions(store)
    page = decision_log.log_page(store)
    assert _plain(page) and page.total == 3 and [r.entry.uuid for r in page.rows] == [amend.uuid, second.uuid,
                                                                                     first.uuid]
    assert page.rows[2].amended_by == (amend.uuid,) and len(page.rows[2].actions) == 2
    assert page.rows[2].entry.situation_snapshot["providers"] and page.rows[2].providers >= {"RAA", "RBB"}
    assert page.refs[first.uuid].decision_maker == "Dr Priya Raman" and page.days == (NOW.date(), NOW.date())
    assert "Mei Chen" in page.authors and ("RAA", "Alpha Hospitals NHS Trust") in page.organisations
    only = decision_log.log_page(store, DecisionFilter(author="mei"))
    assert [r.entry.uuid for r in only.rows] == [second.uuid] and only.total == 3   # the filter, not the log
    assert decision_log.verify(store).intact
