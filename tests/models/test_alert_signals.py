"""Signals the alert engine watches, worked out from feed items, and the default rules on them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from models.rules import alert_signals
from models.rules.alert_engine import evaluate
from models.rules.alert_rules import default_rules

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
RULES = default_rules()
OUT = alert_signals.OUTAGE   # as the hub passes it


def _iso(minutes):
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _handover(event, state, arrived, handed=None):
    return ("handover", {"hospital_code": "RTEST1", "event_uuid": event, "state": state, "ambulance_org": "RAMB1",
                         "arrived_at": _iso(arrived), "handed_over_at": _iso(handed) if handed is not None else None,
                         "updated_at": _iso(arrived)})


def test_a_waiting_ambulance_raises_release_to_respond_then_60_minutes_as_the_clock_runs():
    sigs, st = alert_signals.signals([_handover("amb-00001", "arrived", 0)], None, T0)
    engine = evaluate(RULES, None, sigs, T0)
    assert engine.changes == []
    seen = []
    for minute in (44, 45, 59, 60, 75):
        now = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, now)
        engine = evaluate(RULES, engine.state, sigs, now)
        seen += [(minute, c.rule_id, c.change) for c in engine.changes]
    assert seen == [(45, "handover_release_45", "raised"), (60, "handover_wait_60", "raised")]
    now = T0 + timedelta(minutes=80)
    sigs, st = alert_signals.signals([_handover("amb-00001", "handed_over", 0, 80)], st, now)
    engine = evaluate(RULES, engine.state, sigs, now)
    assert sorted((c.rule_id, c.change) for c in engine.changes) == [
        ("handover_release_45", "cleared"), ("handover_wait_60", "cleared")]
    assert st["lost"]["RTEST1"][1] == (80 - 15) / 60


def test_category_2_today_is_weighted_by_incidents_and_each_period_counts_once():
    def period(hour, mean, incidents):
        return ("response_times", {"org_code": "RAMB1", "category": "C2", "period_start": _iso(60 * hour),
                                   "period_end": _iso(60 * hour + 60), "mean_seconds": mean,
                                   "incidents": incidents})
    items = [period(0, 600, 30), period(1, 1500, 10), period(1, 1500, 10)]
    sigs, _ = alert_signals.signals(items, None, T0 + timedelta(hours=2))
    today = [s.value for s in sigs if s.metric == "c2_mean_today_seconds"]
    assert today[-1] == (600 * 30 + 1500 * 10) / 40
    last_hour = [s.value for s in sigs if s.metric == "c2_mean_seconds"]
    assert last_hour == [600, 1500, 1500]
    engine = evaluate(RULES, None, sigs, T0 + timedelta(hours=2))
    assert [(c.rule_id, c.change) for c in engine.changes] == [("c2_mean_over_standard_hour", "raised")]


def test_levels_from_opel_reap_csp_and_critcon():
    items = [("opel_assessment", {"scope": "system", "pillar": "system", "org_code": None, "level": 2,
                                  "declared_level": 4, "assessed_at": _iso(0), "scored_at": _iso(1)}),
             ("ambulance_status", {"org_code": "RAMB1", "declared_at": _iso(0), "reap_level": 3,
                                   "csp_level": "2"}),
             ("critcon", {"org_code": "RTEST1", "reported_at": _iso(0), "level": 3, "staffed_beds": 20,
                          "occupied_beds": 20})]
    sigs, _ = alert_signals.signals(items, None, T0)
    engine = evaluate(RULES, None, sigs, T0)
    assert sorted(c.rule_id for c in engine.changes) == [
        "cc_no_beds", "critcon_2", "critcon_3", "csp_invoked", "opel_system_3", "opel_system_4", "reap_3"]


def test_an_ambulance_never_reported_handed_over_stops_counting_after_a_day():
    _, st = alert_signals.signals([_handover("amb-00002", "arrived", 0)], None, T0)
    sigs, st = alert_signals.signals([], st, T0 + timedelta(hours=25))
    assert [(s.metric, s.value) for s in sigs] == [("handover_longest_wait_minutes", 0.0)]
    sigs, st = alert_signals.signals([], st, T0 + timedelta(hours=26))
    assert sigs == [] and st["waiting"] == {}


def test_hours_lost_for_alerts_is_the_handover_tables_sum_on_its_named_basis():
    from models.rules.handover_bands import hours_lost_beyond_minutes, load_handover

    # Five handovers of 10, 20, 35, 50 and 75 min: beyond 15 min that is 0+5+20+35+60 = 120 min, 2 h.
    items = [_handover(f"amb-{i:05d}", "handed_over", 60 * i, 60 * i + m) for i, m in enumerate((10, 20, 35, 50, 75))]
    sigs, st = alert_signals.signals(items, None, T0 + timedelta(hours=6))
    lost = [s.value for s in sigs if s.metric == alert_signals.LOST]
    assert lost[-1] == 2.0 == hours_lost_beyond_minutes([10, 20, 35, 50, 75], 15)
    # The basis the hub counts on is the table's default, and the rule on it says which it is.
    assert alert_signals.LOST_BASIS_MINUTES == load_handover().hours_lost_beyond_minutes == 15
    rule = next(r for r in RULES if r.metric == alert_signals.LOST)
    assert "beyond 15 min" in rule.name


def test_a_steady_reap_level_reported_every_15_minutes_is_not_late():
    """The status keeps the time its level was declared; it is fresh while it keeps arriving. The
    hub raised "REAP status late" 45 minutes after every declaration while reports kept coming."""
    def status(received):
        return ("ambulance_status", {"org_code": "RAMB1", "declared_at": _iso(0), "reap_level": 3,
                                     "csp_level": "1", "received_at": _iso(received)})
    engine, st, changes = None, None, []
    for minute in range(0, 181, 15):
        now = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([status(minute)], st, now)
        engine = evaluate(RULES, engine.state if engine else None, sigs, now)
        changes += [(minute, c.rule_id, c.change) for c in engine.changes]
        tick = evaluate(RULES, engine.state, [], now + timedelta(minutes=14), clock=True)
        changes += [(minute + 14, c.rule_id, c.change) for c in tick.changes]
        engine = tick
    assert [c for c in changes if c[1] == "reap_data_late"] == []
    assert [(c[1], c[2]) for c in changes] == [("reap_3", "raised"), ("csp_invoked", "raised")]
    # Reports stop: late 45 minutes after the last one arrived, not after the declaration.
    late = evaluate(RULES, engine.state, [], T0 + timedelta(minutes=180 + 45), clock=True)
    assert [(c.rule_id, c.change) for c in late.changes] == [("reap_data_late", "raised")]


def test_a_late_report_of_arrival_after_the_handover_does_not_start_the_wait_again():
    """Reports can cross (a retried submission): the replica never moves an ambulance back, and the
    hub's wait must not either. The demo showed "an ambulance has waited 739 min" for one handed over."""
    _, st = alert_signals.signals([_handover("amb-00003", "arrived", 0)], None, T0)
    _, st = alert_signals.signals([_handover("amb-00003", "handed_over", 0, 20)], st, T0 + timedelta(minutes=20))
    sigs, st = alert_signals.signals([_handover("amb-00003", "arrived", 0)], st, T0 + timedelta(minutes=25))
    assert [(s.metric, s.value) for s in sigs if s.metric == alert_signals.WAIT] in ([], [(alert_signals.WAIT, 0.0)])
    later = T0 + timedelta(hours=2)
    sigs, st = alert_signals.signals([], st, later)
    engine = evaluate(RULES, None, sigs, later)
    assert [c.rule_id for c in engine.changes if c.rule_id.startswith("handover_")] == []
    # What was remembered of ended handovers is let go after a while: the state stays small.
    _, st = alert_signals.signals([], st, T0 + timedelta(hours=7))
    assert not st.get("ended", {}).get("RTEST1")


def test_no_critical_care_bed_free_clears_when_one_bed_is_free():
    """The demo's Chesterfield unit (RFS, 15 staffed beds), hour by hour as its simulator reported it:
    full from 00:00, a bed free from 20:00 for five hours, full again at 02:00.  "No critical care bed
    free" stayed open through the five hours with a bed free (its clear threshold was 1, and clearing
    is strict: it needed two beds free), so the room read a false sentence for a day."""
    free_by_hour = [2, 2, 0, 0, -1, -1, -1, -2, -2, 0, 0, 1, 1, 1, 1, 1, 0, 0]
    engine, st, changes = None, None, []
    for hour, free in enumerate(free_by_hour):
        now = T0 + timedelta(hours=hour)
        item = ("critcon", {"org_code": "RFS", "reported_at": _iso(60 * hour), "level": 1, "staffed_beds": 15,
                            "occupied_beds": 15 - free})
        sigs, st = alert_signals.signals([item], st, now)
        engine = evaluate(RULES, engine.state if engine else None, sigs, now)
        changes += [(hour, c.change) for c in engine.changes if c.rule_id == "cc_no_beds"]
    assert changes == [(2, "raised"), (11, "cleared"), (16, "raised")]


def test_a_backlog_after_an_outage_is_judged_at_its_own_time_not_the_hubs_clock():
    """A service resends four hours of handovers after an outage, in batches. An arrival in one batch
    and its handover in the next had been a wait of hours at the hub's clock: a false critical alert,
    escalated. Its data lags its receipt by hours, so its waits are judged that far back."""
    now = T0 + timedelta(hours=5)

    def sent(event, state, arrived, handed=None, at=now):
        kind, d = _handover(event, state, arrived, handed)
        return kind, {**d, "updated_at": at.isoformat()}

    engine_state, st = None, None
    changes = []
    for n, minute in enumerate(range(0, 240, 20)):
        at = now + timedelta(seconds=n)
        batch = [sent(f"amb-b{minute:03d}", "arrived", minute, at=at)]
        if minute:   # the previous one's handover, 18 minutes after it arrived, comes in this batch
            batch.append(sent(f"amb-b{minute - 20:03d}", "handed_over", minute - 20, minute - 2, at=at))
        sigs, st = alert_signals.signals(batch, st, at)
        waits = [s.value for s in sigs if s.metric == alert_signals.WAIT]
        assert waits and max(waits) < 45, (minute, waits)   # never hours: at most the 20 minutes it spans
        engine = evaluate(RULES, engine_state, sigs, at)
        engine_state = engine.state
        changes += [c.rule_id for c in engine.changes if c.rule_id.startswith("handover_")]
    assert changes == []
    described, received, since = (datetime.fromisoformat(t) for t in st["heard"]["RAMB1"])
    assert (described, received, since) == (T0 + timedelta(minutes=220), now + timedelta(seconds=11), now)
    # Within REPLAY_GAP of its last batch the service is still judged behind; once silent longer,
    # its last ambulance's wait runs with the clock, as any wait does when a feed goes quiet.
    (wait,) = [s.value for s in alert_signals.signals([], st, now + timedelta(seconds=40))[0]
               if s.metric == alert_signals.WAIT]
    assert wait == pytest.approx(29 / 60)
    (wait,) = [s.value for s in alert_signals.signals([], st, now + timedelta(seconds=42))[0]
               if s.metric == alert_signals.WAIT]
    assert wait == pytest.approx(80 + 42 / 60)


def test_a_state_kept_before_services_were_heard_reads_as_before():
    """Waiting entries kept as a bare arrival time (before ``heard``) are judged at the hub's clock."""
    st = {"waiting": {"RTEST1": {"amb-old": _iso(0)}}, "lost": {}, "c2": {}, "ended": {}}
    sigs, st = alert_signals.signals([], st, T0 + timedelta(minutes=50))
    assert [(s.metric, s.value) for s in sigs] == [(alert_signals.WAIT, 50.0)]


def test_the_phone_page_reads_waits_as_the_alerts_judge_them():
    """/m/'s offload rows come from the same state: an arrival recorded during its service's lagging
    burst is judged at its data; one kept before services were heard, at the clock."""
    import json

    from sync.hub.web.board import _offload
    now = T0 + timedelta(hours=5)
    st = {"waiting|RTEST1": {"amb-r": [_iso(200), "RAMB1", now.isoformat()], "amb-old": _iso(280)},
          "heard|RAMB1": [_iso(210), now.isoformat(), now.isoformat()]}
    rows = _offload([(k, json.dumps(v)) for k, v in st.items()], {"RTEST1": "Test Hospital"}, now, {})
    (row,) = rows
    # amb-r: 10 minutes at its service's data (not 100 at the clock); amb-old at the clock: 20 minutes.
    assert row.waiting == 2 and row.longest_minutes == pytest.approx(20)
    rows = _offload([(k, json.dumps(v)) for k, v in st.items()], {}, now + timedelta(minutes=1), {})
    assert rows[0].longest_minutes == pytest.approx(101)   # the service silent a minute: the clock again


def _live(event, minute, at):
    kind, d = _handover(event, "arrived", minute)
    return kind, {**d, "updated_at": at.isoformat()}


def test_a_replay_never_pulls_back_the_wait_of_an_ambulance_already_waiting():
    """An ambulance waiting two hours (its alerts open) must not be judged at a replay's lagged time
    when the service resends old data: the alert would clear, then raise again, unacknowledged."""
    _, st = alert_signals.signals([_live("amb-live", 0, T0)], None, T0)
    engine_state = None
    for minute in (1, 61, 120):
        at = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, at)
        engine_state = evaluate(RULES, engine_state, sigs, at).state
    at = T0 + timedelta(minutes=120, seconds=5)
    kind, d = _handover("amb-old1", "arrived", 0)   # described two hours before it comes
    sigs, st = alert_signals.signals([(kind, {**d, "updated_at": at.isoformat()})], st, at)
    (wait,) = [s.value for s in sigs if s.metric == alert_signals.WAIT]
    assert wait >= 120
    assert [c.change for c in evaluate(RULES, engine_state, sigs, at).changes] == []


def test_a_service_always_25_minutes_late_never_flips_an_open_alert():
    engine_state, st, changes = None, None, []
    for minute in range(0, 121, 5):   # a batch every five minutes, each describing 25 minutes before
        at = T0 + timedelta(minutes=minute)
        kind, d = _handover(f"amb-n{minute:03d}", "arrived", minute - 25)
        batch = [(kind, {**d, "updated_at": at.isoformat()})] if minute else [_live("amb-first", 0, at)]
        for tick in (0, 40, 80):   # the hub's clock ticks between batches
            now = at + timedelta(seconds=tick)
            sigs, st = alert_signals.signals(batch if tick == 0 else [], st, now)
            out = evaluate(RULES, engine_state, sigs, now)
            engine_state = out.state
            changes += [(c.rule_id, c.change) for c in out.changes]
    assert ("handover_release_45", "cleared") not in changes and ("handover_wait_60", "cleared") not in changes
    assert ("handover_wait_60", "raised") in changes


def test_a_hub_clock_stepped_back_does_not_hold_its_services_behind():
    at = T0 + timedelta(hours=1)
    _, st = alert_signals.signals([_live("amb-s", 0, at)], None, at)   # received at 10:00
    back = T0 + timedelta(minutes=5)                                  # the clock stepped back to 09:05
    assert alert_signals.known_at(st["heard"]["RAMB1"], back) == back
    sigs, st = alert_signals.signals([], st, back + timedelta(minutes=50))
    assert [s.value for s in sigs if s.metric == alert_signals.WAIT] == [pytest.approx(55)]


def test_a_slow_replay_holds_its_arrivals_back_no_longer_than_replay_max():
    start = T0 + timedelta(hours=5)
    st = None
    for n in range(0, 15 * 60, 20):   # fifteen minutes of batches twenty seconds apart, two hours behind
        at = start + timedelta(seconds=n)
        kind, d = _handover(f"amb-s{n:04d}", "arrived", 180 + n / 60)
        sigs, st = alert_signals.signals([(kind, {**d, "updated_at": at.isoformat()})], st, at)
    waits = [s.value for s in sigs if s.metric == alert_signals.WAIT]
    # Past REPLAY_MAX (ten minutes) every wait is judged at the clock again: two hours and more.
    assert waits and waits[0] >= 120


def test_a_handover_is_counted_once_whatever_order_its_ends_come_in():
    """Found on the demo's feed by a walkthrough: a "cleared" that came while the ambulance was
    waiting was counted, then its late "handed_over" counted again (the phone's hours lost read
    68.9 h against the desktop's 66.1); a "cleared" the hub never saw waiting was not counted at all."""
    waits = (75, 50, 35)   # beyond 15 min: 60 + 35 + 20 = 115 min
    items = []
    # One in order; one cleared while waiting, its handover reported after; one cleared, never seen waiting.
    items += [_handover("amb-a", "arrived", 0), _handover("amb-a", "handed_over", 0, waits[0]),
              _handover("amb-a", "cleared", 0, waits[0])]
    items += [_handover("amb-b", "arrived", 60), _handover("amb-b", "cleared", 60, 60 + waits[1]),
              _handover("amb-b", "handed_over", 60, 60 + waits[1])]
    items += [_handover("amb-c", "cleared", 120, 120 + waits[2])]
    sigs, _st = alert_signals.signals(items, None, T0 + timedelta(hours=4))
    lost = [s.value for s in sigs if s.metric == alert_signals.LOST]
    assert lost[-1] == pytest.approx(115 / 60)
    # Sent again (a replay), nothing more is counted.
    again, _st = alert_signals.signals(items, _st, T0 + timedelta(hours=4, minutes=1))
    assert [s.value for s in again if s.metric == alert_signals.LOST][-1:] in ([], [pytest.approx(115 / 60)])


def test_a_handover_closed_outside_the_tables_valid_range_is_not_hours_lost():
    """A record left "arrived" for 30 hours (its handover quarantined) and then closed: the desktop
    leaves the interval out as invalid data (data quality names it); the hub had counted 29.75 hours
    lost, raised the hours-lost alert on it and shown it on the phone."""
    items = [_handover("amb-ok", "handed_over", 0, 75),          # 60 min beyond 15
             _handover("amb-bad", "handed_over", -30 * 60, 5),   # 30 h: outside the table's [0, 1440]
             _handover("amb-neg", "handed_over", 90, 80)]        # handed over before it arrived
    sigs, st = alert_signals.signals(items, None, T0 + timedelta(hours=2))
    assert [s.value for s in sigs if s.metric == alert_signals.LOST] == [1.0]
    assert st["lost"]["RTEST1"][:2] == [T0.date().isoformat(), 1.0]


def test_handovers_over_60_minutes_today_are_counted_as_the_desktop_counts_serious_delays():
    from models.rules.handover_bands import load_handover

    # 60 exactly is not serious (strictly over); 61 and 200 are; 30 h is invalid data, not a delay.
    minutes = (45, 60, 61, 200, 30 * 60)
    items = [_handover(f"amb-{i}", "handed_over", 10 * i - m, 10 * i) for i, m in enumerate(minutes)]
    _sigs, st = alert_signals.signals(items, None, T0 + timedelta(hours=2))
    t = load_handover()
    expected = sum(1 for m in minutes if t.valid_range.contains(m) and t.serious_delay_range.contains(m))
    assert st["lost"]["RTEST1"][2] == expected == 2
    # A new UK day starts at nought, the count with the hours.
    _sigs, st = alert_signals.signals([_handover("amb-next", "handed_over", 24 * 60 + 60, 24 * 60 + 130)], st,
                                      T0 + timedelta(hours=27))
    assert st["lost"]["RTEST1"][1:] == [55 / 60, 1]


def test_a_days_total_kept_before_the_count_of_serious_delays_says_it_is_not_known():
    """A hub upgraded during the day holds [day, hours]: the hours go on, the count is unknown (None)
    until the next UK day, never a count that started at noon."""
    day = T0.date().isoformat()
    st = {"waiting": {}, "lost": {"RTEST1": [day, 2.0]}, "c2": {}, "ended": {}, "heard": {}}
    _sigs, st = alert_signals.signals([_handover("amb-x", "handed_over", 0, 75)], st, T0 + timedelta(hours=2))
    assert st["lost"]["RTEST1"] == [day, 3.0, None]
    _sigs, st = alert_signals.signals([_handover("amb-y", "handed_over", 24 * 60, 24 * 60 + 75)], st,
                                      T0 + timedelta(hours=26))
    assert st["lost"]["RTEST1"] == [(T0 + timedelta(days=1)).date().isoformat(), 1.0, 1]


def test_a_late_report_of_yesterdays_handover_leaves_todays_hours_and_count_alone():
    """A review found: at 00:30 a crew's late update for a handover at 23:50 yesterday reset today's
    figures to yesterday's day, which the day's turn then deleted (the phone read 0, the alert cleared)."""
    day = T0.date().isoformat()
    st = {"waiting": {}, "lost": {"RTEST1": [day, 2.5, 2]}, "c2": {}, "ended": {}, "heard": {}}
    sigs, st = alert_signals.signals([_handover("amb-late", "handed_over", -60 * 9 - 70, -60 * 9 - 10)], st,
                                     T0 + timedelta(minutes=30))   # handed over 23:50 the day before (UTC)
    assert st["lost"]["RTEST1"] == [day, 2.5, 2]
    assert [s.value for s in sigs if s.metric == alert_signals.LOST] == []


def test_a_wait_learnt_of_in_a_late_batch_is_raised_when_it_passed_the_threshold():
    """A batch at 12:00 says an ambulance arrived at 09:00 and is still waiting (the service's data runs to
    now: a crew arrived a minute ago). The wait passed 45 and 60 minutes at 09:45 and 10:00 by its data: the
    alerts are raised then, at those values (before: at 12:00, "open 0 min", at 180 minutes). After a clear,
    the next late wait is raised no earlier than the clear."""
    now = T0 + timedelta(hours=3)
    batch = [_live("amb-late", 0, now), _live("amb-new", 179, now)]
    sigs, st = alert_signals.signals(batch, None, now)
    raised = evaluate(RULES, None, sigs, now)
    assert sorted((c.rule_id, c.since, c.at, c.value) for c in raised.changes) == [
        ("handover_release_45", T0 + timedelta(minutes=45), T0 + timedelta(minutes=45), 45.0),
        ("handover_wait_60", T0 + timedelta(minutes=60), T0 + timedelta(minutes=60), 60.0)]
    ended = now + timedelta(minutes=1)
    sigs, st = alert_signals.signals([_handover("amb-late", "handed_over", 0, 181),
                                      _handover("amb-new", "handed_over", 179, 181)], st, ended)
    cleared = evaluate(RULES, raised.state, sigs, ended)
    assert sorted(c.change for c in cleared.changes) == ["cleared", "cleared"]
    later = ended + timedelta(minutes=1)
    sigs, st = alert_signals.signals([_live("amb-late2", 30, later), _live("amb-new2", 182, later)], st, later)
    again = evaluate(RULES, cleared.state, sigs, later)
    assert sorted((c.rule_id, c.since, c.at) for c in again.changes) == [
        ("handover_release_45", ended, ended), ("handover_wait_60", ended, ended)]


def test_an_ambulance_waiting_when_the_hub_went_down_raises_nothing_when_its_handover_is_replayed():
    """r1, session 31: the hub itself is down six hours (no ticks, no items).  An ambulance had waited
    30 minutes when it went down; the service's replay after the hub returns says it was handed over at
    40 minutes.  The first replayed batch (another arrival, described
    at 35 minutes) judged the waiting one at the hub's clock: a 390-minute wait, a CRITICAL 60-minute
    alert (escalated after 15), cleared by the next batch.  The demo after a 6 h outage raised four:
    RWD 394, RTG 398, RX1 376, RFS 386 minutes at 20:42, while the hospitals' true waits were under an hour."""
    _, st = alert_signals.signals([_live("amb-w", 0, T0)], None, T0, OUT)
    engine_state = None
    for minute in (1, 30):   # the hub ticks while up: 30 minutes' wait, below every threshold
        at = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, at, OUT)
        engine_state = evaluate(RULES, engine_state, sigs, at).state
    back = T0 + timedelta(hours=6, minutes=30)   # the hub returns; the service replays its backlog
    changes = []
    batches = [[_live("amb-x", 35, back)],
               [("handover", {**_handover("amb-w", "handed_over", 0, 40)[1],
                              "updated_at": (back + timedelta(seconds=2)).isoformat()})]]
    for n, batch in enumerate(batches):
        at = back + timedelta(seconds=2 * n)
        sigs, st = alert_signals.signals(batch, st, at, OUT)
        out = evaluate(RULES, engine_state, sigs, at)
        engine_state = out.state
        changes += [(c.rule_id, c.change) for c in out.changes if c.rule_id.startswith("handover_wait")]
    assert changes == [], changes


def _down_six_hours(first):
    """An ambulance waiting 30 minutes when the hub stops; back 6 h later, ``first`` is evaluated alone."""
    _, st = alert_signals.signals([_live("amb-w", 0, T0)], None, T0, OUT)
    engine = None
    for minute in range(5, 35, 5):
        at = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, at, OUT)
        engine = evaluate(RULES, engine, sigs, at).state
    back = T0 + timedelta(hours=6, minutes=30)
    sigs, st = alert_signals.signals(first, st, back, OUT)
    out = evaluate(RULES, engine, sigs, back)
    return back, st, out


def test_after_the_hub_was_down_a_wait_counts_the_time_heard_until_its_service_covers_the_gap():
    """The hub's first tick back (before any replay) judges the ambulance at 30 minutes, not 6 h 30 (what the
    hub did not hear is not a wait); a service quiet after the return leaves it waiting from there (60 at
    30 minutes heard); a replay that covers the gap without its handover raises it (a true wait)."""
    back, st, out = _down_six_hours([])
    assert [(s.metric, s.value) for s in out.changes] == [] and datetime.fromisoformat(st["clock"]["gap"][1]) == back
    quiet = st
    for minute in range(5, 35, 5):   # the hub ticks on; the service says nothing
        sigs, quiet = alert_signals.signals([], quiet, back + timedelta(minutes=minute), OUT)
    assert [s.value for s in sigs if s.metric == alert_signals.WAIT] == [60.0]
    at = back + timedelta(seconds=5)   # the replay: other arrivals to 4 h after, then to the return
    for n, minutes in enumerate((240, 390)):
        sigs, st = alert_signals.signals([_live(f"amb-o{n}", minutes, at)], st, at, OUT)
    assert [round(s.value) for s in sigs if s.metric == alert_signals.WAIT] == [390]
    raised = evaluate(RULES, out.state, sigs, at)
    assert sorted((c.rule_id, c.change) for c in raised.changes) == [
        ("handover_release_45", "raised"), ("handover_wait_60", "raised")]


def test_a_replayed_wait_judged_hours_behind_is_raised_at_its_value_not_its_arrival_days_back():
    """A first start's backfill: a service replays a day-old ambulance that waited 70 minutes, then its
    handover, then the other one still waiting at 85 minutes. Each is raised at the hub's clock at the wait
    its data says
    (before: raised at its arrival plus 60 by the data, a day back, cleared at the clock, and the next one
    raised at the clear with its arrival's age at the clock, 1,440 minutes and more)."""
    now = T0 + timedelta(days=1)
    st, engine, seen = None, None, []
    batches = [[_live("amb-a", 0, now), _live("amb-z", 70, now)],
               [(k, {**d, "updated_at": (now + timedelta(seconds=2)).isoformat()})
                for k, d in (_handover("amb-a", "handed_over", 0, 75), _live("amb-b", 80, now))],
               [_live("amb-y", 155, now + timedelta(seconds=4))]]
    for n, batch in enumerate(batches):
        at = now + timedelta(seconds=2 * n)
        sigs, st = alert_signals.signals(batch, st, at, OUT)
        out = evaluate(RULES, engine, sigs, at)
        engine = out.state
        seen += [(c.change, c.at, round(c.value)) for c in out.changes if c.rule_id == "handover_wait_60"]
    assert seen == [("raised", now, 70), ("cleared", now + timedelta(seconds=2), 10),
                    ("raised", now + timedelta(seconds=4), 85)], seen
