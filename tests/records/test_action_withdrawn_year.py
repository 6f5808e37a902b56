"""Withdrawn actions at a year's size (2,950 decisions with 40-provider snapshots, about eight a day; 300
actions, 20 reassigned, 20 withdrawn, two clashes) on a real encrypted replica: the open list, the chase
and the records export read who withdrew what in one scan of the log's links each, and stay short."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from models.records import action_reassign, action_withdraw, actions_due
from models.records.export.records import export_records
from models.replica.orm.types import utcnow
from models.service import actions as door
from models.service import decisions
from models.uk_time import UK
from sync import authoring

YEAR, ACTIONS, MOVED, PULLED = 2950, 300, 20, 20
ROLE = "Director on-call"


def _snapshot(i: int) -> dict:
    return {"system_opel": 3, "providers": {f"R{p:03d}": {"opel": 1 + (i + p) % 4, "ga_bed_occupancy_pct": 90 + p % 9,
                                                          "ambulances_waiting": p % 6, "name": f"Provider {p} NHS Trust"}
                                            for p in range(40)}}


def _year(store):
    """The year's log on ``store``: (now, the actions given)."""
    now = utcnow()
    gave = []
    for i in range(YEAR):
        e = authoring.record_decision(
            store, decision_maker=f"Dr Decider {i % 7}", decision_maker_role=ROLE,
            decision=f"Decision {i}: open escalation beds at Trust {i % 40}", rationale="Waits rising " * 20,
            recorded_by="Room support", decided_at=now - timedelta(hours=3 * i), situation_snapshot=_snapshot(i))
        if i < ACTIONS:
            gave.append(authoring.add_action(store, description=f"Action {i}", owner=f"Owner {i % 9}",
                                             author="Room support", decision_uuid=e.uuid,
                                             due_at=now - timedelta(hours=i % 48)))
    for k in range(MOVED):
        door.reassign_action(store, gave[k], f"New owner {k}", "wrong owner", "Dr Lead", ROLE, now)
    for k in range(MOVED, MOVED + PULLED):
        door.withdraw_action(store, gave[k], f"made moot {k}", "Dr Lead", ROLE, now)
    # Two clashes, as entries another desktop made offline: a second reassignment, and a withdrawal.
    for k, link, actions in ((0, action_reassign.link(gave[0]), [decisions.NewAction("Action 0", "Jo Other", now)]),
                             (1, action_withdraw.link(gave[1]), [])):
        decisions.record_decision(store, decisions.NewDecision("Dr Night", ROLE, "crossing", "offline", "Dr Night",
                                                               now, links=[link]), actions, snapshot_at=now)
    return now, gave


@pytest.mark.timeout(600)
def test_a_years_log_with_withdrawals_reads_its_open_actions_and_chases_quickly(store):
    now, gave = _year(store)
    took = {}
    with store.session() as s:
        for name, read in (("open", lambda: actions_due.open_actions(s, now)),
                           ("withdrawn", lambda: action_withdraw.withdrawals(s))):
            started = time.perf_counter()
            found = read()
            took[name] = time.perf_counter() - started
        items = actions_due.open_actions(s, now)
    assert len(items) == ACTIONS - PULLED + 1   # each reassigned one replaced by its new one; one more (the clash)
    assert sum(1 for i in items if i.clash) == 3, [i.clash for i in items if i.clash]
    assert len(found) == PULLED + 1   # and the crossing one
    with store.session() as s, s.begin():
        started = time.perf_counter()
        actions_due.chase_overdue(s, now)
        took["chase"] = time.perf_counter() - started
    pulled = {gave[k] for k in range(MOVED, MOVED + PULLED)}
    with store.session() as s:
        assert not {i.uuid for i in actions_due.overdue_actions(s, now)} & pulled
    print({k: round(v, 3) for k, v in took.items()})
    assert took["open"] < 0.5 and took["withdrawn"] < 0.25 and took["chase"] < 1.0, took


@pytest.mark.slow   # the year's records export: 34-49 s on top of building the log (on shared cores)
@pytest.mark.timeout(900)
def test_a_years_log_with_withdrawals_exports_with_its_chain_intact(store, tmp_path):
    now, _gave = _year(store)
    day = now.astimezone(UK).date()
    started = time.perf_counter()
    result = export_records(store, day - timedelta(days=400), day + timedelta(days=1), tmp_path / "out",
                            icb="Test ICB", now=now, user="tester", host="desk")
    print(f"export {time.perf_counter() - started:.1f} s")
    assert result.manifest["chain"]["verification"]["intact"]
