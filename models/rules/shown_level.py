"""The level a room sees for a provider, pillar or the system: the declared level where one was
declared (an override, with its reason), else the calculated one.  One rule, in Python and in SQL,
so every view, chart, checklist and trend agrees.  Light on purpose: the first paint reads it."""

from __future__ import annotations

# For statements over ``opel_assessment`` (plain SQL and SQLAlchemy ``literal_column``).
SQL = "coalesce(declared_level, calculated_level)"


def shown_level(declared: int | None, calculated: int | None) -> int | None:
    """``declared`` if there is one, else ``calculated`` (None when neither is known)."""
    return declared if declared is not None else calculated
