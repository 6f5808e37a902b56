"""The hub's alerts (feed kind "alert") on a real encrypted replica: applied with the hub's id,
a bad one quarantined naming its field while the rest of the batch applies, a repeat changes
nothing, and a clear for a raise never seen still closes the story."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models.replica.ingest import ObservationValidator
from models.replica.orm import AlertEvent, AlertRule, QuarantinedRecord
from models.rules.alert_engine import Signal, evaluate
from models.rules.alert_rules import default_rules
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem
from tests.models.conftest import store, store_path  # noqa: F401

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)
RULES = default_rules()


def _changes(levels):
    state, out = None, []
    for i, level in enumerate(levels):
        at = T0 + timedelta(minutes=10 * i)
        ev = evaluate(RULES, state, [Signal("reap_level", "provider", "RAMB1", at, level, "RAMB1")], at)
        state, out = ev.state, out + ev.changes
    return out


def _batch(datas, start=1):
    items = [FeedItem(seq=start + i, kind="alert", data=d) for i, d in enumerate(datas)]
    return FeedBatch(items=items, next_after=start + len(items) - 1, head=start + len(items) - 1,
                     server_time=T0)


@pytest.mark.parametrize("field, value, words", [
    ("alert_uuid", "short", "alert_uuid"),
    ("detail", "x" * 2001, "detail"),
    ("value", "NaN", "value"),
    ("since", "2026-01-12T09:00:00", "since"),
    ("change", "exploded", "change"),
    ("severity", "apocalyptic", "severity"),
])
def test_a_bad_alert_is_quarantined_naming_its_field_and_the_rest_applies(store, field, value, words):
    good = [c.wire() for c in _changes([4])]
    bad = {**good[0], field: value}
    report = apply_batch(store, _batch([bad] + good), ObservationValidator({}))
    assert (report.applied, report.quarantined) == (len(good), 1)
    with store.session() as s:
        q = s.scalars(select(QuarantinedRecord)).one()
        assert q.source == "feed:alert" and any(words in e for e in q.errors), q.errors
        assert s.scalar(select(func.count()).select_from(AlertEvent)) == len(good)


def test_applied_once_with_the_hub_id_and_its_rule(store):
    changes = _changes([4, 1])
    datas = [c.wire() for c in changes]
    apply_batch(store, _batch(datas), ObservationValidator({}))
    apply_batch(store, _batch(datas), ObservationValidator({}))   # a repeat below the cursor
    with store.session() as s:
        rows = {e.uuid: e for e in s.scalars(select(AlertEvent))}
        assert set(rows) == {c.id for c in changes}
        assert all(e.cleared_at is not None and e.subject == "provider:RAMB1" for e in rows.values())
        assert {e.value for e in rows.values()} == {4.0}   # the value that raised it, kept for the centre
        rule = s.get(AlertRule, "reap_4")
        assert (rule.comparison, rule.threshold, rule.severity) == (">=", 4, "critical")


def test_a_clear_whose_raise_never_arrived_is_kept_cleared(store):
    cleared = [c.wire() for c in _changes([4, 1]) if c.change == "cleared"]
    report = apply_batch(store, _batch(cleared), ObservationValidator({}))
    assert report.quarantined == 0
    with store.session() as s:
        assert all(e.cleared_at is not None for e in s.scalars(select(AlertEvent)))


def _escalation(uid: str, **change) -> dict:
    return {"alert_uuid": uid, "outcome": "sent", "at": (T0 + timedelta(minutes=20)).isoformat(),
            "to_name": "Dr Priya Raman", "to_address": "priya.raman@example.nhs.uk",
            "contact_uuid": "6f1c2a3e-0000-4000-8000-000000000001", "rota": "Director on-call",
            "fallback_reason": None, "attempts": 1, "error": None, **change}


def _batch_of(items: list[tuple[str, dict]], start: int = 1) -> FeedBatch:
    feed = [FeedItem(seq=start + i, kind=kind, data=d) for i, (kind, d) in enumerate(items)]
    return FeedBatch(items=feed, next_after=start + len(feed) - 1, head=start + len(feed) - 1, server_time=T0)


def test_the_hubs_escalation_email_is_shown_on_its_alert(store):
    raised = _changes([4])[0].wire()
    failed = _escalation(raised["alert_uuid"], outcome="failed", attempts=5,
                         error="SMTP 535: authentication failed")
    report = apply_batch(store, _batch_of([("alert", raised), ("alert_escalation", _escalation(raised["alert_uuid"]))]),
                         ObservationValidator({}))
    assert (report.applied, report.quarantined) == (2, 0)
    with store.session() as s:
        shown = s.get(AlertEvent, raised["alert_uuid"])
        assert (shown.escalation_outcome, shown.escalated_to, shown.escalated_address, shown.escalation_rota,
                shown.escalated_at, shown.escalation_error) == (
            "sent", "Dr Priya Raman", "priya.raman@example.nhs.uk", "Director on-call", T0 + timedelta(minutes=20),
            None)
    apply_batch(store, _batch_of([("alert_escalation", failed)], start=3), ObservationValidator({}))
    with store.session() as s:
        shown = s.get(AlertEvent, raised["alert_uuid"])
        assert (shown.escalation_outcome, shown.escalation_error) == ("failed", "SMTP 535: authentication failed")


@pytest.mark.parametrize("change, words", [
    ({"outcome": "posted"}, "outcome"),
    ({"to_address": "x" * 400}, "to_address"),
    ({"error": "e" * 2001}, "error"),
    ({"at": "2026-01-12T09:20:00"}, "at"),
    ({"attempts": -1}, "attempts"),
])
def test_a_bad_escalation_notice_is_quarantined_naming_its_field_and_the_rest_applies(store, change, words):
    raised = _changes([4])[0].wire()
    bad = _escalation(raised["alert_uuid"], **change)
    report = apply_batch(store, _batch_of([("alert", raised), ("alert_escalation", bad)]), ObservationValidator({}))
    assert (report.applied, report.quarantined) == (1, 1)
    with store.session() as s:
        q = s.scalars(select(QuarantinedRecord)).one()
        assert q.source == "feed:alert_escalation" and any(words in e for e in q.errors), q.errors
        assert s.get(AlertEvent, raised["alert_uuid"]).escalation_outcome is None


def test_an_escalation_for_an_alert_this_replica_never_held_is_quarantined_with_that_reason(store):
    uid = "0b7e6f7a-1111-4222-8333-444455556666"
    report = apply_batch(store, _batch_of([("alert_escalation", _escalation(uid))]), ObservationValidator({}))
    assert (report.applied, report.quarantined) == (0, 1)
    with store.session() as s:
        q = s.scalars(select(QuarantinedRecord)).one()
        assert any(uid in e and "alert_uuid" in e for e in q.errors), q.errors


def _reap_at(points):
    state, out = None, []
    for at, level in points:
        ev = evaluate(RULES, state, [Signal("reap_level", "provider", "RAMB1", at, level, "RAMB1")], at)
        state, out = ev.state, out + ev.changes
    return [c for c in out if c.rule_id == "reap_4"]


def _summary(store):
    with store.session() as s:
        return s.scalars(select(AlertEvent.summary).where(AlertEvent.summary.is_not(None))).one()


def test_a_flapping_alerts_summary_names_the_zone_of_times_in_the_autumn_repeated_hour(store):
    """25 Oct 2026: 01:00-02:00 happens first in BST, then in GMT.  REAP 4 at 01:00 BST, 1 at 01:10 BST,
    4 again at 01:30 BST, 1 at 01:20 GMT (an hour and fifty minutes later).  The summary read "since
    Sun 25 Oct 01:00 ...; last cleared Sun 25 Oct 01:20": cleared, by the clock, before it was raised."""
    utc = datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc)   # 01:00 BST
    steps = [(utc, 4), (utc + timedelta(minutes=10), 1), (utc + timedelta(minutes=30), 4),
             (utc + timedelta(minutes=80), 1)]
    changes = _reap_at(steps)
    assert len(changes) == 4
    apply_batch(store, _batch([c.wire() for c in changes[:3]]), ObservationValidator({}))
    assert _summary(store) == ("Raised 2 times, cleared 1 since Sun 25 Oct 01:00 BST UK time; "
                               "open since Sun 25 Oct 01:30 BST UK time.")
    apply_batch(store, _batch([changes[3].wire()], start=4), ObservationValidator({}))
    assert _summary(store) == ("Raised 2 times, cleared 2 since Sun 25 Oct 01:00 BST UK time; "
                               "last cleared Sun 25 Oct 01:20 GMT UK time.")


def test_a_time_outside_the_repeated_hour_is_told_bare():
    from models.rules.alert_engine import uk_clock
    assert uk_clock(T0) == "Mon 12 Jan 09:00"
    assert uk_clock(datetime(2026, 10, 25, 1, 0, tzinfo=timezone.utc)) == "Sun 25 Oct 01:00 GMT"
    assert uk_clock(datetime(2026, 10, 25, 2, 0, tzinfo=timezone.utc)) == "Sun 25 Oct 02:00"
