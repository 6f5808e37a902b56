"""An alert's current figure (models.service.alert_words.current_figures) at a time with two values: the
one every view shows (models.queries.observation_order): the provider's own, else the latest call.

The alert's sentence ordered by time alone: at a time with the provider's own value and a call, it could
quote the call while every view showed the provider's (the second test fails without). The first test
guards the correction of a call at the same minute, which held only by the index's order of equal times."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.records.phoned_in import SOURCE as PHONED_IN
from models.replica.orm import Observation
from models.service.alert_words import current_figures
from tests.models.conftest import FAST_KDF
from tests.support.replica import fresh_replica

AT = datetime(2026, 12, 5, 9, 0, tzinfo=timezone.utc)


def _figure(store, rows) -> float:
    with store.session() as s:
        for n, (value, source) in enumerate(rows):
            s.add(Observation(org_code="RX1", metric_code="ga_bed_occupancy_pct", observed_at=AT, value=value,
                              source=source, received_at=AT + timedelta(minutes=n), feed_seq=None))
        s.commit()
        return current_figures(s, [("a-1", "RX1", "ga_bed_occupancy_pct")], AT + timedelta(hours=1))[
            ("RX1", "ga_bed_occupancy_pct")].value


def test_the_correction_of_a_call_at_the_same_minute_is_the_alerts_figure(tmp_path):
    with fresh_replica(tmp_path / "a.db", "ties", kdf=FAST_KDF) as store:
        assert _figure(store, [(79.0, PHONED_IN), (97.0, PHONED_IN)]) == 97.0


def test_the_providers_own_value_wins_over_a_call_at_the_same_minute(tmp_path):
    with fresh_replica(tmp_path / "b.db", "ties", kdf=FAST_KDF) as store:
        assert _figure(store, [(88.0, "provider"), (91.0, PHONED_IN)]) == 88.0
