"""Who is emailed about an unacknowledged alert, and when (models.rules.escalation): the edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from models.rules.escalation import CoreHours, OpenAlert, Person, Policy, Shift, due, recipient

UTC = timezone.utc
FALLBACK = "scc-duty@example.nhs.uk"
POLICY = Policy(FALLBACK)
# Wed 14 Jan 2026 10:00 GMT: core hours.
RAISED = datetime(2026, 1, 14, 10, 0, tzinfo=UTC)
LEAD = Person("c-lead", "Sam Lead", "sam.lead@example.nhs.uk")
DIRECTOR = Person("c-dir", "Dr Priya Raman", "priya.raman@example.nhs.uk")
PEOPLE = {p.uuid: p for p in (LEAD, DIRECTOR)}


def alert(n=1, raised=RAISED, after=15.0, acked=None, severity="critical"):
    return OpenAlert(f"a-{n}", "opel_provider_4", "RTEST1", raised, acked, after, severity,
                     "RTEST1 at OPEL 4, was 3.", "A provider's OPEL level rose to 4")


def week_rota(start: datetime, days: int = 14, room_days: int = 5) -> list[Shift]:
    """Room lead 08:00-18:00 UK on weekdays (``room_days=7``: every day, the room's seven-day cover),
    Director on-call the rest, as the room would fill it."""
    from models.uk_time import UK
    shifts = []
    day = start.astimezone(UK).replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(days):
        d = (day + timedelta(days=i)).date()
        at = lambda h: datetime(d.year, d.month, d.day, h, tzinfo=UK)  # noqa: E731
        nxt = d + timedelta(days=1)
        midnight = datetime(nxt.year, nxt.month, nxt.day, tzinfo=UK)
        if d.weekday() < room_days:
            shifts.append(Shift(f"l{i}", "SCC room lead", LEAD.uuid, at(8), at(18)))
            shifts.append(Shift(f"d{i}a", "Director on-call", DIRECTOR.uuid, at(0), at(8)))
            shifts.append(Shift(f"d{i}b", "Director on-call", DIRECTOR.uuid, at(18), midnight))
        else:
            shifts.append(Shift(f"d{i}", "Director on-call", DIRECTOR.uuid, at(0), midnight))
    return shifts


ROTA = week_rota(RAISED - timedelta(days=3))


def test_due_from_the_second_its_time_is_up_and_not_before():
    a = alert()
    edge = RAISED + timedelta(minutes=15)
    assert due([a], set(), ROTA, PEOPLE, POLICY, edge - timedelta(seconds=1)) == []
    at_edge = due([a], set(), ROTA, PEOPLE, POLICY, edge)
    assert [(e.alert.id, e.to.address, e.due_at) for e in at_edge] == [("a-1", LEAD.email, edge)]
    after = due([a], set(), ROTA, PEOPLE, POLICY, edge + timedelta(seconds=1))
    assert [e.to.contact_uuid for e in after] == [LEAD.uuid] and not after[0].to.fallback


def test_acknowledged_just_before_its_time_is_never_due():
    edge = RAISED + timedelta(minutes=15)
    a = alert(acked=edge - timedelta(seconds=1))
    assert due([a], set(), ROTA, PEOPLE, POLICY, edge + timedelta(hours=3)) == []


def test_already_escalated_and_rules_without_a_time_are_never_due():
    late = RAISED + timedelta(hours=2)
    assert due([alert(1)], {"a-1"}, ROTA, PEOPLE, POLICY, late) == []
    assert due([alert(2, after=None)], set(), ROTA, PEOPLE, POLICY, late) == []
    assert [e.alert.id for e in due([alert(3, after=0)], set(), ROTA, PEOPLE, POLICY, RAISED)] == ["a-3"]


def test_oldest_due_first_and_one_recipient_for_the_check():
    alerts = [alert(n, raised=RAISED + timedelta(minutes=n)) for n in (3, 1, 2)]
    found = due(alerts, set(), ROTA, PEOPLE, POLICY, RAISED + timedelta(hours=1))
    assert [e.alert.id for e in found] == ["a-1", "a-2", "a-3"]
    assert {e.to.address for e in found} == {LEAD.email}


@pytest.mark.parametrize(("now", "who"), [
    # Spring change (Sun 30 Mar 2025): the Friday before is GMT, the Monday after BST.
    (datetime(2025, 3, 28, 7, 59, 59, tzinfo=UTC), "Dr Priya Raman"),   # 07:59:59 GMT
    (datetime(2025, 3, 28, 8, 0, tzinfo=UTC), "Sam Lead"),               # 08:00 GMT
    (datetime(2025, 3, 31, 6, 59, 59, tzinfo=UTC), "Dr Priya Raman"),    # 07:59:59 BST
    (datetime(2025, 3, 31, 7, 0, tzinfo=UTC), "Sam Lead"),               # 08:00 BST
    (datetime(2025, 3, 31, 7, 30, tzinfo=UTC), "Sam Lead"),              # 08:30 BST (07:30 on a GMT clock)
    (datetime(2025, 3, 31, 16, 59, 59, tzinfo=UTC), "Sam Lead"),         # 17:59:59 BST
    (datetime(2025, 3, 31, 17, 0, tzinfo=UTC), "Dr Priya Raman"),        # 18:00 BST
    (datetime(2025, 3, 30, 12, 0, tzinfo=UTC), "Dr Priya Raman"),        # Sunday: out of hours all day
    # Autumn change (Sun 26 Oct 2025): the Friday before is BST, the Monday after GMT.
    (datetime(2025, 10, 24, 7, 30, tzinfo=UTC), "Sam Lead"),             # 08:30 BST
    (datetime(2025, 10, 27, 7, 30, tzinfo=UTC), "Dr Priya Raman"),       # 07:30 GMT
    (datetime(2025, 10, 27, 17, 59, 59, tzinfo=UTC), "Sam Lead"),        # 17:59:59 GMT
    (datetime(2025, 10, 27, 18, 0, tzinfo=UTC), "Dr Priya Raman"),       # 18:00 GMT
])
def test_in_hours_the_room_lead_out_of_hours_the_director_in_uk_time_across_clock_changes(now, who):
    rota = week_rota(now - timedelta(days=2), days=5)
    got = recipient(POLICY, rota, PEOPLE, now)
    expected_rota = "SCC room lead" if who == "Sam Lead" else "Director on-call"
    assert (got.name, got.rota, got.fallback) == (who, expected_rota, False)


def test_a_gap_in_the_rota_goes_to_the_fallback_address_and_says_so():
    night = datetime(2026, 1, 14, 22, 0, tzinfo=UTC)
    rota = [s for s in ROTA if not (s.rota == "Director on-call" and s.starts_at <= night < s.ends_at)]
    found = due([alert(raised=night - timedelta(hours=1))], set(), rota, PEOPLE, POLICY, night)
    to = found[0].to
    assert (to.address, to.fallback, to.contact_uuid, to.rota) == (FALLBACK, True, None, "Director on-call")
    assert to.reason == "nobody is on call on the Director on-call rota at Wed 14 Jan 2026 22:00 GMT"


@pytest.mark.parametrize(("person", "why"), [
    (Person("c-dir", "Dr Priya Raman", None), "has no email address"),
    (Person("c-dir", "Dr Priya Raman", "   "), "has no email address"),
    (Person("c-dir", "Dr Priya Raman", "priya.raman@example.nhs.uk", deleted=True), "deleted from the directory"),
    (None, "is not in the contact directory"),
])
def test_someone_on_call_who_cannot_be_emailed_sends_it_to_the_fallback_with_the_reason(person, why):
    night = datetime(2026, 1, 14, 22, 0, tzinfo=UTC)
    people = {LEAD.uuid: LEAD, **({person.uuid: person} if person else {})}
    to = recipient(POLICY, ROTA, people, night)
    assert to.fallback and to.address == FALLBACK and why in to.reason


def test_rota_names_match_whatever_the_case_and_spacing_and_handover_goes_to_the_incoming():
    at = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)
    other = Person("c-2", "Mei Chen", "mei.chen@example.nhs.uk")
    rota = [Shift("s1", "  scc ROOM  lead ", LEAD.uuid, at - timedelta(hours=4), at + timedelta(minutes=30)),
            Shift("s2", "SCC room lead", other.uuid, at - timedelta(minutes=30), at + timedelta(hours=6))]
    to = recipient(POLICY, rota, {**PEOPLE, other.uuid: other}, at)
    assert (to.name, to.address) == ("Mei Chen", "mei.chen@example.nhs.uk")
    # A shift ends at its end: the instant it ends belongs to whoever comes next.
    assert recipient(POLICY, rota[:1], PEOPLE, at + timedelta(minutes=30)).fallback


def test_bank_holidays_and_configured_rotas_and_hours():
    policy = Policy(FALLBACK, in_hours_rota="Tactical lead", out_of_hours_rota="Strategic on-call",
                    core=CoreHours(holidays=frozenset({date(2025, 12, 25)})))
    xmas = datetime(2025, 12, 25, 11, 0, tzinfo=UTC)   # a Thursday
    rota = [Shift("t", "Tactical lead", LEAD.uuid, xmas - timedelta(hours=3), xmas + timedelta(hours=7)),
            Shift("s", "strategic on-call", DIRECTOR.uuid, xmas - timedelta(hours=12), xmas + timedelta(hours=12))]
    assert recipient(policy, rota, PEOPLE, xmas).name == "Dr Priya Raman"
    assert recipient(policy, rota, PEOPLE, xmas + timedelta(days=1)).fallback   # Boxing Day: nobody on call
    assert recipient(Policy(FALLBACK), rota, PEOPLE, xmas).fallback   # default rota names: not these rotas


def test_now_without_an_offset_is_refused():
    with pytest.raises(ValueError, match="now"):
        due([alert()], set(), ROTA, PEOPLE, POLICY, datetime(2026, 1, 14, 12, 0))


def test_on_a_weekend_day_the_room_lead_on_shift_is_emailed_by_default():
    """Core hours are every day by default (the room's seven-day cover): Sat 10 Jan 2026 10:00 GMT."""
    saturday = datetime(2026, 1, 10, 10, 0, tzinfo=UTC)
    to = recipient(POLICY, week_rota(saturday - timedelta(days=2), 7, room_days=7), PEOPLE, saturday)
    assert (to.name, to.rota, to.fallback, to.reason) == ("Sam Lead", "SCC room lead", False, None)
    weekdays_only = Policy(FALLBACK, core=CoreHours(days=frozenset(range(5))))   # a room that says so
    assert recipient(weekdays_only, week_rota(saturday - timedelta(days=2), 7, room_days=7), PEOPLE, saturday).rota == "Director on-call"


def test_in_core_hours_with_nobody_on_the_room_lead_rota_the_director_on_call_before_the_fallback():
    """A room not staffed that day (its rota has no room lead): the Director on-call, saying why, and
    the fallback address only when neither rota has anyone."""
    sunday = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    to = recipient(POLICY, ROTA, PEOPLE, sunday)   # the weekday rota: the Director on-call all Sunday
    assert (to.name, to.rota, to.fallback) == ("Dr Priya Raman", "Director on-call", False)
    assert to.reason == "nobody is on call on the SCC room lead rota at Sun 11 Jan 2026 12:00 GMT"
    nobody = recipient(POLICY, [s for s in ROTA if s.rota == "SCC room lead"], PEOPLE, sunday)
    assert nobody.fallback and nobody.address == FALLBACK
    assert nobody.reason == ("nobody is on call on the SCC room lead rota at Sun 11 Jan 2026 12:00 GMT, "
                             "nor on the Director on-call rota")
    gone = recipient(POLICY, ROTA, {LEAD.uuid: LEAD}, sunday)   # the Director on call is not in the directory
    assert gone.fallback and gone.reason.startswith("nobody is on call on the SCC room lead rota at Sun 11 Jan")
    assert "not in the contact directory" in gone.reason


def test_the_director_emailed_in_core_hours_is_told_why():
    from sync.hub.escalation_email import compose

    sunday = datetime(2026, 1, 11, 12, 0, tzinfo=UTC)
    to = recipient(POLICY, ROTA, PEOPLE, sunday)
    body = compose([alert(raised=sunday - timedelta(minutes=20))], to, "SCC alerts <scc@example.nhs.uk>", {},
                   sunday, "hub-1").get_content()
    assert "You are on call now (Director on-call rota)" in body
    assert "It comes to you because nobody is on call on the SCC room lead rota at Sun 11 Jan 2026 12:00 GMT." in body
