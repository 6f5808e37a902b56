"""The room's alert rules through the door: listed (defaults and the room's), added, edited, disabled
and imported as ``alert_rule`` records in the outbox, every bad field named; a real encrypted replica."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from models.replica.orm import OutboxItem
from models.rules.alert_rules import (RulesError, check_rule_record, default_rules, effective_rules,
                                      fold_rule_record)
from models.service import alerts as door
from tests.support.hub import shown_as

NOW = datetime(2026, 1, 14, 9, 30, tzinfo=timezone.utc)
ROOM = {"id": "critcon_room_2", "name": "A unit reported CRITCON 2 or above", "kind": "level",
        "scope": "provider", "metric": "critcon_level", "raise": 2, "clear": 2, "severity": "warning"}


def _outbox(store):
    with store.session() as s:
        return [q.payload for q in s.scalars(select(OutboxItem).where(OutboxItem.kind == "alert_rule")
                                             .order_by(OutboxItem.seq))]


def test_every_default_rule_is_listed_unchanged_and_enabled(store):
    page = door.rules_page(store)
    assert [r.rule for r in page.rules] == default_rules()
    assert {r.source for r in page.rules} == {"default"} and all(r.enabled for r in page.rules)


def test_add_edit_disable_and_enable_write_one_record_each_and_the_list_follows(store):
    door.add_rule(store, ROOM, "Sam Lead", NOW)
    door.edit_rule(store, dict(ROOM, **{"raise": 3, "clear": 3}), "Sam Lead", NOW)
    door.set_rule_enabled(store, "critcon_room_2", False, "Sam Lead", NOW)
    door.set_rule_enabled(store, "opel_provider_3", False, "Sam Lead", NOW)
    assert not door.set_rule_enabled(store, "opel_provider_3", False, "Sam Lead", NOW).applied
    rows = {r.rule.id: r for r in door.rules_page(store).rules}
    assert (rows["critcon_room_2"].rule.raise_at, rows["critcon_room_2"].enabled) == (3, False)
    assert (rows["opel_provider_3"].source, rows["opel_provider_3"].enabled) == ("changed", False)
    assert rows["opel_provider_3"].changed_by == "Sam Lead" and rows["opel_provider_3"].changed_at == NOW
    sent = _outbox(store)
    assert [(p["data"]["op"], p["data"]["rule_id"]) for p in sent] == [
        ("add", "critcon_room_2"), ("edit", "critcon_room_2"), ("disable", "critcon_room_2"),
        ("disable", "opel_provider_3")]
    assert all(check_rule_record(p["data"]) == [] for p in sent)
    assert sent[1]["data"]["rule"]["raise"] == 3 and sent[0]["data"]["author"] == "Sam Lead"


@pytest.mark.parametrize("call, words", [
    (lambda s: door.add_rule(s, dict(ROOM, clear=5), "A", NOW), "rule.clear: must not be above raise"),
    (lambda s: door.add_rule(s, dict(ROOM, id="reap_3"), "A", NOW), "rule.id: a rule 'reap_3' exists already"),
    (lambda s: door.add_rule(s, dict(ROOM, metric="nope"), "A", NOW), "rule.metric: 'nope' is not a catalogue"),
    (lambda s: door.edit_rule(s, ROOM, "A", NOW), "rule.id: no rule 'critcon_room_2' to edit"),
    (lambda s: door.set_rule_enabled(s, "no_rule", False, "A", NOW), "rule_id: no rule 'no_rule'"),
    (lambda s: door.add_rule(s, ROOM, " ", NOW), "author: say who"),
    (lambda s: door.add_rule(s, dict(ROOM, kind="stale", scope="system", metric="hub_contact",
                                     **{"raise": 10, "clear": 5}), "A", NOW),
     "rule.metric: hub_contact is watched by each desktop"),
])
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_written(store, call, words):
    with pytest.raises(ValueError) as caught:
        call(store)
    assert words in str(caught.value)
    assert _outbox(store) == []


def test_import_writes_one_record_per_changed_rule_and_names_every_bad_field(store, tmp_path):
    doc = {"rules": [r.as_dict() for r in default_rules()]}
    doc["rules"][0]["raise"] = doc["rules"][0]["clear"] = 2     # changed
    doc["rules"][1]["enabled"] = False                          # changed
    doc["rules"].append(ROOM)                                   # new
    good = tmp_path / "rules.json"
    good.write_text(json.dumps(doc))
    done = door.import_rules(store, good, "Sam Lead", NOW)
    assert (done.added, done.edited, done.unchanged) == (1, 2, len(default_rules()) - 2)
    assert [p["data"]["op"] for p in _outbox(store)] == ["edit", "edit", "add"]
    assert door.import_rules(store, good, "Sam Lead", NOW).unchanged == len(doc["rules"])   # nothing new
    out = tmp_path / "out.json"
    assert door.export_rules(out, door.current_rules(store)) == len(doc["rules"])
    assert json.loads(out.read_text())["rules"][1]["enabled"] is False

    doc["rules"][3]["clear"] = doc["rules"][3]["raise"] + 1
    doc["rules"][5]["severity"] = "loud"
    good.write_text(json.dumps(doc))
    with pytest.raises(RulesError) as caught:
        door.import_rules(store, good, "Sam Lead", NOW)
    assert len(caught.value.problems) == 2 and "rules[5].severity" in str(caught.value)


def test_the_fold_is_feed_order_and_the_effective_set_overlays_the_base():
    base = default_rules()
    overlay = {}
    for data in [{"rule_id": "reap_3", "op": "disable", "author": "A", "at": NOW.isoformat()},
                 {"rule_id": "critcon_room_2", "op": "add", "rule": ROOM, "author": "B", "at": NOW.isoformat()},
                 {"rule_id": "reap_3", "op": "enable", "author": "C", "at": NOW.isoformat()},
                 {"rule_id": "critcon_room_2", "op": "disable", "author": "C", "at": NOW.isoformat()}]:
        assert check_rule_record(data) == []
        overlay[data["rule_id"]] = fold_rule_record(overlay.get(data["rule_id"]), data)
    rules = {r.id: r for r in effective_rules(base, overlay)}
    assert rules["reap_3"].enabled and not rules["critcon_room_2"].enabled
    assert list(rules)[:len(base)] == [r.id for r in base]
    # A disable of a rule nobody has is held (no rule), not applied to anything.
    overlay["ghost"] = fold_rule_record(None, {"rule_id": "ghost", "op": "disable", "author": "A",
                                               "at": NOW.isoformat()})
    assert "ghost" not in {r.id for r in effective_rules(base, overlay)}


def test_a_bad_alert_rule_record_on_the_feed_is_quarantined_naming_the_field_and_a_good_one_applied(store):
    import uuid as uuidlib

    from models.replica.orm import QuarantinedRecord
    from sync.apply import apply_batch
    from sync.engine import catalogue_validator
    from tests.sync.test_apply import batch

    def record(data):
        return {"uuid": str(uuidlib.uuid4()), "kind": "alert_rule", "device_id": "desk-x",
                "authored_at": NOW.isoformat(), "data": data, "author": "test-room_lead"}
    at = NOW.isoformat()
    items = [(1, "record", record({"rule_id": "critcon_room_2", "op": "add", "rule": dict(ROOM, clear=5),
                                   "author": "A", "at": at})),
             (2, "record", record({"rule_id": "critcon_room_2", "op": "add", "rule": ROOM, "author": "A", "at": at})),
             (3, "record", record({"rule_id": "critcon_room_2", "op": "disable", "author": "B", "at": at}))]
    report = apply_batch(store, batch(items), catalogue_validator())
    assert (report.applied, report.quarantined) == (2, 1)
    with store.session() as s:
        reasons = [q.errors for q in s.scalars(select(QuarantinedRecord))]
    assert reasons == [["data.rule.clear: must not be above raise for an 'above' rule (5 > 2)"]]
    row = {r.rule.id: r for r in door.rules_page(store).rules}["critcon_room_2"]
    assert (row.source, row.enabled, row.changed_by) == ("room", False, shown_as("B"))
