"""Data-quality checks: pure functions over plain data, each returning :class:`Finding` s.

One small module per check (no Qt, network or database): the writer
(``models.records.quality``) reads the replica into the plain types of
:mod:`models.rules.quality.facts` and keeps ``data_quality_finding`` in step
with what the checks return.  A finding's ``key`` is stable across runs, so the
same problem found again is the same row, and a problem no longer found is
cleared.  docs/data-quality.md describes each check and how it clears.
"""

from models.rules.quality.finding import CHECKS, Finding

__all__ = ["CHECKS", "Finding"]
