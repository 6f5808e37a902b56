"""The form's "As at" (review, session 25): a slipped year is named in the refusal, and the autumn change's
first 01:30 can still be written once the second has passed ("01:30 BST"). Unit level: ``provider.as_at``
is what the form's POST calls with the hub's clock."""

from __future__ import annotations

from datetime import datetime, timezone

from sync.hub.web.provider import as_at

SAT = datetime(2026, 12, 5, 21, 0, tzinfo=timezone.utc)   # Sat 05 Dec 2026 21:00 GMT


def test_a_slipped_year_is_named_in_the_refusal():
    at, problem = as_at({"as_at": "05/12/2025 20:00"}, SAT)
    assert at == SAT and "Fri 05 Dec 2025 20:00 is more than 12 hours ago" in problem, problem
    at, problem = as_at({"as_at": "05/12/2027 20:00"}, SAT)
    assert "Sun 05 Dec 2027 20:00 is in the future" in problem, problem
    # This year's times read as before.
    assert "Thu 05 Nov 20:00 is more than" in as_at({"as_at": "05/11/2026 20:00"}, SAT)[1]


def test_the_autumn_changes_first_0130_can_be_written_after_the_second():
    second = datetime(2026, 10, 25, 1, 40, tzinfo=timezone.utc)   # 01:40 GMT, the second pass of the hour
    assert as_at({"as_at": "01:30"}, second) == (datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc), None)
    assert as_at({"as_at": "01:30 BST"}, second) == (datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc), None)
    assert as_at({"as_at": "25/10/2026 01:30 gmt"}, second) == (datetime(2026, 10, 25, 1, 30, tzinfo=timezone.utc),
                                                                 None)
    # A zone the clocks did not show then is refused, naming it; the spring's missing hour stays refused.
    at, problem = as_at({"as_at": "21:00 BST"}, SAT)
    assert at == SAT and "is not BST" in problem, problem
    spring = datetime(2026, 3, 29, 2, 10, tzinfo=timezone.utc)
    assert "does not exist in UK time" in as_at({"as_at": "01:30 GMT"}, spring)[1]
