"""The hub's alerts for the alert centre's tests and screenshots, made the way the hub makes them.

Signals go through the real rule engine (``models.rules.alert_engine``) with the default rules,
and its raises and clears are applied as feed items of kind "alert" (``sync.apply_alerts``), so
folding, summaries and rule rows are the replica's own.  Forty acute providers, a dozen alerts:
critical and warning, a flapping wait folded into one summary line, cleared ones, and two
acknowledged with notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.rules.alert_engine import Signal, evaluate
from models.rules.alert_rules import default_rules
from models.service import alerts as alert_service
from tests.ui.feeds import NOW, Feed, forty_acute_providers

RULES = default_rules()


def signals_to_alerts(signals: list[Signal], rules=RULES) -> list[dict]:
    """Run the engine over ``signals`` in time order (the clock at each one's time): the wire
    form of every raise and clear, as the hub puts them on the feed."""
    state, out = None, []
    for sig in sorted(signals, key=lambda s: s.at):
        ev = evaluate(rules, state, [sig], sig.at, clock=False)
        state, out = ev.state, out + [c.wire() for c in ev.changes]
    return out


def apply_alerts(store, wires: list[dict], first_seq: int = 10_000) -> None:
    feed = Feed(first_seq)
    for w in wires:
        feed.add("alert", w)
    feed.apply(store)


def wait(org: str, minutes_ago: float, value: float, now: datetime = NOW) -> Signal:
    return Signal("handover_longest_wait_minutes", "provider", org, now - timedelta(minutes=minutes_ago), value, org)


def room_alerts(now: datetime = NOW) -> list[Signal]:
    """A morning of trouble across the forty: what each alert in the seed is raised from."""
    sigs = [
        wait("R01", 95, 72.0, now),                                # 60-minute wait: critical, and the 45 warning
        Signal("reap_level", "provider", "R30", now - timedelta(minutes=40), 4.0, "R30"),   # REAP 4 (and 3)
        Signal("critcon_level", "provider", "R22", now - timedelta(minutes=25), 3.0, "R22"),  # CRITCON 3 (and 2)
        Signal("opel_level", "pillar", "acute", now - timedelta(minutes=70), 3.0),          # the acute pillar
        wait("R12", 200, 65.0, now), wait("R12", 150, 10.0, now),  # raised and cleared: history
        Signal("ga_bed_occupancy_pct", "provider", "R18", now - timedelta(minutes=80), 96.0, "R18"),
        Signal("ga_bed_occupancy_pct", "provider", "R18", now - timedelta(minutes=45), 96.5, "R18"),
    ]
    # A wait hovering over and under 45 minutes all morning: one alert with its run folded into it.
    for n in range(14):
        minutes_ago = 290 - n * 20
        sigs += [wait("R07", minutes_ago, 50.0, now), wait("R07", minutes_ago - 10, 20.0, now)]
    sigs.append(wait("R07", 5, 52.0, now))
    return sigs


def seed_room(store, now: datetime = NOW, *, providers: bool = True) -> list[dict]:
    """Forty providers and the morning's alerts; two acknowledged with notes.  Returns the wires."""
    if providers:
        forty_acute_providers(store, now)
    wires = signals_to_alerts(room_alerts(now))
    apply_alerts(store, wires)
    page = alert_service.open_alerts(store, now)
    by_rule = {(a.rule, a.org_code): a.uuid for a in page.open}
    alert_service.acknowledge(store, by_rule[("critcon_3", "R22")], "Sam Lead", "Unit lead phoned; mutual aid asked",
                              now - timedelta(minutes=15))
    alert_service.acknowledge(store, by_rule[("handover_release_45", "R01")], "Alex Duty",
                              "HALO on site", now - timedelta(minutes=60))
    return wires
