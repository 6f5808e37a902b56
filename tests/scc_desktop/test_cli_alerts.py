"""``scc-desktop alerts list|ack|rules`` as a user runs them: real processes, a real encrypted replica
holding alerts as a hub sends them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.replica.ingest import ObservationValidator
from models.replica.orm import OutboxItem
from models.replica.store import Store
from models.rules.alert_engine import Signal, evaluate
from models.rules.alert_rules import default_rules
from sync.apply import apply_batch
from sync.protocol import FeedBatch, FeedItem
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica

ENV = {"SCC_PASSPHRASE": PASS}


def _replica(tmp_path):
    """A replica holding the hub's REAP 4 alerts for RAMB1 and a cleared CRITCON one for RTEST1."""
    t0 = datetime.now(timezone.utc) - timedelta(minutes=20)
    sigs = [Signal("reap_level", "provider", "RAMB1", t0, 4, "RAMB1"),
            Signal("critcon_level", "provider", "RTEST1", t0, 2, "RTEST1"),
            Signal("critcon_level", "provider", "RTEST1", t0 + timedelta(minutes=5), 1, "RTEST1")]
    changes = evaluate(default_rules(), None, sigs, t0 + timedelta(minutes=5)).changes
    items = [FeedItem(seq=i + 1, kind="alert", data=c.wire()) for i, c in enumerate(changes)]
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        apply_batch(store, FeedBatch(items=items, next_after=len(items), head=len(items), server_time=t0),
                    ObservationValidator({}))
    return path


def test_alerts_listed_as_json_then_acknowledged_by_a_prefix_and_queued_for_the_hub(tmp_path):
    path = _replica(tmp_path)
    listed = run("alerts", "list", "--json", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert listed.returncode == 0, listed.stderr
    alerts = json.loads(listed.stdout)
    assert [(a["rule"], a["org_code"], a["metric"], a["severity"]) for a in alerts] == [
        ("reap_4", "RAMB1", "reap_level", "critical"), ("reap_3", "RAMB1", "reap_level", "warning")]
    assert all(a["raised_at"] and a["detail"].endswith(".") and "RAMB1" in a["detail"] for a in alerts)
    every = json.loads(run("alerts", "list", "--json", "--all", "--path", str(path), env_extra=ENV,
                           home=tmp_path).stdout)
    assert {a["rule"] for a in every} == {"reap_3", "reap_4", "critcon_2"}

    target = alerts[0]["id"]
    acked = run("alerts", "ack", target[:6], "--note", "calling the EOC", "--by", "Sam Lead", "--path", str(path),
                env_extra=ENV, home=tmp_path)
    assert acked.returncode == 0, acked.stderr
    assert f"Acknowledged {target} as Sam Lead." in acked.stdout
    after = json.loads(run("alerts", "list", "--json", "--path", str(path), env_extra=ENV, home=tmp_path).stdout)
    acked_row = {a["id"]: a for a in after}[target]
    assert (acked_row["acknowledged_by"], acked_row["acknowledged_note"]) == ("Sam Lead", "calling the EOC")
    with Store.unlock(path, PASS) as store, store.session() as s:
        queued = s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_ack")).all()
        assert [q.payload["data"]["alert_uuid"] for q in queued] == [target]

    text = run("alerts", "list", "--path", str(path), env_extra=ENV, home=tmp_path).stdout
    assert "NOT ACKNOWLEDGED" in text and "acknowledged by Sam Lead" in text
    for bad, words in [("zz", "at least 4 characters"), ("ffffffff", "no alert id starts with 'ffffffff'")]:
        done = run("alerts", "ack", bad, "--path", str(path), env_extra=ENV, home=tmp_path)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_rules_exported_then_a_bad_import_names_each_field_and_a_good_one_is_recorded_for_the_room(tmp_path):
    out = tmp_path / "rules.json"
    done = run("alerts", "rules", "export", str(out), home=tmp_path)   # no replica yet: the defaults
    assert done.returncode == 0 and "the defaults" in done.stdout, done.stderr
    doc = json.loads(out.read_text())
    assert len(doc["rules"]) == len(default_rules())
    doc["rules"][3]["clear"] = doc["rules"][3]["raise"] + 1
    doc["rules"][5]["metric"] = "no_such_metric"
    doc["rules"][7]["severity"] = "loud"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    refused = run("alerts", "rules", "import", str(bad), home=tmp_path)   # refused before any passphrase
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    for words in ("rules[3].clear: must not be above raise for an 'above' rule",
                  "rules[5].metric: 'no_such_metric' is not a catalogue metric",
                  "rules[7].severity: must be one of info, warning, critical"):
        assert words in refused.stderr, refused.stderr

    path = _replica(tmp_path)
    doc = json.loads(out.read_text())
    doc["rules"][0]["enabled"] = False
    doc["rules"][1]["raise"] = doc["rules"][1]["clear"] = 3
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    done = run("alerts", "rules", "import", str(good), "--by", "Sam Lead", "--path", str(path), env_extra=ENV,
               home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"0 added, 2 changed, {len(doc['rules']) - 2} unchanged" in done.stdout
    with Store.unlock(path, PASS) as store, store.session() as s:
        queued = s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_rule")).all()
        assert [(q.payload["data"]["op"], q.payload["data"]["rule_id"], q.payload["data"]["author"])
                for q in queued] == [("edit", doc["rules"][0]["id"], "Sam Lead"),
                                     ("edit", doc["rules"][1]["id"], "Sam Lead")]
    again = tmp_path / "again.json"
    done = run("alerts", "rules", "export", str(again), "--path", str(path), env_extra=ENV, home=tmp_path)
    assert done.returncode == 0 and "the room's" in done.stdout, done.stderr
    assert json.loads(again.read_text())["rules"][0]["enabled"] is False
    listed = json.loads(run("alerts", "rules", "list", "--json", "--path", str(path), env_extra=ENV,
                            home=tmp_path).stdout)
    assert [(r["source"], r["enabled"], r["changed_by"]) for r in listed[:3]] == [
        ("changed", False, "Sam Lead"), ("changed", True, "Sam Lead"), ("default", True, None)]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    refused = run("alerts", "rules", "import", str(broken), "--path", str(path), env_extra=ENV, home=tmp_path)
    assert refused.returncode == 2 and "not valid JSON" in refused.stderr


def test_an_acknowledgement_with_a_snooze_is_queued_for_the_hub_with_it(tmp_path):
    path = _replica(tmp_path)
    listed = json.loads(run("alerts", "list", "--json", "--path", str(path), env_extra=ENV, home=tmp_path).stdout)
    target = listed[0]["id"]
    refused = run("alerts", "ack", target[:8], "--snooze", "1441", "--path", str(path), env_extra=ENV, home=tmp_path)
    assert refused.returncode == 2 and "snooze_minutes: must be a whole number of minutes from 0 to 1440" in \
        refused.stderr, refused.stderr
    done = run("alerts", "ack", target[:8], "--snooze", "90", "--by", "Sam Lead", "--path", str(path),
               env_extra=ENV, home=tmp_path)
    assert done.returncode == 0 and "within 90 min" in done.stdout, done.stderr
    with Store.unlock(path, PASS) as store, store.session() as s:
        queued = s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_ack")).one()
        assert (queued.payload["data"]["snooze_minutes"], queued.payload["data"]["subject"]) == (90, "provider:RAMB1")


def test_a_hub_refuses_to_start_on_a_bad_rules_file_naming_each_field(tmp_path):
    doc = json.loads(json.dumps({"rules": [r.as_dict() for r in default_rules()[:3]]}))
    doc["rules"][2]["min_minutes"] = -1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    done = run("hub", "serve", "--db", f"sqlite:///{tmp_path / 'hub.db'}", "--port", "0", "--alert-rules", str(bad),
               home=tmp_path)
    assert done.returncode == 2 and "rules[2].min_minutes: -1 is outside 0 to 10080" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_records_alerts_prints_what_alerts_list_prints_never_a_raising_value_as_now(tmp_path, monkeypatch, capsys):
    """``records alerts`` read the alert rows itself: oldest first, without severity, and with the
    hub's sentence of the moment it was raised ("RX9 at 39.2 min") as if it were the figure now,
    which ``alerts list`` and the window no longer say (hazard log H-01.C12). Both now go through
    the same door and print the same lines."""
    from scc_desktop import cli
    from models.replica.orm import types
    from tests.models.test_alert_words import NOW, _seed

    # Read as at the seeded Friday: on a later day its "now" is another figure (the test failed on the
    # Saturday after it was written).
    monkeypatch.setattr(types, "utcnow", lambda: NOW)   # the commands import it when they run

    monkeypatch.setenv("SCC_PASSPHRASE", PASS)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        _seed(store)   # RX9's Category 2 mean: raised Wednesday at 39.2 min, 33.2 min on Friday
    assert cli.main(["records", "alerts", "--path", str(path)]) == 0
    records_out = capsys.readouterr().out
    assert cli.main(["alerts", "list", "--path", str(path)]) == 0
    assert records_out == capsys.readouterr().out
    assert "RX9 at 39.2 min" not in records_out
    assert "at 39.2 min" in records_out and "now 33.2 min" in records_out
