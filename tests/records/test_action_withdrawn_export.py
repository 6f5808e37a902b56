"""A withdrawn action in the room's records, on two desktops through a real hub on loopback (real encrypted
replicas): the records export (PDF, CSV, JSON, format version 8) says when it was withdrawn, by whom, in
which decision and why, where it read as an action never done; and an action withdrawn on one desktop and
reassigned on the other, both offline, is said to be both, the new action standing. The log verifies."""

from __future__ import annotations

from datetime import timedelta

from models.records import verify as records_verify
from models.records.export.records import FORMAT_VERSION
from models.service import actions as door
from models.uk_time import uk_time
from tests.records.conftest import synced
from tests.records.test_action_reassigned_export import _export, _old_action

REASON = "The patient was moved to RCC overnight"


def test_the_export_says_when_a_withdrawn_action_was_withdrawn_by_whom_and_why(action_given, tmp_path):
    a, b, now, gave, old = action_given
    out = door.withdraw_action(a.store, old, REASON, "Dr Lead", "Director on-call", now)
    synced(a, b)
    result, pdf, rows, entries = _export(b, now, tmp_path / "out")
    assert FORMAT_VERSION >= 8
    assert result.manifest["chain"]["verification"]["intact"]   # records verify still passes
    action = _old_action(entries, gave.uuid, old)
    assert action["done_at"] is None and action["reassigned"] == []
    [w] = action["withdrawn"]
    assert (w["by"], w["role"], w["reason"], w["decision"]) == ("Dr Lead", "Director on-call", REASON, out.uuid)
    said = f"withdrawn {uk_time(now)}, by Dr Lead (decision {out.uuid}), reason: {REASON}"
    assert w["said"] == said
    [row] = [r for r in rows if r["uuid"] == gave.uuid]
    assert said in row["actions"]
    assert (f"Call RAA site manager: Sam Wrong, due {uk_time(now - timedelta(minutes=30))}; withdrawn {uk_time(now)}, "
            f"by Dr Lead (decision entry 2 ({out.uuid})), reason: {REASON}") in pdf, pdf[:3000]
    assert "clash" not in pdf.lower()
    assert "Withdraws the action 'Call RAA site manager' (owner Sam Wrong, given by entry 1 of this export)" in pdf
    assert "Actions none: this entry withdraws one (below)" in pdf   # not "Not recorded: actions"
    assert "a kind of link this version does not describe" not in pdf
    with b.store.session() as s:
        assert records_verify.verify(s).intact


def test_an_action_withdrawn_on_one_desktop_and_reassigned_on_the_other_is_said_to_be_both(
        action_given, tmp_path):
    a, b, now, gave, old = action_given
    pulled = door.withdraw_action(a.store, old, REASON, "Dr Lead", "Director on-call", now)
    moved = door.reassign_action(b.store, old, "Pat Right", "Sam is off", "Dr Night", "Tactical commander",
                                 now + timedelta(minutes=1))
    synced(a, b)
    exports = [_export(desk, now + timedelta(minutes=2), tmp_path / name) for desk, name in ((a, "a"), (b, "b"))]
    assert exports[0][3] == exports[1][3]   # both desktops export the same entries, word for word
    result, pdf, rows, entries = exports[0]
    assert result.manifest["chain"]["verification"]["intact"]
    action = _old_action(entries, gave.uuid, old)
    assert [w["decision"] for w in action["withdrawn"]] == [pulled.uuid]
    assert [m["decision"] for m in action["reassigned"]] == [moved.uuid]
    assert "(clash: also reassigned on a desktop that had not seen the withdrawal)" in pdf
    [ref] = {r for e in entries if e["uuid"] == pulled.uuid for r in e["link_references"] if "Withdraws" in r}
    assert "clash: it was also reassigned to Pat Right" in ref and "that new action stands" in ref
