"""The system picture's Director on-call tile in a gap in the rota: it says when the gap ends and who is next
(as Contacts' rota does), in UK time, naming the day when the gap runs over midnight."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.records import contacts
from models.service import system_picture as door
from sync import authoring
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.records.seed import CONTACTS
from ui import system_texts

WINTER = datetime(2026, 1, 12, 21, 0, tzinfo=timezone.utc)   # Mon 12 Jan: UK time is UTC
SUMMER = datetime(2026, 7, 1, 21, 0, tzinfo=timezone.utc)    # Wed 1 Jul 22:00 BST


def _rota(store, shifts: list[tuple[str, str, datetime, datetime]]) -> None:
    uids = {c["name"]: authoring.upsert_contact(store, author="seed", **c) for c in CONTACTS}
    with store.session() as s, s.begin():
        for rota, who, start, end in shifts:
            contacts.add_shift(s, rota=rota, contact_uuid=uids[who], starts_at=start, ends_at=end)


def _tile(store, now: datetime):
    page = door.system_picture(store, now)
    return page.director, system_texts.tiles(page)["director"]


def test_a_gap_in_the_night_says_until_when_and_who_is_next(store):
    h = lambda n: WINTER + timedelta(hours=n)   # noqa: E731
    _rota(store, [("Director on-call", "Dr Priya Raman", h(-12), h(5)),              # to 02:00
                  ("Critical care network", "Critical care network", h(6), h(9)),  # another rota's, sooner
                  ("Director on-call", "Dr Priya Raman", h(10), h(20)),            # a later one
                  ("Director on-call", "Tom Okafor", h(8), h(20))])                # 05:00: the next
    d, tile = _tile(store, h(6))   # 03:00
    assert (d.name, d.next_at, d.next_name, d.next_phone) == (None, h(8), "Tom Okafor", "07700 900102")
    assert tile.figure == "Nobody on call"
    assert tile.lines == ("until 05:00 · next: Tom Okafor", "07700 900102")


def test_a_gap_over_midnight_names_the_day_it_ends_in_uk_time(store):
    _rota(store, [("Director on-call", "Tom Okafor", SUMMER + timedelta(hours=3), SUMMER + timedelta(hours=12))])
    d, tile = _tile(store, SUMMER)   # Wed 22:00 BST; the next shift from 00:00 UTC = 01:00 BST on Thursday
    assert d.next_at == SUMMER + timedelta(hours=3)
    assert tile.lines[0] == "until Thu 01:00 · next: Tom Okafor"


def test_a_gap_with_no_later_shift_says_so(store):
    _rota(store, [("Director on-call", "Tom Okafor", WINTER - timedelta(hours=10), WINTER - timedelta(hours=1))])
    d, tile = _tile(store, WINTER)
    assert d.name is None and d.next_at is None
    assert (tile.figure, tile.lines) == ("Nobody on call", ("and no later shift on the rota", "add one in Contacts"))


@pytest.mark.parametrize("days, said", [(0, "23:00"), (1, "Tue 23:00"), (6, "Sun 23:00"), (7, "Mon 19 Jan 23:00")])
def test_a_time_to_come_reads_today_then_by_weekday_then_with_its_date(days, said):
    assert system_texts.coming_clock(WINTER, WINTER + timedelta(days=days, hours=2)) == said


def test_the_autumn_change_s_repeated_hour_names_its_zone():
    now = datetime(2026, 10, 24, 22, 0, tzinfo=timezone.utc)   # Sat 23:00 BST
    assert system_texts.coming_clock(now, datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc)) == "Sun 01:30 GMT"
