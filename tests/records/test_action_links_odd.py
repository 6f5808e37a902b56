"""A decision's links are a list the hub takes as any JSON values (a newer desktop may send more than this
one reads). One that also holds a plain text item beside an ``action_withdrawn`` or ``action_reassigned``
link made SQLite's json_extract read that text as JSON ("malformed JSON"): the open actions, the chase, the
decision log's withdrawals and the board report's action counts failed on every desktop that received it.
Two desktops through a real hub on loopback (real encrypted replicas)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.records import action_reassign, action_withdraw, actions_due
from models.replica.orm.types import utcnow
from models.reports import period_reads
from models.service import actions as door
from models.uk_time import UK
from sync import authoring
from tests.records.conftest import synced
from tests.records.test_action_withdrawn import ROLE, _gave

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("kind", ["action_withdrawn", "action_reassigned"])
def test_a_text_link_beside_an_action_link_breaks_nothing(sqlite_hub, make_desktop, kind):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave, moot = _gave(a, now)
    authoring.record_decision(a.store, decision_maker="Dr Lead", decision_maker_role=ROLE,
                              decision="Withdraw the bed search", rationale="The patient went home",
                              recorded_by="Dr Lead", amends_uuid=gave.uuid,
                              links=[{"kind": kind, "action_uuid": moot}, "said on the 09:00 call"])
    synced(a, b)
    for desk in (a, b):
        with desk.store.session() as s:
            action_withdraw.withdrawals(s)
            action_reassign.reassignments(s)
        with desk.store.writing() as s:
            actions_due.chase_overdue(s, now)
        door.actions_page(desk.store, now)
        today = now.date()
        period_reads.read_period(desk.store, today - timedelta(days=1), today, now + timedelta(hours=1))
    with b.store.session() as s:
        found = action_withdraw.withdrawals(s) if kind == "action_withdrawn" else action_reassign.reassignments(s)
    assert set(found) == {moot}


def test_a_withdrawal_link_naming_no_action_leaves_the_board_report_counting(sqlite_hub, make_desktop):
    """``uuid NOT IN (a list holding NULL)`` is never true: one link of a withdrawing kind without an action's
    uuid made the board report's 'due but not done by the end' read 0 for every action."""
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    _gave(a, now)   # one action due half an hour ago, one in two hours
    authoring.record_decision(a.store, decision_maker="Dr Lead", decision_maker_role=ROLE, decision="Noted",
                              rationale="A link from a newer desktop", recorded_by="Dr Lead",
                              links=[{"kind": "action_withdrawn"}])
    synced(a, b)
    # UK days from yesterday to the day of the later action's due time (after 22:00 that is tomorrow: a clean-clone
    # run at 22:05 counted 1, the period ending at midnight before it was due)
    today, last = (t.astimezone(UK).date() for t in (now, now + timedelta(hours=3)))
    read = period_reads.read_period(b.store, today - timedelta(days=1), last, now + timedelta(hours=3))
    assert read.actions.due_still_open == 2
