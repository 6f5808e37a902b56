"""A late entry is timed on the recording desktop's own clock, so a wrong clock neither makes a prompt entry
late nor hides a late one (protocol 1.8: each push sends the desktop's ``sent_at``, the hub keeps it on each
record as ``device_sent_at``).

The desktop runs as real processes under libfaketime (``LD_PRELOAD``, ``FAKETIME``; its monotonic clock left
alone) against a real hub on the right time.  An entry "held 3 h offline" is recorded by a process whose clock
reads three hours earlier than the syncing process's (one clock, three hours apart), so the hub takes it three
real hours after it was recorded without the test waiting.  What each says is read where a person reads it:
the export (JSON ``late_minutes`` and the PDF's Recorded line), the decision log's detail sentence, and the
phone's list of today's decisions (/m/'s board).

Before 1.8 the delay was the hub's receipt minus the desktop's recording time: a desktop 2 h slow had every
prompt entry called "2 h 00 min after it was recorded", one 2 h fast had a 3 h delay called 1 h.  A hub from
before 1.8 (reproduced by a hub process that drops ``sent_at``) still gives the two-clock reading, which then
says that it is one.

Skipped, with the reason, where libfaketime is not installed (Debian: ``apt-get install faketime``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from models.records.export.records import export_records
from models.replica.orm import DecisionEntry
from models.uk_time import UK
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.hub import REPO, HubProcess, seed
from tests.support.replica import fresh_replica
from tests.sync.engine.test_clock_skew import LIBFAKETIME

pytestmark = pytest.mark.skipif(LIBFAKETIME is None, reason="libfaketime is not installed "
                                "(Debian: apt-get install faketime); a shifted clock needs it")

# Run in a shifted process: record one decision (decided at the real time given, so it is today's on /m/),
# then sync once, or either alone.
_DESKTOP = """
import sys
from datetime import datetime
from pathlib import Path
from models.replica.store import Store
from sync import authoring
path, passphrase, mode, hub_url, decided = sys.argv[1:6]
if mode in ("record", "both"):
    store = Store.unlock(Path(path), passphrase)
    entry = authoring.record_decision(store, decision_maker="Dr Lead", decision_maker_role="Director on-call",
                                      decision="Open the escalation ward", rationale="OPEL 4",
                                      recorded_by="Dr Lead", decided_at=datetime.fromisoformat(decided))
    print(entry.uuid, file=sys.stderr)
    store.close()
if mode in ("sync", "both"):
    from scc_desktop.cli import main
    sys.exit(main(["sync", "--once", "--path", path, "--hub", hub_url]))
"""


def _desktop(hub, path: Path, mode: str, shift: str, decided: datetime) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SCC_HUB_TOKEN": hub.tokens["room_lead"],
           "SCC_PASSPHRASE": PASSPHRASE, "LD_PRELOAD": LIBFAKETIME, "FAKETIME": shift,
           "FAKETIME_DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_RESET": "1"}
    run = subprocess.run([sys.executable, "-c", _DESKTOP, str(path), PASSPHRASE, mode, hub.url, decided.isoformat()],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def _what_each_says(hub, path: Path, decided: datetime, tmp_path: Path) -> SimpleNamespace:
    """The one entry as the export (JSON, PDF text), the decision log's detail and /m/'s board say it."""
    from models.queries.records import Entry
    from models.replica.store import Store
    from sync.hub.db import HubDB
    from sync.hub.web.board import BoardReader
    from ui.records.decisions_view import _at_hub

    store = Store.unlock(path, PASSPHRASE)
    try:
        with store.session() as s:
            (row,) = s.query(DecisionEntry).all()
            entry = Entry.of(row)
            recorded, sent, taken = row.recorded_at, row.device_sent_at, row.hub_received_at
        day = decided.astimezone(UK).date()
        out = export_records(store, day, day, tmp_path / "export", icb="Test ICB", user="t", host="h").out_dir
    finally:
        store.close()
    doc = json.loads((out / "decisions.json").read_text(encoding="utf-8"))
    pdf = " ".join(subprocess.run([shutil.which("pdftotext"), str(out / "decisions.pdf"), "-"],
                                  capture_output=True, text=True, timeout=60, check=True).stdout.split())
    db = HubDB(hub.db_url)
    try:
        board = BoardReader(SimpleNamespace(db=db, alerts=SimpleNamespace(evaluating=True))).read(
            datetime.now(timezone.utc))
    finally:
        db.dispose()
    (phone,) = [d for d in board.decisions if d["content_hash"] == row.content_hash]
    said = SimpleNamespace(recorded=recorded, sent=sent, taken=taken, json=doc["entries"][0], pdf=pdf,
                           log=_at_hub(entry), phone_late=phone["late_minutes"], phone_two_clocks=phone["two_clocks"])
    print(f"recorded {recorded:%H:%M:%S} (desktop), sent {sent and f'{sent:%H:%M:%S}'} (desktop), hub took it "
          f"{taken:%H:%M:%S}; export late_minutes {said.json['late_minutes']}; phone {said.phone_late}; "
          f"log: {said.log}")
    return said


@pytest.mark.parametrize("record_shift,sync_shift,late_h,clock", [
    ("-2h", "-2h", None, "2 h 00 min behind"),   # 2 h slow, synced at once: was called 2 h late
    ("-3h", "+0", 3, None),                      # right clock, held 3 h: late on both readings
    ("-5h", "-2h", 3, "2 h 00 min behind"),      # 2 h slow, held 3 h: was called 5 h late
    ("-1h", "+2h", 3, "2 h 00 min ahead of"),    # 2 h fast, held 3 h: was called 1 h late
], ids=["slow-prompt", "right-held-3h", "slow-held-3h", "fast-held-3h"])
def test_a_late_entry_is_timed_on_the_desktops_own_clock(sqlite_hub, tmp_path, record_shift, sync_shift, late_h,
                                                          clock):
    path = tmp_path / "desk" / "scc.db"
    fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
    decided = datetime.now(timezone.utc).replace(microsecond=0)
    if record_shift == sync_shift:
        _desktop(sqlite_hub, path, "both", record_shift, decided)
    else:
        _desktop(sqlite_hub, path, "record", record_shift, decided)
        _desktop(sqlite_hub, path, "sync", sync_shift, decided)
    said = _what_each_says(sqlite_hub, path, decided, tmp_path)

    assert said.sent is not None and said.json["device_sent_at"] is not None   # the hub kept the desktop's clock
    assert said.phone_two_clocks is False
    if late_h is None:
        assert said.json["late_minutes"] is None and said.phone_late is None
        assert "after it was recorded" not in said.pdf and "after it was recorded" not in said.log
    else:
        assert late_h * 60 <= said.json["late_minutes"] < late_h * 60 + 2, said.json
        assert late_h * 60 <= said.phone_late < late_h * 60 + 2
        assert f"{late_h} h 00 min after it was recorded (others could not see it before)" in said.pdf
        assert f"{late_h} h 00 min after it was recorded</b>: others could not see it before then" in said.log
        assert "which may differ" not in said.pdf + said.log
    if clock is None:
        assert "the hub's when it sent it" not in said.pdf + said.log
    else:
        assert f"its desktop's clock was {clock} the hub's when it sent it" in said.pdf
        assert f"its desktop's clock was {clock} the hub's when it sent it" in said.log


def test_a_hub_before_1_8_gives_the_two_clock_reading_and_says_so(tmp_path):
    """A hub from before protocol 1.8 ignores ``sent_at`` (an unknown field): reproduced by a hub process
    whose push drops it.  The 2 h slow desktop's prompt entry then reads 2 h late, as before, and every
    place that says so says it is timed on two clocks."""
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = HubProcess(db_url, tmp_path, seed(db_url), preamble=(
        "import sync.hub.records as r\nr._sent_at = lambda body: None   # a hub before 1.8")).start()
    try:
        path = tmp_path / "desk" / "scc.db"
        fresh_replica(path, PASSPHRASE, kdf=FAST_KDF).close()
        decided = datetime.now(timezone.utc).replace(microsecond=0)
        _desktop(hub, path, "both", "-2h", decided)
        said = _what_each_says(hub, path, decided, tmp_path)
    finally:
        hub.stop()
    assert said.sent is None and said.json["device_sent_at"] is None
    assert 120 <= said.json["late_minutes"] < 122 and 120 <= said.phone_late < 122 and said.phone_two_clocks
    assert ("2 h 00 min after it was recorded (others could not see it before; timed from the recording "
            "desktop's clock to the hub's, which may differ)") in said.pdf
    assert "(timed from the recording desktop's clock to the hub's, which may differ)" in said.log
    assert "the hub's when it sent it" not in said.pdf + said.log   # no offset known


def test_the_hub_refuses_a_push_whose_sent_at_is_not_a_time_and_takes_one_without(sqlite_hub):
    from tests.sync.engine.exactly_once import hub_feed
    from tests.sync.hub.helpers import decision

    bad = sqlite_hub.request("POST", "/v1/records", role="room_lead",
                             json={"records": [decision("Open the ward", device="desk-bad")], "sent_at": "09:20"})
    assert bad.status_code == 422, bad.text
    assert [f["field"] for f in bad.json()["fields"]] == ["sent_at"], bad.text
    old = decision("Open the ward")   # a desktop from before 1.8: no sent_at
    assert sqlite_hub.request("POST", "/v1/records", role="room_lead",
                              json={"records": [old]}).json()["results"][0]["status"] == "stored"
    sent = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    new = decision("Close the ward")
    assert sqlite_hub.request("POST", "/v1/records", role="room_lead",
                              json={"records": [new], "sent_at": sent}).json()["results"][0]["status"] == "stored"
    by_uuid = {i["data"]["uuid"]: i["data"] for i in hub_feed(sqlite_hub) if i["kind"] == "record"}
    assert "device_sent_at" not in by_uuid[old["uuid"]]
    assert datetime.fromisoformat(by_uuid[new["uuid"]]["device_sent_at"]) == datetime.fromisoformat(sent)
