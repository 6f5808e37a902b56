"""r4 review of 3a95898b: only the hub's LAST outage is kept (state 'clock' 'gap'), so a second gap (a slow
tick under load > 10 min, or a short restart) after a long outage, with the service quiet since, re-judges
the ambulance at the clock: the first outage's hours come back as a wait (r1's false CRITICAL again)."""

from datetime import timedelta

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
