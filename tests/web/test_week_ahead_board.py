"""/m/'s week ahead (issue 20): the phone gives every place the figures the room's desktop gives it.

A real hub (a process on loopback) sent six weeks of an ambulance service's handovers and the trusts'
hourly occupancy through its intake (``tests.web.week_world``), and a real encrypted replica synced from
it: the hub's follower (``sync.hub.web.week_board``), reading the hub's feed, and the desktop's door
(``models.service.week_ahead``), reading its replica, must give the same week ahead, place by place and
day by day, today's counts so far and the sites the system leaves out included; the page must show
them as the room's view writes them.  Also: later reads go on from where the last stopped; a site
with two days of data says in words that it has too little history; a feed gone quiet makes the
forecast stale on the hub as on the desktop, never a run of quiet days; a first read of a long feed
starts twelve weeks (and a margin) back, and letting old events go changes no figure.
"""

from __future__ import annotations

import dataclasses
from html import escape
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from models.service import week_ahead as door
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub.db import HubDB
from sync.hub.schema import utcnow
from sync.hub.web import week_board
from sync.hub.web.board import BoardReader
from sync.hub.web.pages import _environment
from sync.hub.web.week_board import Shown, WeekBoard
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica
from tests.web import week_world
from tests.web.world import submit

pytestmark = pytest.mark.timeout(300)
DAYS = 42
UK = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("week")
    hub, now = week_world.start_fed_hub(tmp_path_factory, folder, DAYS)   # its own copy of the world
    db = HubDB(hub.db_url)
    try:
        store = fresh_replica(folder / "desk.db", "week-pass", kdf=FAST_KDF)
        yield hub, db, store, now
        store.close()
    finally:
        db.dispose()
        hub.stop()


def sync(hub, store) -> None:
    """The desktop caught up with the hub's head as it is now. One cycle's error was not looked at: on a loaded
    machine a cycle could end short of the head (a request timing out) and the desktop's week ahead then
    differed from the phone's, which reads to the head (test_m_after_prune failed so, twice, under load)."""
    head = hub.request("GET", "/health").json()["head"]
    engine = SyncEngine(store, HubClient(hub.url, hub.tokens["room_lead"]))
    said = None
    for _ in range(10):
        said = engine.run_once().error
        if said is None and engine.position() >= head:
            return
    raise AssertionError(f"the desktop did not reach the hub's head {head} (at {engine.position()}): {said}")


def counting(follower: WeekBoard) -> list[int]:
    """The number of handover items each stretch the follower reads holds."""
    read: list[int] = []
    fold = follower._handovers

    def handovers(items):
        items = list(items)
        read.append(len(items))
        fold(items)
    follower._handovers = handovers
    return read


def render(db, week: door.WeekAhead | Shown, now: datetime, site: str | None = None) -> str:
    """/m/ as the hub renders it, with this week ahead on it (``site``: that site's page, /m/week/<site>)."""
    board = BoardReader(type("Hub", (), {"db": db, "alerts": type("A", (), {"evaluating": False})()})()).read(now)
    board = dataclasses.replace(board, week=week if isinstance(week, Shown) else Shown(week, False, now))
    if site is None:
        return _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    place = board.week.site(site)
    return _environment().get_template("m_week.html").render(board=board, session=None, refresh=60, place=place,
                                                               code=site, site=place.name)


def test_the_phone_and_the_room_give_every_place_the_same_week(world):
    hub, db, store, now = world
    sync(hub, store)
    phone = WeekBoard(db).read(now)
    room = door.week_ahead(store, now)
    assert list(phone.places) == list(room.places) == [door.SYSTEM] + [c for c, _ in sorted(
        week_world.SITES, key=lambda s: s[1].lower())]
    for code, theirs in room.places.items():
        ours = phone.places[code]
        assert (ours.name, ours.left_out) == (theirs.name, theirs.left_out), code
        for key, s in theirs.series.items():
            assert ours.series[key] == s, (code, key)   # history, forecast, interval, record, so far
    assert phone == room
    # Not an agreement of two empty pages: the system and every long-running site are forecast, with
    # today's counts so far, and the system leaves out the new site and the quiet one, named.
    system = phone.places[door.SYSTEM]
    assert all(s.forecast.days for s in system.series.values()) and phone.so_far_to is not None
    assert system.series[door.ARRIVALS].so_far > 0
    assert {(c, why) for c, _n, _d, why in system.left_out} == {(week_world.NEW[0], "later"),
                                                                (week_world.QUIET[0], "silent")}
    for code, _name in week_world.LONG:
        assert all(len(s.forecast.days) == 7 for s in phone.places[code].series.values()), code


def test_the_page_shows_the_systems_week_and_each_sites_as_the_room_writes_them(world):
    from ui.week_ahead_view import day_words, figure, interval   # the room's own wording of a figure

    hub, db, store, now = world
    sync(hub, store)
    room = door.week_ahead(store, now)
    phone = WeekBoard(db).read(now)
    html = render(db, phone, now)
    section = html[html.index('id="h-week"'):html.index('id="h-amb"')]
    assert "Week ahead: FORECAST" in section and f"from data to <b>{day_words(room.origin)}</b>" in section
    assert "80% range" in section and "learned from the last 6 weeks the hub holds" in section
    for code, place in room.places.items():
        if code == week_world.NEW[0]:
            continue   # too little history: no table (the next test)
        page = section
        if code != door.SYSTEM:   # each site's table is on a page of its own, linked from the list
            assert f'<a href="/m/week/{code}">{place.name}</a>' in section, code
            page = render(db, phone, now, site=code)
            assert "Week ahead: FORECAST" in page and f"from data to <b>{day_words(room.origin)}</b>" in page
            assert "80% range" in page and f'<h1 id="h-site">{place.name}</h1>' in page
        table = page[page.index(f"{place.name}: forecast per day"):]
        table = table[:table.index("</table>")]
        for key in (door.ARRIVALS, door.DELAY_60, door.DELAY_30_60, door.OCCUPANCY):
            s = place.series.get(key)
            if s is None or not s.forecast.days:
                continue
            for d in s.forecast.days:
                cell = f"<td>{figure(s.measure, d.value)}<small>{interval(s.measure, d.low, d.high)}</small>"
                assert cell in table, (code, key, d.day)
        assert table.count("<tr>") == 8, code   # the header and seven days
        today = place.series[door.ARRIVALS]
        if today.today is not None:
            assert f"so far {figure(today.measure, today.so_far)}" in table, code
    assert f"Each acute site ({len(week_world.SITES)})" in section
    assert "Left out of the system's figures: " in section
    assert f"{week_world.QUIET[1]} (no arrival since" in section and "a feed gone quiet is not a quiet day" in section
    quiet = render(db, phone, now, site=week_world.QUIET[0])   # and on its own page, why
    assert f"Left out of the system's figures: {week_world.QUIET[1]} (no arrival since" in quiet


def test_a_site_with_too_little_history_says_so_in_words(world):
    _hub, db, _store, now = world
    week = WeekBoard(db).read(now)
    new = week.places[week_world.NEW[0]]
    assert all(not s.forecast.days and s.forecast.reason.startswith("too little history") for s in new.series.values())
    html = render(db, week, now)
    assert f'<a href="/m/week/{week_world.NEW[0]}">{week_world.NEW[1]}</a><span class="small">no forecast</span>' in html
    site = render(db, week, now, site=week_world.NEW[0])
    site = site[site.index('id="h-site"'):]
    assert "<table" not in site
    for s in new.series.values():
        assert f"{escape(s.measure.label)}: <b>no forecast</b>, {s.forecast.reason}." in site


def test_later_reads_go_on_from_where_the_last_stopped(world):
    """New items are read once, from the last position read; the figures move with them and still agree."""
    hub, db, store, now = world
    follower = WeekBoard(db)
    read = counting(follower)
    follower.read(now)
    with db.read() as conn:
        assert sum(read) > 10_000 and follower.cursor == db.head(conn)
    read.clear()
    later = utcnow()
    site = week_world.LONG[0][0]
    # Thirty crews still waiting past the hour, arrived today (UK day). Before 01:40 no crew that arrived
    # today can have waited an hour: then sixty crews arrived since midnight (a run at 00:30 failed so).
    since = later - datetime.combine(later.astimezone(UK).date(), datetime.min.time(), UK)
    if since >= timedelta(minutes=100):
        key, n_crews, at = door.DELAY_60, 30, [later - timedelta(minutes=70 + n) for n in range(30)]
    else:
        key, n_crews, at = door.ARRIVALS, 60, [later - since * (n + 1) / 61 for n in range(60)]
    arrivals = [{"type": "handover", "event_uuid": f"00000000-0000-4000-8000-{n:012d}", "hospital_code": site,
                 "state": "arrived", "arrived_at": t.isoformat()} for n, t in enumerate(at)]
    submit(hub, week_world.AMBULANCE["ods_code"], arrivals)
    before = follower.read(later).places[site].series[key].so_far
    assert sum(read) == n_crews, "only the new items are read"
    sync(hub, store)
    room = door.week_ahead(store, later)
    assert follower.read(later) == room
    # Today's count holds the crews, on the phone as in the room.
    assert room.places[site].series[key].so_far == before >= n_crews
    # Above its range already: said beside the site's link on /m/, so the Director knows which to open.
    assert room.places[site].series[key].above_range
    html = render(db, follower.read(later), later)
    above = [week_board.HEADS[k] for k in week_board.COLUMNS if room.places[site].series[k].above_range]
    assert week_board.HEADS[key] in above
    assert (f'<a href="/m/week/{site}">{dict(week_world.SITES)[site]}</a><span class="small">▲ above range today: '
            f'{", ".join(above)}</span>') in html


def test_a_page_never_waits_for_it_and_it_is_worked_out_again_after_five_minutes(world):
    """The page's door gives what it has at once; the thread's result is the desktop's at that time;
    with the feed moving it is worked out again only after five minutes."""
    hub, db, store, now = world
    follower = WeekBoard(db)
    first = follower.latest(utcnow())
    assert first.week is None and first.working
    assert "Being worked out from the handovers and occupancy the hub holds" in render(db, first, now)
    follower.wait(120)
    shown = follower.latest(utcnow())
    assert shown.week is not None and not shown.working and not shown.failed
    sync(hub, store)
    assert shown.week == door.week_ahead(store, shown.worked_at)
    submit(hub, week_world.LONG[1][0], [{"type": "observation", "metric": door.OCCUPANCY,
                                         "observed_at": utcnow().isoformat(), "value": 91.0}])
    # At a new UK day it is worked out again at once (the days move): when the five minutes cross UK midnight
    # (CI ran at 23:56) that comes first, and is what is checked.
    local = shown.worked_at.astimezone(UK)
    midnight = (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(timezone.utc)
    due = min(shown.worked_at + week_board.REFRESH, midnight)
    assert not follower.latest(due - timedelta(seconds=1)).working
    assert follower.latest(due).working
    follower.wait(120)


def test_a_week_worked_out_late_in_the_evening_is_worked_out_again_at_uk_midnight(world):
    """The days move at UK midnight: a week worked out at 23:58 is worked out again at 00:00 (with the feed
    still), not five minutes later."""
    hub, db, store, now = world
    follower = WeekBoard(db)
    follower.latest(utcnow())
    follower.wait(120)
    shown = follower.latest(utcnow())
    assert shown.week is not None and not shown.working
    midnight = (shown.worked_at.astimezone(UK).replace(hour=0, minute=0, second=0, microsecond=0)
                + timedelta(days=1)).astimezone(timezone.utc)
    assert not follower.latest(min(midnight, shown.worked_at + week_board.REFRESH) - timedelta(seconds=1)).working
    assert follower.latest(midnight).working
    follower.wait(120)


def test_a_week_worked_out_from_nothing_is_worked_out_again_as_soon_as_data_comes(hub_db):
    """The first-morning walkthrough: a hub started, then backfilled. The week worked out as it started (no
    handovers or occupancy yet) was shown, "No forecast: the hub holds no handovers or occupancy", for 40 s
    while the page's offload section listed them. Now one from nothing is worked out again as soon as the
    feed moves, and the page says it is being worked out meanwhile."""
    follower = WeekBoard(hub_db)
    follower.latest(utcnow())
    follower.wait(120)
    empty = follower.latest(utcnow())
    assert empty.week is not None and empty.week.origin is None and not empty.working
    assert "the hub has no acute sites" in render(hub_db, empty, utcnow())   # not one organisation yet
    _long_feed(hub_db, 30, written_late=True)
    again = follower.latest(empty.worked_at + timedelta(seconds=1))   # not EMPTY_REFRESH later: at once
    assert again.working and again.week.origin is None
    html = render(hub_db, again, utcnow())
    # What the last look found, and that it is looking again (not "being worked out from those it holds":
    # every provider's figure on a hub with none said that; tests/web/test_week_site_page.py).
    assert "the hub held no handovers or occupancy for the acute sites at its last look; it is looking again" in html
    assert "the hub holds no handovers or occupancy" not in html
    follower.wait(120)
    assert follower.latest(utcnow()).week.origin is not None


def test_a_failure_is_said_and_tried_again_after_five_minutes_not_at_every_page(world, monkeypatch):
    _hub, db, _store, now = world
    follower = WeekBoard(db)

    def broken(store, at):
        raise RuntimeError("a fault in the forecast")
    monkeypatch.setattr(door, "week_ahead", broken)
    follower.latest(utcnow())
    follower.wait(120)
    shown = follower.latest(utcnow())
    assert shown.failed and not shown.working and shown.week is None
    html = render(db, shown, now)
    assert "The week ahead could not be worked out. The hub's log says why; it tries again every 5 minutes." in html
    assert "Being worked out" not in html
    assert follower.latest(utcnow() + week_board.REFRESH).working   # tried again after five minutes
    follower.wait(120)


def test_a_feed_gone_quiet_is_not_a_quiet_day_on_the_hub(world):
    """Three days on with nothing new: the hub's forecast is the one it made from the last whole day
    heard, said to be stale, as the desktop's is; the site whose handovers stopped has unknown days,
    not days of no arrivals, and the system leaves it out."""
    hub, db, store, now = world
    sync(hub, store)
    later = now + timedelta(days=3)
    phone, room = WeekBoard(db).read(later), door.week_ahead(store, later)
    assert phone == room
    assert phone.stale_days == 3 and phone.so_far_to is None
    live = door.week_ahead(store, now)
    assert phone.origin == live.origin
    quiet = phone.places[week_world.QUIET[0]].series[door.ARRIVALS].values
    assert quiet[-1] is None and quiet[-2] is None and quiet[-10] is not None and quiet[-10] > 0
    html = render(db, phone, later)
    assert "<b>STALE: built on data 3 days old</b>" in html and "not forecast as quiet ones" in html
    site = render(db, phone, later, site=week_world.LONG[0][0])   # and on each site's page, above its table
    stale = site.index("<b>STALE: built on data 3 days old</b>")
    assert site.index('id="h-site"') < stale < site.index("<table")



def test_a_site_whose_feed_went_quiet_says_so_above_its_table_and_beside_its_link(world):
    """Review of b0dd7b0: a site with no arrival for two days showed, at 360x640, a whole week of arrivals
    forecast from its history, as live as any site's; that its feed had gone quiet was the page's last
    line, under the table and the paragraph on the range (below the fold), and its link on /m/ said nothing."""
    _hub, db, _store, now = world
    week = WeekBoard(db).read(now)
    code, name = week_world.QUIET
    assert [why for c, _n, _d, why in week.places[door.SYSTEM].left_out if c == code] == ["silent"]
    site = render(db, week, now, site=code)
    said = site.index(f"{name} (no arrival since")
    assert site.index('id="h-site"') < said < site.index("<table"), "said above its table"
    assert '<p class="warn">' in site[site.rindex("<p", 0, said):said], "as a warning"
    html = render(db, week, now)
    link = html[html.index(f'<a href="/m/week/{code}">'):]
    link = link[:link.index("</li>")]
    assert "no arrival since" in link, link
    # A site whose data starts later is said on its page too (above its table, not as a warning).
    new = render(db, week, now, site=week_world.NEW[0])
    assert f"{week_world.NEW[1]} (its data starts" in new and '<p class="warn">Left out' not in new

def _long_feed(db, days: int, written_late: bool) -> datetime:
    """One acute site's hourly handovers over ``days`` on a hub, each written ten minutes after its
    arrival (``written_late``: all written now, as a backfill writes them), read by the database's
    own JSON functions."""
    from sqlalchemy import insert

    from sync.hub import schema as s

    end = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    with db.write() as w:
        w.conn.execute(insert(s.organisation).values(ods_code="RLONG", name="Long Run Hospital", sector="acute",
                                                      active=True, updated_at=end))
    for day in range(days, 0, -1):
        with db.write() as w:
            for h in range(24):
                arrived = end - timedelta(days=day, hours=-h)
                w.now = end if written_late else arrived + timedelta(minutes=10)
                w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": f"{day:08d}-0000-4000-8000-{h:012d}",
                                    "hospital_code": "RLONG", "state": "handed_over", "arrived_at": arrived.isoformat(),
                                    "handed_over_at": (arrived + timedelta(minutes=20 + 3 * h)).isoformat(),
                                    "updated_at": arrived.isoformat()}, "RAMB")
    return end


def _stray_then_gap(db, end: datetime) -> None:
    """A second site with one stray handover 110 days before ``end``, then none until 30 days before it:
    the desktop's door counts its days from the day after the stray one (known, and none), so the
    mirror must keep it when it lets old events go."""
    from sqlalchemy import insert

    from sync.hub import schema as s

    with db.write() as w:
        w.now = end
        w.conn.execute(insert(s.organisation).values(ods_code="RGAP", name="Gap Hospital", sector="acute",
                                                      active=True, updated_at=end))
        for n, ago in enumerate([110 * 24] + list(range(30 * 24, 0, -2))):
            arrived = end - timedelta(hours=ago)
            w.emit("handover", {"ambulance_org": "RAMB", "event_uuid": f"99999999-0000-4000-8000-{n:012d}",
                                "hospital_code": "RGAP", "state": "handed_over", "arrived_at": arrived.isoformat(),
                                "handed_over_at": (arrived + timedelta(minutes=25)).isoformat(),
                                "updated_at": arrived.isoformat()}, "RAMB")


def test_a_first_read_starts_twelve_weeks_back_and_letting_go_changes_nothing(hub_db):
    """150 days of one site's handovers: the first read starts at the first position written within
    ``KEPT`` of the newest, and every day of the twelve weeks is still known."""
    end = _long_feed(hub_db, 150, written_late=False)
    follower = WeekBoard(hub_db)
    read = counting(follower)
    week = follower.read(end)
    kept = week_board.KEPT.days
    assert kept * 24 - 24 <= sum(read) <= (kept + 1) * 24, sum(read)
    values = week.places["RLONG"].series[door.ARRIVALS].values
    assert None not in values and min(values) == 24   # 25 on the day the clocks go back
    assert week.places["RLONG"].series[door.ARRIVALS].forecast.days


def test_letting_old_events_go_changes_no_figure(hub_db, monkeypatch):
    """Written all at once (a backfill), the whole feed is read; the mirror then keeps ``KEPT`` days
    (and the site's first arrival), and gives what a mirror keeping everything gives."""
    end = _long_feed(hub_db, 120, written_late=True)
    _stray_then_gap(hub_db, end)
    lean = WeekBoard(hub_db)
    week = lean.read(end)
    gap = week.places["RGAP"].series[door.ARRIVALS].values
    assert None not in gap and gap.count(0.0) > 40   # known days of no arrivals, as the desktop counts them
    long_run = lean.sizes()["handover_event"] - 1 - 30 * 12
    assert (week_board.KEPT.days - 1) * 24 <= long_run <= (week_board.KEPT.days + 1) * 24 + 1
    monkeypatch.setattr(week_board, "KEPT", timedelta(days=1000))
    everything = WeekBoard(hub_db)
    assert everything.read(end) == week and everything.sizes()["handover_event"] == 120 * 24 + 1 + 30 * 12
