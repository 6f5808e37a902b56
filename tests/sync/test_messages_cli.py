"""``scc-desktop message send`` as a user runs it: a real process on a real encrypted replica."""

from __future__ import annotations

from models.replica.orm import DecisionEntry, OutboxItem, SpocMessage
from models.replica.store import Store
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica
from tests.sync.messages_world import BED
from tests.sync.messages_world import seed as seed_room

ENV = {"SCC_PASSPHRASE": PASS, "SCC_USER": "Ana Lead"}


def test_message_send_queues_it_with_its_decision_and_an_unknown_field_is_refused_naming_it(tmp_path):
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        seed_room(store)
    bad = run("message", "send", "--template", "system_level_change", "--group", BED, "--set", "action=x",
              "--path", str(path), env_extra=ENV, home=tmp_path)
    assert bad.returncode == 2 and "action: unknown placeholder for template 'system_level_change'" in bad.stderr
    sent = run("message", "send", "--template", "system_level_change", "--group", BED, "--group", "org:RTEST1",
               "--set", "actions=Open the escalation beds; stand up discharge huddles", "--role", "SCC room lead",
               "--path", str(path), env_extra=ENV, home=tmp_path)
    assert sent.returncode == 0, sent.stderr
    assert "Subject: [SCC] System now at OPEL 3 (was OPEL 2)" in sent.stdout
    assert "queued: will be sent when the hub is reachable" in sent.stdout
    assert "Not emailed, no email address (2): Person 040" in sent.stdout
    with Store.unlock(path, PASS) as store, store.session() as s:
        [message] = s.query(SpocMessage).all()
        assert (message.state, message.sent_by) == ("queued", "Ana Lead")
        assert s.get(DecisionEntry, message.decision_uuid).decision_maker == "Ana Lead"
        assert {o.kind for o in s.query(OutboxItem)} == {"decision", "spoc_message"}
