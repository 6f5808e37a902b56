"""A desktop whose clock has fallen outside the protocol's years (a dead clock battery: the computer starts in
1999) still sends the records it recorded while its clock was right.  Protocol 1.8's ``sent_at`` is this
computer's clock as it pushes; one outside ``MIN_YEAR..MAX_YEAR`` failed the push's own check before it was
sent, so nothing in the outbox reached the hub while the clock stayed wrong (found by the session 25 review).
Such a push now goes without ``sent_at`` (the hub then keeps none, and the delay is read on two clocks).

The desktop runs as real processes under libfaketime against a real hub on the right time."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from models.replica.orm import DecisionEntry
from models.replica.store import Store
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.sync.engine.exactly_once import hub_feed
from tests.sync.engine.test_clock_skew import LIBFAKETIME
from tests.sync.engine.test_clock_skew_late import _desktop

pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed "
                                "(Debian: apt-get install faketime); a shifted clock needs it")


def test_a_clock_back_in_1999_still_sends_what_was_recorded_before(sqlite_hub, tmp_path):
    path = tmp_path / "desk" / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
    decided = datetime.now(timezone.utc).replace(microsecond=0)
    _desktop(sqlite_hub, path, "record", "+0", decided)      # recorded on the right clock
    _desktop(sqlite_hub, path, "sync", "-9900d", decided)    # then the battery died: about November 1999
    store = Store.unlock(Path(path), PASSPHRASE)
    try:
        with store.session() as s:
            (row,) = s.query(DecisionEntry).all()
    finally:
        store.close()
    stored = [i["data"] for i in hub_feed(sqlite_hub) if i["kind"] == "record"]
    assert [d["uuid"] for d in stored] == [row.uuid]
    assert "device_sent_at" not in stored[0]   # no clock the hub could keep


def test_a_sent_at_in_2101_in_utc_is_refused_not_kept_where_every_desktop_quarantines_it(sqlite_hub, make_desktop):
    """``2100-12-31T23:30:00-01:00`` is in the protocol's years as written and 2101 in UTC, the form the hub
    keeps: stored, every desktop quarantined the feed record (``device_sent_at`` is a protocol Time) and with
    it the decision.  Refused naming ``sent_at``, as a push's other bad ``sent_at`` is; sent again without,
    every desktop holds the decision."""
    from tests.sync.hub.helpers import decision

    d = decision("Open the ward")
    bad = sqlite_hub.request("POST", "/v1/records", role="room_lead",
                             json={"records": [d], "sent_at": "2100-12-31T23:30:00-01:00"})
    assert bad.status_code == 422, bad.text
    assert [f["field"] for f in bad.json()["fields"]] == ["sent_at"] and "2101" in bad.text, bad.text
    assert sqlite_hub.request("POST", "/v1/records", role="room_lead",
                              json={"records": [d]}).json()["results"][0]["status"] == "stored"
    desk = make_desktop(sqlite_hub, "other")
    assert desk.run_once().error is None
    with desk.store.session() as s:
        assert [e.uuid for e in s.query(DecisionEntry).all()] == [d["uuid"]]
