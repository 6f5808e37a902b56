"""Generated submissions: deterministic, valid against the protocol and catalogue, faults marked."""

from __future__ import annotations

import json
from datetime import timedelta

from models.rules.opel import score
from models.rules.opel_table import load_shipped
from sync.protocol import Submission
from sync.simulator import Simulator, load_config, merge
from tests.sync.simulator.conftest import SEED, START, item_problem


def _dump(subs) -> list[str]:
    return [json.dumps(s.payload, sort_keys=True) for s in subs]


def test_same_seed_same_output_and_windows_do_not_matter(sim):
    end = START + timedelta(hours=6)
    once = sim.submissions(START, end)
    again = Simulator(load_config(), SEED).submissions(START, end)
    assert _dump(once) == _dump(again)
    halves = sim.submissions(START, START + timedelta(hours=2, minutes=7)) + \
        sim.submissions(START + timedelta(hours=2, minutes=7), end)
    assert _dump(halves) == _dump(once)
    other = Simulator(load_config(), SEED + 1).submissions(START, end)
    assert _dump(other) != _dump(once)


def test_every_item_is_valid_unless_marked_as_a_deliberate_fault(sim):
    subs = sim.submissions(START, START + timedelta(days=2))
    kinds = set()
    faulty = 0
    for sub in subs:
        Submission.model_validate(sub.payload)
        marked = {f.index for f in sub.faults}
        for i, item in enumerate(sub.payload["items"]):
            problem = item_problem(item)
            kinds.add(item["type"])
            if i in marked:
                faulty += 1
                assert problem is not None, f"fault {sub.faults} in {item} is not detectable"
            else:
                assert problem is None, f"{problem}: {item}"
    assert kinds == {"observation", "opel_declaration", "ambulance_status", "response_times", "handover", "critcon"}
    assert faulty > 0


def test_without_faults_everything_is_valid_and_on_time(clean_sim):
    subs = clean_sim.submissions(START, START + timedelta(days=1))
    assert not any(s.late or s.missing or s.faults for s in subs)
    assert all(item_problem(i) is None for s in subs for i in s.payload["items"])
    delays = [(s.submitted_at - s.due_at).total_seconds() for s in subs]
    assert 0 < min(delays) and max(delays) <= 90


def test_fault_rates_are_roughly_as_configured():
    cfg = load_config().with_fault_rates(late=0.1, missing=0.1, malformed=0.05)
    subs = Simulator(cfg, SEED).submissions(START, START + timedelta(days=3))
    late = [s for s in subs if s.late]
    assert 0.07 < len(late) / len(subs) < 0.13
    for s in late:  # observed well before submitted
        assert s.submitted_at - s.due_at >= timedelta(minutes=90)
    with_params = [s for s in subs if s.missing or any(
        i.get("type") == "observation" for i in s.payload["items"])]
    missing = [s for s in with_params if s.missing]
    assert 0.07 < len(missing) / len(with_params) < 0.13
    items = sum(len(s.payload["items"]) for s in subs)
    faults = [f for s in subs for f in s.faults]
    assert 0.04 < len(faults) / items < 0.06
    assert {f.kind for f in faults} == {"out_of_range", "unknown_metric", "bad_timestamp", "wrong_type"}


def test_each_opel_submission_carries_its_pillar_parameters_except_the_missing(sim):
    tables = {p: load_shipped(p) for p in ("acute", "community", "mental_health", "nhs111")}
    kinds = {o.code: o.kind for o in sim.config.organisations}
    seen = 0
    for sub in sim.submissions(START, START + timedelta(days=1)):
        obs = {i["metric"] for i in sub.payload["items"] if i["type"] == "observation"}
        if not obs and not sub.missing:
            continue
        seen += 1
        keys = set(tables[kinds[sub.org_code]].keys)
        marked = {f.index for f in sub.faults}
        intact = {i["metric"] for n, i in enumerate(sub.payload["items"])
                  if i["type"] == "observation" and n not in marked}
        count = sum(1 for i in sub.payload["items"] if i["type"] == "observation")
        assert intact <= keys - set(sub.missing)
        assert count == len(keys) - len(sub.missing)  # a malformed parameter is still there, broken
    assert seen > 100


def test_declarations_match_the_score_of_the_same_parameters_or_give_a_reason(clean_sim):
    tables = {p: load_shipped(p) for p in ("acute", "community", "mental_health", "nhs111")}
    declarations = 0
    for sub in clean_sim.submissions(START, START + timedelta(days=2)):
        items = sub.payload["items"]
        for d in (i for i in items if i["type"] == "opel_declaration"):
            declarations += 1
            values = {i["metric"]: i["value"] for i in items if i["type"] == "observation"}
            calculated = score(tables[d["pillar"]], values)
            assert calculated.complete
            if d["declared_level"] != calculated.level:
                assert d.get("reason")
    assert declarations >= 2 * 9 * 6  # nine OPEL providers, six declarations a day


def test_critcon_beds_are_the_real_replayed_figures(clean_sim):
    world = clean_sim.world
    for sub in clean_sim.submissions(START, START + timedelta(hours=12)):
        for item in (i for i in sub.payload["items"] if i["type"] == "critcon"):
            t = int(sub.due_at.timestamp())
            profile = world.profiles[sub.org_code]
            assert item["staffed_beds"] == round(profile.cc_staffed[world.clock.day_index(t)])
            assert 0 <= item["occupied_beds"] <= item["staffed_beds"] + 2


def test_merging_for_backfill_keeps_every_item_and_every_fault():
    cfg = load_config().with_fault_rates(late=0.1, missing=0.1, malformed=0.05)
    subs = Simulator(cfg, SEED).submissions(START, START + timedelta(hours=12))
    merged = merge(subs, 240)
    assert len(merged) < len(subs) / 4
    assert sorted(json.dumps(i, sort_keys=True) for s in subs for i in s.payload["items"]) == \
        sorted(json.dumps(i, sort_keys=True) for s in merged for i in s.payload["items"])
    for m in merged:
        Submission.model_validate(m.payload)
        for f in m.faults:
            assert item_problem(m.payload["items"][f.index]) is not None
    assert sum(len(m.faults) for m in merged) == sum(len(s.faults) for s in subs)
    assert [s.submission_id for s in merge(subs, 240)] == [s.submission_id for s in merged]


def test_a_run_starting_mid_stream_leaves_no_ambulance_stuck_on_a_stale_state():
    from datetime import datetime, timedelta, timezone

    from sync.simulator.generator import Simulator
    from sync.simulator.runner import backfill

    sim = Simulator(seed=1)
    start = datetime(2026, 1, 14, 0, 0, tzinfo=timezone.utc)
    # This window holds a late ambulance return due before it (the case that went wrong).
    assert any(s.late and s.kind == "ambulance" and s.due_at <= start
               for s in sim.submissions(start, start + timedelta(hours=6)))
    sent = []
    backfill(sim, sent.append, start, start + timedelta(hours=6))
    final: dict[str, tuple[str, str]] = {}
    for sub in sent:
        for item in sub.payload["items"]:
            if item["type"] == "handover":
                final[item["event_uuid"]] = (item["state"], sub.payload["submitted_at"])
    assert final
    stuck = [uid for uid, (state, _) in final.items() if state == "arrived"
             and all(sub.due_at <= start for sub in sent
                     if any(i.get("event_uuid") == uid for i in sub.payload["items"]))]
    assert stuck == []
