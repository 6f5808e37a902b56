"""Each data-quality check on plain data: it names the provider, metric and submission, and says
what would fix it; the same data corrected gives no finding."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.rules.quality import clock_skew, duplicates, impossible, intake, jumps, late, level_mismatch
from models.rules.quality import opel_incomplete
from models.rules.quality.facts import Assessment, Handover, Reading, Receipt, Rejection
from models.rules.quality.run import Facts, Settings, check_all

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)


def at(minutes_ago: float) -> datetime:
    return NOW - timedelta(minutes=minutes_ago)


def reading(minutes_ago, value=90.0, *, lag=1.0, org="RA01", metric="ga_bed_occupancy_pct", ref=None):
    return Reading(org, metric, at(minutes_ago), value, at(minutes_ago - lag), ref or f"feed {int(minutes_ago)}")


def series(values, *, step=15, org="RA01", metric="ga_bed_occupancy_pct"):
    n = len(values)
    return [reading((n - 1 - i) * step, v, org=org, metric=metric) for i, v in enumerate(values)]


def test_missing_and_late_against_the_cadence_then_clear():
    cadences = {"ga_bed_occupancy_pct": 15}
    silent = reading(60)                    # 60 min without a value of a 15-minute metric
    found = late.late_or_missing([silent], cadences, NOW)
    assert [(f.check, f.org_code, f.metric) for f in found] == [("missing", "RA01", "ga_bed_occupancy_pct")]
    assert "expected every 15 minutes" in found[0].detail and "RA01" in found[0].detail
    held = reading(5, lag=-0.0)
    held = Reading(held.org_code, held.metric, at(40), 91, at(1), "feed 9")   # measured 09:20, received 09:59
    found = late.late_or_missing([held], cadences, NOW)
    assert [(f.check, f.submission) for f in found] == [("late", "feed 9")]
    assert late.late_or_missing([reading(5)], cadences, NOW) == []        # on time: nothing
    assert late.late_or_missing([silent], {}, NOW) == []                  # no cadence: not chased


def test_incomplete_opel_names_the_missing_parameters():
    a = Assessment("RA02", "acute", at(5), False, None, 3, None, None,
                   missing=("mean_handover_minutes", "nctr_bed_occupancy_pct"),
                   problems=("missing: no value received yet", ""), ref="feed 77")
    (f,) = opel_incomplete.incomplete_opel([a])
    assert (f.check, f.org_code, f.submission) == ("incomplete_opel", "RA02", "feed 77")
    assert "mean_handover_minutes (missing: no value received yet)" in f.detail
    assert "nctr_bed_occupancy_pct" in f.detail and "OPEL 3 or worse" in f.detail
    complete = Assessment("RA02", "acute", at(1), True, 2, None, None, None)
    assert opel_incomplete.incomplete_opel([complete]) == []


def test_an_opel_score_on_older_figures_says_so_rather_than_missing():
    """The first-morning walkthrough: a provider form's "Send changes" sends only what changed, the hub scores
    the rest on the figures it holds, and the room was told the assessment was "incomplete: missing" eight
    parameters while every view showed it complete. Older figures are named as older, with what clears it."""
    a = Assessment("RK5", "acute", at(5), False, 2, None, None, None, ref="feed 80",
                   older=("mean_handover_minutes", "ga_bed_occupancy_pct"), newest_at=at(5))
    (f,) = opel_incomplete.incomplete_opel([a])
    assert "missing" not in f.detail and "incomplete" not in f.detail
    assert "2 parameter(s) its newest submission (" in f.detail
    assert "left out are scored on older figures: mean_handover_minutes, ga_bed_occupancy_pct." in f.detail
    assert "Send all as now" in f.detail and f.severity == "warning"
    both = Assessment("RK5", "acute", at(5), False, None, 2, None, None, missing=("nctr_bed_occupancy_pct",),
                      problems=("no usable value",), older=("mean_handover_minutes",), newest_at=at(5))
    (g,) = opel_incomplete.incomplete_opel([both])
    assert "is incomplete: missing nctr_bed_occupancy_pct (no usable value)." in g.detail
    assert "scored on older figures: mean_handover_minutes." in g.detail


def test_impossible_handover_future_value_and_falling_cumulative_count():
    bad = Handover("ev-0001-aaaa", "RX9", "RA01", "cleared", at(30), None, at(45), at(1), "feed 5")
    (f,) = impossible.handovers([bad])
    assert f.check == "impossible" and "cleared" in f.detail and "before it was arrived" in f.detail
    good = Handover("ev-0001-aaaa", "RX9", "RA01", "cleared", at(30), at(20), at(10), at(1))
    assert impossible.handovers([good]) == []

    ahead = Reading("RA01", "ga_bed_occupancy_pct", NOW + timedelta(minutes=10), 90, NOW, "feed 8")
    (f,) = impossible.future_values([ahead])
    assert "had not come yet" in f.detail and f.submission == "feed 8"
    assert impossible.future_values([reading(0, lag=0)]) == []

    lost = [reading(60, 5.0, metric="handover_hours_lost"), reading(30, 3.5, metric="handover_hours_lost")]
    (f,) = impossible.cumulative_falls(lost)
    assert "fell from 5 " in f.detail and f.metric == "handover_hours_lost"
    assert impossible.cumulative_falls([lost[0], reading(30, 6.0, metric="handover_hours_lost")]) == []


def test_a_jump_against_the_robust_history_and_a_confirmed_level_is_not_one():
    calm = [90, 91, 89, 90, 92, 90, 91, 89, 90, 91, 90, 90]
    (f,) = jumps.jumps(series(calm + [140]), {"ga_bed_occupancy_pct": 1.5})
    assert (f.check, f.metric) == ("jump", "ga_bed_occupancy_pct") and "jumped to 140" in f.detail
    assert jumps.jumps(series(calm + [93]), {"ga_bed_occupancy_pct": 1.5}) == []
    # the next value stays up: a real change of level
    assert jumps.jumps(series(calm + [140, 139]), {"ga_bed_occupancy_pct": 1.5}) == []
    # one earlier spike does not hide the next (median/MAD, not mean/sd)
    spiky = calm[:9] + [300] + calm[9:]
    found = jumps.jumps(series(spiky + [140]), {})
    assert sorted(f.detail.split(" at ")[0] for f in found) == [
        "ga_bed_occupancy_pct from RA01 jumped to 140", "ga_bed_occupancy_pct from RA01 jumped to 300"]


def test_a_capped_percentage_leaving_its_bound_is_not_a_jump_but_a_typo_is():
    # Seen in CI: NHS 111 call-backs in time sat at 100% overnight, then read 88.5 and 84.2 as the
    # morning got busy; both were reported as jumps (score 12 and 16 against a flat history).
    metric = "nhs111_clinical_callback_in_time_pct"
    floors, bounds = {metric: 1.0}, {metric: (0.0, 100.0)}
    flat = [100.0] * 14
    # two readings that both left the old level: a change of level, whatever their distance apart
    assert jumps.jumps(series(flat + [88.5, 84.2], metric=metric), floors) == []
    # the first reading off the bound, before the next confirms it: a bounded series moves off its
    # bound this way; its spread there is unknown (the bound hides it)
    assert jumps.jumps(series(flat + [88.5], metric=metric), floors, bounds=bounds) == []
    # without the bound known, the flat history still reports it (the floor alone is the scale)
    assert len(jumps.jumps(series(flat + [88.5], metric=metric), floors)) == 1
    # a typo far off the bound is still a jump
    (f,) = jumps.jumps(series(flat + [10.0], metric=metric), floors, bounds=bounds)
    assert "jumped to 10" in f.detail
    # a neighbour that went the other way does not confirm a level
    calm = [90, 91, 89, 90, 92, 90, 91, 89, 90, 91, 90, 90]
    assert len(jumps.jumps(series(calm + [140, 40, 90]), {"ga_bed_occupancy_pct": 1.5})) == 2


def test_duplicates_in_one_receipt_and_a_later_resend_is_a_correction():
    one = at(0.5)
    a = Reading("RA01", "ga_bed_occupancy_pct", at(15), 91, one, "s1")
    b = Reading("RA01", "ga_bed_occupancy_pct", at(15), 97, one, "s1")
    (f,) = duplicates.duplicates([a, b])
    assert f.check == "duplicate" and "91, 97" in f.detail
    fix = Reading("RA01", "ga_bed_occupancy_pct", at(15), 92, at(0.1), "s2")
    assert duplicates.duplicates([a, b, fix]) == []
    assert duplicates.effective([a, b, fix]) == [fix]
    assert duplicates.duplicates([a, Reading(*a.__dict__.values())]) == []   # the same value twice


def test_level_mismatch_with_an_empty_reason():
    thin = Assessment("RA03", "acute", at(5), True, 2, None, 4, "n/a")
    (f,) = level_mismatch.level_mismatch([thin])
    assert "OPEL 4" in f.detail and "OPEL 2" in f.detail and f.check == "level_mismatch"
    real = Assessment("RA03", "acute", at(5), True, 2, None, 4, "Two wards closed with norovirus this morning")
    assert level_mismatch.level_mismatch([real]) == []


def test_clock_skew_on_the_newest_submission():
    off = Receipt("sub-00000001", "RA04", "json", at(50), at(0))
    (f,) = clock_skew.clock_skew([off])
    assert "50 minutes behind" in f.detail and f.submission == "sub-00000001"
    assert clock_skew.clock_skew([Receipt("sub-00000002", "RA04", "json", at(1), at(0))]) == []
    assert clock_skew.clock_skew([Receipt("sub-00000003", "RA04", "csv", at(50), at(0))]) == []


def _sent(sid, stamped_ago, received_ago, source="json", org="RA04"):
    return Receipt(sid, org, source, at(stamped_ago), at(received_ago))


def test_a_catch_up_after_an_outage_is_a_late_delivery_not_a_wrong_clock():
    """A provider back after an outage sends its held submissions within seconds, each stamped when it
    was due; the last one was due 40 minutes before the hub took it.  Its clock is right."""
    live = _sent("sub-live", 115, 115)
    held = [_sent("sub-held-1", 100, 0.05), _sent("sub-held-2", 85, 0.04), _sent("sub-held-3", 70, 0.03),
            _sent("sub-held-4", 55, 0.02), _sent("sub-held-5", 40, 0)]
    assert clock_skew.clock_skew([held[-1]], received=[live, *held]) == []
    # With a web form's CSV in the middle of the burst (the hub's time, no clock of its own): the same.
    form = _sent("sub-form", 0.025, 0.025, source="csv")
    assert clock_skew.clock_skew([held[-1]], received=[live, *held[:3], form, *held[3:]]) == []
    # A first start with nothing received before (the demo's history fill): the same.
    assert clock_skew.clock_skew([held[-1]], received=held) == []
    # The late check reports the lateness (the newest value, received 40 minutes after its time).
    late_one = Reading("RA04", "ga_bed_occupancy_pct", at(40), 90.0, at(0))
    assert [f.check for f in late.late_or_missing([late_one], {"ga_bed_occupancy_pct": 15}, NOW)] == ["late"]


def test_a_clock_behind_is_still_found():
    # Fifteen minutes between stamps, fifteen between receipts: a clock 14 minutes behind.
    behind = [_sent("sub-slow-1", 29, 15), _sent("sub-slow-2", 14, 0)]
    (f,) = clock_skew.clock_skew([behind[-1]], received=behind)
    assert "14 minutes behind" in f.detail and f.submission == "sub-slow-2"
    assert len(clock_skew.clock_skew([behind[-1]])) == 1
    # One submission stamped 45 minutes back (the planted fault), after one received on time.
    back = [_sent("sub-live", 10, 10), _sent("sub-back", 45, 0)]
    assert "45 minutes behind" in clock_skew.clock_skew([back[-1]], received=back)[0].detail
    # Two sent together, their stamps seconds apart: no sign of a catch-up; a clock 20 minutes behind.
    pair = [_sent("sub-pair-1", 20.05, 0.01), _sent("sub-pair-2", 20, 0)]
    assert len(clock_skew.clock_skew([pair[-1]], received=pair)) == 1
    # Two streams a minute apart, one clock 60 minutes behind, the other 30: the hub hears from the
    # provider every quarter hour, so the pair is no catch-up (found by a review of the first rule).
    streams = []
    for k in (2, 1, 0):
        streams += [_sent(f"sub-a-{k}", 15 * k + 1 + 60, 15 * k + 1), _sent(f"sub-b-{k}", 15 * k + 30, 15 * k)]
    (f,) = clock_skew.clock_skew([streams[-1]], received=streams)
    assert "30 minutes behind" in f.detail
    # A clock ahead is never a catch-up; another provider's burst says nothing of this one's.
    ahead = [_sent("sub-fast-1", -30, 15), _sent("sub-fast-2", -15, 0)]
    assert "ahead of" in clock_skew.clock_skew([ahead[-1]], received=ahead)[0].detail
    others = [_sent("sub-other", 55, 0.05, org="RA05"), _sent("sub-held-1", 40, 0)]
    assert len(clock_skew.clock_skew([others[-1]], received=others)) == 1
    # Received last but stamped before the others in its burst: what a wrong clock does (the planted
    # fault, sent after a fast replay); a queue sent newest first cannot be told from it.
    replay = [_sent("sub-r-1", 30, 0.03), _sent("sub-r-2", 15, 0.02), _sent("sub-r-3", 1, 0.01),
              _sent("sub-skewed", 46, 0)]
    assert "46 minutes behind" in clock_skew.clock_skew([replay[-1]], received=replay)[0].detail
    # A single held submission (an outage over one due time) cannot be told from a clock behind.
    single = [_sent("sub-live", 15, 15), _sent("sub-held", 12 + 15, 0)]
    assert len(clock_skew.clock_skew([single[-1]], received=single)) == 1


def test_check_all_tells_a_catch_up_from_a_wrong_clock():
    held = [_sent("sub-held-1", 55, 0.05), _sent("sub-held-2", 40, 0)]
    facts = Facts(receipts=held, newest_receipts=[held[-1]])
    assert [f for f in check_all(facts, NOW) if f.check == "clock_skew"] == []
    assert [f.check for f in check_all(Facts(newest_receipts=[held[-1]]), NOW)] == ["clock_skew"]


def test_intake_quarantine_and_refused_declaration_clear_when_corrected():
    bad_value = Rejection(2, "observation", "ga_bed_occupancy_pct",
                          (("items.2.value", "ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent"),))
    no_reason = Rejection(3, "opel_declaration", None, (("items.3.reason", "declared OPEL 4 differs from the "
                                                          "calculated level (OPEL 2, ...); give a reason"),))
    first = Receipt("sub-00000010", "RA05", "json", at(30), at(30), frozenset(), (bad_value, no_reason), 2)
    found = {f.check: f for f in intake.quarantined([first])}
    assert set(found) == {"intake_quarantine", "level_mismatch"}
    assert "180 is outside the valid range" in found["intake_quarantine"].detail
    assert "item 2 of submission sub-00000010" in found["intake_quarantine"].detail
    fixed = Receipt("sub-00000011", "RA05", "json", at(10), at(10),
                    frozenset({"observation:ga_bed_occupancy_pct", "opel_declaration"}))
    assert intake.quarantined([first, fixed]) == []
    other = Receipt("sub-00000012", "RA05", "json", at(10), at(10), frozenset({"observation:mean_handover_minutes"}))
    assert {f.check for f in intake.quarantined([first, other])} == {"intake_quarantine", "level_mismatch"}


def test_check_all_keys_are_stable_and_unique():
    facts = Facts(readings=series([90] * 12 + [150]), newest=[reading(60)],
                  receipts=[Receipt("sub-00000020", "RA06", "json", at(50), at(0))],
                  newest_receipts=[Receipt("sub-00000020", "RA06", "json", at(50), at(0))])
    settings = Settings(cadences={"ga_bed_occupancy_pct": 15})
    one, two = check_all(facts, NOW, settings), check_all(facts, NOW, settings)
    assert {f.key for f in one} == {f.key for f in two}
    assert len({f.key for f in one}) == len(one)
    assert {f.check for f in one} == {"missing", "jump", "clock_skew"}


def test_the_checks_the_writer_runs_know_each_metrics_valid_range():
    from models.records.quality import settings_for
    settings = settings_for()
    assert settings.bounds["nhs111_clinical_callback_in_time_pct"] == (0, 100)
    assert settings.floors["nhs111_clinical_callback_in_time_pct"] == 1.0
