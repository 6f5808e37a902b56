"""The hub's acknowledgement of a re-raise under a snooze names who snoozed as the desktops show the
snoozing acknowledgement (``models.record_signer.shown``): the token's user first when the signed name differs,
never the typed name alone (review r2, finding 1).  Real hub, two real replicas."""
from __future__ import annotations

from sqlalchemy import select

from models.author import MAX_CHARS
from models.replica.orm import AlertEvent
from models.service import alerts as alert_service
from tests.sync.engine.conftest import submit
from tests.sync.engine.test_hub_alert_rules import _now, _reap, _sync


def _reap4_acks(desk, first_uuid):
    with desk.store.session() as s:
        return sorted((r.uuid == first_uuid, r.acknowledged_by) for r in s.scalars(
            select(AlertEvent).where(AlertEvent.rule_code == "reap_4")))


def test_snoozed_reraise_names_the_same_doer_as_the_acknowledgement(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [_reap(4, 20)], org="RAMB1", role="admin")
    _sync(a, b)
    reap4 = next(i for i in alert_service.open_alerts(a.store, _now()).open if i.rule == "reap_4")
    alert_service.acknowledge(a.store, reap4.uuid, "Dr Asha Director", "on it", _now(), snooze_minutes=60)
    _sync(a, b)
    submit(sqlite_hub, [_reap(1, 10)], org="RAMB1", role="admin")
    submit(sqlite_hub, [_reap(4, 5)], org="RAMB1", role="admin")
    _sync(a, b)
    for desk in (a, b):
        got = _reap4_acks(desk, reap4.uuid)
        assert got == [(False, 'test-room_lead (signed "Dr Asha Director") (snoozed)'),
                       (True, 'test-room_lead (signed "Dr Asha Director")')], got


def test_a_snooze_signed_with_the_longest_name_keeps_the_account_and_the_snoozed_mark(sqlite_hub, make_desktop):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    submit(sqlite_hub, [_reap(4, 20)], org="RAMB1", role="admin")
    _sync(a, b)
    reap4 = next(i for i in alert_service.open_alerts(a.store, _now()).open if i.rule == "reap_4")
    alert_service.acknowledge(a.store, reap4.uuid, "Dr " + "A" * (MAX_CHARS - 3), "", _now(), snooze_minutes=60)
    _sync(a, b)
    submit(sqlite_hub, [_reap(1, 10)], org="RAMB1", role="admin")
    submit(sqlite_hub, [_reap(4, 5)], org="RAMB1", role="admin")
    _sync(a, b)
    for desk in (a, b):
        again = [w for first, w in _reap4_acks(desk, reap4.uuid) if not first]
        assert len(again) == 1 and len(again[0]) <= MAX_CHARS, again
        assert again[0].startswith('test-room_lead (signed "Dr AAA') and again[0].endswith('…") (snoozed)'), again
