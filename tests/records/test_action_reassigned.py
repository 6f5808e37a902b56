"""An action given to the wrong owner is reassigned, on two desktops through a real hub on loopback: a
decision amending the one that gave it says who it goes to and why, the action under its new owner is
chased, the old one is neither open nor chased nor marked done, and the log verifies on both. Before,
the only way off the list was "Done", a completion nobody made."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.records import verify as records_verify
from models.replica.orm import Action, DecisionEntry
from models.replica.orm.types import utcnow
from models.service import actions as door
from models.service import decisions
from tests.records.conftest import chase, open_chases, synced


def test_an_action_given_to_the_wrong_owner_is_reassigned_in_the_log_not_marked_done(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    now = utcnow()
    gave = decisions.record_decision(a.store, decisions.NewDecision(
        "Dr Lead", "Director on-call", "Open the discharge lounge early", "Corridor care at RAA",
        "Dr Lead", now - timedelta(hours=1)),
        [decisions.NewAction("Call RAA site manager", "Sam Wrong", now - timedelta(minutes=30)),
         decisions.NewAction("Tell the ambulance service", "Alex Room", now + timedelta(hours=2))])
    old = gave.uuids[0]
    synced(a, b)
    chase(b, now)
    assert open_chases(b) == {old}

    with pytest.raises(ValueError, match="^reason: "):
        door.reassign_action(a.store, old, "Pat Right", " ", "Dr Lead", "Director on-call", now)
    with pytest.raises(ValueError, match="^owner: "):
        door.reassign_action(a.store, old, "Sam Wrong", "x", "Dr Lead", "Director on-call", now)
    out = door.reassign_action(a.store, old, "Pat Right", "Sam is off today; Pat is the site lead",
                               "Dr Lead", "Director on-call", now)
    [new] = out.uuids
    with pytest.raises(ValueError, match="reassigned already"):
        door.reassign_action(a.store, old, "Jo Other", "again", "Dr Lead", "Director on-call", now)
    synced(a, b)
    for desk in (a, b):
        chase(desk, now + timedelta(minutes=1))
        page = door.actions_page(desk.store, now + timedelta(minutes=1))
        shown = {(i.description, i.owner, i.overdue) for i in page.actions}
        assert shown == {("Call RAA site manager", "Pat Right", True), ("Tell the ambulance service", "Alex Room",
                                                                         False)}, desk
        assert open_chases(desk) == {new}, desk   # the new owner's action is chased, the old one no more
        with desk.store.session() as s:
            assert s.get(Action, old).done_at is None   # never a completion nobody made
            entry = s.get(DecisionEntry, out.uuid)
            assert entry.amends_uuid == gave.uuid and "Sam is off today" in entry.rationale
            assert "from Sam Wrong to Pat Right" in entry.decision
            report = records_verify.verify(s)
        assert report.intact, [p for p in report.problems]
