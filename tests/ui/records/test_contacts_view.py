"""Contact directory view: search as typed, one-click copy, import report, on call now, edits; reads
and writes off the UI thread."""

from __future__ import annotations

import csv
import io

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from models.replica.orm import Contact, OutboxItem, QuarantinedRecord
from sync import authoring
from tests.ui.records.conftest import open_view, settle
from tests.ui.feeds import NOW
from tests.ui.records.seed import seed_contacts
from tests.ui.ui_probe import settled  # noqa: F401
from ui.records.contacts_view import ContactsView
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


def _names(view) -> list[str]:
    return [row[0].splitlines()[0] for row in table_text(view.table)]   # a second line marks the Director


def test_search_filters_as_the_user_types(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    assert len(_names(view)) == 12 and "12 contacts" in view.count_label.text()
    qtbot.keyClicks(view.search, "alph")  # organisation
    assert _names(view) == ["James Achebe", "Sarah Lindqvist"]
    view.search.clear()
    qtbot.keyClicks(view.search, "director on-call")  # role, every word must match
    assert _names(view) == ["Dr Priya Raman", "Tom Okafor"]
    view.search.clear()
    qtbot.keyClicks(view.search, "mental")  # service
    assert _names(view) == ["Crisis team duty line"]
    view.search.clear()
    qtbot.keyClicks(view.search, "zoe")  # accents folded
    assert _names(view) == ["Zoë Hartmann"]
    qtbot.keyClicks(view.search, "x")
    assert _names(view) == [] and "0 of 12 contacts match" in view.count_label.text()


def test_copy_puts_the_number_or_email_on_the_clipboard(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    qtbot.keyClicks(view.search, "sarah")
    view.table.selectRow(0)
    qtbot.mouseClick(view.copy_phone_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "+44 20 7946 0011"
    assert "Copied Sarah Lindqvist's number" in view.status.text()
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.clipboard().text() == "site.alpha@nhs.net"
    view.search.clear()
    qtbot.keyClicks(view.search, "achebe")
    view.table.selectRow(0)
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == "020 7946 0012"
    # No email on this contact: the button is off and nothing is copied.
    assert not view.copy_email_button.isEnabled() and view.copy_email() is False
    assert QApplication.clipboard().text() == "020 7946 0012"


def test_in_and_out_of_hours_columns_follow_cover(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    rows = {r[0].splitlines()[0]: r for r in table_text(view.table)}
    assert rows["James Achebe"][1:3] == ["020 7946 0012", ""]          # in hours only
    assert rows["Tom Okafor"][1:3] == ["", "07700 900102"]             # out of hours only
    assert rows["Bed bureau"][1:3] == ["020 7946 0021", "020 7946 0021"]


def test_on_call_now_and_the_spoc_mailbox(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    rotas = [(o.rota, o.contact.name) for o, _b in view.on_call_rows]
    assert rotas == [("Director on-call", "Dr Priya Raman"), ("Critical care network", "Critical care network")]
    director_copy = view.on_call_rows[0][1]
    qtbot.mouseClick(director_copy, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "07700 900101"
    assert "scc.spoc@nhs.net" in view.spoc_label.text()
    qtbot.mouseClick(view.copy_spoc_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "scc.spoc@nhs.net"


def test_the_director_on_call_is_pinned_first_and_marked(qtbot, store):
    from datetime import timedelta

    from ui import theme
    seed_contacts(store)   # Dr Priya Raman on call until 18:00, then Tom Okafor
    view = open_view(qtbot, ContactsView, store)
    rows = table_text(view.table)
    assert rows[0][0].splitlines() == ["Dr Priya Raman", "★ DIRECTOR ON-CALL NOW"]
    assert not any("DIRECTOR ON-CALL" in r[0] for r in rows[1:]) and len(rows) == 12
    first = view.table.item(0, 0)
    assert first.background().color().name() == theme.ON_CALL_COLOURS[0]   # marked in words and colour
    assert "until 18:00" in first.toolTip().replace("\xa0", " ")
    assert "the Director on-call first" in view.count_label.text()
    assert view.selected().name == "Dr Priya Raman"
    qtbot.keyClicks(view.search, "alpha")          # a search the Director does not match: not pinned in
    assert _names(view) == ["James Achebe", "Sarah Lindqvist"]
    # At 19:00 Tom Okafor is on call: he is first, though last by name.
    later = open_view(qtbot, ContactsView, store, now=NOW + timedelta(hours=9))
    assert table_text(later.table)[0][0].splitlines() == ["Tom Okafor", "★ DIRECTOR ON-CALL NOW"]
    assert later.on_call_rows[0][0].contact.name == "Tom Okafor"


def test_csv_import_with_bad_rows_shows_the_rejected_rows_report(qtbot, store, tmp_path):
    path = tmp_path / "directory.csv"
    path.write_text("name,organisation,phone,email,cover\r\n"
                    "Ada Good,Alpha Hospitals NHS Trust,020 7946 0099,ada@nhs.net,in hours\r\n"
                    "Bob Badphone,Beta Hospitals,12345,,both\r\n"
                    ",Gamma Trust,020 7946 0098,not-an-email,sometimes\r\n", encoding="utf-8")
    view = open_view(qtbot, ContactsView, store)
    view.import_file(path)   # read, checked and written off the UI thread
    settle()
    report = view.dialog
    assert report.isVisible() and report.windowTitle() == "Contact import: directory.csv"
    assert "1 added" in report.summary.text() and "2 row(s) rejected" in report.summary.text()
    sentences = report.rejection_sentences()
    assert any(s.startswith("3 | phone | '12345'") for s in sentences)
    assert any(s.startswith("4 | name |") for s in sentences)
    assert any(s.startswith("4 | email |") for s in sentences) and any(s.startswith("4 | cover |") for s in sentences)
    assert _names(view) == ["Ada Good"]
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(QuarantinedRecord)) == 2
    report.close()


def test_a_file_that_cannot_be_read_is_named_not_imported(qtbot, store, tmp_path):
    path = tmp_path / "nothing.csv"
    path.write_text("who,where\r\nx,y\r\n", encoding="utf-8")
    view = open_view(qtbot, ContactsView, store)
    view.import_file(path)
    settle()
    assert "Nothing imported" in view.status.text() and "no name or organisation column" in view.status.text()
    assert "no name or organisation column" in view.dialog.detailedText()
    view.dialog.close()
    view.import_file(tmp_path / "missing.csv")
    settle()
    assert "Nothing imported" in view.status.text() and "No such file" in view.status.text()
    view.dialog.close()


def test_add_edit_delete_through_the_dialog(qtbot, store):
    view = open_view(qtbot, ContactsView, store)
    assert view.stack.is_empty and "No contacts yet" in view.stack.empty.text()
    dialog = view.new_contact()
    dialog.edits["name"].setText("Nia Evans")
    dialog.edits["organisation"].setText("Test ICB")
    dialog.edits["phone"].setText("12")
    dialog.save()
    assert dialog.saved is None and dialog.isVisible()
    assert "phone:" in dialog.error.text() and "12" in dialog.error.text()
    dialog.edits["phone"].setText("+44 113 496 0123")
    dialog.save()
    settle()
    assert dialog.saved is not None and not dialog.isVisible()
    assert _names(view) == ["Nia Evans"] and not view.stack.is_empty
    assert view.selected().uuid == dialog.saved.uuid and "Saved Nia Evans" in view.status.text()
    view.table.selectRow(0)
    edit = view.edit_selected()
    edit.edits["role"].setText("Deputy director")
    edit.save()
    settle()
    assert table_text(view.table)[0][5] == "Deputy director"
    assert view.delete_selected(confirm=False)
    settle()
    assert view.stack.is_empty and view.status.text() == "Deleted Nia Evans."
    with store.session() as s:
        assert s.scalar(select(Contact.deleted)) is True
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "contact")) == 3


def test_export_keeps_phone_numbers_and_neutralises_formulas(qtbot, store, tmp_path):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    dialog = view.new_contact()
    dialog.edits["name"].setText("=cmd|' /C calc'!A0")
    dialog.edits["organisation"].setText("Test ICB")
    dialog.save()
    settle()
    view.export_to(tmp_path / "out.csv")   # written off the UI thread
    settle()
    assert view.status.text() == f"Exported 13 contacts to {tmp_path / 'out.csv'} (CSV)."
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text("utf-8-sig")))}
    assert rows["Sarah Lindqvist"]["phone"] == "+44 20 7946 0011"
    assert "'=cmd|' /C calc'!A0" in rows
    view.export_to(tmp_path / "out.vcf")
    settle()
    assert (tmp_path / "out.vcf").read_text("utf-8").count("BEGIN:VCARD") == 13
    view.export_to(tmp_path / "no such folder" / "out.csv")
    settle()
    assert view.status.text().startswith("Export failed: cannot write") and "No such file" in view.status.text()


def test_a_contact_arriving_above_the_selection_does_not_change_whose_number_is_copied(qtbot, store):
    seed_contacts(store)
    view = open_view(qtbot, ContactsView, store)
    view.select_uuid(next(c.uuid for c in view.shown if c.name == "Sarah Lindqvist"))
    row_before = view.table.currentRow()
    authoring.upsert_contact(store, author="desk B", name="Aaron Abbott", organisation="Test ICB",
                             phone="0113 496 0999")  # as if it had arrived with a sync
    view.refresh()
    settle()
    assert view.table.currentRow() == row_before + 1 and view.selected().name == "Sarah Lindqvist"
    assert view.copy_phone() and QApplication.clipboard().text() == "+44 20 7946 0011"


def test_vcard_import_names_the_card_and_line_of_each_rejection(qtbot, store, tmp_path):
    path = tmp_path / "team.vcf"
    path.write_text("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Good\r\nORG:Test ICB\r\nTEL:020 7946 0099\r\nEND:VCARD\r\n"
                    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Bob Bad\r\nORG:Test ICB\r\nEMAIL:bob@@nhs\r\nEND:VCARD\r\n",
                    encoding="utf-8")
    view = open_view(qtbot, ContactsView, store)
    view.import_file(path)
    settle()
    report = view.dialog
    assert "1 added" in report.summary.text() and "1 card(s) rejected" in report.summary.text()
    assert report.table.horizontalHeaderItem(0).text() == "Card"
    assert report.rejection_sentences() == ["2 (line 7) | email | 'bob@@nhs' is not a valid email address"]
    assert _names(view) == ["Ada Good"]
    report.close()
