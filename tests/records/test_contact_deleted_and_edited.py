"""A contact deleted on one desktop while another, offline, gave it a new number, through a real hub on
loopback: it stays in the directory with the new number on both, and the deletion is listed as the value
not kept (before, it was gone on both with no conflict anywhere)."""

from __future__ import annotations

from models.records import contacts
from models.replica.orm import Contact
from sync import authoring


def test_an_edit_made_without_seeing_a_deletion_keeps_the_contact_and_says_so(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One",
                                   phone="01632 960001")
    for desk in (a, b):
        assert desk.run_once().error is None
    authoring.delete_contact(a.store, uid, "Lead A")
    authoring.upsert_contact(b.store, author="Lead B", contact_uuid=uid, phone="07700 900123")   # B offline
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            c = s.get(Contact, uid)
            assert (c.deleted, c.phone) == (False, "07700 900123")
            found = [(k.field, k.kept, k.not_kept) for k in contacts.conflicts(s, uid)]
            assert found == [("deleted", False, True)]
            shown = contacts.ContactIndex.from_session(s).search("bloggs")[0]
            assert shown.conflicts == ("deleted and edited on two desktops without seeing each other: it stays in "
                                       "the directory; check with whoever did the other",)
    # Deleted again, seeing it: it goes, on both.
    authoring.delete_contact(a.store, uid, "Lead A")
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            assert s.get(Contact, uid).deleted is True


def test_a_deletion_made_offline_after_an_edit_still_deletes(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One",
                                   phone="01632 960001")
    for desk in (a, b):
        assert desk.run_once().error is None
    authoring.upsert_contact(b.store, author="Lead B", contact_uuid=uid, phone="07700 900123")
    assert b.run_once().error is None       # the edit reaches the hub first
    authoring.delete_contact(a.store, uid, "Lead A")   # A, not yet synced, deletes it
    for desk in (a, b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        with desk.store.session() as s:
            assert s.get(Contact, uid).deleted is True
