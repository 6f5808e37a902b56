"""r2's review of session 31's CSV date rule (csv_cells.date_order): a UK ambulance service's handover file of
this morning, one ambulance still en route with its ETA half an hour ahead, was refused as "reads both ways" on
the 1st to the 12th of a month, because the fortnight rule counted the ETA (a time the protocol lets be in the
future) as not recent; now an ETA or a period end up to two days ahead counts (csv_cells.AHEAD_FIELDS). A real
hub on loopback, its real clock (the clock-free rule: test_csv_unsaid)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from models.uk_time import UK

pytestmark = pytest.mark.timeout(60)


def test_a_uk_handover_file_with_an_eta_ahead_is_taken_day_first_early_in_the_month(shared_hub):
    now = datetime.now(UK).replace(second=0, microsecond=0)
    if now.day > 12 or now.day == now.month or now.hour < 1:
        pytest.skip("today's date reads one way only (or the hour is too early for an arrival before it)")
    arrived = now - timedelta(minutes=40)
    eta = now + timedelta(minutes=30)
    body = ("type,event_uuid,hospital_code,state,eta_at,arrived_at\r\n"
            f"handover,r2-eta-{now:%H%M%S}a,RTEST1,arrived,,{arrived:%d/%m/%Y %H:%M}\r\n"
            f"handover,r2-eta-{now:%H%M%S}b,RTEST1,en_route,{eta:%d/%m/%Y %H:%M},\r\n").encode()
    reply = shared_hub.request("POST", "/v1/submissions/csv", data=body, headers={"Content-Type": "text/csv"},
                               params={"org_code": "RAMB1", "submission_id": f"r2-eta-{now:%H%M%S%f}"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["accepted"] == 2, reply.text


def test_control_the_same_file_said_day_first_is_taken_whole(shared_hub):
    """The ETA half an hour ahead is lawful (the protocol's future check leaves eta_at out): only the unsaid
    rule refuses the file."""
    now = datetime.now(UK).replace(second=0, microsecond=0)
    arrived, eta = now - timedelta(minutes=40), now + timedelta(minutes=30)
    body = ("type,event_uuid,hospital_code,state,eta_at,arrived_at\r\n"
            f"handover,r2-ctl-{now:%H%M%S}a,RTEST1,arrived,,{arrived:%d/%m/%Y %H:%M}\r\n"
            f"handover,r2-ctl-{now:%H%M%S}b,RTEST1,en_route,{eta:%d/%m/%Y %H:%M},\r\n").encode()
    reply = shared_hub.request("POST", "/v1/submissions/csv", data=body, headers={"Content-Type": "text/csv"},
                               params={"org_code": "RAMB1", "submission_id": f"r2-ctl-{now:%H%M%S%f}",
                                       "dates": "day_first"})
    assert reply.status_code == 200 and reply.json()["accepted"] == 2, reply.text
