"""Contacts not checked in 90 days, as a data-quality finding (hazard H-05): one finding naming how many and
which, the longest unchecked first, on a real encrypted replica of 300 contacts, run by the window's
housekeeping pass; a check or an edit takes a contact off it; it clears when every contact is checked; a
deleted contact is never named.  Before, no check read the directory at all."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from models.records import quality
from models.records.housekeeping import assess_quality, chores
from models.replica.orm.types import utcnow
from models.replica.utc import to_utc_text
from models.rules.quality.contacts_unchecked import CHECK_DUE_DAYS, age_words
from models.service import quality as door
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401


def _age(store, uid: str, days: float) -> None:
    """The contact as last checked ``days`` ago (a directory kept for months, made in a moment)."""
    with store.writing() as w:
        w.execute(text("UPDATE contact SET checked_at = :at WHERE uuid = :u"),
                  {"at": to_utc_text(utcnow() - timedelta(days=days)), "u": uid})


def _open(store):
    return [f for f in door.open_findings(store, check="contact_unchecked")]


def _run(store, now):
    with store.writing() as w:
        return quality.refresh(w, now)


def test_one_finding_names_how_many_contacts_are_overdue_and_which(store):
    now = utcnow()
    uids = [authoring.upsert_contact(store, author="Seed", name=f"Site manager {i:03d}",
                                     organisation=f"Trust {i % 40} NHS Trust", phone=f"0113 496 {i:04d}")
            for i in range(300)]
    _run(store, now)
    assert _open(store) == []                               # all added just now: checked
    for n, uid in enumerate(uids[:25]):
        _age(store, uid, CHECK_DUE_DAYS + 1 + n)            # 25 overdue, 91 to 115 days
    _age(store, uids[25], CHECK_DUE_DAYS - 1)               # 89 days: not yet
    _age(store, uids[26], 400)                              # overdue, but deleted: never named
    authoring.delete_contact(store, uids[26], "Seed")
    _run(store, now)
    (found,) = _open(store)
    assert found.org_code is None and found.severity == "warning"
    assert found.detail.startswith(f"25 contacts not checked in {CHECK_DUE_DAYS} days: Site manager 024 "
                                   "(Trust 24 NHS Trust), last checked ")
    assert "Site manager 005" in found.detail and "and 5 more" in found.detail   # the 20 longest unchecked named
    assert "Site manager 004" not in found.detail and "Site manager 026" not in found.detail
    assert "“Checked now”" in found.detail
    # Checked (one), edited (another): 23 left, the same finding, its detail says so.
    authoring.check_contact(store, uids[24], "Sam Checker")
    authoring.upsert_contact(store, author="Sam Checker", contact_uuid=uids[23], phone="07700 900123")
    _run(store, now)
    (again,) = _open(store)
    assert again.id == found.id and again.detail.startswith("23 contacts not checked")
    assert "Site manager 024" not in again.detail and "Site manager 023" not in again.detail
    for uid in uids[:23]:
        authoring.check_contact(store, uid, "Sam Checker")
    result = _run(store, now)
    assert result.cleared == 1 and _open(store) == []


def test_the_window_housekeeping_pass_raises_it(store):
    uid = authoring.upsert_contact(store, author="Seed", name="Jo Bloggs", organisation="Test Acute Trust One")
    _age(store, uid, 120)
    now = utcnow()
    with store.session() as s:
        assessed = assess_quality(s, now)
    with store.writing() as w:
        assert "data_quality" in chores(w, now, assessed)
    (found,) = _open(store)
    assert found.detail.startswith("1 contact not checked in 90 days: Jo Bloggs (Test Acute Trust One), last checked")


def test_the_age_in_words():
    now = utcnow()
    assert age_words(now, now) == "checked today"
    assert age_words(now - timedelta(days=3), now) == "checked 3 days ago"
    assert age_words(now - timedelta(days=120), now) == "⚠ not checked for 120 days"
    assert age_words(None, now) == "⚠ never checked"
