"""Directory search, who is on call, and the merge rule for contact edits."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from models.records import contacts
from models.records.contacts import merge_field
from scc_desktop import cli
from sync import authoring

UTC = timezone.utc


def _add(store, **fields):
    return authoring.upsert_contact(store, author="Room lead", **fields)


@pytest.fixture
def directory(store):
    ids = {
        "zoe": _add(store, name="Zoë Adeyemi", organisation="Test Acute Trust One", role="Site manager",
                    service="acute", phone="01632 960001"),
        "adam": _add(store, name="Adam Zoeller", organisation="Test Ambulance Service",
                     role="Hospital ambulance liaison", service="ambulance", phone="020 7946 0002"),
        "mh": _add(store, name="Priya Shah", organisation="Test Mental Health Trust", role="Bed manager",
                   service="mental_health", org_code="RMH1"),
        "gone": _add(store, name="Zoe Former", organisation="Test ICB", role="Old role", service="icb"),
    }
    authoring.delete_contact(store, ids["gone"], "Room lead")
    return ids


def _names(store, text, limit=50):
    with store.session() as s:
        return [c.name for c in contacts.search(s, text, limit)]


def test_search_matches_every_word_across_fields_ignoring_case_and_accents(store, directory):
    assert _names(store, "zoe") == ["Zoë Adeyemi", "Adam Zoeller"]  # name start first; deleted left out
    assert _names(store, "ZOË site") == ["Zoë Adeyemi"]
    assert _names(store, "ambulance liaison") == ["Adam Zoeller"]
    assert _names(store, "mental") == ["Priya Shah"] == _names(store, "rmh1")
    assert _names(store, "7946") == ["Adam Zoeller"]  # phone digits
    assert _names(store, "bed acute") == []
    assert _names(store, "") == ["Adam Zoeller", "Priya Shah", "Zoë Adeyemi"]


def test_cli_search(store, store_path, directory, cli_env, capsys):
    assert cli.main(["contacts", "search", "liaison", "--path", str(store_path)]) == 0
    assert capsys.readouterr().out.strip() == ("Adam Zoeller | Hospital ambulance liaison | "
                                               "Test Ambulance Service | ambulance | 020 7946 0002")
    assert cli.main(["contacts", "search", "nobody", "--path", str(store_path)]) == 0
    assert "No contact matches." in capsys.readouterr().out


def test_search_narrows_on_every_keystroke_over_5000_contacts(store):
    with store.raw() as conn:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO contact (uuid, name, organisation, role, service, phone, cover, notes, deleted, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, 'both', '', 0, '2025-01-01T00:00:00.000000+00:00')",
            [(str(uuid.uuid4()), f"Person {i:04d} {['Smith', 'Jones', 'Patel', 'Nowak'][i % 4]}",
              f"Trust {i % 37}", ["Site manager", "Bed manager", "Director on-call"][i % 3],
              ["acute", "community", "mental_health", "nhs111"][i % 4], f"01632 {960000 + i}")
             for i in range(5000)])
        conn.execute("COMMIT")
    with store.session() as s:
        index = contacts.ContactIndex.from_session(s)
    typed = "person 1201 jones"
    narrowing = []
    for n in range(1, len(typed) + 1):  # as the user types, one query per keystroke
        found = index.search(typed[:n], limit=None)
        narrowing.append(len(found))
    # Speed is measured in benchmarks, not here; here: every keystroke narrows correctly.
    assert len(index) == 5000 and [c.name for c in found] == ["Person 1201 Jones"]
    assert narrowing == sorted(narrowing, reverse=True) and narrowing[0] == 5000
    assert len(index.search("jones", limit=None)) == 1250 and len(index.search("jones")) == 50


def _shift(store, rota, contact_uuid, start, end):
    with store.session() as s, s.begin():
        contacts.add_shift(s, rota=rota, contact_uuid=contact_uuid, starts_at=start, ends_at=end)


def test_on_call_now_uses_half_open_shifts_across_the_clock_change(store, directory, cli_env, store_path,
                                                                    capsys):
    # 30 Mar 2025: day shift 08:00-18:00 BST, night 18:00 BST to 08:00 BST next day.
    day_start, day_end = datetime(2025, 3, 30, 7, tzinfo=UTC), datetime(2025, 3, 30, 17, tzinfo=UTC)
    night_end = datetime(2025, 3, 31, 7, tzinfo=UTC)
    _shift(store, "Director on-call", directory["zoe"], day_start, day_end)
    _shift(store, "Director on-call", directory["adam"], day_end, night_end)
    _shift(store, "Mental health on-call", directory["mh"], day_start, night_end)

    def who(at, rota=None):
        with store.session() as s:
            return [(o.rota, o.contact.name) for o in contacts.on_call_at(s, at, rota)]

    assert who(day_end - timedelta(seconds=1)) == [("Director on-call", "Zoë Adeyemi"),
                                                   ("Mental health on-call", "Priya Shah")]
    assert who(day_end, "Director on-call") == [("Director on-call", "Adam Zoeller")]  # handover instant
    assert who(night_end) == []
    assert who(day_start - timedelta(microseconds=1)) == []
    with pytest.raises(ValueError, match="UTC offset"):
        who(datetime(2025, 3, 30, 12))
    # The CLI takes a UK wall-clock time: 18:00 BST is 17:00 UTC.
    assert cli.main(["contacts", "on-call", "--at", "2025-03-30T18:00", "--rota", "Director on-call",
                     "--path", str(store_path)]) == 0
    out = capsys.readouterr().out
    assert "Adam Zoeller" in out and "Zoë" not in out and "18:00 BST" in out


@pytest.mark.parametrize("current,old,new,pending,own,value,conflict,not_kept", [
    ("A", "A", "B", False, False, "B", False, None),   # clean change
    ("B", "A", "B", False, False, "B", False, None),   # already applied (echo or same edit)
    ("C", "A", "B", False, False, "B", True, "C"),     # concurrent edit: later at the hub wins
    ("C", "A", "B", False, True, "B", False, None),    # this desktop's own echo catching up
    ("C", "A", "B", True, False, "C", True, "B"),      # our later local edit will win
    ("C", "A", "B", True, True, "C", False, None),     # own older edit; our newer one is pending
    (None, None, "x", False, False, "x", False, None),  # new value for an empty field
])
def test_merge_rule_truth_table(current, old, new, pending, own, value, conflict, not_kept):
    m = merge_field(current, old, new, local_pending=pending, own_edit=own)
    assert (m.value, bool(m.conflict), m.not_kept) == (value, conflict, not_kept)
    assert m.changed == (value != current)
