"""Decision log view: new decision with an automatic snapshot and actions, filters, amend,
verify, export; reads, verification and export off the UI thread."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from PySide6.QtCore import QDate
from sqlalchemy import func, select

from models.replica.orm import Action, DecisionEntry, OutboxItem
from models.replica.utc import to_utc_text
from sync import authoring
from tests.ui.feeds import NOW, fill_system
from tests.ui.records.conftest import open_view, settle
from tests.ui.records.seed import seed_decisions, seed_rollups
from tests.ui.ui_probe import settled  # noqa: F401
from ui.records.decisions_view import DecisionsView
from ui.widgets import table_text

pytestmark = pytest.mark.usefixtures("settled")


def _outbox(store, kind) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == kind))


def test_new_decision_saves_every_field_a_snapshot_of_the_seeded_picture_and_linked_actions(qtbot, store):
    fill_system(store)
    seed_rollups(store)
    view = open_view(qtbot, DecisionsView, store)
    assert view.stack.is_empty and "No decisions in the log yet" in view.stack.empty.text()
    dialog = view.new_decision()
    dialog.decision.setPlainText("Request mutual aid: divert from Alpha")
    assert dialog.save() is None and dialog.isVisible()
    assert "decision maker: must be filled in" in dialog.error.text() and "rationale" in dialog.error.text()
    dialog.decision_maker.setText("Dr Priya Raman")
    dialog.rationale.setPlainText("Alpha OPEL 3, 2 crews waiting")
    dialog.options.setPlainText("Do nothing: rejected")
    dialog.information.setPlainText("Offload board 09:55")
    dialog.providers.setText("raa, RBB")
    assert not dialog.add_action("Call the EOC", "")  # an action needs an owner
    assert dialog.add_action("Call the EOC", "Room support", NOW + timedelta(minutes=30))
    assert dialog.add_action("Review the queue", "Site manager", NOW + timedelta(hours=1))
    dialog.save()                       # off the UI thread: the dialog closes once it has landed
    settle()
    entry = dialog.saved
    assert entry is not None and not dialog.isVisible()
    with store.session() as s:
        stored = s.get(DecisionEntry, entry.uuid)
        snap = stored.situation_snapshot
        actions = s.scalars(select(Action).where(Action.decision_uuid == entry.uuid).order_by(Action.due_at)).all()
        assert stored.decided_at == NOW and stored.decision_maker_role == "Director on-call"
        assert stored.recorded_by == "Test User" and stored.options_considered == "Do nothing: rejected"
        assert stored.links == [{"kind": "organisation", "org_code": "RAA"},
                                {"kind": "organisation", "org_code": "RBB"},
                                {"kind": "actions", "items": [   # in the entry's hash, each as its row
                                    {"uuid": a.uuid, "description": a.description, "owner": a.owner,
                                     "due_at": to_utc_text(a.due_at)} for a in actions]}]
        assert [(a.description, a.owner, a.due_at) for a in actions] == [
            ("Call the EOC", "Room support", NOW + timedelta(minutes=30)),
            ("Review the queue", "Site manager", NOW + timedelta(hours=1))]
    assert snap["system"]["level"] == 3 and snap["pillars"]["acute"]["level"] == 3
    assert snap["providers"]["RAA"]["level"] == 3 and snap["providers"]["RBB"]["level"] is not None
    assert snap["ambulance"]["RX9"]["reap_level"] == 3 and snap["offload"]["waiting"] == 3
    assert snap["offload"]["hospitals"]["RAA"]["longest_wait_minutes"] == 50.0
    assert _outbox(store, "decision") == 1 and _outbox(store, "action") == 2
    html = view.detail.toPlainText()
    assert "System: OPEL 3" in html and "Call the EOC — Room support" in html and "Options considered" in html
    assert "Links RAA, RBB\n" in html   # the actions link is not shown twice
    assert table_text(view.table)[0][3] == "2"


def _log(store):
    """Four entries over three UK days, each author, provider and wording told apart."""
    def write(maker, recorder, decision, days_ago, links=(), snapshot=None):
        return authoring.record_decision(
            store, decision_maker=maker, decision_maker_role="Director on-call", decision=decision,
            rationale="r", recorded_by=recorder, decided_at=NOW - timedelta(days=days_ago),
            situation_snapshot=snapshot, links=[{"kind": "organisation", "org_code": c} for c in links])
    return [write("Dr Ada", "Room support", "Open escalation beds at Alpha", 2, links=("RAA",)),
            write("Mei Chen", "Mei Chen", "Stand up the SCC overnight", 1,
                  snapshot={"offload": {"RBB": {"waiting": 4}}}),
            write("Dr Ada", "Bo Smith", "Divert ambulances from Beta", 0, links=("RBB",)),
            write("Tom Okafor", "Bo Smith", "Cancel elective lists at Alpha", 0)]


def _shown(view) -> list[str]:
    settle()   # each filter change is read off the UI thread
    return [r[2] for r in table_text(view.table)]


def test_filters_by_date_author_provider_and_text(qtbot, store):
    _log(store)
    view = open_view(qtbot, DecisionsView, store)
    assert len(_shown(view)) == 4 and "4 of 4 entries" in view.count_label.text()
    assert view.author_filter.count() == 5  # makers and recorders, each once
    view.author_filter.setCurrentText("dr ada")
    assert _shown(view) == ["Divert ambulances from Beta", "Open escalation beds at Alpha"]
    view.author_filter.setCurrentText("Bo Smith")  # the recorder counts as an author
    assert _shown(view) == ["Cancel elective lists at Alpha", "Divert ambulances from Beta"]
    view.author_filter.setCurrentText("")
    view.set_provider("RBB")  # in links, or in the snapshot
    assert _shown(view) == ["Divert ambulances from Beta", "Stand up the SCC overnight"]
    view.set_provider(None)
    view.text_filter.setText("alpha")
    assert _shown(view) == ["Cancel elective lists at Alpha", "Open escalation beds at Alpha"]
    view.text_filter.clear()
    view.use_dates.setChecked(True)  # today only, by default
    assert _shown(view) == ["Cancel elective lists at Alpha", "Divert ambulances from Beta"]
    view.date_from.setDate(QDate(2026, 1, 10))
    view.date_to.setDate(QDate(2026, 1, 11))
    assert _shown(view) == ["Stand up the SCC overnight", "Open escalation beds at Alpha"]
    view.text_filter.setText("nothing like this")
    assert _shown(view) == [] and "0 of 4 entries" in view.count_label.text()
    assert "No entry matches the filters" in view.detail.toPlainText()
    assert not view.stack.is_empty  # the log has entries: the filter explains the empty list


def test_amend_creates_a_new_entry_and_never_edits(qtbot, store):
    fill_system(store)
    first, second, _amend = seed_decisions(store)
    view = open_view(qtbot, DecisionsView, store)
    original_hash = first.content_hash
    view.select_uuid(second.uuid)
    dialog = view.amend_selected()
    assert dialog.amends.uuid == second.uuid
    assert dialog.decision.toPlainText() == second.decision and dialog.providers.text() == "RBB"
    dialog.decision.setPlainText("Open 4 (not 6) escalation beds at Beta")
    dialog.save()
    settle()
    amendment = dialog.saved
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionEntry)) == 4
        assert s.get(DecisionEntry, second.uuid).decision == "Open 6 escalation beds at Beta for the evening peak"
        assert s.get(DecisionEntry, amendment.uuid).amends_uuid == second.uuid
        assert s.get(DecisionEntry, first.uuid).content_hash == original_hash
    rows = {r[2]: r for r in table_text(view.table)}
    assert rows["Open 6 escalation beds at Beta for the evening peak"][4] == "⚠ amended"
    assert rows["Open 4 (not 6) escalation beds at Beta"][4] == "amends"
    assert view.selected_uuid() == amendment.uuid
    assert "Amends the entry of Mon 12 Jan 08:50 by Mei Chen" in view.detail.toPlainText()
    view.verify_chain()
    settle()
    assert view.status.text().startswith("decision log intact: 4 entries")
    assert view.dialog.text().startswith("The decision log is intact.") and view.verify_button.isEnabled()
    view.dialog.close()


def test_verify_names_a_broken_chain_and_export_reports_what_it_wrote(qtbot, store, tmp_path):
    entries = _log(store)
    view = open_view(qtbot, DecisionsView, store)
    view.export_to(tmp_path / "export")   # off the UI thread: a PDF of a busy period takes seconds
    assert not view.export_button.isEnabled()
    settle()
    assert "Exported 4 decisions from 10 Jan 2026 to 12 Jan 2026" in view.status.text()
    assert view.export_button.isEnabled()
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == [
        "README.txt", "chain_context.json", "decisions.csv", "decisions.json", "decisions.pdf", "handover.json",
        "key_history.json", "manifest.json", "signature.json", "verify_export.py"]
    key = json.loads((tmp_path / "export" / "signature.json").read_text("ascii"))["key_fingerprint"]
    assert f"signed with this desktop's export key {' '.join(key[i:i + 4] for i in range(0, 32, 4))}" in view.dialog.text()
    view.dialog.close()
    view.export_to(tmp_path / "export")  # never over an earlier export
    settle()
    assert "already holds an export" in view.status.text() and "Nothing was exported" in view.dialog.text()
    view.dialog.close()
    with store.raw() as conn:
        conn.execute("UPDATE decision_entry SET decision = 'Changed later' WHERE uuid = ?", (entries[1].uuid,))
    view.verify_chain()
    settle()
    assert "BROKEN" in view.status.text() and entries[1].uuid in view.status.text()
    assert "BROKEN" in view.dialog.text()
    view.dialog.close()


def test_the_detail_names_who_pushed_a_decision_signed_with_another_name(qtbot, store, tmp_path):
    """A decision pushed with the room lead's token and signed "Sam Patel": the detail shows the token's user first
    (as the hub stamped it, kept outside the hash since revision 0029); one signed with its pusher's own name, and
    one not yet at the hub, show the name alone."""
    forged = authoring.record_decision(store, decision_maker="Dr Ada", decision_maker_role="Director on-call",
                                       decision="Close the escalation ward", rationale="r", recorded_by="Sam Patel",
                                       decided_at=NOW - timedelta(hours=1))
    own = authoring.record_decision(store, decision_maker="Dr Ada", decision_maker_role="Director on-call",
                                    decision="Keep the ward open", rationale="r", recorded_by="Room Lead",
                                    decided_at=NOW - timedelta(hours=2))
    with store.writing() as s:   # as the feed's copy of each sets it
        s.execute(DecisionEntry.__table__.update().where(DecisionEntry.uuid.in_([forged.uuid, own.uuid]))
                  .values(hub_author="room.lead"))
    view = open_view(qtbot, DecisionsView, store)
    view.resize(1366, 768)
    view.table.selectRow(0)
    settle()
    assert 'by room.lead (signed "Sam Patel") · entry' in view.detail.toPlainText()
    view.detail.grab().save(str(tmp_path / "detail.png"))
    view.table.selectRow(1)
    settle()
    assert "by Room Lead · entry" in view.detail.toPlainText()
