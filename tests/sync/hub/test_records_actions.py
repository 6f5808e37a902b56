"""The hub refuses an action its decision did not record as it is (a decision recorded with its actions
hashes each one's description, owner and due time): added to it later, or with another owner or
deadline, it would read as tampering on every desktop. Real hub process, records as desktops push them."""

from __future__ import annotations

import uuid

import pytest

from sync.protocol import RecordReceipt
from tests.sync.hub.helpers import at, decision, push, rehash

pytestmark = pytest.mark.timeout(60)

DUE = "2026-01-12T10:00:00.000000+00:00"


@pytest.fixture
def hub(shared_hub):
    return shared_hub


def _with_actions(*items: dict) -> dict:
    rec = decision("Divert from Alpha")
    rec["data"]["links"] = [{"kind": "organisation", "org_code": "RAA"}, {"kind": "actions", "items": list(items)}]
    return rehash(rec)


def _item(owner: str = "Sam Okafor", due: str | None = DUE) -> dict:
    return {"uuid": str(uuid.uuid4()), "description": "Tell the EOC", "owner": owner, "due_at": due}


def _action(item: dict, decision_uuid: str, **changed) -> dict:
    data = {"op": "create", "action_uuid": item["uuid"], "decision_uuid": decision_uuid,
            "description": item["description"], "owner": item["owner"], "due_at": item["due_at"],
            "author": "Dr Test", **changed}
    return {"uuid": item["uuid"], "kind": "action", "device_id": "desk-a", "authored_at": at(), "data": data}


def _results(hub, records):
    r = push(hub, records)
    assert r.status_code == 200, r.text
    return RecordReceipt.model_validate(r.json()).results


def test_actions_as_their_decision_recorded_them_are_stored_in_one_push_or_later(hub):
    first, second = _item(), _item(owner="Site manager", due=None)
    d = _with_actions(first, second)
    assert [x.status for x in _results(hub, [d, _action(first, d["uuid"])])] == ["stored", "stored"]
    assert [x.status for x in _results(hub, [_action(second, d["uuid"])])] == ["stored"]


def test_an_action_with_another_owner_or_deadline_is_refused_naming_the_field(hub):
    item = _item()
    d = _with_actions(item)
    results = _results(hub, [d, _action(item, d["uuid"], owner="Someone Else")])
    assert [x.status for x in results] == ["stored", "rejected"]
    (error,) = results[1].errors
    assert error.field == "records.1.data.owner"
    assert "'Someone Else'" in error.reason and "'Sam Okafor'" in error.reason and d["uuid"] in error.reason
    (later,) = _results(hub, [_action(item, d["uuid"], due_at="2026-01-12T15:00:00.000000+00:00")])
    assert later.status == "rejected" and [e.field for e in later.errors] == ["records.0.data.due_at"]
    # The same instant spelled otherwise is the same deadline.
    (same,) = _results(hub, [_action(item, d["uuid"], due_at="2026-01-12T10:00:00Z")])
    assert same.status == "stored"


def test_an_action_added_to_a_decision_recorded_with_its_actions_is_refused(hub):
    d = _with_actions()                       # recorded with none
    assert _results(hub, [d])[0].status == "stored"
    (added,) = _results(hub, [_action(_item(), d["uuid"])])
    assert added.status == "rejected" and added.errors[0].field == "records.0.data.decision_uuid"
    assert "added to it later" in added.errors[0].reason
    quarantined = hub.request("GET", "/v1/quarantine", params={"limit": 1000}).json()["items"]
    assert any(q["source"] == "record" and "added to it later" in str(q) for q in quarantined)


def test_an_action_of_a_decision_recorded_without_the_link_is_taken_as_before(hub):
    old = decision("Recorded by an older desktop")    # no actions link: nothing to compare
    assert [x.status for x in _results(hub, [old, _action(_item(), old["uuid"])])] == ["stored", "stored"]


@pytest.mark.parametrize("due, why", [("2206-01-12T10:00:00+00:00", "year 2206 is outside 2000..2100"),
                                      ("0001-01-01T00:30:00+01:00", "year 1 is outside 2000..2100"),
                                      ("2026-01-12T10:00:00", "has no UTC offset"),
                                      ("tomorrow", "is not a time")])
def test_a_decision_recording_an_action_with_a_time_the_hub_cannot_take_is_refused(hub, due, why):
    """Found by a review: a due time in 2206 (a typo) went into the decision's hashed links; the hub took the
    decision and refused the action, so every other desktop's verify read the action as removed for good; a
    time at the calendar's edge raised OverflowError in every desktop's verify and export.  The decision is
    now refused, naming the item's field, and stays in its desktop's outbox with the reason."""
    d = _with_actions(_item(due=due))
    (result,) = _results(hub, [d])
    assert result.status == "rejected"
    assert [(e.field, why in e.reason) for e in result.errors] == [("records.0.data.links.1.items.0.due_at", True)]
