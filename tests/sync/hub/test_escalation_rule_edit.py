"""The room edits a rule's escalation time while one of its alerts is open: the open alert is due by the
edited time, counted from its raise.  A real hub on its database (SQLite and PostgreSQL), a real SMTP
server (aiosmtpd, STARTTLS, AUTH)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sync.hub.escalation_room import open_alerts_for_escalation
from tests.sync.hub.test_escalation import (NOW, escalations, make_hub, push, raise_alert, rota,  # noqa: F401
                                            settings, smtpd)

_DEFAULTS = Path(__file__).resolve().parents[3] / "resources" / "alerts" / "default_rules.json"


def _edit_opel_4(hub, minutes: float) -> None:
    rules = json.loads(_DEFAULTS.read_text())
    rule = next(r for r in (rules if isinstance(rules, list) else rules["rules"]) if r["id"] == "opel_provider_4")
    push(hub, "alert_rule", {"rule_id": "opel_provider_4", "op": "edit", "author": "Room lead",
                             "at": NOW.isoformat(), "rule": {**rule, "escalate_after_minutes": minutes}})


def test_a_shortened_escalation_time_applies_to_the_rules_open_alert(make_hub, smtpd):
    """OPEL 4 raised with 60 minutes to escalate; 10 minutes on, the room cuts the rule's time to 5.
    The open alert waited out its 60 (an hour with nobody told), the edit counting only for raises
    after it."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    raised = NOW - timedelta(minutes=30)
    uid = raise_alert(hub, raised, after=60)
    _edit_opel_4(hub, 5)
    [alert] = open_alerts_for_escalation(hub.db)
    assert alert.escalate_after_minutes == 5
    assert hub.escalation.check(now=raised + timedelta(minutes=4)).claimed == []
    assert hub.escalation.check(now=raised + timedelta(minutes=10)).sent == [uid]
    assert set(escalations(hub)) == {uid}


def test_a_lengthened_escalation_time_holds_the_open_alert_to_it(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    raised = NOW - timedelta(minutes=30)
    uid = raise_alert(hub, raised, after=15)
    _edit_opel_4(hub, 45)
    assert hub.escalation.check(now=raised + timedelta(minutes=20)).claimed == []
    assert hub.escalation.check(now=raised + timedelta(minutes=45, seconds=1)).sent == [uid]
    other = raise_alert(hub, raised + timedelta(minutes=1), org="RTEST2", after=45)   # raised after: its own
    [later] = [a for a in open_alerts_for_escalation(hub.db) if a.id == other]
    assert later.escalate_after_minutes == 45
