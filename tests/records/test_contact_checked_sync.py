"""A contact's "last checked" (hazard H-05): "Checked now" on one desktop reaches another through a real hub on
loopback, with who checked it and when; an edit counts as a check; a check made offline earlier does not
undo a later one, on either desktop, whatever order the hub took them in; a deletion checks nothing; the hub
refuses a malformed ``checked`` naming the field.  Before, a contact had no checked date at all."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.records import contacts
from models.replica.orm import Contact
from models.replica.orm.types import utcnow
from models.service import contacts as door
from sync import authoring
from tests.support.hub import shown_as


def _checked(desk, uid):
    with desk.store.session() as s:
        c = s.get(Contact, uid)
        return c.checked_at, c.checked_by


def _sync(*desks):
    for desk in desks:
        assert desk.run_once().error is None


def test_a_check_made_on_one_desktop_reaches_the_other_with_who_and_when(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    before = utcnow()
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One",
                                   phone="01632 960001")
    _sync(a, b)
    made_at, made_by = _checked(a, uid)
    assert made_by == shown_as("Lead A") and made_at >= before - timedelta(seconds=1)
    assert _checked(b, uid) == (made_at, shown_as("Lead A"))   # adding a contact is its first check
    outcome = door.check_contact(b.store, uid, "Sam Checker")
    assert outcome.applied and outcome.changes.kinds
    at_b = _checked(b, uid)
    assert at_b[1] == "Sam Checker" and at_b[0] >= made_at    # as signed, until the hub has it
    _sync(b, a)
    at_b = (at_b[0], shown_as("Sam Checker"))
    assert _checked(a, uid) == at_b == _checked(b, uid)
    with a.store.session() as s:                              # the view's data carries it
        shown = contacts.ContactIndex.from_session(s).search("bloggs")[0]
        assert (shown.checked_at, shown.checked_by) == at_b
        assert s.get(Contact, uid).phone == "01632 960001"    # a check changes no field


def test_an_edit_counts_as_a_check_and_a_deletion_does_not(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    _sync(a, b)
    authoring.upsert_contact(b.store, author="Lead B", contact_uuid=uid, phone="07700 900123")
    _sync(b, a)
    edited = _checked(b, uid)
    assert edited[1] == shown_as("Lead B") and _checked(a, uid) == edited
    authoring.delete_contact(a.store, uid, "Lead A")
    _sync(a, b)
    assert _checked(a, uid) == edited == _checked(b, uid)
    assert door.check_contact(a.store, uid, "Lead A").applied is False   # a deleted contact is not checked
    with pytest.raises(ValueError, match="^contact: no contact"):
        door.check_contact(a.store, "00000000-0000-4000-8000-000000000000", "Lead A")


def test_the_latest_check_stands_on_both_desktops_whatever_order_the_hub_took_them(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    _sync(a, b)
    door.check_contact(a.store, uid, "Early A")      # A checks first, offline
    door.check_contact(b.store, uid, "Later B")      # then B
    later = _checked(b, uid)
    _sync(b, a, b)                                   # the hub takes B's check first, A's earlier one after it
    assert _checked(a, uid) == (later[0], shown_as("Later B")) == _checked(b, uid)


def test_the_hub_refuses_a_check_that_is_not_true_or_false(sqlite_hub, make_desktop):
    a = make_desktop(sqlite_hub, "a")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    _sync(a)
    from sync.record_shapes import contact
    assert contact({"contact_uuid": uid, "changes": {}, "checked": "yes", "author": "x"}) == [
        ("checked", "expected true or false, got str")]
    assert contact({"contact_uuid": uid, "changes": {}, "checked": True, "author": "x"}) == []


def test_the_command_line_lists_when_each_contact_was_checked(store, store_path, cli_env, capsys):
    import json

    from scc_desktop import cli
    uid = authoring.upsert_contact(store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    authoring.check_contact(store, uid, "Sam Checker")
    assert cli.main(["contacts", "search", "bloggs", "--json", "--path", str(store_path)]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert found["checked_by"] == "Sam Checker" and found["checked_at"].endswith("+00:00")
    now = utcnow()
    authoring.add_on_call_shift(store, rota="Director on-call", contact_uuid=uid, starts_at=now - timedelta(hours=1),
                                ends_at=now + timedelta(hours=1), author="Lead A")
    assert cli.main(["contacts", "on-call", "--json", "--path", str(store_path)]) == 0   # before: not JSON-able
    (on_call,) = json.loads(capsys.readouterr().out)
    assert on_call["contact"]["checked_by"] == "Sam Checker"


def test_a_check_held_from_a_desktop_whose_clock_is_ahead_stays_on_every_desktop(sqlite_hub, make_desktop):
    """Both desktops hold a check stamped an hour ahead (a desktop whose clock is fast made it); B checks now:
    every desktop applies the later stamp, so B keeps the one held too (before, B showed its own, A the other)."""
    from sqlalchemy import text

    from models.replica.utc import to_utc_text
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    _sync(a, b)
    ahead = utcnow() + timedelta(hours=1)
    for desk in (a, b):
        with desk.store.writing() as w:
            w.execute(text("UPDATE contact SET checked_at = :at, checked_by = 'Fast clock' WHERE uuid = :u"),
                      {"at": to_utc_text(ahead), "u": uid})
    door.check_contact(b.store, uid, "Lead B")
    _sync(b, a, b)
    assert _checked(a, uid) == _checked(b, uid) == (ahead, "Fast clock")


def test_a_check_stamped_by_a_clock_a_year_fast_is_kept_at_the_hubs_receipt_on_every_desktop(sqlite_hub, make_desktop,
                                                                                           monkeypatch):
    """A desktop whose clock is a year fast presses "Checked now": its stamp was kept on every desktop (the latest
    wins), so the contact read 'checked today' for a year, left the 'Not checked in 90 days' list and the
    data-quality finding, and every later check lost to it.  Now a stamp later than the hub's receipt of the
    record is taken as that receipt, on every desktop (the sender's own too, when the feed brings it back).
    The fast clock is forced (sync.authoring's utcnow): this machine's clock cannot be set."""
    import sync.authoring as authoring_module
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    uid = authoring.upsert_contact(a.store, author="Lead A", name="Jo Bloggs", organisation="Test Acute Trust One")
    _sync(a, b)
    real = authoring_module.utcnow
    monkeypatch.setattr(authoring_module, "utcnow", lambda: real() + timedelta(days=365))
    door.check_contact(a.store, uid, "Fast A")
    monkeypatch.setattr(authoring_module, "utcnow", real)
    _sync(a, b, a)
    at_a, at_b = _checked(a, uid), _checked(b, uid)
    assert at_a == at_b, (at_a, at_b)
    assert at_a[1] == shown_as("Fast A") and at_a[0] <= utcnow() + timedelta(minutes=1), at_a
    door.check_contact(b.store, uid, "Lead B")   # a later check stands, as any would
    _sync(b, a)
    assert _checked(a, uid)[1] == _checked(b, uid)[1] == shown_as("Lead B")
