"""The data-quality view's page through the door: the submission a finding names is found through the
hub's intake notice only when the notice is surely its own, and bad filters name the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.records import quality as records
from models.rules.quality import Finding
from models.service import quality
from tests.models.conftest import FAST_KDF, PASSPHRASE
from tests.support.replica import fresh_replica
from tests.ui.feeds import NOW, Feed, iso


def _notice(feed: Feed, org: str, sid: str, at) -> None:
    feed.add("intake_notice", {"submission_id": sid, "org_code": org, "source": "json", "submitted_at": iso(at),
                               "received_at": iso(at), "accepted": 1,
                               "accepted_keys": ["observation:ga_bed_occupancy_pct"]})


@pytest.fixture
def replica(tmp_path):
    with fresh_replica(tmp_path / "scc.db", PASSPHRASE, kdf=FAST_KDF) as store:
        yield store


def test_a_feed_position_is_traced_to_its_own_submissions_notice_only(replica):
    at = NOW - timedelta(minutes=5)
    feed = Feed().org("RAA", "Alpha Hospitals NHS Trust").org("RBB", "Beta Hospitals NHS Trust")
    feed.observation("RAA", "ga_bed_occupancy_pct", at, 91.0)      # seq 3, received with its notice
    _notice(feed, "RAA", "sub-alpha-0001", at)                     # seq 4
    feed.observation("RAA", "ga_bed_occupancy_pct", NOW, 92.0)     # seq 5: no notice of its own (an old hub)
    _notice(feed, "RBB", "sub-beta-0001", NOW)                     # seq 6: the next notice is another's
    feed.apply(replica)
    with replica.writing() as s:
        records.store_findings(s, [
            Finding("jump", "RAA", "ga_bed_occupancy_pct", "RAA jumped.", submission="feed 3", at=at),
            Finding("late", "RAA", "ga_bed_occupancy_pct", "RAA was late.", submission="feed 5", at=NOW),
            Finding("clock_skew", "RBB", None, "RBB's clock.", submission="sub-beta-0001", at=NOW)], NOW)
    page = quality.quality_page(replica, NOW)
    subs = {line.finding.check: line.submission for line in page.lines}
    assert (subs["jump"].submission_id, subs["jump"].received_at) == ("sub-alpha-0001", at)
    assert subs["late"].submission_id is None and subs["late"].ref == "feed 5"   # not Beta's, not a guess
    assert subs["clock_skew"].submission_id == "sub-beta-0001"
    assert [line.provider for line in page.lines if line.finding.check == "jump"] == ["Alpha Hospitals NHS Trust"]
    assert {s.org_code: s.open for s in page.summary} == {"RAA": 2, "RBB": 1}
    assert {s.org_code: s.submissions for s in page.summary} == {"RAA": 1, "RBB": 1}


def test_bad_filters_name_the_field(replica):
    with pytest.raises(ValueError, match="^check: 'lateish' is not a check"):
        quality.quality_page(replica, NOW, check="lateish")
    with pytest.raises(ValueError, match="^severity: 'loud'"):
        quality.quality_page(replica, NOW, severity="loud")
