"""The hub's intake says what is wrong with an item in plain words, naming the field, never
pydantic's own text ("Input should be a valid number, unable to parse string as a number"), and
keeps the dotted field path in the error body."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from models.rules.catalogue import load_catalogue
from sync.hub.validate import Checked, ItemValidator

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)
VALIDATOR = ItemValidator(load_catalogue(), {"acute"}, now=lambda: NOW)
AT = "2026-12-04T08:55:00+00:00"


@pytest.mark.parametrize("raw, field, reason", [
    ({"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": AT, "value": "ninety"},
     "items.0.value", "value: 'ninety' is not a number; write it in digits, e.g. 92.5"),
    ({"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": AT, "value": [1]},
     "items.0.value", "value: [1] is not a number"),
    ({"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": AT},
     "items.0.value", "value is missing; an observation item needs it"),
    ({"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": "yesterday", "value": 9},
     "items.0.observed_at", "observed_at: 'yesterday' is not a date and time; write it as e.g. 2026-12-03"),
    ({"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": "2026-12-04T08:55:00", "value": 9},
     "items.0.observed_at", "observed_at: '2026-12-04T08:55:00' has no offset"),
    ({"type": "ambulance_status", "declared_at": AT, "reap_level": "two"},
     "items.0.reap_level", "reap_level: 'two' is not a whole number; write it in digits, e.g. 3"),
    ({"type": "ambulance_status", "declared_at": AT, "reap_level": 7},
     "items.0.reap_level", "reap_level: 7 is out of range; it must be at most 4"),
    ({"type": "ambulance_status", "declared_at": AT, "reap_level": 2.5},
     "items.0.reap_level", "reap_level: 2.5 is not a whole number"),
    ({"type": "critcon", "reported_at": AT, "level": 1, "staffed_beds": -1},
     "items.0.staffed_beds", "staffed_beds: -1 is out of range; it must be at least 0"),
    ({"type": "response_times", "category": "C9", "period_start": AT, "period_end": AT, "incidents": 1},
     "items.0.category", "category: 'C9' is not one of 'C1', 'C2', 'C3' or 'C4'"),
    ({"type": "opel_declaration", "pillar": "acute", "assessed_at": AT, "declared_level": 2, "reason": 5},
     "items.0.reason", "reason: 5 is not text"),
    ({"type": "observation", "metric": "", "observed_at": AT, "value": 1},
     "items.0.metric", "metric: '' is too short; it needs at least 1 character"),
])
def test_each_bad_field_is_named_with_its_reason_in_plain_words(raw, field, reason):
    errors = VALIDATOR.check(Checked(index=0, raw=raw), "acute").errors
    found = {e.field: e.reason for e in errors}
    assert field in found, errors
    assert found[field].startswith(reason), found[field]
    for e in errors:
        assert "Input should" not in e.reason and "Field required" not in e.reason, e.reason


def test_a_long_bad_value_is_cut_short_in_the_reason():
    raw = {"type": "observation", "metric": "ga_bed_occupancy_pct", "observed_at": AT, "value": "x" * 5000}
    (err,) = VALIDATOR.check(Checked(index=0, raw=raw), "acute").errors
    assert err.field == "items.0.value" and len(err.reason) < 120 and "..." in err.reason, err.reason
