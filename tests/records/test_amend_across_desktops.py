"""A wrongly recorded decision corrected by a new entry on another desktop, through a real hub on
loopback: the log and its export still verify when the two desktops' clocks differ by minutes (an
amendment is checked against the order the entries reached the hub, or its own device's sequence,
never against two computers' clocks); an amendment that names a later entry is still caught."""

from __future__ import annotations

from datetime import timedelta

from models.records import verify as records_verify
from models.records.export.records import export_records
from models.replica.orm import DecisionEntry
from models.replica.orm.types import utcnow
from models.service import decisions as door
from sync import authoring


def _verify(store):
    with store.session() as s:
        return records_verify.verify(s)


def _new(text, *, amends=None):
    return door.NewDecision(decision_maker="Dr Priya Raman", decision_maker_role="Director on-call",
                            decision=text, rationale="Beta at OPEL 4, 14 waiting over 12 hours",
                            recorded_by="Room support", decided_at=utcnow(), amends_uuid=amends)


def test_a_decision_corrected_on_another_desktop_whose_clock_is_behind_still_verifies(
        sqlite_hub, make_desktop, monkeypatch, tmp_path):
    a, b = make_desktop(sqlite_hub, "a"), make_desktop(sqlite_hub, "b")
    # A's clock runs 4 minutes fast: its entry says it was recorded 4 minutes after the true time.
    monkeypatch.setattr(authoring, "utcnow", lambda: utcnow() + timedelta(minutes=4))
    wrong = door.record_decision(a.store, _new("Divert Alpha's ambulances to Gamma for 2 hours")).uuid
    monkeypatch.undo()
    for desk in (a, b):
        assert desk.run_once().error is None
    # A minute later B sees the slip (Beta, not Gamma) and corrects it with a new entry.
    fixed = door.record_decision(b.store, _new("Divert Alpha's ambulances to Beta for 2 hours (corrects the "
                                               "entry that said Gamma)", amends=wrong)).uuid
    report = _verify(b.store)   # not yet at the hub: ordered by the feed, from which B read the entry
    assert report.intact, [p.sentence() for p in report.problems]
    for desk in (b, a, b):
        assert desk.run_once().error is None
    for desk in (a, b):
        report = _verify(desk.store)
        assert report.intact, [p.sentence() for p in report.problems]
        with desk.store.session() as s:
            assert s.get(DecisionEntry, fixed).amends_uuid == wrong
            # Nothing was edited: the wrong entry is in the log as it was recorded.
            assert s.get(DecisionEntry, wrong).decision == "Divert Alpha's ambulances to Gamma for 2 hours"
    day = utcnow().date()
    result = export_records(a.store, day - timedelta(days=1), day + timedelta(days=1), tmp_path / "out",
                            icb="Test ICB")
    assert result.verify.intact and result.manifest["chain"]["verification"]["intact"]


def test_an_amendment_naming_a_later_entry_is_still_caught(store):
    first = authoring.record_decision(store, decision_maker="A", decision_maker_role="r", decision="first",
                                      rationale="r", recorded_by="A")
    second = authoring.record_decision(store, decision_maker="A", decision_maker_role="r", decision="second",
                                       rationale="r", recorded_by="A", amends_uuid=first.uuid)
    with store.raw() as conn:   # pointed at a later entry by hand (the content hash then breaks too)
        conn.execute("UPDATE decision_entry SET amends_uuid = ? WHERE uuid = ?", (second.uuid, first.uuid))
    found = {(p.uuid, p.check) for p in _verify(store).problems}
    assert (first.uuid, "amendment") in found
