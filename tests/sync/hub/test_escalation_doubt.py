"""An escalation email about an alert whose figures a data-quality finding doubts says so, and still goes.

A critical care unit reports 410 occupied beds of 200 staffed (a unit of 20): the hub's rule engine
raises "No critical care bed free" (critical) on it, and the desktops mark it "In doubt (data quality)".
The hub's email to the Director on-call must say the same, from the same checks on what the hub holds
when it sends.  A real hub on its database (SQLite and PostgreSQL), the units' reports through the hub's
own intake, a real SMTP server (aiosmtpd, STARTTLS, AUTH).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from sync.hub import figures_doubt, intake
from sync.hub.app import _envelope
from sync.hub.auth import Principal
from sync.hub.escalation_room import open_alerts_for_escalation
from sync.hub.validate import Checked
from tests.sync.hub.test_escalation import (DIRECTOR_EMAIL, LEAD_EMAIL, NOW, escalations, make_hub,  # noqa: F401
                                            raise_alert, rota, settings, smtpd)

pytestmark = pytest.mark.timeout(120)
WHO = Principal(token_id=0, user="test", role="admin", org_code=None)
RAISED = NOW - timedelta(minutes=20)


def report(hub, org: str, at, staffed: int, occupied: int, level: int = 1) -> None:
    """A unit's critical care report, as a provider submits it."""
    payload = {"submission_id": f"cc-{org}-{at.isoformat()}-{staffed}-{occupied}", "org_code": org,
               "submitted_at": NOW.isoformat(),
               "items": [{"type": "critcon", "reported_at": at.isoformat(), "level": level,
                          "staffed_beds": staffed, "occupied_beds": occupied}]}
    sub, raw = _envelope(json.loads(json.dumps(payload)))
    intake.submit(hub, WHO, sub.submission_id, sub.org_code, sub.submitted_at,
                  [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)


def twelve_hours(hub, org: str) -> None:
    """A unit of 20 staffed beds, reporting hourly: the history a jump is judged against."""
    for n in range(12):
        report(hub, org, NOW - timedelta(hours=13) + timedelta(hours=n), 20, 15 + n % 3)


def no_beds(hub) -> dict[str, str]:
    return {a.org_code: a.id for a in open_alerts_for_escalation(hub.db) if a.rule_id == "cc_no_beds"}


def entries(body: str) -> dict[str, str]:
    """The email's entry for each alert, by its id."""
    blocks = body.replace("\r\n", "\n").split("\n\n")
    return {b.split("  Alert id:  ")[1].strip(): b for b in blocks if "  Alert id:  " in b}


def due(hub, first: bool = False):
    """When the open alerts are all due (``first``: the first of them): 15 minutes (cc_no_beds, OPEL 4) after
    the hub put each on its feed."""
    return (min if first else max)(a.due_at() for a in open_alerts_for_escalation(hub.db))


def test_the_email_says_the_figures_are_in_doubt_and_why_and_still_goes(make_hub, smtpd):
    """RTEST1 reports 410 occupied of 200 staffed (two findings: occupied beyond twice the staffed, and
    staffed beds ten times the unit's usual); RTEST2 is really full (20 of 20).  Both raise "No critical
    care bed free"; both fall due in one check, so one email lists both: the subject counts the one in
    doubt, the body says what that means and gives each finding under its alert, in the desktop's words,
    and nothing of the kind under the other.  The hub's record of the attempt keeps what was said."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    twelve_hours(hub, "RTEST1")
    twelve_hours(hub, "RTEST2")
    report(hub, "RTEST1", RAISED, 200, 410)
    report(hub, "RTEST2", RAISED, 20, 20)
    alerts = no_beds(hub)
    assert set(alerts) == {"RTEST1", "RTEST2"}
    # Not brought on by the doubt, nor held back: due at its time, as any alert.
    assert hub.escalation.check(now=due(hub, first=True) - timedelta(seconds=1)).claimed == []
    sent = hub.escalation.check(now=due(hub)).sent
    assert sorted(sent) == sorted(alerts.values())
    [mail] = smtpd.wait_for(1)
    subject, body = mail.message["Subject"], mail.message.get_content()
    assert subject.startswith("[SCC] 2 alerts not acknowledged (worst CRITICAL, 1 with figures in doubt): "
                              "No critical care bed free - "), subject
    assert "The figures behind 1 of these alerts are in doubt" in body
    assert ("It comes to you all the same, as the alert may be real: check the figures with the provider "
            "before acting on them.") in body
    entry = entries(body)
    assert "Provider:  RTEST1 Test Acute Trust One" in entry[alerts["RTEST1"]]
    assert ("  In doubt (data quality): RTEST1 reported 410 occupied critical care beds of 200 staffed at "
            in entry[alerts["RTEST1"]]), entry
    assert "  In doubt (data quality): cc_staffed_beds from RTEST1 jumped to 200 at " in entry[alerts["RTEST1"]]
    assert "Provider:  RTEST2 Test Acute Trust Two" in entry[alerts["RTEST2"]]
    assert "In doubt" not in entry[alerts["RTEST2"]]
    assert body.count("In doubt (data quality):") == 2
    # The record of the attempt: what the email said of each alert's figures.
    rows = escalations(hub)
    [attempt] = json.loads(rows[alerts["RTEST1"]]["attempt_log"])
    assert {d["check"] for d in attempt["doubt"]} == {"impossible", "jump"}
    assert all(d["words"].startswith("In doubt (data quality): ") for d in attempt["doubt"])
    assert all(d["submission"].startswith("feed ") for d in attempt["doubt"])
    [plain] = json.loads(rows[alerts["RTEST2"]]["attempt_log"])
    assert "doubt" not in plain and plain["error"] is None


def test_one_alert_in_doubt_alone_says_so_in_its_subject(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    report(hub, "RTEST1", RAISED, 20, 190)   # no history: only the occupied beds are found
    [uid] = no_beds(hub).values()
    assert hub.escalation.check(now=due(hub)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert mail.message["Subject"] == ("[SCC] CRITICAL alert not acknowledged, figures in doubt: "
                                       "No critical care bed free - RTEST1 Test Acute Trust One")
    body = mail.message.get_content()
    assert "The figures behind this alert are in doubt" in body
    assert "In doubt (data quality): RTEST1 reported 190 occupied critical care beds of 20 staffed at " in body
    assert "more than 2 times its staffed beds." in body
    assert mail.rcpt_tos in ([LEAD_EMAIL], [DIRECTOR_EMAIL])


def test_a_finding_cleared_before_the_send_is_not_in_the_email_and_a_retry_says_what_holds_then(make_hub, smtpd):
    """The first try fails (451) while the figures are in doubt; the unit resends the report corrected
    (20 of 20: still no bed free, the alert stands); the retry's email says nothing of doubt.  The record
    keeps both: the first attempt in doubt, the second not."""
    hub = make_hub(settings(smtpd, retry_seconds=30))
    rota(hub)
    report(hub, "RTEST1", RAISED, 20, 190)
    [uid] = no_beds(hub).values()
    smtpd.fail_next("451 4.3.0 try again later")
    at = due(hub)
    assert hub.escalation.check(now=at).retrying == [uid]
    report(hub, "RTEST1", RAISED, 20, 20)   # the same time, corrected: a later receipt replaces it
    assert no_beds(hub) == {"RTEST1": uid}
    assert hub.escalation.check(now=at + timedelta(seconds=31)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert "figures in doubt" not in mail.message["Subject"]
    assert "In doubt" not in mail.message.get_content() and "in doubt" not in mail.message.get_content()
    first, second = json.loads(escalations(hub)[uid]["attempt_log"])
    assert first["error"] and [d["check"] for d in first["doubt"]] == ["impossible"]
    assert second["error"] is None and "doubt" not in second


def test_an_alert_of_another_kind_beside_one_in_doubt_is_not_marked(make_hub, smtpd):
    """OPEL 4 at RTEST1 and the unit's impossible beds at the same provider, in one email: the doubt is
    the beds' alone (an OPEL level rests on the OPEL parameters it was scored from, not on critical care
    beds: test_escalation_opel_doubt), as on the desktop."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    report(hub, "RTEST1", RAISED, 20, 190)
    opel = raise_alert(hub, RAISED)
    [beds] = no_beds(hub).values()
    assert sorted(hub.escalation.check(now=due(hub)).sent) == sorted([opel, beds])
    [mail] = smtpd.wait_for(1)
    body = mail.message.get_content()
    assert "In doubt" not in entries(body)[opel] and "In doubt (data quality): RTEST1" in entries(body)[beds]
    assert body.count("In doubt (data quality):") == 1
    assert "1 with figures in doubt" in mail.message["Subject"]


def test_a_check_of_the_figures_that_fails_never_stops_the_email(make_hub, smtpd, monkeypatch):
    """A fault the hub's own data cannot be made to cause here (the read raising midway): the email goes
    at its time, says the figures could not be checked, and the record says why."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    report(hub, "RTEST1", RAISED, 20, 190)
    [uid] = no_beds(hub).values()

    def broken(*_a, **_k):
        raise OSError("disk I/O error")

    monkeypatch.setattr(figures_doubt, "doubted", broken)
    assert hub.escalation.check(now=due(hub)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    body = mail.message.get_content()
    assert "could not check these figures for data-quality problems" in body
    [attempt] = json.loads(escalations(hub)[uid]["attempt_log"])
    assert attempt["doubt_unchecked"] == "OSError: disk I/O error"


def test_two_values_for_one_time_in_an_observation_put_its_alert_in_doubt(make_hub, smtpd):
    """A room's own rule on G&A occupancy (no minutes to hold): RTEST1 sends 96 and 9.6 for one time in one
    submission, and the alert raised on it is emailed with the duplicate beside it."""
    hub = make_hub(settings(smtpd))
    rota(hub)
    items = [{"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": RAISED.isoformat(),
              "value": v} for v in (96, 9.6)]
    payload = {"submission_id": "ga-twice", "org_code": "RTEST1", "submitted_at": NOW.isoformat(), "items": items}
    sub, raw = _envelope(json.loads(json.dumps(payload)))
    intake.submit(hub, WHO, sub.submission_id, sub.org_code, sub.submitted_at,
                  [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)
    uid = "5b8f3c3e-0000-4000-8000-000000000001"
    with hub.db.write() as w:   # raised as the hub's engine raises a room rule's alert
        w.emit("alert", {"change": "raised", "alert_uuid": uid, "rule_id": "room_ga_96",
                         "rule_name": "G&A occupancy over 95%", "severity": "warning", "kind": "threshold",
                         "direction": "above", "scope": "provider", "subject": "RTEST1", "org_code": "RTEST1",
                         "metric": "ga_bed_occupancy_pct", "value": 96.0, "threshold": 95.0,
                         "since": RAISED.isoformat(), "at": RAISED.isoformat(), "escalate_after_minutes": 0,
                         "detail": "G&A occupancy over 95%: RTEST1 at 96."}, "RTEST1")
    assert hub.escalation.check(now=due(hub)).sent == [uid]
    [mail] = smtpd.wait_for(1)
    assert mail.message["Subject"].startswith("[SCC] WARNING alert not acknowledged, figures in doubt: ")
    assert ("In doubt (data quality): RTEST1 sent 2 different values of ga_bed_occupancy_pct for "
            in entries(mail.message.get_content())[uid])
    [attempt] = json.loads(escalations(hub)[uid]["attempt_log"])
    assert [d["check"] for d in attempt["doubt"]] == ["duplicate"]
