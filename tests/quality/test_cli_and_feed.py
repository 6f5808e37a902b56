"""The intake notice on a real replica (applied, bounded, a bad one quarantined) and
``scc-desktop quality list`` as a user runs it: a real process on a real encrypted replica."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.replica.orm import IntakeNotice, QuarantinedRecord
from models.replica.store import Store
from models.service import quality
from sync.apply import apply_batch
from tests.models.conftest import FAST_KDF
from tests.scc_desktop.test_cli_db import PASS, run
from tests.support.replica import fresh_replica
from tests.sync.test_apply import batch
from tests.ui.feeds import VALIDATOR

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def iso(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def notice(sid: str, org: str, *, sent_ago=1.0, rejected=(), keys=("observation:ga_bed_occupancy_pct",)) -> dict:
    return {"submission_id": sid, "org_code": org, "source": "json", "submitted_at": iso(sent_ago),
            "received_at": iso(1), "accepted": len(keys), "accepted_keys": list(keys),
            "rejected": list(rejected), "rejected_count": len(rejected)}


BAD_VALUE = {"index": 1, "row": None, "type": "observation", "metric": "ga_bed_occupancy_pct",
             "errors": [{"field": "items.1.value",
                         "reason": "ga_bed_occupancy_pct: 180 is outside the valid range 0 to 150 percent"}],
             "raw": '{"type": "observation", "metric": "ga_bed_occupancy_pct", "value": 180}'}


def feed_items():
    items = [(1, "organisation", {"ods_code": "RA01", "name": "Trust One", "sector": "acute"}),
             (2, "organisation", {"ods_code": "RA02", "name": "Trust Two", "sector": "acute"})]
    seq = 2
    for n in range(12):   # RA01: a quarter-hourly series, then two values for one time in one receipt
        seq += 1
        items.append((seq, "observation", {"org_code": "RA01", "metric": "ga_bed_occupancy_pct",
                                           "observed_at": iso(15 * (12 - n)), "value": 90.0 + n % 2,
                                           "source": "provider", "received_at": iso(15 * (12 - n) - 1)}))
    for value in (91.0, 97.0):
        seq += 1
        items.append((seq, "observation", {"org_code": "RA01", "metric": "ga_bed_occupancy_pct",
                                           "observed_at": iso(2), "value": value, "source": "provider",
                                           "received_at": iso(1)}))
    items.append((seq + 1, "intake_notice", notice("sub-ra02-000001", "RA02", rejected=[BAD_VALUE], keys=())))
    return items


def test_a_notice_is_stored_and_one_out_of_bounds_is_quarantined_not_applied(tmp_path):
    with fresh_replica(tmp_path / "scc.db", PASS, kdf=FAST_KDF) as store:
        huge = notice("sub-ra02-000002", "RA02", rejected=[BAD_VALUE] * 101)   # over MAX_NOTICE_REJECTIONS
        report = apply_batch(store, batch(feed_items() + [(100, "intake_notice", huge)]), VALIDATOR)
        assert report.quarantined == 1 and report.kinds["intake_notice"] == 1
        with store.session() as s:
            (kept,) = s.scalars(select(IntakeNotice)).all()
            assert kept.rejected[0]["errors"][0]["field"] == "items.1.value" and kept.feed_seq == 17
            (q,) = s.scalars(select(QuarantinedRecord)).all()
            assert q.source == "feed:intake_notice" and "rejected" in q.errors[0]


def test_quality_list_json_names_check_org_metric_time_and_detail(tmp_path):
    path = tmp_path / "scc.db"
    with fresh_replica(path, PASS, kdf=FAST_KDF) as store:
        apply_batch(store, batch(feed_items()), VALIDATOR)
    env = {"SCC_PASSPHRASE": PASS}
    done = run("quality", "list", "--json", "--path", str(path), env_extra=env, home=tmp_path)
    assert done.returncode == 0, done.stderr
    found = {(f["check"], f["org_code"]): f for f in json.loads(done.stdout)
             if f["check"] != "standards_year"}   # about the framework files, not the providers' data
    assert set(found) == {("duplicate", "RA01"), ("intake_quarantine", "RA02")}
    dup = found[("duplicate", "RA01")]
    assert dup["metric"] == "ga_bed_occupancy_pct" and "91, 97" in dup["detail"] and dup["raised_at"]
    bad = found[("intake_quarantine", "RA02")]
    assert "180 is outside the valid range" in bad["detail"] and bad["submission"] == "sub-ra02-000001"

    text = run("quality", "list", "--path", str(path), "--check", "duplicate", env_extra=env, home=tmp_path)
    assert text.returncode == 0 and "RA01 ga_bed_occupancy_pct" in text.stdout and "RA02" not in text.stdout
    summary = run("quality", "list", "--summary", "--json", "--path", str(path), env_extra=env, home=tmp_path)
    rows = {r["org_code"]: r for r in json.loads(summary.stdout)}
    assert rows["RA01"]["open"] == 1 and rows["RA02"]["by_check"] == {"intake_quarantine": 1}
    wrong = run("quality", "list", "--check", "nonsense", "--path", str(path), env_extra=env, home=tmp_path)
    assert wrong.returncode == 2 and "check: 'nonsense' is not a check" in wrong.stderr

    # The corrected value in a later submission clears the duplicate; the second run raises nothing new.
    with Store.unlock(path, PASS) as store:
        apply_batch(store, batch([(40, "observation", {
            "org_code": "RA01", "metric": "ga_bed_occupancy_pct", "observed_at": iso(2), "value": 92.0,
            "source": "provider", "received_at": iso(0.5)})]), VALIDATOR)
        done = quality.run_checks(store, datetime.now(timezone.utc))
        assert (done.raised, done.cleared) == (0, 1)
        assert [f.check for f in quality.open_findings(store) if f.check != "standards_year"] == ["intake_quarantine"]


def test_a_catch_up_on_the_replica_is_no_wrong_clock_and_a_clock_behind_still_is(tmp_path):
    """RA01 back after an outage: three held submissions stamped 70, 55 and 40 minutes ago, the hub
    taking them within a second.  RA02's clock runs 40 minutes behind: two submissions fifteen
    minutes apart by both clocks.  Read from the replica's intake notices, the check tells them apart."""
    def sent(seq, sid, org, stamped_ago, received_ago):
        body = {**notice(sid, org, sent_ago=stamped_ago), "received_at": iso(received_ago)}
        return (seq, "intake_notice", body)

    items = feed_items()[:2] + [sent(3, "sub-ra01-held-1", "RA01", 70, 0.02),
                                sent(4, "sub-ra01-held-2", "RA01", 55, 0.01),
                                sent(5, "sub-ra01-held-3", "RA01", 40, 0.0),
                                sent(6, "sub-ra02-slow-1", "RA02", 55, 15),
                                sent(7, "sub-ra02-slow-2", "RA02", 40, 0)]
    with fresh_replica(tmp_path / "scc.db", PASS, kdf=FAST_KDF) as store:
        apply_batch(store, batch(items), VALIDATOR)
        quality.run_checks(store, NOW)
        found = [(f.check, f.org_code, f.submission) for f in quality.open_findings(store)
                 if f.check != "standards_year"]
    assert found == [("clock_skew", "RA02", "sub-ra02-slow-2")]
