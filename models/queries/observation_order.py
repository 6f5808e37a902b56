"""Which of a provider's values of a figure at the same time is the one shown, as the hub keeps it
(``sync.hub.opel.LatestValues.offer``): the provider's own value, else the latest call recorded for
that time (a call recorded again to correct a mistyped figure replaces the first)."""

from __future__ import annotations

from models.replica.orm import Observation

from models.records.phoned_in import SOURCE as PHONED_IN   # a phoned-in figure's Observation.source


def newest_first():
    """ORDER BY terms: the value shown now first."""
    return Observation.observed_at.desc(), (Observation.source != PHONED_IN).desc(), Observation.id.desc()


def oldest_first():
    """ORDER BY terms for a series (the last row of each time is the one shown)."""
    return Observation.observed_at, Observation.source != PHONED_IN, Observation.id
