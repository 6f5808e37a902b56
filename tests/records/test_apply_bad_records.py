"""A bad acknowledgement or rota record on the feed is quarantined with its reason, never dropped."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from models.replica.orm import QuarantinedRecord
from sync.apply import apply_batch
from sync.engine import catalogue_validator
from tests.records.conftest import T0
from tests.sync.test_apply import batch


def _record(kind, data):
    return {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": "desk-x", "authored_at": T0.isoformat(),
            "data": data, "author": "test-room_lead"}


def test_bad_records_from_the_feed_are_kept_with_their_reasons(store):
    items = [
        (1, "record", _record("alert_ack", {"alert_uuid": str(uuid.uuid4()), "acknowledged_by": "Ana"})),
        (2, "record", _record("alert_ack", {"alert_uuid": str(uuid.uuid4()), "acknowledged_at": T0.isoformat(),
                                            "acknowledged_by": "Ana", "rule_code": "no_such_rule",
                                            "raised_at": T0.isoformat()})),
        (3, "record", _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "DoC",
                                                "contact_uuid": str(uuid.uuid4()), "starts_at": T0.isoformat(),
                                                "ends_at": T0.isoformat()})),
        (4, "record", _record("on_call_shift", {"op": "swap", "shift_uuid": str(uuid.uuid4())})),
    ]
    report = apply_batch(store, batch(items), catalogue_validator())
    assert (report.applied, report.quarantined) == (0, 4)
    with store.session() as s:
        reasons = [q.errors for q in s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id))]
    assert reasons[0] == ["data: an alert acknowledgement needs acknowledged_at"]
    assert reasons[1] == ["data.rule_code: no alert rule 'no_such_rule' on this desktop"]
    assert reasons[2][0].startswith("data.contact_uuid: contact ") and "no creation edit here yet" in reasons[2][0]
    assert reasons[3] == ["data: a rota record needs shift_uuid and op (create or cancel)"]
