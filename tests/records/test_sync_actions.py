"""Acknowledgements, rota slots and action-card ticks between two desktops through a real hub."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from models.records import actions_due
from models.records import on_call
from models.records import opel_checklist
from models.replica.orm import AlertEvent, OpelAssessment, OutboxItem, QuarantinedRecord
from sync import authoring
from sync.protocol import RecordReceipt
from tests.records.conftest import T0
from tests.support.hub import shown_as


def _records(hub, kind):
    resp = hub.request("GET", "/v1/feed", role="room_lead", params={"after": 0})
    assert resp.status_code == 200, resp.text
    return [i["data"] for i in resp.json()["items"] if i["kind"] == "record" and i["data"]["kind"] == kind]


def _sync(*desks):
    for desk in desks:
        result = desk.run_once()
        assert result.error is None, result.error


def _chase(desk, now):
    with desk.store.session() as s, s.begin():
        return actions_due.chase_overdue(s, now)


def _alert(desk, aid):
    with desk.store.session() as s:
        return s.get(AlertEvent, aid)


def _quarantined(desk):
    with desk.store.session() as s:
        return [(q.source, q.errors) for q in s.scalars(select(QuarantinedRecord))]


def test_an_acknowledgement_reaches_the_other_desktop_once(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.add_action(a.store, description="Phone Trust One", owner="Room support", author="Lead",
                               due_at=T0)
    _sync(a, b)
    aid = actions_due.alert_uuid(uid)
    assert _chase(a, T0 + timedelta(hours=1)).raised == [aid]
    assert authoring.ack_alert(a.store, aid, "Ana", "on it", at=T0 + timedelta(hours=1, minutes=2))
    _sync(a)
    # B has not chased yet: the acknowledgement brings the alert with it, acknowledged.
    _sync(b)
    got = _alert(b, aid)
    assert (got.acknowledged_by, got.acknowledged_note, got.rule_code, got.action_uuid, got.raised_at) == (
        shown_as("Ana"), "on it", "action_overdue", uid, T0)
    assert _chase(b, T0 + timedelta(hours=2)).raised == []  # the same alert: no second one
    # The hub stored it but the answer was lost: pushing again is a duplicate, not a second record.
    with a.store.session() as s, s.begin():
        s.execute(update(OutboxItem).values(sent_at=None))
    _sync(a, b)
    acks = _records(sqlite_hub, "alert_ack")
    assert len(acks) == 1 and acks[0]["data"]["alert_uuid"] == aid
    assert _quarantined(a) == _quarantined(b) == []
    # Completing the action clears the alert on both desktops.
    authoring.complete_action(b.store, uid, "Bo", T0 + timedelta(hours=1, minutes=30))
    _sync(b, a)
    assert _alert(a, aid).cleared_at == _alert(b, aid).cleared_at == T0 + timedelta(hours=1, minutes=30)


def test_two_offline_acknowledgements_keep_the_earliest_everywhere(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.add_action(a.store, description="Book the call", owner="Room lead", author="Lead",
                               due_at=T0)
    _sync(a, b)
    aid = actions_due.alert_uuid(uid)
    for desk in (a, b):
        _chase(desk, T0 + timedelta(hours=1))
    authoring.ack_alert(a.store, aid, "Al", "later one", at=T0 + timedelta(hours=1, minutes=9))
    authoring.ack_alert(b.store, aid, "Bo", "first one", at=T0 + timedelta(hours=1, minutes=3))
    _sync(a, b, a, b)
    for desk in (a, b):
        got = _alert(desk, aid)
        assert (got.acknowledged_by, got.acknowledged_note, got.acknowledged_at) == (
            shown_as("Bo"), "first one", T0 + timedelta(hours=1, minutes=3))


def test_rota_slots_authored_or_imported_on_one_desktop_show_on_call_on_the_other(sqlite_hub, make_desktop,
                                                                                  tmp_path):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    ada = authoring.upsert_contact(a.store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
    ben = authoring.upsert_contact(a.store, author="Lead", name="Dr Ben Director", organisation="Test ICB")
    day = T0.replace(hour=7, minute=0)  # 08:00 BST
    shift = authoring.add_on_call_shift(a.store, rota="Director on-call", contact_uuid=ada, starts_at=day,
                                        ends_at=day + timedelta(hours=12), author="Lead")
    path = tmp_path / "rota.csv"
    path.write_text("rota,name,starts_at,ends_at\nDirector on-call,Dr Ben Director,2025-03-30 20:00,"
                    "2025-03-31 08:00\nDirector on-call,Dr Nobody,2025-03-31 08:00,2025-03-31 20:00\n",
                    encoding="utf-8")
    imported = authoring.import_on_call(a.store, path, "Lead")
    assert (len(imported.created), imported.quarantined) == (1, 1)
    _sync(a, b)

    def now(desk, at):
        with desk.store.session() as s:
            return {r: [(o.contact.uuid, o.ends_at) for o in found] for r, found in on_call.on_call_now(s, at).items()}

    assert now(b, day + timedelta(hours=3)) == {"Director on-call": [(ada, day + timedelta(hours=12))]}
    assert now(b, day + timedelta(hours=12)) == {"Director on-call": [(ben, day + timedelta(hours=24))]}
    authoring.cancel_on_call_shift(a.store, shift, "Lead")
    _sync(a, b)
    assert now(b, day + timedelta(hours=3)) == {"Director on-call": []}
    assert len(_records(sqlite_hub, "on_call_shift")) == 3
    assert _quarantined(b) == []


def _opel(desk, levels):
    with desk.store.session() as s, s.begin():
        for hours, level in levels:
            s.add(OpelAssessment(scope="system", org_code=None, pillar="system",
                                 assessed_at=T0 + timedelta(hours=hours), table_edition="test",
                                 table_verified=False, calculated_level=level, complete=True))
        opel_checklist.raise_checklists(s, T0 + timedelta(hours=2))


def test_a_card_ticked_on_one_desktop_shows_ticked_on_the_other(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    for desk in (a, b):  # the same OPEL history on both (as the feed gives it)
        _opel(desk, [(0, 2), (1, 3)])
    with a.store.session() as s:
        [checklist] = opel_checklist.current_checklists(s)
    item = checklist.items[1]
    entry = authoring.tick_checklist_item(a.store, item.uuid, "Sam Lead", at=T0 + timedelta(hours=1, minutes=5))
    _sync(a, b)
    with b.store.session() as s:
        [seen] = opel_checklist.current_checklists(s)
    ticked = {i.uuid: i.tick for i in seen.items if i.tick}
    assert list(ticked) == [item.uuid]
    assert (ticked[item.uuid].by, ticked[item.uuid].decision_uuid) == ("Sam Lead", entry.uuid)


def test_the_hub_rejects_bad_acknowledgements_and_rota_slots_naming_the_field(sqlite_hub):
    def rec(kind, data):
        return {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": "desk-x",
                "authored_at": T0.isoformat(), "data": data}

    good_ack = {"alert_uuid": str(uuid.uuid4()), "acknowledged_at": T0.isoformat(), "acknowledged_by": "Ana"}
    good_shift = {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                  "contact_uuid": str(uuid.uuid4()), "starts_at": T0.isoformat(),
                  "ends_at": (T0 + timedelta(hours=1)).isoformat()}
    records = [rec("alert_ack", {**good_ack, "alert_uuid": "not-a-uuid"}),
               rec("alert_ack", {**good_ack, "acknowledged_at": "2025-03-30T09:00:00"}),
               rec("alert_ack", {**good_ack, "acknowledged_by": ""}),
               rec("on_call_shift", {**good_shift, "op": "swap"}),
               rec("on_call_shift", {**good_shift, "ends_at": T0.isoformat()}),
               rec("alert_ack", good_ack), rec("on_call_shift", good_shift)]
    resp = sqlite_hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    assert resp.status_code == 200, resp.text
    results = RecordReceipt.model_validate(resp.json()).results
    assert [r.status for r in results] == ["rejected"] * 5 + ["stored"] * 2
    assert [[(e.field, e.reason) for e in r.errors] for r in results[:5]] == [
        [("records.0.data.alert_uuid", "'not-a-uuid' is not a UUID")],
        [("records.1.data.acknowledged_at", "'2025-03-30T09:00:00' has no UTC offset")],
        [("records.2.data.acknowledged_by", "must not be empty")],
        [("records.3.data.op", "must be 'create' or 'cancel', not 'swap'")],
        [("records.4.data.ends_at", "a shift must end after it starts")]]
