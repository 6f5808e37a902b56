"""Who added a rota slot (H-05): a slot added on one desktop (by hand or from a rota CSV) carries its author
to every other desktop through a real hub on loopback, where the rota says who added it; before, the other
desktop said "another desktop" because the replica kept a received slot's author nowhere.  A slot record
with no author (or one that is not text) still lands, naming the token's user that pushed it, and a slot record
carrying a field this desktop does not know is applied, not quarantined (the feed's records keep unknown
``data`` fields, as a newer desktop's would)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from models.records import on_call
from models.replica.orm import OnCallShift, QuarantinedRecord
from models.replica.orm.types import to_utc_text, utcnow
from sync import authoring, outbox
from sync.protocol import RecordPush
from tests.support.hub import shown_as


def _sync(*desks):
    for desk in desks:
        result = desk.run_once()
        assert result.error is None, result.error


def _added_by(desk, start, end) -> dict[tuple[str, str], str | None]:
    with desk.store.session() as s:
        return {(x.contact.name, x.starts_at.isoformat()): x.added_by for x in on_call.shifts_between(s, start, end)}


def _quarantined(desk):
    with desk.store.session() as s:
        return [(q.source, q.errors) for q in s.scalars(select(QuarantinedRecord))]


def _raw_slot(desk, contact_uuid, starts_at, hours, **data) -> str:
    """A slot record pushed as another build of the desktop might write it (no author, or more fields)."""
    uid = str(uuid.uuid4())
    with desk.store.writing() as s:
        outbox.enqueue(s, RecordPush(uuid=str(uuid.uuid4()), kind="on_call_shift", device_id=authoring.device_id(s),
                                     authored_at=utcnow(), data={
                                         "op": "create", "shift_uuid": uid, "rota": "Director on-call",
                                         "contact_uuid": contact_uuid, "starts_at": to_utc_text(starts_at),
                                         "ends_at": to_utc_text(starts_at + timedelta(hours=hours)), **data}))
    return uid


def test_a_slot_added_on_one_desktop_says_who_added_it_on_the_other(sqlite_hub, make_desktop, tmp_path):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    ada = authoring.upsert_contact(a.store, author="Lead A", name="Dr Ada Director", organisation="Test ICB")
    authoring.upsert_contact(a.store, author="Lead A", name="Dr Ben Director", organisation="Test ICB")
    day = (utcnow() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    authoring.add_on_call_shift(a.store, rota="Director on-call", contact_uuid=ada, starts_at=day,
                                ends_at=day + timedelta(hours=12), author="Lead A")
    path = tmp_path / "rota.csv"
    night = day + timedelta(hours=12)
    path.write_text("rota,name,starts_at,ends_at\n"
                    f"Director on-call,Dr Ben Director,{night.isoformat()},"
                    f"{(night + timedelta(hours=12)).isoformat()}\n",
                    encoding="utf-8")
    assert len(authoring.import_on_call(a.store, path, "Rota Importer").created) == 1
    _sync(a, b)
    # Every desktop names it alike once the hub has it: the signed name after the token's user, which is
    # all the hub vouches for (models.record_signer; this room's desktops share one token).
    expected = {("Dr Ada Director", day.isoformat()): shown_as("Lead A"),
                ("Dr Ben Director", night.isoformat()): shown_as("Rota Importer")}
    assert _added_by(a, day, day + timedelta(days=2)) == expected
    assert _added_by(b, day, day + timedelta(days=2)) == expected     # before: None, shown "another desktop"
    assert _quarantined(b) == []


def test_a_slot_record_without_an_author_or_with_unknown_fields_lands_and_is_not_quarantined(sqlite_hub,
                                                                                         make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    ada = authoring.upsert_contact(a.store, author="Lead A", name="Dr Ada Director", organisation="Test ICB")
    day = (utcnow() + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    none = _raw_slot(a, ada, day, 2)                                               # no author at all
    odd = _raw_slot(a, ada, day + timedelta(hours=2), 2, author=42)               # an author that is not text
    blank = _raw_slot(a, ada, day + timedelta(hours=4), 2, author="   ")
    newer = _raw_slot(a, ada, day + timedelta(hours=6), 2, author="Lead Next", added_from="kiosk 3",
                      reason={"why": "a field this build does not know"})
    long_name = _raw_slot(a, ada, day + timedelta(hours=8), 2, author="N" * 300)
    _sync(a, b)
    assert _quarantined(b) == []
    with b.store.session() as s:
        got = {uid: s.get(OnCallShift, uid).added_by for uid in (none, odd, blank, newer, long_name)}
    # Naming nobody usable, the slot says the token's user that pushed it (before: "another desktop");
    # a long name is cut so the whole stays within 120 characters, never the account.
    assert got == {none: "test-room_lead", odd: "test-room_lead", blank: "test-room_lead",
                   newer: shown_as("Lead Next"), long_name: 'test-room_lead (signed "' + "N" * 93 + '…")'}
    assert len(got[long_name]) == 120
