"""The automatic situation snapshot: the replica's picture at a moment, as JSON values."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.queries import situation_snapshot
from tests.models.conftest import store, store_path  # noqa: F401
from tests.ui.feeds import AMBULANCE, NOW, fill_system
from tests.ui.records.seed import seed_rollups




def _take(store, now=NOW):
    with store.session() as s:
        return situation_snapshot.take(s, now)


def test_snapshot_of_a_seeded_system_has_every_part(store):
    fill_system(store)
    seed_rollups(store)
    snap = _take(store)
    assert snap["format"] == situation_snapshot.FORMAT and snap["taken_at"].startswith("2026-01-12T10:00:00")
    assert snap["system"]["level"] == 3 and snap["pillars"]["acute"]["level"] == 3
    # RAA declared OPEL 3 over its calculated level: the snapshot keeps both and the reason.
    raa = snap["providers"]["RAA"]
    assert (raa["level"], raa["declared_level"]) == (3, 3) and raa["override_reason"].startswith("Escalating")
    assert set(snap["providers"]) == {"RAA", "RBB"}
    amb = snap["ambulance"][AMBULANCE]
    assert (amb["reap_level"], amb["csp_level"]) == (3, "2")
    # Offload: RAA has waits of 50 and 14 minutes, RBB one of 65; hours lost from today's handovers.
    off = snap["offload"]
    assert off["waiting"] == 3 and off["longest_wait_minutes"] == 65.0
    assert off["hospitals"]["RAA"]["waiting"] == 2 and off["hospitals"]["RAA"]["longest_wait_minutes"] == 50.0
    assert off["hospitals"]["RAA"]["handovers_today"] == 5 and off["hospitals"]["RAA"]["hours_lost_today"] > 0
    assert snap["missing"] == []
    # JSON values only: it goes into the hashed decision entry unchanged.
    assert json.loads(json.dumps(snap)) == snap


def test_snapshot_moves_with_the_clock(store):
    fill_system(store)
    later = _take(store, NOW + timedelta(minutes=10))
    assert later["offload"]["hospitals"]["RBB"]["longest_wait_minutes"] == 75.0


def test_empty_replica_says_what_is_missing_rather_than_nothing_wrong(store):
    snap = _take(store)
    assert snap["system"] is None and snap["providers"] == {} and snap["offload"]["waiting"] == 0
    assert "no system OPEL level yet" in snap["missing"] and "no REAP/CSP report yet" in snap["missing"]
    lines = situation_snapshot.describe(snap)
    assert lines[0].startswith("Feed: ") and lines[1] == "System: no data"
    assert "Missing: no provider OPEL assessments yet" in lines


def test_describe_and_org_codes(store):
    fill_system(store)
    snap = _take(store)
    lines = situation_snapshot.describe(snap)
    assert lines[1] == "System: no data"
    assert any(line.startswith("Providers (assessed ") and "): RAA OPEL 3" in line for line in lines)
    assert any(line.startswith(f"Ambulance {AMBULANCE}: REAP 3, CSP 2 (declared ") for line in lines)
    assert any(line.startswith("Offload as at 10:00: 3 waiting, longest 65 min") for line in lines)
    assert situation_snapshot.org_codes(snap) >= {"RAA", "RBB", AMBULANCE}
    # An older free-form snapshot still reads, and its codes are found.
    old = {"system_opel": 3, "offload": {"RTEST1": {"mean_minutes": 71.5}}}
    assert situation_snapshot.describe(old) == ["offload: {'RTEST1': {'mean_minutes': 71.5}}", "system_opel: 3"]
    assert situation_snapshot.org_codes(old) == {"RTEST1"}
    assert situation_snapshot.describe({}) == ["No situation snapshot was recorded with this entry."]


def test_a_naive_time_is_refused(store):
    with pytest.raises(ValueError, match="now:"):
        _take(store, NOW.replace(tzinfo=None))


def test_hours_lost_carry_their_basis_into_the_snapshot_its_lines_and_the_export(store):
    from models.records.export import snapshot as export

    fill_system(store)
    # RAA's handovers today took 12, 22, 38, 47 and 70 min: beyond 15, 0+7+23+32+55 = 117 min = 1.95 h;
    # beyond 30, 8+17+40 = 65 min = 1.08 h.
    snap = _take(store)
    off = snap["offload"]
    assert off["hours_lost_beyond_minutes"] == 15 and off["hours_lost_today"] == 1.9   # 1.95 rounded half-even
    with store.session() as s:
        on_30 = situation_snapshot.take(s, NOW, lost_basis=30)["offload"]
    assert on_30["hours_lost_beyond_minutes"] == 30 and on_30["hospitals"]["RAA"]["hours_lost_today"] == 1.1
    lines = situation_snapshot.describe(snap)
    assert any(ln.startswith("Offload as at") and ln.endswith("1.9 hours lost beyond 15 min today") for ln in lines)
    assert any(ln.startswith("  RAA as at") and ln.endswith("1.9 hours lost beyond 15 min") for ln in lines)
    assert not any(" h lost" in ln for ln in lines)
    reading = export.read(snap)
    table = next(p for p in reading.parts if isinstance(p, export.Table) and "offload" in p.title.lower())
    assert "Hours lost beyond 15 min" in table.headers
    text = export.summary(snap)
    assert "1.9 hours lost beyond 15 min to handover delays today" in text
    assert text.count("lost") == text.count("lost beyond 15 min") == 3     # the total and both hospitals
    # A snapshot recorded before the basis was kept says so rather than guess it.
    old = json.loads(json.dumps(snap))
    del old["offload"]["hours_lost_beyond_minutes"]
    assert any("hours lost (basis not recorded)" in ln for ln in situation_snapshot.describe(old))
    assert "hours lost (basis not recorded)" in export.summary(old)


def test_a_recorded_decision_snapshots_hours_lost_on_the_basis_it_is_given(store):
    from sqlalchemy import select

    from models.replica.orm import DecisionEntry
    from models.service.decisions import NewDecision, record_decision

    fill_system(store)
    new = NewDecision("Dr Priya Raman", "Director on-call", "Divert", "Queues", "Room support", NOW)
    record_decision(store, new, snapshot_at=NOW, lost_basis=60)
    record_decision(store, new, snapshot_at=NOW)
    with store.session() as s:
        snaps = s.scalars(select(DecisionEntry.situation_snapshot).order_by(DecisionEntry.device_seq)).all()
    # RAA's 70-minute handover is its only one beyond 60: 10 min = 0.2 h; the default basis is the table's 15.
    assert [(x["offload"]["hours_lost_beyond_minutes"], x["offload"]["hospitals"]["RAA"]["hours_lost_today"])
            for x in snaps] == [(60, 0.2), (15, 1.9)]
