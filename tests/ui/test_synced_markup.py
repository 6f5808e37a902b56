"""Text that arrives from the hub or another desktop is shown as the characters typed, never as markup.

A provider, a desktop or an import can put ``<b>``, ``<img>``, ``<a href>`` or a huge ``<h1>`` in a free-text
field; Qt renders rich text in labels, tooltips and message boxes whenever it looks like markup.  The replica
is seeded through the real paths (feed items through ``sync.apply``, records through ``sync.authoring``) and
real widgets are checked offscreen: what a reader sees (the label's text as Qt would lay it out) must hold
the literal characters.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import Qt, QTextDocument
from PySide6.QtWidgets import QLabel, QMessageBox

from models.records import contacts
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import ACUTE_VALUES, AMBULANCE, NOW, Feed
from tests.ui.records.seed import RecordFeed
from tests.ui.test_views import _view
from ui import tasks

BOLD = '<b>bold</b><img src="x">'
LINK = '<a href="http://example.org/x">click here</a>'
HUGE = "<h1>HUGE</h1>"
NAME = f"{HUGE} Alpha Hospitals NHS Trust"


def seen(text: str, fmt: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """What a reader sees of ``text`` in a label (or tooltip) of format ``fmt``: rich text laid out by Qt."""
    rich = fmt == Qt.TextFormat.RichText or (fmt == Qt.TextFormat.AutoText and Qt.mightBeRichText(text))
    if not rich:
        return text
    doc = QTextDocument()
    doc.setHtml(text)
    return doc.toPlainText()


def label_seen(label: QLabel) -> str:
    return seen(label.text(), label.textFormat())


def _system(store) -> None:
    f = Feed()
    f.org("RAA", NAME, size=800).org("RBB", "Beta Hospitals NHS Foundation Trust")
    f.org(AMBULANCE, f"{BOLD} Ambulance Service", "ambulance")
    f.assessment("RAA", "acute", NOW - timedelta(minutes=15), ACUTE_VALUES, declared=4, reason=BOLD,
                 edition=f"{LINK} 2025")
    f.assessment("RBB", "acute", NOW - timedelta(minutes=20), {**ACUTE_VALUES, "ga_bed_occupancy_pct": None})
    missing = next(p for p in f.items[-1][2]["parameters"] if "problem" in p)
    missing["problem"] = f"missing: {HUGE}"
    f.ambulance_status(NOW - timedelta(hours=1), 3, "<b>2</b>")
    f.waiting("00000000-0000-4000-8000-000000000001", "RAA", 50)
    f.apply(store)


def test_overview_tiles_show_names_reasons_and_problems_as_typed(qtbot, store):
    from ui.overview import OverviewView

    _system(store)
    view = _view(qtbot, OverviewView, store)
    tile = next(t for t in view.tiles if t.status.org_code == "RAA")
    assert BOLD in label_seen(tile.declared)
    assert NAME in label_seen(tile.head) and "RAA" in label_seen(tile.head)
    other = next(t for t in view.tiles if t.status.org_code == "RBB")
    assert any(f"missing: {HUGE}" in label_seen(line) for line in other.drivers), \
        [label_seen(line) for line in other.drivers]
    assert LINK in label_seen(view.edition_label)
    # Markup does not sneak back in when the tile is updated in place by the next refresh.
    view.refresh()
    tile = next(t for t in view.tiles if t.status.org_code == "RAA")
    assert BOLD in label_seen(tile.declared) and NAME in label_seen(tile.head)


def test_provider_drill_down_shows_the_reason_and_name_as_typed(qtbot, store):
    from ui.provider_view import ProviderView

    _system(store)
    view = _view(qtbot, ProviderView, store)
    view.picker.setCurrentIndex(view.picker.findData("RAA"))
    view.refresh()
    assert tasks.manager().wait_idle()   # read off the UI thread
    text = label_seen(view.summary)
    assert NAME in text and f"Reason: {BOLD}" in text and LINK in text


def test_ambulance_and_offload_views_show_organisation_text_as_typed(qtbot, store):
    from ui.ambulance_view import AmbulanceView
    from ui.offload_view import OffloadView

    _system(store)
    amb = _view(qtbot, AmbulanceView, store)
    assert f"{BOLD} Ambulance Service" in label_seen(amb.service)
    assert "CSP <b>2</b>" in label_seen(amb.csp_box)
    off = _view(qtbot, OffloadView, store)
    titles = [label_seen(lb) for card in off.cards for lb in card.findChildren(QLabel)]
    assert any(f"{HUGE} Alpha Hospitals (RAA)" in t for t in titles)   # the card's short name, as typed
    assert off.board.item(1, 0).text() == f"{HUGE} Alpha Hospitals"   # under the totals row


def _transfer(store) -> str:
    f = RecordFeed(first_seq=60_000)
    uid = f.case(f"T-{HUGE}", "inter_hospital", "urgent", "RAA", None, f"{HUGE} need: {BOLD}",
                 NOW - timedelta(minutes=30), f"owner {LINK}")
    f.event(uid, "notes", f"Notes {LINK} {BOLD}", NOW - timedelta(minutes=20))
    # Two desktops set the receiving unit without seeing each other: a conflict line quoting both values.
    f.event(uid, "owner", f"<i>desk B</i> {BOLD}", NOW - timedelta(minutes=10), old=f"owner {LINK}")
    f.event(uid, "owner", f"<u>desk C</u> {LINK}", NOW - timedelta(minutes=9), old=f"owner {LINK}",
            device="6e1f9a2d-8b4c-4f17-a0e3-9c5d7b2f4a02", author=f"Room lead {HUGE}")
    f.apply(store)
    return uid


def test_transfer_detail_shows_need_notes_owner_and_conflicts_as_typed(qtbot, store):
    from ui.records.transfers_view import TransfersView

    uid = _transfer(store)
    view = _view(qtbot, TransfersView, store)
    view.select_uuid(uid)
    assert tasks.manager().wait_idle()   # the case's history is read off the UI thread
    text = label_seen(view.summary)
    assert f"{HUGE} need: {BOLD}" in text and f"Notes {LINK} {BOLD}" in text and f"T-{HUGE}" in text
    described = view.summary.accessibleDescription()  # a screen reader reads it as it is: no markup
    assert "<br>" not in described and "&lt;" not in described and f"Notes {LINK} {BOLD}" in described
    assert view.conflict_label.isVisibleTo(view)
    conflict = label_seen(view.conflict_label)
    assert f"<i>desk B</i> {BOLD}" in conflict and f"<u>desk C</u> {LINK}" in conflict


def test_decision_log_shows_decision_fields_and_tooltips_as_typed(qtbot, store):
    from ui.records.decisions_view import DecisionsView
    from ui.records.decision_dialog import DecisionDialog

    entry = authoring.record_decision(
        store, decision_maker=f"Dr {HUGE}", decision_maker_role=f"Director {BOLD}", decision=f"Divert {LINK}",
        rationale=BOLD, recorded_by=f"Room {HUGE}", decided_at=NOW - timedelta(minutes=5),
        situation_snapshot={"note": BOLD})
    view = _view(qtbot, DecisionsView, store)
    view.select_uuid(entry.uuid)
    shown = view.detail.toPlainText()
    assert f"Divert {LINK}" in shown and f"Dr {HUGE}" in shown and BOLD in shown
    tip = view.table.item(0, 1).toolTip()
    assert seen(tip) == f"Director {BOLD}"
    with store.session() as s:
        from models.replica.orm import DecisionEntry

        stored = s.get(DecisionEntry, entry.uuid)
        dialog = DecisionDialog(store, lambda: NOW, "Room support", amends=stored)
    qtbot.addWidget(dialog)
    notes = [label_seen(lb) for lb in dialog.findChildren(QLabel) if "Amending" in lb.text()]
    assert notes and f"Dr {HUGE}" in notes[0]


def test_contacts_show_names_notes_and_rotas_as_typed(qtbot, store):
    from ui.records.contacts_view import ContactsView

    spoc = authoring.upsert_contact(store, author="seed", name="SPOC mailbox", organisation=f"ICB {BOLD}",
                                    role="Single point of contact", service="icb", phone="0113 496 0000",
                                    email="scc.spoc@nhs.net", cover="both")
    person = authoring.upsert_contact(store, author="seed", name=f"Dr {HUGE}", organisation=f"Org {LINK}",
                                      role="Director on-call", service="icb", phone="07700 900101",
                                      cover="both", notes=f"Notes {BOLD}")
    day = NOW.replace(hour=8, minute=0)
    with store.session() as s, s.begin():
        contacts.add_shift(s, rota=f"Director {BOLD}", contact_uuid=person, starts_at=day - timedelta(hours=2),
                           ends_at=day + timedelta(hours=10))
        contacts.add_shift(s, rota=f"Empty {LINK}", contact_uuid=spoc, starts_at=day - timedelta(days=3),
                           ends_at=day - timedelta(days=2))
    view = _view(qtbot, ContactsView, store)
    assert f"ICB {BOLD}" in label_seen(view.spoc_label)
    on_call = [label_seen(lb) for w in view.on_call_widgets for lb in w.findChildren(QLabel)] + \
        [label_seen(w) for w in view.on_call_widgets if isinstance(w, QLabel)]
    assert any(f"Director {BOLD}" in t and f"Dr {HUGE}" in t for t in on_call), on_call
    row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 0).text() == f"Dr {HUGE}")
    assert seen(view.table.item(row, 0).toolTip()) == f"Notes {BOLD}"
    assert seen(view.table.item(row, 4).toolTip()) == f"Org {LINK}"
    assert f"Empty {LINK}" in label_seen(view.rota.cover)  # a rota with a gap in cover, named as typed
    view.select_uuid(person)
    view.copy_phone()
    assert f"Dr {HUGE}" in label_seen(view.status)


@pytest.mark.parametrize("text", [BOLD, f"{HUGE}\n{LINK}"])
def test_result_messages_show_text_as_typed(qtbot, text):
    from ui.records.common import StatusLine, show_message

    line = StatusLine()
    qtbot.addWidget(line)
    line.say(f"Copied {text}")
    assert label_seen(line) == f"Copied {text}"
    box = show_message(line, "Title", f"Deleted {text}")
    assert seen(box.text(), box.textFormat()) == f"Deleted {text}"
    box.close()
    assert isinstance(box, QMessageBox)
