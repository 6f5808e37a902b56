"""/m/'s chance of OPEL 3+ within 24 hours (issue 20): the phone gives each provider the figure the
room's desktop gives it.

A real hub filled with eight days of the demo's simulated system, and a desktop replica synced from
it: the board (``sync.hub.web.board``), following the hub's feed, and the desktop's door
(``models.service.forecast``), reading its replica, must agree provider by provider.  A first read of
a long-running hub starts from the first position written in the last eight weeks (and the hold),
found by halving over the feed, pruned stretches and all, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete

from models.forecast import opel_chance
from models.service import forecast as door
from scc_desktop.demo import DemoSystem
from sync.client import HubClient
from sync.engine import SyncEngine
from sync.hub import schema as s
from sync.hub.schema import utcnow
from sync.hub.web.board import BoardReader, _first_since
from sync.hub.web.pages import _environment
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica

pytestmark = pytest.mark.timeout(300)   # eight days of history into a hub and a replica, loaded 2 cores


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chance") / "demo"
    demo = DemoSystem(folder, history=timedelta(days=8))
    demo.start(live=False)
    try:
        store = fresh_replica(folder / "desk.db", "chance-pass", kdf=FAST_KDF)
        engine = SyncEngine(store, HubClient(demo.hub.url, demo.tokens["room_lead"]))
        engine.run_once()
        yield demo, store
        store.close()
    finally:
        demo.stop()


def test_the_phone_and_the_room_give_each_provider_the_same_chance(world):
    demo, store = world
    now = utcnow()
    board = BoardReader(demo.hub.hub).read(now)
    codes = [p.key for p in board.providers]
    room = door.site_forecasts(store, now, codes).sites
    estimated = [p for p in board.providers if p.chance.chance is not None]
    assert len(estimated) == len(board.providers) >= 9, [(p.key, p.chance) for p in board.providers]
    for p in board.providers:
        theirs = room[p.key].opel
        assert (p.chance.chance, p.chance.days, p.chance.level_now, p.chance.seen) == \
               (theirs.chance, theirs.days, theirs.level_now, theirs.seen), p.key
    # The page's short list: the acute sites, likeliest first, as the desktop's system picture has them;
    # a site at OPEL 3+ now is named apart, on the phone as on the desktop.
    acute = door.site_forecasts(store, now).sites
    below = [c for c in acute if not acute[c].opel.already]
    assert [p.key for p in board.likeliest] == sorted(below, key=lambda c: (-acute[c].opel.chance, room[c].name))
    assert [p.key for p in board.at_three] == sorted((c for c in acute if acute[c].opel.already),
                                                     key=lambda c: room[c].name)
    assert board.unestimated == []
    # The system's own chance, from its roll-up's level history, as the desktop's System OPEL tile has it.
    ics, theirs = board.system.chance, door.ics_chance(store, now)
    assert (ics.chance, ics.days, ics.level_now, ics.seen, ics.shown_now) == \
           (theirs.chance, theirs.days, theirs.level_now, theirs.seen, theirs.shown_now)
    assert ics.chance is not None and ics.days >= 8


def test_the_phone_lists_providers_in_the_overviews_worst_first_order(world):
    """At each level the phone's list runs as the desktop overview's "Worst first" (nearest the next
    level first, on each pillar's own scale), a stale provider first at its level."""
    from models.service import overview
    demo, store = world
    now = utcnow()
    board = BoardReader(demo.hub.hub).read(now)
    desktop = [p.org_code for p in overview.overview_page(store, now).providers]
    by_level = {}
    for p in board.providers:
        by_level.setdefault(p.level, []).append(p)
    shared = [lv for lv, ps in by_level.items() if len([p for p in ps if not p.stale]) > 1]
    assert shared, "the demo should have two providers at one level"
    pos = {code: i for i, code in enumerate(desktop)}
    phone = [p.key for p in board.providers]
    assert phone == sorted(phone, key=lambda c: next((-(p.level or 0), not p.stale, pos[c])
                                                     for p in board.providers if p.key == c))


def test_the_page_shows_the_likeliest_and_each_providers_chance(world):
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    first = board.likeliest[0]
    assert "Chance of OPEL 3+ within 24 h: acute sites" in html
    assert f"{first.name}: <b>{opel_chance.percent(first.chance.chance)}</b>" in html
    assert f"from its own level history over {first.chance.days} days, as at" in html
    assert html.count("chance of OPEL 3+ in 24 h ") == sum(1 for p in board.providers if not p.chance.already)
    # The system's score in the unit the desktop's System OPEL tile gives it ("%" for a rule of shares).
    from models.service import system_picture
    assert board.system_unit == system_picture.system_picture(_store, utcnow()).system.unit == "%"
    assert f"Score {board.system.total:.1f}%" in html
    if not board.system.chance.already:
        assert (f"Chance of OPEL 3+ within 24 h: <b>{opel_chance.percent(board.system.chance.chance)}</b> "
                f'<span class="small">(from its own level history over {board.system.chance.days} days)</span>') in html
    for p in board.at_three:
        assert p.name in html.split("At OPEL 3 or 4 now: ")[1].split("</p>")[0]
    assert "Not estimated" not in html


def test_with_too_little_history_the_page_says_so_instead(tmp_path):
    demo = DemoSystem(tmp_path / "demo", history=timedelta(hours=3))
    demo.start(live=False)
    try:
        board = BoardReader(demo.hub.hub).read(utcnow())
        html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    finally:
        demo.stop()
    # The demo's five acute sites: each at OPEL 3+ now, or not estimated.
    assert board.providers and board.likeliest == [] and len(board.unestimated) + len(board.at_three) == 5
    assert all("needs 7 days" in p.chance.reason for p in board.providers)
    assert "Not estimated yet: a chance needs 7 days of a provider's own level history" in html
    assert "chance of OPEL 3+ in 24 h " not in html


def test_a_first_read_starts_where_the_kept_weeks_start_gaps_and_all(hub_db):
    """Positions written an hour apart over ten weeks, a stretch of them pruned: the search lands
    on the last position written before the time asked, whatever the gap."""
    t0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
    for hour in range(0, 10 * 7 * 24, 6):
        with hub_db.write() as w:
            w.now = t0 + timedelta(hours=hour)
            w.emit("opel_assessment", {"n": hour}, "RX1")
    with hub_db.write() as w:   # pruned: positions 20 to 119 (a retention run leaves such a gap)
        w.conn.execute(delete(s.feed).where(s.feed.c.seq.between(20, 119)))
    with hub_db.read() as conn:
        head = hub_db.head(conn)
        times = dict(conn.execute(s.feed.select().with_only_columns(s.feed.c.seq, s.feed.c.created_at)).all())
        for since in (t0 - timedelta(days=1), t0 + timedelta(hours=3), t0 + timedelta(days=10),
                      t0 + timedelta(days=30, hours=1), t0 + timedelta(days=80)):
            start = _first_since(conn, since, head)
            assert all(at < since for seq, at in times.items() if seq <= start), since
            assert all(at >= since for seq, at in times.items() if seq > start), since
        # Inside the gap: anywhere in it will do, as nothing is there to read.
        assert 19 <= _first_since(conn, t0 + timedelta(days=10), head) <= 119


def test_a_new_level_moves_that_providers_chance_and_the_room_agrees(world):
    """The board follows the feed on: a site at OPEL 4 now (its figures and its declaration) has its
    chance worked out again from that level (at the next hour's start, as the desktop would), and
    still agrees with the room."""
    from sync.simulator.sender import Sender

    demo, store = world
    reader = BoardReader(demo.hub.hub)
    now = utcnow()
    board = reader.read(now)
    before = {p.key: p.chance for p in board.providers}
    site = board.likeliest[-1].key    # the least likely acute site: now declared OPEL 4
    worst = {"mean_handover_minutes": 150, "ed_over_12h_from_arrival_pct": 40, "ed_majors_resus_occupancy_pct": 160,
             "ed_four_hour_performance_pct": 30, "ed_median_time_to_treatment_minutes": 400,
             "ed_referred_to_service_pct": 60, "ga_bed_occupancy_pct": 110, "escalation_beds_open_pct": 25,
             "nctr_bed_occupancy_pct": 40}
    sender = Sender(demo.hub.url, demo.tokens["admin"])
    try:
        sender.send({"submission_id": f"worst-{now.timestamp()}", "org_code": site, "submitted_at": now.isoformat(),
                     "items": [{"type": "observation", "metric": m, "observed_at": now.isoformat(),
                                "value": float(v)} for m, v in worst.items()]
                     + [{"type": "opel_declaration", "pillar": "acute", "assessed_at": now.isoformat(),
                         "declared_level": 4}]})
    finally:
        sender.close()
    later = now + timedelta(hours=1)
    after = {p.key: p for p in reader.read(later).providers}
    assert after[site].level == 4 and after[site].chance.level_now == 4
    assert after[site].chance.chance != before[site].chance
    SyncEngine(store, HubClient(demo.hub.url, demo.tokens["room_lead"])).run_once()
    room = door.site_forecasts(store, later, list(after)).sites
    for code, p in after.items():
        assert (p.chance.chance, p.chance.level_now) == (room[code].opel.chance, room[code].opel.level_now), code


def test_levels_are_read_by_the_databases_own_json_functions_declared_over_calculated(hub_db):
    """Nine days of a provider's hourly assessments (a declaration standing over some), written as the
    hub writes them, on SQLite and PostgreSQL: the board's chance is the one worked out directly
    from those levels, and a scope other than the provider's is not read as its level."""
    import json
    from types import SimpleNamespace

    from sqlalchemy import insert

    now = utcnow().replace(minute=20, second=0, microsecond=0)
    shown = {}
    with hub_db.write() as w:
        w.conn.execute(insert(s.organisation).values(ods_code="RX1", name="Alpha Acute", sector="acute",
                                                      active=True, updated_at=now))
        for h in range(9 * 24, 0, -1):
            at = now - timedelta(hours=h)
            calculated = 3 if (h // 5) % 4 == 0 else 2
            declared = 4 if h % 37 == 0 else None
            w.emit("opel_assessment", {"scope": "provider", "org_code": "RX1", "assessed_at": at.isoformat(),
                                       "level": calculated, "declared_level": declared, "parameters": []}, "RX1")
            # The acute pillar's roll-up on the same feed, filed under no organisation: not RX1's level.
            w.emit("opel_assessment", {"scope": "pillar", "pillar": "acute", "assessed_at": at.isoformat(),
                                       "level": 4, "declared_level": None})
            shown[opel_chance.hour_of(at)] = declared or calculated
        w.conn.execute(insert(s.opel_current).values(scope="provider", key="RX1", data=json.dumps(
            {"scope": "provider", "org_code": "RX1", "assessed_at": now.isoformat(), "level": 2,
             "declared_level": None, "complete": True, "verified": False, "total": 10.0})))
    board = BoardReader(SimpleNamespace(db=hub_db, alerts=SimpleNamespace(evaluating=False))).read(now)
    (rx1,) = board.providers
    expected = opel_chance.chance_from("RX1", shown, now.replace(minute=0))
    assert rx1.chance == dataclasses.replace(expected, shown_now=rx1.level) and expected.chance is not None
    assert expected.days >= 8


def test_a_transfer_with_no_destination_yet_says_so_not_a_question_mark(world):
    """The walkthrough saw "Chesterfield Royal Hospital NHS Foundation Trust to ?" where the desktop
    says the destination is not agreed."""
    from types import SimpleNamespace

    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    case = SimpleNamespace(uuid="t1", local_ref="RFS-CC-0412", kind="critical_care", priority="urgent",
                           stage="awaiting_bed", wait_minutes=95.0, minutes_over=35.0, threshold_minutes=60.0)
    board = dataclasses.replace(board, transfers=[case], transfer_places={"t1": ("Chesterfield Royal Hospital", "?")})
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert "Chesterfield Royal Hospital to a destination not yet agreed;" in html and " to ?" not in html


def test_a_site_whose_level_is_incomplete_now_is_given_no_chance_and_named(world):
    """A site whose newest assessment lacks inputs (at least OPEL 2) gets no chance from the level held
    over; the page names it apart from the sites with too little history."""
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    site = next(p for p in board.providers if p.key in board.acute and not p.chance.already)
    partial = dataclasses.replace(site, level=None, at_least=2, complete=False,
                                  chance=opel_chance.as_now(site.chance, None, 2))
    board = dataclasses.replace(board, providers=[partial if p is site else p for p in board.providers])
    assert board.incomplete_now == [partial] and partial not in board.unestimated + board.likeliest
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert f"No chance given while the level is incomplete (inputs missing): {site.name}." in html


def test_the_page_says_how_old_its_data_is_and_warns_when_the_feed_has_stopped(world):
    """Found by a walkthrough: with the feed stopped for 80 minutes the page said only "Updated 22:35"
    and its offload waits grew as if reported.  It now says when its newest data came, and warns."""
    demo, _store = world
    env = _environment()
    now = utcnow()
    live = BoardReader(demo.hub.hub).read(now)
    assert live.data_as_at is not None and now - live.data_as_at < timedelta(minutes=30)
    assert not live.data_stale and not live.handovers_stale and live.handovers_as_at is not None
    html = env.get_template("m.html").render(board=live, session=None, refresh=60)
    assert "Data as at " in html and "No new data since" not in html
    later = now + timedelta(hours=2)
    stopped = BoardReader(demo.hub.hub).read(later)
    assert stopped.data_stale and stopped.handovers_stale and stopped.data_as_at == live.data_as_at
    html = env.get_template("m.html").render(board=stopped, session=None, refresh=60)
    assert "<b>No new data since " in html and "Check the feed before acting on them." in html
    assert "No handover data since " in html and "waits are counted on from then" in html
    assert "nothing newer has come." in html


def test_the_alert_list_says_what_it_leaves_out(world):
    """Seventy open alerts: five shown, "Show 55 more" (it said 65 and listed 55), the ten past those
    said to be in the room's alert centre; overdue actions said to be raised on the desktops (the
    phone's count was one short of the desktop's, the overdue action, and nothing said why)."""
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    assert board.alerts, "the demo's hub raises alerts in eight days"
    many = dataclasses.replace(board, alerts=[board.alerts[0]] * 70)
    html = _environment().get_template("m.html").render(board=many, session=None, refresh=60)
    assert "Show 55 more" in html and html.count('<li class="alert ') == 60
    assert "10 more not listed here: the room's alert centre has them all." in html
    assert "Actions past their due time are raised on the room's desktops and are not counted here." in html


def test_alerts_come_before_the_chances_in_the_desktop_alert_centres_order(world):
    """At 360x640 the alerts sat about 1,300 px down, under the chances, oldest first whatever their
    acknowledgement: now the second section, not yet acknowledged first, worst, then longest open."""
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    rank = {"critical": 0, "warning": 1, "info": 2}
    assert board.alerts == sorted(board.alerts, key=lambda a: (a.acknowledged_at is not None,
                                                               rank.get(a.severity, 9), a.raised_at))
    html = _environment().get_template("m.html").render(board=board, session=None, refresh=60)
    assert html.index('id="h-sys"') < html.index('id="h-alerts"') < html.index('id="h-next"')


def test_a_new_critical_alert_is_not_pushed_out_of_view_by_newer_warnings(world):
    """The first-morning walkthrough: one critical alert ("no critical care bed free"), then five warnings a
    second apart. Newest first whatever the severity listed the five warnings and put the only critical one,
    ten seconds old and not acknowledged, behind "Show 1 more". Among the new ones the worst now comes first."""
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    now, base = board.now, board.alerts[0]
    critical = dataclasses.replace(base, id="c", severity="critical", raised_at=now - timedelta(seconds=10),
                                   acknowledged_at=None, reached_at=None, rule_name="No critical care bed free")
    warnings = [dataclasses.replace(base, id=f"w{n}", severity="warning", raised_at=now - timedelta(seconds=9 - n),
                                    acknowledged_at=None, reached_at=None, rule_name=f"CRITCON 2 at site {n}")
                for n in range(5)]
    many = dataclasses.replace(board, alerts=[critical, *warnings])
    assert [a.id for a in many.alerts_listed] == ["c", "w4", "w3", "w2", "w1", "w0"]
    html = _environment().get_template("m.html").render(board=many, session=None, refresh=60)
    assert "No critical care bed free" in html[:html.index('id="more-alerts"')]


def test_an_alert_that_came_in_the_last_hour_is_listed_first_and_marked_new(world):
    """The walkthrough's leftover: in the room's order (longest open first within a severity) a warning
    raised ten minutes ago sat under six days-old criticals, past the five shown.  New alerts not yet
    acknowledged now come first, newest first, marked NEW; an acknowledged one keeps its place; an
    alert from data that came late is new when it reached the hub."""
    demo, _store = world
    board = BoardReader(demo.hub.hub).read(utcnow())
    now = board.now
    base = board.alerts[0]

    def alert(n, severity, raised, acked=None, reached=None):
        return dataclasses.replace(base, id=f"a{n}", severity=severity, raised_at=now - raised,
                                   acknowledged_at=acked, reached_at=reached, rule_name=f"Rule {n}")
    old = [alert(n, "critical", timedelta(days=2, hours=n)) for n in range(6)]
    fresh = alert(10, "warning", timedelta(minutes=10))
    fresher = alert(11, "info", timedelta(minutes=2))
    seen = alert(12, "critical", timedelta(minutes=5), acked=now - timedelta(minutes=1))
    late = alert(13, "warning", timedelta(hours=5), reached=now - timedelta(minutes=20))
    room = sorted(old + [fresh, fresher, seen, late], key=lambda a: (a.acknowledged_at is not None,
                                                                      {"critical": 0, "warning": 1}.get(a.severity, 2),
                                                                      a.raised_at))
    many = dataclasses.replace(board, alerts=room)
    assert [a.id for a in many.alerts_listed[:3]] == ["a10", "a13", "a11"]   # the worst first, newest within
    assert many.alerts_listed[-1].id == "a12" and sorted(a.id for a in many.alerts_listed) == sorted(a.id for a in room)
    html = _environment().get_template("m.html").render(board=many, session=None, refresh=60)
    shown = html[:html.index('id="more-alerts"')]
    assert shown.count('<b class="new">NEW</b>') == 3 and "Rule 11" in shown and "Rule 13" in shown
    assert html.index("Rule 10") < html.index("Rule 13") < html.index("Rule 11") < html.index("Rule 0")
    assert html.count("(its data reached the hub ") == 1   # the late one says when it came
