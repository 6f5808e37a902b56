"""The door to the replica (``models.service``): each use case is one transaction and says what changed.

Real encrypted replicas, a real second connection for races and the write lock, a real SQLite
trigger for a write that fails part-way (the k-th action of a decision).
"""

from __future__ import annotations

import threading
from dataclasses import fields, is_dataclass
from datetime import timedelta

import apsw
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import DeclarativeBase

from models.records import actions_due
from models.replica import store as store_module
from models.replica.orm import Action, AlertEvent, DecisionEntry, OpelAssessment, OutboxItem
from models.service import actions as door
from models.service import decisions, errors, housekeeping
from models.service.changes import NOTHING, Changes
from models.replica.store import Store
from sync import authoring
from tests.models.conftest import PASSPHRASE, store, store_path  # noqa: F401
from tests.ui.feeds import NOW, forty_acute_providers
from tests.ui.ui_probe import LockHolder

PROVIDERS = 40


def _count(store, model, *where) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))




def _decision(**changes) -> decisions.NewDecision:
    values = dict(decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                  decision="Divert from R01 to R02 for two hours", rationale="R01 queue over 45 minutes",
                  recorded_by="Room support", decided_at=NOW,
                  links=[{"kind": "organisation", "org_code": "R01"}, {"kind": "organisation", "org_code": "R02"}])
    return decisions.NewDecision(**{**values, **changes})


def _actions(n: int) -> list[decisions.NewAction]:
    return [decisions.NewAction(f"Action {i}", "Room support", NOW + timedelta(minutes=30 + i)) for i in range(n)]


def _fail_the_kth_action(store, k: int) -> None:
    """A real fault inside SQLite: inserting the k-th action aborts the statement."""
    with store.raw() as conn:
        conn.execute(f"CREATE TRIGGER fail_kth BEFORE INSERT ON action WHEN (SELECT count(*) FROM action) >= {k - 1} "
                     "BEGIN SELECT RAISE(ABORT, 'disk fault on the k-th action'); END")


# --- a decision with its actions ------------------------------------------------------------------
def test_a_decision_and_its_actions_are_one_transaction_with_their_outbox_rows(store):
    forty_acute_providers(store, count=PROVIDERS)
    out = decisions.record_decision(store, _decision(), _actions(5), snapshot_at=NOW)
    assert out.applied and out.changes == Changes(frozenset({"decision", "action"}))
    assert out.changes.kinds == {"record"} and len(out.uuids) == 5
    with store.session() as s:
        entry = s.get(DecisionEntry, out.uuid)
        assert len(entry.situation_snapshot["providers"]) == PROVIDERS
        assert {a.decision_uuid for a in s.scalars(select(Action))} == {out.uuid}
    assert _count(store, OutboxItem, OutboxItem.kind == "decision") == 1
    assert _count(store, OutboxItem, OutboxItem.kind == "action") == 5


@pytest.mark.parametrize("k", [1, 3, 5])
def test_when_the_kth_action_cannot_be_written_nothing_of_the_decision_is(store, k):
    forty_acute_providers(store, count=PROVIDERS)
    _fail_the_kth_action(store, k)
    with pytest.raises(Exception, match="disk fault on the k-th action"):
        decisions.record_decision(store, _decision(), _actions(5), snapshot_at=NOW)
    assert _count(store, DecisionEntry) == 0 and _count(store, Action) == 0
    assert _count(store, OutboxItem) == 0
    with store.raw() as conn:
        conn.execute("DROP TRIGGER fail_kth")
    again = decisions.record_decision(store, _decision(), _actions(5), snapshot_at=NOW)
    with store.session() as s:   # the device's hash chain starts afresh: nothing half-written before it
        assert s.get(DecisionEntry, again.uuid).device_seq == 1


def test_a_decision_with_a_missing_field_names_every_field_and_writes_nothing(store):
    bad = _decision(decision_maker=" ", rationale="", links=[{"kind": "organisation", "org_code": "R-01"}])
    with pytest.raises(ValueError) as caught:
        decisions.record_decision(store, bad, [decisions.NewAction("Call", "")])
    assert str(caught.value) == ("decision maker: must be filled in; rationale: must be filled in; "
                                 "providers: 'R-01' is not an ODS code; "
                                 "action 1: an action needs a description and an owner")
    with pytest.raises(ValueError, match="amends_uuid: no decision nope in the log"):
        decisions.record_decision(store, _decision(amends_uuid="nope"))
    assert _count(store, DecisionEntry) == 0 and _count(store, OutboxItem) == 0


# --- races: the check and the write are one transaction ---------------------------------------------
def _race(store_path, store, attempt) -> list:
    """Two other connections (two desktops' worth of stores on one replica) try ``attempt`` at once;
    a third holds the write lock while both read, so both checks happen before either write."""
    others = [Store.unlock(store_path, PASSPHRASE) for _ in range(2)]
    results, errors_seen = [], []

    def run(s):
        try:
            results.append(attempt(s))
        except BaseException as exc:  # noqa: BLE001
            errors_seen.append(exc)
    try:
        with LockHolder(store, 1.0):
            threads = [threading.Thread(target=run, args=(s,)) for s in others]
            for t in threads:
                t.start()
        for t in threads:
            t.join(20)
    finally:
        for s in others:
            s.close()
    assert errors_seen == []
    return results


def _system_change(store) -> str:
    with store.session() as s, s.begin():
        for hours, level in ((2, 2), (1, 3)):
            s.add(OpelAssessment(scope="system", org_code=None, pillar="system",
                                 assessed_at=NOW - timedelta(hours=hours), table_edition="test",
                                 table_verified=False, calculated_level=level, complete=True))
    housekeeping.run(store, NOW)
    page = door.actions_page(store, NOW)
    return page.checklists[0].items[0].uuid


def test_two_ticks_of_one_action_card_from_two_connections_record_one(store_path, store):
    item = _system_change(store)
    results = _race(store_path, store, lambda s: door.tick_card(s, item, "Sam Lead", NOW))
    assert sorted(r.applied for r in results) == [False, True]
    assert _count(store, DecisionEntry) == 1 and _count(store, OutboxItem) == 1
    [ticked] = [c for c in door.actions_page(store, NOW).checklists[0].items if c.tick]
    assert (ticked.uuid, ticked.tick.by) == (item, "Sam Lead")


def test_two_completions_of_one_action_record_one(store_path, store):
    uid = authoring.add_action(store, description="Call the EOC", owner="Room support", author="Lead",
                               due_at=NOW - timedelta(minutes=5))
    housekeeping.run(store, NOW)
    results = _race(store_path, store, lambda s: door.complete_action(s, uid, "Sam Lead", NOW))
    assert sorted(r.applied for r in results) == [False, True]
    assert [r.changes for r in results if not r.applied] == [NOTHING]
    assert _count(store, OutboxItem, OutboxItem.kind == "action") == 2   # created, then done once
    with store.session() as s:
        assert s.get(AlertEvent, actions_due.alert_uuid(uid)).cleared_at == NOW


def test_two_acknowledgements_of_one_alert_record_one(store_path, store):
    uid = authoring.add_action(store, description="Call the EOC", owner="Room support", author="Lead",
                               due_at=NOW - timedelta(minutes=5))
    housekeeping.run(store, NOW)
    aid = actions_due.alert_uuid(uid)
    results = _race(store_path, store, lambda s: door.acknowledge_alert(s, aid, "Sam Lead", "on it", NOW))
    assert sorted(r.applied for r in results) == [False, True]
    assert _count(store, OutboxItem, OutboxItem.kind == "alert_ack") == 1


# --- housekeeping, the page, and failures in words --------------------------------------------------
def test_housekeeping_says_what_it_changed_and_a_second_pass_changes_nothing(store):
    authoring.add_action(store, description="Call the EOC", owner="Room support", author="Lead",
                         due_at=NOW - timedelta(minutes=5))
    _ = _system_change(store)   # runs one pass: the alert and the checklist
    authoring.add_action(store, description="Send the update", owner="Room lead", author="Lead",
                         due_at=NOW - timedelta(minutes=1))
    first = housekeeping.run(store, NOW)
    assert (first.open_alerts, first.changes) == (2, Changes(frozenset({"alert"})))
    again = housekeeping.run(store, NOW)
    assert (again.open_alerts, again.changes) == (2, NOTHING)


def _plain(value) -> bool:
    if isinstance(value, DeclarativeBase):
        return False
    if is_dataclass(value):
        return all(_plain(getattr(value, f.name)) for f in fields(value))
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    return True


def test_the_actions_page_is_plain_data(store):
    _system_change(store)
    uid = authoring.add_action(store, description="Call the EOC", owner="Room support", author="Lead",
                               due_at=NOW - timedelta(minutes=5))
    ada = authoring.upsert_contact(store, author="Lead", name="Dr Ada Director", organisation="Test ICB")
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=ada, starts_at=NOW - timedelta(hours=1),
                                ends_at=NOW + timedelta(hours=8), author="Lead")
    housekeeping.run(store, NOW)
    page = door.actions_page(store, NOW)
    assert [a.uuid for a in page.actions] == [uid] and [a.uuid for a in page.alerts] == [actions_due.alert_uuid(uid)]
    assert page.checklists and [o.contact.name for o in page.on_call["Director on-call"]] == ["Dr Ada Director"]
    assert _plain(page)


def test_a_write_that_waits_out_the_busy_timeout_is_explained_in_words(store, monkeypatch):
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)
    uid = authoring.add_action(store, description="Call the EOC", owner="Room support", author="Lead")
    busy = Store.unlock(store.path, PASSPHRASE)   # a fresh pool: its connections take the short timeout
    try:
        with LockHolder(store, 1.5), pytest.raises(Exception) as caught:
            door.complete_action(busy, uid, "Sam Lead", NOW)
    finally:
        busy.close()
    assert errors.explain(caught.value).startswith("the replica stayed busy for over")
    assert errors.explain(caught.value).endswith("nothing was recorded: try again")
    assert errors.explain(apsw.FullError("database or disk is full")) == (
        "the disk holding the replica is full; nothing was recorded: free some space and try again")
    assert errors.explain(ValueError("by: say who did the action")) == "by: say who did the action"
    assert errors.explain(KeyError("x"), write=False) == "an unexpected error (KeyError); the details are in the log"
    with store.session() as s:
        assert s.get(Action, uid).done_at is None
