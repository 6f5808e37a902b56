"""Data quality through the door: the checks run over the replica (one write transaction), the
open findings through a filter, and a per-provider summary of the last seven days, view-shaped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from models.records import quality as records
from models.replica.orm import DataQualityFinding
from models.rules.quality import CHECKS
from models.service.changes import Changes

SUMMARY_DAYS = 7


@dataclass(frozen=True)
class FindingView:
    id: int
    check: str
    org_code: str | None
    metric: str | None
    severity: str
    detail: str
    submission: str | None        # the offending submission: its id, or "feed N" (the feed position it came at)
    subject_at: datetime | None   # the time the offending data describes
    raised_at: datetime
    last_seen_at: datetime | None
    cleared_at: datetime | None

    def as_json(self) -> dict:
        def iso(t):
            return None if t is None else t.isoformat()
        return {"id": self.id, "check": self.check, "org_code": self.org_code, "metric": self.metric,
                "severity": self.severity, "raised_at": iso(self.raised_at), "detail": self.detail,
                "submission": self.submission, "subject_at": iso(self.subject_at),
                "last_seen_at": iso(self.last_seen_at), "cleared_at": iso(self.cleared_at)}


@dataclass(frozen=True)
class ProviderSummary:
    org_code: str               # "" for findings about no one provider
    open: int
    raised: int                 # in the period, open or cleared since
    cleared: int                # in the period
    by_check: dict[str, int] = field(default_factory=dict)   # raised in the period, per check


@dataclass(frozen=True)
class Checked:
    raised: int
    cleared: int
    open: int
    changes: Changes


def run_checks(store, now: datetime) -> Checked:
    """Every check at ``now``, the findings table brought up to date, in one write transaction."""
    with store.writing() as s:
        done = records.refresh(s, now)
    return Checked(done.raised, done.cleared, done.open,
                   Changes(frozenset({"data_quality"}) if done.changed else frozenset()))


def _view(row: DataQualityFinding) -> FindingView:
    return FindingView(row.id, row.check_code or row.kind, row.org_code, row.metric_code, row.severity or "warning",
                       row.detail, row.submission_ref, row.subject_at, row.found_at, row.last_seen_at,
                       row.resolved_at)


def open_findings(store, *, org_code: str | None = None, check: str | None = None, severity: str | None = None,
                  include_cleared_since: datetime | None = None, limit: int | None = None) -> list[FindingView]:
    """Open findings, newest first; with ``include_cleared_since`` also those cleared since then.
    Bad filters raise ``ValueError("field: reason")``."""
    if check is not None and check not in CHECKS:
        raise ValueError(f"check: {check!r} is not a check; checks: {', '.join(CHECKS)}")
    if severity is not None and severity not in ("info", "warning", "critical"):
        raise ValueError(f"severity: {severity!r} is not info, warning or critical")
    if limit is not None and limit < 1:
        raise ValueError(f"limit: {limit} must be at least 1")
    F = DataQualityFinding
    query = select(F).order_by(F.found_at.desc(), F.id.desc())
    if include_cleared_since is None:
        query = query.where(F.resolved_at.is_(None))
    else:
        query = query.where(or_(F.resolved_at.is_(None), F.resolved_at >= include_cleared_since))
    if org_code:
        query = query.where(F.org_code == org_code)
    if check:
        query = query.where(F.check_code == check)
    if severity:
        query = query.where(F.severity == severity)
    if limit:
        query = query.limit(limit)
    with store.session() as s:
        return [_view(row) for row in s.scalars(query)]


def provider_summary(store, now: datetime, days: int = SUMMARY_DAYS) -> list[ProviderSummary]:
    """Per provider over the last ``days``: open now, raised and cleared in the period, raised per check;
    worst first (most open, then most raised)."""
    since = now - timedelta(days=days)
    F = DataQualityFinding
    with store.session() as s:
        rows = s.execute(select(F.org_code, F.check_code, F.kind, F.found_at, F.resolved_at).where(
            or_(F.resolved_at.is_(None), F.resolved_at >= since, F.found_at >= since))).all()
    acc: dict[str, dict] = {}
    for org, check, kind, found, resolved in rows:
        a = acc.setdefault(org or "", {"open": 0, "raised": 0, "cleared": 0, "by": Counter()})
        if resolved is None:
            a["open"] += 1
        elif resolved >= since:
            a["cleared"] += 1
        if found >= since:
            a["raised"] += 1
            a["by"][check or kind] += 1
    out = [ProviderSummary(org, a["open"], a["raised"], a["cleared"], dict(sorted(a["by"].items())))
           for org, a in acc.items()]
    return sorted(out, key=lambda p: (-p.open, -p.raised, p.org_code))
