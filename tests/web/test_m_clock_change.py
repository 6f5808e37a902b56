"""The phone page on the night the clocks go back, on a real hub whose process runs at that night's time
(libfaketime): 01:00 to 02:00 happens twice, so a bare "01:30" names two instants an hour apart. A time
in that hour names its zone; the others stay bare.

Sun 25 Oct 2026, the hub's clock at 00:50 UTC, 01:50 BST (the first pass). The Director on-call's shift
runs to 01:30 UTC, the second 01:30 (GMT), forty minutes on: the page said "until 01:30" at 01:50,
as if the shift had ended. Skipped, with the reason, where libfaketime is not installed.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.hub import HubProcess, seed
from tests.sync.engine.test_clock_skew import LIBFAKETIME
from tests.sync.hub.helpers import rehash
from tests.web.support import add_account, login

pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed "
                                "(Debian: apt-get install faketime); the hub's clock must be that night's")

UTC = timezone.utc
HUB_NOW = datetime(2026, 10, 25, 0, 50, tzinfo=UTC)   # 01:50 BST, the first pass of the repeated hour


def _record(kind: str, data: dict, at: datetime, device: str = "clock-change-desk") -> dict:
    return {"uuid": str(uuid.uuid4()), "kind": kind, "device_id": device, "authored_at": at.isoformat(),
            "data": data}


def _push(hub: HubProcess) -> None:
    director, lead = str(uuid.uuid4()), str(uuid.uuid4())
    at = HUB_NOW - timedelta(minutes=5)
    iso = lambda value: value.isoformat()   # noqa: E731
    records = [
        _record("contact", {"contact_uuid": director, "at": iso(at - timedelta(hours=6)), "changes": {
            "name": {"old": None, "new": "Dr Asha Patel"}, "phone": {"old": None, "new": "07700 900 123"}}}, at),
        _record("contact", {"contact_uuid": lead, "at": iso(at - timedelta(hours=6)), "changes": {
            "name": {"old": None, "new": "Sam Okafor"}}}, at),
        # Sat 20:00 BST to the second 01:30 (GMT), then Sam to 08:00 GMT.
        _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                                  "contact_uuid": director, "starts_at": "2026-10-24T19:00:00+00:00",
                                  "ends_at": "2026-10-25T01:30:00+00:00"}, at),
        _record("on_call_shift", {"op": "create", "shift_uuid": str(uuid.uuid4()), "rota": "Director on-call",
                                  "contact_uuid": lead, "starts_at": "2026-10-25T01:30:00+00:00",
                                  "ends_at": "2026-10-25T08:00:00+00:00"}, at),
        # Decided at 00:40 BST (23:40 UTC Saturday) and at 01:20 BST (00:20 UTC), on two desktops: only the
        # second is in the repeated hour.
        *(rehash(_record("decision", {"device_seq": 1, "decided_at": decided, "decision_maker": "Dr Asha Patel",
                                      "decision_maker_role": "Director on-call", "decision": text,
                                      "rationale": "clock change night", "options_considered": "",
                                      "information_available": "", "situation_snapshot": {}, "links": [],
                                      "recorded_by": "Sam Okafor", "recorded_at": iso(at)}, at, f"desk-{n}"))
          for n, decided, text in ((1, "2026-10-24T23:40:00+00:00", "Open the escalation ward"),
                                   (2, "2026-10-25T00:20:00+00:00", "Divert from Lincoln to Nottingham"))),
    ]
    resp = hub.request("POST", "/v1/records", role="room_lead", json={"records": records})
    assert resp.status_code == 200 and all(r["status"] == "stored" for r in resp.json()["results"]), resp.text


@pytest.fixture()
def night_hub(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    env = {"LD_PRELOAD": LIBFAKETIME, "FAKETIME": f"@{HUB_NOW:%Y-%m-%d %H:%M:%S}", "TZ": "UTC",
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_RESET": "1"}
    # A preamble makes the helper start a cold interpreter, so LD_PRELOAD applies (not a fork).
    hub = HubProcess(db_url, tmp_path, seed(db_url), env, preamble="import os").start()
    try:
        yield hub
    finally:
        hub.stop()


def test_times_in_the_repeated_hour_name_their_zone_on_the_phone_page(night_hub):
    _push(night_hub)
    add_account(night_hub.db_url, "director", "director_on_call")
    web, resp = login(night_hub.url, "director")
    assert resp.status_code == 303
    page = web.get(night_hub.url + "/m/", timeout=20).text
    assert "Updated 01:5" in page and " BST; refreshes every" in page   # the hub's clock is that night's
    assert "Dr Asha Patel, until 01:30 GMT; then Sam Okafor" in page
    assert "01:20 BST Divert from Lincoln to Nottingham" in page
    assert "00:40 Open the escalation ward" in page                     # outside the repeated hour: bare


def test_the_login_throttle_names_the_zone_of_a_time_in_the_repeated_hour(night_hub):
    """Locked out at 01:50 BST for 15 minutes, a person read "Try again after 01:05", which looks like
    the past: it is 01:05 GMT, the second 01:05."""
    add_account(night_hub.db_url, "target", "viewer")
    for n in range(5):
        _, resp = login(night_hub.url, "target", f"wrong guess number {n}")
        assert resp.status_code == 401
    _, resp = login(night_hub.url, "target", "wrong guess number 6")
    assert resp.status_code == 429
    assert re.search(r"Try again after 01:0\d GMT \(in 1[45] min\)", resp.text), resp.text
