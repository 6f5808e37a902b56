"""Whatever a provider sends, the hub's notice of it is an item every desktop can take: hostile
codes, text no store can hold, nesting past Python's recursion, thousands of bad items."""

from __future__ import annotations

from datetime import datetime, timezone

from sync import protocol as p
from sync.hub.intake_notice import notice, rejection
from sync.hub.validate import Checked
from sync.limits import MAX_NOTICE_ERRORS, MAX_NOTICE_RAW_CHARS, MAX_NOTICE_REJECTIONS

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=timezone.utc)


def deep(levels: int) -> list:
    top = inner = []
    for _ in range(levels):
        inner.append([])
        inner = inner[0]
    return top


def test_a_hostile_item_becomes_a_valid_rejection():
    errors = [p.FieldError(field=f"items.0.\x00f{n}", reason="bad\x00 \ud800" + "x" * 3000) for n in range(30)]
    chk = Checked(index=0, raw={"type": "obs\x01", "metric": "m\ud800", "value": deep(5000), "n": float("nan"),
                                "text": "é" * 5000}, errors=errors)
    item = p.FeedRejectedItem.model_validate(rejection(chk))
    assert (item.type, item.metric) == (None, None)
    assert len(item.errors) == MAX_NOTICE_ERRORS and item.errors[0].field == "items.0.?f0"
    assert "RecursionError" in item.raw
    long = p.FeedRejectedItem.model_validate(rejection(Checked(index=1, raw={"text": "é" * 5000}, errors=errors)))
    assert len(long.raw) == MAX_NOTICE_RAW_CHARS and long.raw.endswith("…")


def test_a_notice_of_thousands_of_bad_items_is_bounded():
    bad = [Checked(index=i, raw={"type": "observation", "metric": "ga_bed_occupancy_pct", "value": 999},
                   errors=[p.FieldError(field=f"items.{i}.value", reason="outside the valid range")])
           for i in range(10_000)]
    data = notice("sub-bulk-00000001", "RTEST1", "json", NOW, NOW, bad)
    parsed = p.FeedIntakeNotice.model_validate(data)
    assert (parsed.accepted, parsed.rejected_count, len(parsed.rejected)) == (0, 10_000, MAX_NOTICE_REJECTIONS)
    assert parsed.rejected[0].metric == "ga_bed_occupancy_pct"


def test_a_negative_count_or_index_in_a_notice_is_refused_naming_the_field():
    import pytest
    from pydantic import ValidationError

    good = notice("sub-neg-00000001", "RTEST1", "json", NOW, NOW, [Checked(index=0, raw={}, errors=[])])
    for field, path in (("accepted", ("accepted",)), ("rejected_count", ("rejected_count",))):
        with pytest.raises(ValidationError) as caught:
            p.FeedIntakeNotice.model_validate({**good, field: -1})
        assert caught.value.errors()[0]["loc"] == path
    with pytest.raises(ValidationError) as caught:
        p.FeedRejectedItem.model_validate({"index": -1})
    assert caught.value.errors()[0]["loc"] == ("index",)
