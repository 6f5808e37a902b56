"""Every outage of the hub a waiting ambulance spans stays out of its wait (state 'clock' 'gaps'): a second
gap (a tick more than 10 min late under load, or a short restart) after a long outage, with the service quiet
since, must not judge the ambulance at the clock again (only the last gap was kept: 41 -> 401 min, r1's false
CRITICAL again; r4's finding 1).  And a state kept before the 'clock' section was (r4's finding 3): the
restart that brings it in is an outage from its newest receipt, not a wait."""

from datetime import datetime, timedelta

from models.rules import alert_signals
from models.rules.alert_engine import evaluate
from tests.models.test_alert_signals import OUT, RULES, T0, _live


def test_a_slow_tick_after_a_long_outage_does_not_bring_the_outage_back_as_a_wait():
    _, st = alert_signals.signals([_live("amb-w", 0, T0)], None, T0, OUT)
    engine = None
    for minute in range(5, 35, 5):   # hub up: 30 minutes' wait
        at = T0 + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, at, OUT)
        engine = evaluate(RULES, engine, sigs, at).state
    back = T0 + timedelta(hours=6, minutes=30)   # down 6 h; the service is quiet after the return
    at = back
    for minute in range(0, 12, 1):   # ticks while up: 41 minutes heard
        at = back + timedelta(minutes=minute)
        sigs, st = alert_signals.signals([], st, at, OUT)
        engine = evaluate(RULES, engine, sigs, at).state
    assert [round(s.value) for s in sigs if s.metric == alert_signals.WAIT] == [41]
    slow = at + timedelta(minutes=11)   # one tick 11 min late under load (>OUTAGE): taken for an outage
    sigs, st = alert_signals.signals([], st, slow, OUT)
    out = evaluate(RULES, engine, sigs, slow)
    waits = [round(s.value) for s in sigs if s.metric == alert_signals.WAIT]
    raised = [(c.rule_id, round(c.value)) for c in out.changes if c.change == "raised"]
    assert waits == [41] and raised == [], (waits, raised)


def _waits(sigs):
    return [round(s.value) for s in sigs if s.metric == alert_signals.WAIT]


def test_two_outages_are_both_left_out_and_the_second_alone_is_not_counted_twice():
    _, st = alert_signals.signals([_live("amb-w", 0, T0)], None, T0, OUT)
    for minute in range(5, 35, 5):   # 30 min heard
        sigs, st = alert_signals.signals([], st, T0 + timedelta(minutes=minute), OUT)
    at = T0 + timedelta(hours=3, minutes=30)   # down 3 h
    for minute in range(0, 20, 5):            # 15 min heard
        sigs, st = alert_signals.signals([], st, at + timedelta(minutes=minute), OUT)
    at += timedelta(minutes=15 + 120)          # down 2 h more
    sigs, st = alert_signals.signals([], st, at, OUT)
    assert _waits(sigs) == [45], st["clock"]
    assert len(st["clock"]["gaps"]) == 2
    for minute in range(5, 25, 5):
        sigs, st = alert_signals.signals([], st, at + timedelta(minutes=minute), OUT)
    assert _waits(sigs) == [65]               # the time heard since goes on counting
    _, st = alert_signals.signals([("handover", {"hospital_code": "RTEST1", "event_uuid": "amb-w",
                                                 "state": "handed_over", "ambulance_org": "RAMB1",
                                                 "arrived_at": T0.isoformat(), "handed_over_at": _iso_at(at),
                                                 "updated_at": _iso_at(at + timedelta(minutes=21))})],
                                  st, at + timedelta(minutes=21), OUT)
    assert st["clock"]["gaps"] == []          # no ambulance waiting spans them: not kept


def _iso_at(at):
    return at.isoformat()


def test_a_state_kept_before_the_clock_section_takes_its_newest_receipt_for_the_last_evaluation():
    _, st = alert_signals.signals([_live("amb-w", 0, T0)], None, T0, OUT)
    for minute in range(5, 35, 5):
        sigs, st = alert_signals.signals([], st, T0 + timedelta(minutes=minute), OUT)
    st = {k: v for k, v in st.items() if k != "clock"}   # as the hub kept it before the section was
    sigs, st = alert_signals.signals([], st, T0 + timedelta(hours=6, minutes=30), OUT)
    # Down 6 h for the upgrade: no false CRITICAL at 390 min.  The ticks after the last receipt were not
    # kept, so the wait reads from that receipt (0 here, where the arrival was the last receipt).
    assert _waits(sigs) == [0], st["clock"]
    assert [datetime.fromisoformat(t) for t in st["clock"]["gap"]] == [T0, T0 + timedelta(hours=6, minutes=30)]
