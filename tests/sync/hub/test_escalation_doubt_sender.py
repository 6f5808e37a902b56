"""The escalation email names who sent the figures it says are in doubt, in the desktop's words.

Two units report 190 occupied critical care beds of 20 staffed, each raising "No critical care bed free":
RTEST1's through the API under token 12 of user 'trust-feed'; RTEST2's phoned in to the SCC (Sam Lee, site
manager), recorded by a desktop's user (A. Patel) and pushed as a room's record is, after which RTEST2's own
feed sends another figure through the API (a notice of RTEST2's after the phoned-in beds).  One email to a
real SMTP server (aiosmtpd, STARTTLS, AUTH), on SQLite and PostgreSQL: under each alert, the finding and
whom to ask; the record of the attempt keeps it (``sent_by``).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from models.records import phoned_in as phoned_rules
from sync.hub import intake, records
from sync.hub.app import _envelope
from sync.hub.auth import Principal
from sync.hub.validate import Checked
from tests.sync.hub.test_escalation import NOW, ROOM, escalations, make_hub, rota, settings, smtpd  # noqa: F401
from tests.sync.hub.test_escalation_doubt import RAISED, due, entries, no_beds

pytestmark = pytest.mark.timeout(120)


def _feed(org: str) -> Principal:
    """A trust's system submitting under its token (the token's id is what the words name)."""
    return Principal(token_id=12, user="trust-feed", role="provider_submitter", org_code=org)


def _submit(hub, org: str, items: list[dict]) -> None:
    payload = {"submission_id": f"{org}-{uuid.uuid4()}", "org_code": org, "submitted_at": NOW.isoformat(),
               "items": items}
    sub, raw = _envelope(json.loads(json.dumps(payload)))
    intake.submit(hub, _feed(org), sub.submission_id, sub.org_code, sub.submitted_at,
                  [Checked(index=i, raw=r) for i, r in enumerate(raw)], "json", True)


def _phoned_in(hub, org: str, staffed: int, occupied: int) -> None:
    data = phoned_rules.build_data(org_code=org, phoned_at=RAISED, caller_name="Sam Lee", caller_role="site manager",
                                   taken_by="A. Patel", figures={"critcon_level": 1, "cc_staffed_beds": staffed,
                                                                 "cc_occupied_beds": occupied})
    body = {"records": [{"uuid": str(uuid.uuid4()), "kind": "phoned_in", "device_id": str(uuid.uuid4()),
                         "authored_at": NOW.isoformat(), "data": data}]}
    [result] = records.push(hub, ROOM, body).results
    assert result.status == "stored", result


def test_the_email_names_who_sent_each_doubted_figure(make_hub, smtpd):
    hub = make_hub(settings(smtpd))
    rota(hub)
    _submit(hub, "RTEST1", [{"type": "critcon", "reported_at": RAISED.isoformat(), "level": 1, "staffed_beds": 20,
                             "occupied_beds": 190}])
    _phoned_in(hub, "RTEST2", 20, 190)
    _submit(hub, "RTEST2", [{"type": "observation", "metric": "ed_four_hour_performance_pct",
                             "observed_at": NOW.isoformat(), "value": 71}])
    alerts = no_beds(hub)
    assert set(alerts) == {"RTEST1", "RTEST2"}, alerts
    assert sorted(hub.escalation.check(now=due(hub)).sent) == sorted(alerts.values())
    [mail] = smtpd.wait_for(1)
    entry = entries(mail.message.get_content())
    assert ("  In doubt (data quality): RTEST1 reported 190 occupied critical care beds of 20 staffed at "
            in entry[alerts["RTEST1"]]), entry
    assert (": more than 2 times its staffed beds. Sent by the API, token 12 of user 'trust-feed'.\n"
            in entry[alerts["RTEST1"]]), entry[alerts["RTEST1"]]
    # Who typed it as every desktop names it: the token's user first, the name signed after (models.record_signer).
    typed = 'test-room (signed "A. Patel")'   # the desktop's token's user, test-room
    assert (": more than 2 times its staffed beds. Phoned in to the SCC by Sam Lee (site manager), typed by "
            f"{typed}.\n" in entry[alerts["RTEST2"]]), entry[alerts["RTEST2"]]
    said = {org: json.loads(escalations(hub)[uid]["attempt_log"])[0]["doubt"] for org, uid in alerts.items()}
    assert [d["sent_by"] for d in said["RTEST1"]] == ["Sent by the API, token 12 of user 'trust-feed'."]
    assert [d["sent_by"] for d in said["RTEST2"]] == ["Phoned in to the SCC by Sam Lee (site manager), typed by "
                                                      f"{typed}."]
    assert said["RTEST2"][0]["words"].endswith(said["RTEST2"][0]["sent_by"])
