"""Fixtures for the room's records: a real encrypted replica, a real hub, a few decisions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

import pytest

from models.records import actions_due
from models.replica.orm import AlertEvent
from models.replica.orm.types import utcnow
from models.service import decisions
from sync import authoring
from tests.models.conftest import PASSPHRASE, store, store_path  # noqa: F401
from tests.support.fixtures import sqlite_hub  # noqa: F401
from tests.sync.engine.conftest import make_desktop  # noqa: F401

# 00:30 UTC on the spring clock-change day (GMT until 01:00 UTC, BST after).
T0 = datetime(2025, 3, 30, 0, 30, tzinfo=timezone.utc)


@pytest.fixture
def cli_env(monkeypatch):
    """Environment for running ``scc_desktop.cli.main`` in-process on a test replica."""
    monkeypatch.setenv("SCC_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def write_decisions(store, count: int, start: datetime = T0, step_minutes: int = 45, **extra):
    """``count`` decisions ``step_minutes`` apart from ``start``; returns the entries."""
    entries = []
    for i in range(count):
        entries.append(authoring.record_decision(
            store, decision_maker=f"Dr Decider {i}", decision_maker_role="Director on-call",
            decision=f"Decision {i}: open escalation beds at Trust One",
            rationale=f"Rationale {i}: 14 patients waiting over 12 hours", recorded_by="Room support",
            decided_at=start + timedelta(minutes=step_minutes * i),
            options_considered="Do nothing: rejected, waits rising",
            information_available="ED sitrep 00:15",
            situation_snapshot={"system_opel": 3, "offload": {"RTEST1": {"mean_minutes": 71.5}}},
            **extra))
    return entries


def synced(*desks):
    """Each desktop syncs twice in turn, so each has pushed and then pulled the others' records."""
    for desk in desks + desks:
        assert desk.run_once().error is None


def chase(desk, now):
    """The overdue-action chase, as the window's housekeeping runs it."""
    with desk.store.writing() as s:
        actions_due.chase_overdue(s, now)


def open_chases(desk) -> set[str]:
    """The actions the chase has an open alert for."""
    with desk.store.session() as s:
        return {a.action_uuid for a in s.query(AlertEvent).filter(AlertEvent.rule_code == actions_due.RULE_CODE,
                                                                  AlertEvent.cleared_at.is_(None))}


class ActionGiven(NamedTuple):
    a: Any   # the desktop that recorded the decision
    b: Any
    now: datetime
    gave: Any   # the decision's outcome
    old: str   # the action's uuid


@pytest.fixture
def action_given(sqlite_hub, make_desktop) -> ActionGiven:
    """Two desktops through a real hub on loopback, both holding a decision (recorded on ``a`` an hour ago) that
    gave "Call RAA site manager" to Sam Wrong, due half an hour ago."""
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave = decisions.record_decision(a.store, decisions.NewDecision(
        "Dr Lead", "Director on-call", "Open the discharge lounge early", "Corridor care at RAA",
        "Dr Lead", now - timedelta(hours=1)),
        [decisions.NewAction("Call RAA site manager", "Sam Wrong", now - timedelta(minutes=30))])
    synced(a, b)
    return ActionGiven(a, b, now, gave, gave.uuids[0])
