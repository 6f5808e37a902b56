"""A desktop that finds it was a copy of another replica tells the room lead, once: an alert of its own in the
alert centre and the banner (open until acknowledged), and a line in ``db info`` and ``records verify``.  Before
session 25 the renewal was only logged and kept in ``replica_meta.device_ids_before``: nobody in the room could
tell the desktop had been a copy, nor that its decisions had been recorded again.  Two desktops made by copying
one replica folder, a real hub on loopback, the command line as a real process."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.records import identity_notice
from sqlalchemy import select

from models.replica.orm import AlertEvent, QuarantinedRecord, ReplicaMeta
from models.replica.orm.types import utcnow
from models.service import alert_centre
from sync import authoring
from tests.models.conftest import PASSPHRASE
from tests.records.test_copied_replica import _copy, _decide, _identity, _settled, opened  # noqa: F401
from tests.scc_desktop.test_cli_db import run
from tests.support.hub import shown_as

pytestmark = pytest.mark.timeout(180)


def test_the_copy_says_once_that_it_took_an_identity_of_its_own(sqlite_hub, make_desktop, tmp_path, opened):
    a = make_desktop(sqlite_hub, "a")
    _decide(a, "Decided before the copy")
    assert a.run_once().error is None
    b = _copy(sqlite_hub, a, tmp_path, opened)
    shared = _identity(a)
    _decide(a, "Decided on the original after the copy")
    for n in range(2):
        _decide(b, f"Decided on the copy, offline, {n}")
    assert a.run_once().error is None
    _settled(b, a)
    assert _identity(b) != shared
    # The copy's banner counts it and the centre lists it, in words: a copy, its old identity, 2 decisions.
    page = alert_centre.banner(b.store, utcnow() + timedelta(minutes=1))
    assert page.open_count == 1 and page.worst.rule_name == identity_notice.RULE_NAME
    said = page.worst.detail
    assert said == (f"Desktop {_identity(b)[:8]} was found to be a copy of another replica (copied by hand, or a computer's image "
                    f"cloned). It took an identity of its own (was {shared[:8]}) and recorded again, unchanged, the 2 "
                    "decisions the hub did not hold.")
    assert page.worst.where == f"This desktop {_identity(b)[:8]}"
    # The original, which the copy's decisions showed nothing of its own, took none.
    assert alert_centre.banner(a.store, utcnow()).open_count == 0
    # Acknowledged, it is no longer in the banner: told once.
    assert authoring.ack_alert(b.store, page.worst.uuid, "Room lead", "Seen: the laptop was re-imaged")
    assert alert_centre.banner(b.store, utcnow()).open_count == 0
    # The acknowledgement goes to every desktop, as any does: the original holds it acknowledged, naming the
    # copy by its identity; before, it had no such rule and quarantined the record.
    _settled(b, a)
    with a.store.session() as s:
        held = s.get(AlertEvent, page.worst.uuid)
        quarantined = s.scalars(select(QuarantinedRecord.payload)).all()
    assert quarantined == []
    assert held.acknowledged_by == shown_as("Room lead")
    assert held.detail.startswith(f"Desktop {_identity(b)[:8]} was found")
    with b.store.session() as s:
        kept = json.loads(s.get(ReplicaMeta, "device_ids_before").value)
    assert [(k["device_id"], k["cause"], k["recorded_again"]) for k in kept] == [(shared, "copy", 2)]
    # The command line says it too.
    path = b.store.path
    b.store.close()
    env = {"SCC_PASSPHRASE": PASSPHRASE}
    info = run("db", "--path", str(path), "info", env_extra=env, home=tmp_path)
    assert info.returncode == 0, info.stderr
    [line] = json.loads(info.stdout)["identities_before"]
    assert "found to be a copy of another replica" in line and "the 2 decisions the hub did not hold" in line
    verify = run("records", "verify", "--path", str(path), env_extra=env, home=tmp_path)
    assert verify.returncode == 0, verify.stderr
    assert "This replica's identities before the one it has:" in verify.stdout
    assert f"(was {shared[:8]}) and recorded again, unchanged, the 2 decisions" in verify.stdout and "decision log intact" in verify.stdout
