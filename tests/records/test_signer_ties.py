"""Two completions of one action, or two acknowledgements of one alert, at the same instant settle the
same on every desktop, the one that signed too (review r2, finding 4).  Ties are broken by the name every
desktop keeps (``models.record_signer``: the token's user first when the signed name differs); the signing
desktop holds its own under the signed name until the hub brings it back, so a tie with another's met
before that is settled again when it comes.  Real hub, three real encrypted replicas, two tokens."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.records import actions_due
from models.replica.orm import Action, AlertEvent, Contact
from models.replica.orm.types import utcnow
from sync import authoring
from tests.records.test_forged_signer import desk, _sync, _room  # noqa: F401

# (what the forger signs under the room_support token, the other person's own token user, which they sign
# with): the forger's name kept ("zoe" sorts after "test-room_support"), or the other's.
NAMES = [("Ann", "Bob"), ("Zed", "Bob"), ("Ann", "zoe")]


def _desks(hub, desk, user):
    room = desk(hub, "room", hub.tokens["room_lead"])
    forger = desk(hub, "forger", hub.tokens["room_support"])   # test-room_support
    bob = desk(hub, "bob", hub.create_token(user, "room_support"))
    return room, forger, bob


def _expected(forged: str, bob: str) -> str:
    return min(f'test-room_support (signed "{forged}")', bob)


@pytest.mark.parametrize("forger_last", [True, False])
@pytest.mark.parametrize("forged,own", NAMES)
def test_action_done_at_the_same_instant_by_two_desktops_agrees_everywhere(sqlite_hub, desk, forged, own,
                                                                          forger_last):
    room, forger, bob = _desks(sqlite_hub, desk, own)
    now = utcnow().replace(microsecond=0)
    _contact, action, _case = _room(room, now)
    _sync(room, forger, bob)
    assert authoring.complete_action(forger.store, action, forged, now)
    assert authoring.complete_action(bob.store, action, own, now)
    first, second = (bob, forger) if forger_last else (forger, bob)
    _sync(first, room, second, first, room, second)
    got = {}
    for name, d in (("room", room), ("forger", forger), ("bob", bob)):
        with d.store.session() as s:
            got[name] = s.get(Action, action).done_by
    assert set(got.values()) == {_expected(forged, own)}, got


@pytest.mark.parametrize("forger_last", [True, False])
@pytest.mark.parametrize("forged,own", NAMES)
def test_ack_at_the_same_instant_agrees_everywhere(sqlite_hub, desk, forged, own, forger_last):
    room, forger, bob = _desks(sqlite_hub, desk, own)
    now = utcnow().replace(microsecond=0)
    _room(room, now)
    _sync(room, forger, bob)
    for d in (room, forger, bob):
        with d.store.session() as s, s.begin():
            [alert] = actions_due.chase_overdue(s, now).raised
    assert authoring.ack_alert(forger.store, alert, forged, "x", at=now)
    assert authoring.ack_alert(bob.store, alert, own, "y", at=now)
    first, second = (bob, forger) if forger_last else (forger, bob)
    _sync(first, room, second, first, room, second)
    got = {}
    for name, d in (("room", room), ("forger", forger), ("bob", bob)):
        with d.store.session() as s:
            got[name] = s.get(AlertEvent, alert).acknowledged_by
    assert set(got.values()) == {_expected(forged, own)}, got


def test_contact_last_changed_by_same_on_every_desktop(sqlite_hub, desk):
    room = desk(sqlite_hub, "room", sqlite_hub.tokens["room_lead"])
    other = desk(sqlite_hub, "other", sqlite_hub.tokens["room_lead"])
    forger = desk(sqlite_hub, "forger", sqlite_hub.tokens["room_support"])
    now = utcnow()
    contact, _action, _case = _room(room, now)
    _sync(room, other, forger)
    authoring.upsert_contact(forger.store, author="Dr Asha Director", contact_uuid=contact, role="Consultant")
    _sync(forger, room, other, forger)
    got = {}
    for name, d in (("room", room), ("other", other), ("forger", forger)):
        with d.store.session() as s:
            c = s.get(Contact, contact)
            got[name] = (c.updated_by, c.checked_by, c.role)
    assert set(got.values()) == {('test-room_support (signed "Dr Asha Director")',) * 2 + ("Consultant",)}, got
