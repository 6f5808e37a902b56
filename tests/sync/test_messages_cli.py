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


def test_the_readme_example_names_a_missing_field_and_how_to_give_it(tmp_path):
    """The README's ``message send --template system_level_change --group spoc --dry-run``: exit 2 naming
    the field left empty and the option that fills it; with it, the dry run shows the message."""
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        seed_room(store)
    bare = run("message", "send", "--template", "system_level_change", "--group", BED, "--dry-run",
               "--path", str(path), env_extra=ENV, home=tmp_path)
    assert bare.returncode == 2
    assert "actions: must be filled in (template 'system_level_change'); give --set actions=TEXT" in bare.stderr
    filled = run("message", "send", "--template", "system_level_change", "--group", BED, "--dry-run",
                 "--set", "actions=Open the escalation beds", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert filled.returncode == 0, filled.stderr
    assert "Ana Lead, SCC room lead" in filled.stdout and "would not be sent" not in filled.stdout


def test_with_no_name_known_a_message_is_refused_and_the_dry_run_says_how_to_give_one(tmp_path):
    """The login here names nobody (root in a container) and no SCC_USER or Settings name: the CLI
    signed "unknown user, SCC room lead" where the window signed its own name."""
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        seed_room(store)
    nobody = {"SCC_PASSPHRASE": PASS, "USER": "root", "LOGNAME": "root"}
    args = ("message", "send", "--template", "system_level_change", "--group", BED,
            "--set", "actions=Open the escalation beds", "--path", str(path))
    sent = run(*args, env_extra=nobody, home=tmp_path)
    assert sent.returncode == 2
    assert "not sent: who sends it is not known" in sent.stderr and "--sender" in sent.stderr
    assert "File > Settings" in sent.stderr
    with Store.unlock(path, PASS) as store, store.session() as s:
        assert s.query(SpocMessage).count() == 0
    dry = run(*args, "--dry-run", env_extra=nobody, home=tmp_path)
    assert dry.returncode == 0 and "It would not be sent as it stands: who sends it is not known" in dry.stdout
    named = run(*args, "--sender", "Sam Lead", env_extra=nobody, home=tmp_path)
    assert named.returncode == 0, named.stderr
    assert "Sam Lead, SCC room lead" in named.stdout
