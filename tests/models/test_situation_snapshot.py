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
    assert lines[0] == "System: no data" and "Missing: no provider OPEL assessments yet" in lines


def test_describe_and_org_codes(store):
    fill_system(store)
    snap = _take(store)
    lines = situation_snapshot.describe(snap)
    assert lines[0] == "System: no data"
    assert any(line.startswith("Providers: RAA OPEL 3") for line in lines)
    assert f"Ambulance {AMBULANCE}: REAP 3, CSP 2" in lines
    assert any(line.startswith("Offload: 3 waiting, longest 65 min") for line in lines)
    assert situation_snapshot.org_codes(snap) >= {"RAA", "RBB", AMBULANCE}
    # An older free-form snapshot still reads, and its codes are found.
    old = {"system_opel": 3, "offload": {"RTEST1": {"mean_minutes": 71.5}}}
    assert situation_snapshot.describe(old) == ["offload: {'RTEST1': {'mean_minutes': 71.5}}", "system_opel: 3"]
    assert situation_snapshot.org_codes(old) == {"RTEST1"}
    assert situation_snapshot.describe({}) == ["No situation snapshot was recorded with this entry."]


def test_a_naive_time_is_refused(store):
    with pytest.raises(ValueError, match="now:"):
        _take(store, NOW.replace(tzinfo=None))
