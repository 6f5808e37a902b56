"""An OPEL 4 scored from a figure the data-quality checks call a spike: the escalation email says so.

RTEST1 sends its nine acute OPEL parameters hourly at OPEL 3 (a total of 27), then one hour with ED
majors/resus occupancy at 480% (a slip for 48.0): the hub scores OPEL 4 on it and its rule engine raises
"A provider's OPEL level rose to 4", critical.  RTEST2 is at OPEL 4 on every hour, with two values for one
time of a parameter that scored nothing (escalation beds open, 0% and 1%).  The email to the on-call must
mark RTEST1's OPEL alerts "In doubt (data quality): ..." with the spike, in the desktop's words, and not
RTEST2's: a figure in its best band cannot have raised a level.  A real hub on its database (SQLite and
PostgreSQL), the parameters through the hub's own intake, its own OPEL scoring and rule engine, a real
SMTP server (aiosmtpd, STARTTLS, AUTH).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.rules.escalation import OpenAlert
from sync.hub import figures_doubt, intake
from sync.hub.app import _envelope
from sync.hub.escalation_room import open_alerts_for_escalation
from sync.hub.validate import Checked
from tests.support import opel_spike
from tests.sync.hub.test_escalation import NOW, escalations, make_hub, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_doubt import WHO, due, entries

pytestmark = pytest.mark.timeout(180)
SPIKE_AT = NOW - timedelta(minutes=20)
START = SPIKE_AT - timedelta(hours=opel_spike.HOURS)


def send(hub, org: str, items: list[dict], sid: str) -> None:
    payload = {"submission_id": sid, "org_code": org, "submitted_at": NOW.isoformat(), "items": items}
    sub, raw = _envelope(json.loads(json.dumps(payload)))
    intake.submit(hub, WHO, sub.submission_id, sub.org_code, sub.submitted_at,
                  [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)


def opel_alerts(hub) -> dict[tuple[str, str], str]:
    return {(a.org_code, a.rule_id): a.id for a in open_alerts_for_escalation(hub.db)
            if a.rule_id.startswith("opel_provider_")}


def test_an_opel_4_scored_from_a_spike_is_emailed_in_doubt_and_one_on_sound_figures_is_not(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    for n, hour in enumerate(opel_spike.history(START, opel_spike.AT_3)):
        send(hub, "RTEST1", hour, f"opel-r1-{n}")
    for n, hour in enumerate(opel_spike.history(START, opel_spike.AT_4)):
        send(hub, "RTEST2", hour, f"opel-r2-{n}")
    assert set(opel_alerts(hub)) == {("RTEST1", "opel_provider_3"), ("RTEST2", "opel_provider_3"),
                                     ("RTEST2", "opel_provider_4")}
    send(hub, "RTEST1", opel_spike.items(SPIKE_AT, {**opel_spike.AT_3, opel_spike.SPIKED: 480}), "opel-r1-spike")
    # 1% then 0% for escalation beds, in one submission: the last (0%, no points) is the one scored.
    send(hub, "RTEST2", opel_spike.items(SPIKE_AT, {opel_spike.IDLE: 1}) + opel_spike.items(SPIKE_AT, opel_spike.AT_4),
         "opel-r2-twice")
    alerts = opel_alerts(hub)
    # The duplicate is found (an alert on that figure itself would be in doubt); the OPEL alerts do not rest on it.
    mine = OpenAlert("x", "room", "RTEST2", SPIKE_AT, None, 15, "warning", "", metric=opel_spike.IDLE)
    assert [d.check for d in figures_doubt.doubted(hub.db, [mine], NOW)["x"]] == ["duplicate"]
    assert ("RTEST1", "opel_provider_4") in alerts, alerts
    sent = hub.escalation.check(now=due(hub)).sent
    assert set(alerts.values()) <= set(sent)
    [mail] = smtpd.wait_for(1)
    subject, body = mail.message["Subject"], mail.message.get_content()
    entry = entries(body)
    spike = ("  In doubt (data quality): ed_majors_resus_occupancy_pct from RTEST1 jumped to 480 at ")
    # The OPEL 4 rests on the spike; so does the OPEL 3 still open (its level is scored from it too).
    assert spike in entry[alerts[("RTEST1", "opel_provider_4")]], entry[alerts[("RTEST1", "opel_provider_4")]]
    assert spike in entry[alerts[("RTEST1", "opel_provider_3")]]
    for rule in ("opel_provider_3", "opel_provider_4"):
        assert "In doubt" not in entry[alerts[("RTEST2", rule)]], entry[alerts[("RTEST2", rule)]]
    assert body.count("In doubt (data quality):") == 2
    assert "2 with figures in doubt" in subject, subject
    [attempt] = json.loads(escalations(hub)[alerts[("RTEST1", "opel_provider_4")]]["attempt_log"])
    assert [(d["check"], d["metric"]) for d in attempt["doubt"]] == [("jump", opel_spike.SPIKED)]
    assert attempt["doubt"][0]["at"] == SPIKE_AT.isoformat()
