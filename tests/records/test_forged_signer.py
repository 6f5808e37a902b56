"""A name typed into a record by someone holding another token is never shown alone as the doer (H-06).

A desktop signs what it writes with a person's name inside the record's ``data``; the hub vouches only for
the user of the token that pushed it (the envelope's ``author``).  Before, every desktop showed the name in
``data`` as the doer: anyone with a desktop token could acknowledge an alert, mark an action done, check a
contact, add a rota slot, step a transfer, change an alert rule or take a phoned-in call "as" the Director.
Now every desktop names the token's user first when the two differ (``models.record_signer``), and a person
with a token of their own is named as they signed.  A real hub on loopback, real encrypted replicas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from models.records import actions_due
from models.replica.orm import Action, AlertEvent, Contact, OnCallShift, QuarantinedRecord
from models.replica.orm.types import utcnow
from models.service import alerts as alert_service
from models.service import contacts as contacts_door
from models.service import messages
from models.service import phoned_in as phoned_door
from models.service import transfers as transfers_door
from models import record_signer
from sync import authoring
from sync.client import HubClient
from sync.engine import SyncEngine
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync import messages_world

NAME = "Dr Asha Director"
FORGED = f'test-room_support (signed "{NAME}")'   # how every desktop shows it: the forger's token first
RULE = {"id": "critcon_forged", "name": "A unit reported CRITCON 2 or above", "kind": "level",
        "scope": "provider", "metric": "critcon_level", "raise": 2, "clear": 2, "severity": "warning"}
ORG = "RTEST2"


@pytest.fixture
def desk(tmp_path):
    stores = []

    def make(hub, name, token):
        store = fresh_replica(tmp_path / name / "scc.db", PASSPHRASE, kdf=FAST_KDF)
        stores.append(store)
        return SyncEngine(store, HubClient(hub.url, token))

    yield make
    for store in stores:
        store.close()


def _sync(*desks):
    for d in desks:
        result = d.run_once()
        assert result.error is None, result.error


def _room(room, now):
    """The room's own records, made on its desktop: a contact, an overdue action, a transfer case."""
    contact = authoring.upsert_contact(room.store, author="Lead A", name="Dr Ben Oncall", organisation="Test ICB")
    action = authoring.add_action(room.store, description="Phone Trust One", owner="Room support", author="Lead A",
                                  due_at=now - timedelta(hours=2))
    case = transfers_door.open_case(room.store, transfers_door.NewTransfer("T-9001", "inter_hospital", "RAA", "RBB"),
                                    "Lead A").uuid
    return contact, action, case


def _act_as(d, name, contact, action, case, now):
    """Everything a desktop signs, signed ``name``."""
    with d.store.session() as s, s.begin():
        [alert] = actions_due.chase_overdue(s, now).raised
    assert authoring.ack_alert(d.store, alert, name, "on it", at=now)
    assert authoring.complete_action(d.store, action, name, now)
    assert contacts_door.check_contact(d.store, contact, name).applied
    authoring.add_on_call_shift(d.store, rota="Director on-call", contact_uuid=contact, starts_at=now,
                                ends_at=now + timedelta(hours=12), author=name)
    assert transfers_door.step(d.store, case, "accepted", name, now).applied
    assert alert_service.add_rule(d.store, RULE, name, now).applied
    assert phoned_door.record_figures(d.store, org_code=ORG, phoned_at=now - timedelta(minutes=5),
                                      caller_name="Sam Patel", caller_role="Site manager", taken_by=name,
                                      figures={"ga_bed_occupancy_pct": 97.0}).applied
    messages_world.seed(d.store, now)   # its directory's bed managers (seeded here: the message is the point)
    messages.send_message(d.store, template="free_text", groups=[messages_world.BED], sender=name,
                          values={"headline": "Beds", "message": "Two G&A beds wanted"}, now=now)
    return alert


def _who(d, contact, action, case, alert, now) -> dict[str, str | None]:
    """Who each record is shown as done by on desktop ``d``, as its views read it."""
    with d.store.session() as s:
        who = {"acknowledged": s.get(AlertEvent, alert).acknowledged_by,
               "done": s.get(Action, action).done_by,
               "checked": s.get(Contact, contact).checked_by,
               "rota slot added": s.scalars(select(OnCallShift.added_by)).one()}
        assert s.scalars(select(QuarantinedRecord)).all() == []
    [step] = {h.author for h in transfers_door.history(d.store, case).lines if "accepted" in h.what}
    who["transfer step"] = step   # its status and its time, one step
    who["rule changed"] = {r.rule.id: r for r in alert_service.rules_page(d.store).rules}[RULE["id"]].changed_by
    who["call taken"] = phoned_door.marks(d.store, now)[ORG].taken_by
    [who["message sent"]] = [m.sent_by for m in messages.sent_messages(d.store)]
    return who


def test_a_name_signed_with_another_persons_token_is_never_shown_alone_as_the_doer(sqlite_hub, desk):
    room = desk(sqlite_hub, "room", sqlite_hub.tokens["room_lead"])
    other = desk(sqlite_hub, "other", sqlite_hub.tokens["room_lead"])
    forger = desk(sqlite_hub, "forger", sqlite_hub.tokens["room_support"])   # user "test-room_support"
    now = utcnow()
    made = _room(room, now)
    _sync(room, other, forger)
    alert = _act_as(forger, NAME, *made, now)
    _sync(forger, room, other, forger)
    for d in (room, other, forger):   # the forger's own desktop too, once the hub has its records
        who = _who(d, *made, alert, now)
        assert who == dict.fromkeys(who, FORGED), who   # before: NAME alone, eight times


def test_a_person_with_a_token_of_their_own_is_shown_as_they_signed(sqlite_hub, desk):
    """No noise where the hub vouches for the name: a token per person (its user "asha.director" is the
    same name, case, spaces and punctuation aside)."""
    room = desk(sqlite_hub, "room", sqlite_hub.tokens["room_lead"])
    other = desk(sqlite_hub, "other", sqlite_hub.tokens["room_lead"])
    asha = desk(sqlite_hub, "asha", sqlite_hub.create_token("asha.director", "director_on_call"))
    now = utcnow()
    made = _room(room, now)
    _sync(room, other, asha)
    alert = _act_as(asha, "Asha Director", *made, now)
    _sync(asha, room, other, asha)
    for d in (room, other, asha):
        who = _who(d, *made, alert, now)
        assert who == dict.fromkeys(who, "Asha Director"), who


@pytest.mark.parametrize("claimed, account, device, shown", [
    ("Sam Patel", "Room lead", "d1", 'Room lead (signed "Sam Patel")'),
    ("Sam Patel", "sam.patel", "d1", "Sam Patel"),                     # the same person's own token
    (" Sam  Patel ", "SAM PATEL", "d1", "Sam  Patel"),
    ("Sam Patel", None, "d1", "Sam Patel"),                            # no stamp: as signed, as before
    ("Sam Patel (snoozed)", "hub", "hub", "Sam Patel (snoozed)"),      # the hub's own record
    ("Sam Patel", "hub", "d1", 'hub (signed "Sam Patel")'),            # a token whose user is "hub"
    (None, "Room lead", "d1", "Room lead"), (42, "Room lead", "d1", "Room lead"), ("  ", None, "d1", None),
    ("—", "–", "d1", '– (signed "—")'),                                # no letters: compared as written
])
def test_the_name_shown(claimed, account, device, shown):
    assert record_signer.shown(claimed, account, device) == shown


def test_the_name_shown_is_at_most_120_characters_and_keeps_the_account_whole():
    got = record_signer.shown("N" * 300, "Room lead", "d1")
    assert len(got) == 120 and got.startswith('Room lead (signed "NNN') and got.endswith('N…")')
    assert len(record_signer.shown("N" * 300, "A" * 200, "d1")) == 120
