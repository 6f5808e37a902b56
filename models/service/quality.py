"""Data quality through the door: the checks run over the replica (one write transaction), the
open findings through a filter, and a per-provider summary of the last seven days, view-shaped."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import distinct, func, or_, select, text

from models.records import quality as records
from models.replica.orm import DataQualityFinding, Organisation
from models.replica.utc import from_utc_text, to_utc_text
from models.rules.catalogue import Catalogue, load_catalogue
from models.rules.quality import CHECKS
from models.rules.quality.finding import SEVERITIES
from models.service import submission_sender
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
    query = _findings_query(org_code, check, severity, include_cleared_since, limit)
    with store.session() as s:
        return [_view(row) for row in s.scalars(query)]


def _findings_query(org_code, check, severity, include_cleared_since, limit):
    if check is not None and check not in CHECKS:
        raise ValueError(f"check: {check!r} is not a check; checks: {', '.join(CHECKS)}")
    if severity is not None and severity not in SEVERITIES:
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
    return query


def provider_summary(store, now: datetime, days: int = SUMMARY_DAYS) -> list[ProviderSummary]:
    """Per provider over the last ``days``: open now, raised and cleared in the period, raised per check;
    worst first (most open, then most raised)."""
    with store.session() as s:
        return _summary(s, now - timedelta(days=days))


def _summary(s, since: datetime) -> list[ProviderSummary]:
    F = DataQualityFinding
    rows = s.execute(select(F.org_code, F.check_code, F.kind, F.found_at, F.resolved_at).where(
        or_(F.resolved_at.is_(None), F.resolved_at >= since, F.found_at >= since))).all()
    acc: dict[str, dict] = {}
    for org, check, kind, found, resolved in rows:
        if not org:   # about no provider (a standards file, the contact directory): listed, not ranked here
            continue
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


# --- the view's page ------------------------------------------------------------------------------
PAGE_LIMIT = 500   # findings drawn at once; the page counts them all


@dataclass(frozen=True)
class RejectedItem:
    """One item of a submission the hub quarantined, as its intake notice carries it."""

    index: int
    row: int | None               # CSV: the spreadsheet row
    item_type: str | None
    metric: str | None
    reasons: tuple[tuple[str, str], ...]   # (field, the hub's reason)
    raw: str                      # what was sent, cut down by the hub


@dataclass(frozen=True)
class SubmissionView:
    """The submission a finding names, found through the hub's intake notice where there is one."""

    ref: str                      # as the finding names it: a submission id, or "feed N"
    submission_id: str | None     # None: no notice names it (a hub before protocol 1.4)
    source: str | None = None     # json or csv
    submitted_at: datetime | None = None   # the provider's own clock
    received_at: datetime | None = None    # the hub's
    rejected: tuple[RejectedItem, ...] = ()   # the quarantined items the finding is about
    rejected_count: int = 0       # items of the submission the hub quarantined, all of them
    sender: submission_sender.Sender | None = None   # who sent it, by which door; None: not recorded

    @property
    def sender_line(self) -> str:
        """"Sent by ..." or "Sender not recorded (...)"."""
        return submission_sender.line(self.sender)


@dataclass(frozen=True)
class QualityLine:
    finding: FindingView
    provider: str | None          # the provider's name (None: not a known organisation)
    metric_name: str | None
    submission: SubmissionView | None


@dataclass(frozen=True)
class SummaryLine:
    org_code: str                 # "" for findings about no one provider
    name: str | None
    open: int                     # open now
    raised: int                   # in the period
    cleared: int                  # in the period
    by_check: dict[str, int]      # raised in the period, per check
    submissions: int              # provider submissions the hub took in the period
    last_submission_at: datetime | None   # the newest one's receipt, however old

    @property
    def late(self) -> int:
        return self.by_check.get("late", 0)

    @property
    def missing(self) -> int:
        return self.by_check.get("missing", 0)


@dataclass(frozen=True)
class QualityPage:
    now: datetime
    lines: tuple[QualityLine, ...]   # newest first, at most ``PAGE_LIMIT``
    matched: int                  # findings matching the filters
    open_total: int               # open findings, whatever the filters
    summary: tuple[SummaryLine, ...]   # every provider, who needs a call first
    providers: tuple[tuple[str, str], ...]   # (ODS code, name) for the filter, by name
    days: int = SUMMARY_DAYS
    open_at_providers: tuple[int, int] = (0, 0)   # open findings about a provider, and how many providers


@lru_cache(maxsize=1)
def _catalogue() -> Catalogue:
    return load_catalogue()


def quality_page(store, now: datetime, *, org_code: str | None = None, check: str | None = None,
                 severity: str | None = None, show_cleared: bool = False, days: int = SUMMARY_DAYS,
                 limit: int = PAGE_LIMIT) -> QualityPage:
    """What the data-quality view draws, read in one snapshot: the findings through the filters (with
    those cleared in the last ``days`` when ``show_cleared``), each with its provider's name and the
    submission it names, and the per-provider summary of the last ``days``.  Bad filters raise
    ``ValueError("field: reason")``."""
    since = now - timedelta(days=days)
    query = _findings_query(org_code, check, severity, since if show_cleared else None, None)
    F = DataQualityFinding
    with store.session() as s:
        matched = s.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(s.scalars(query.limit(limit)))
        open_total = s.scalar(select(func.count()).select_from(F).where(F.resolved_at.is_(None))) or 0
        at = s.execute(select(func.count(), func.count(distinct(F.org_code))).where(   # all, not the page's 500
            F.resolved_at.is_(None), F.org_code.is_not(None), F.org_code != "")).one()
        names = dict(s.execute(select(Organisation.ods_code, Organisation.name)).all())
        active = [code for (code,) in s.execute(select(Organisation.ods_code).where(Organisation.active))]
        metric_names = {m.code: m.name for m in _catalogue().metrics.values()}
        lines = tuple(QualityLine(_view(r), names.get(r.org_code or ""), metric_names.get(r.metric_code or ""),
                                  _submission(s, r)) for r in rows)
        summary = _summary_lines(s, since, names, active)
    providers = tuple(sorted(((c, names[c]) for c in active), key=lambda p: (p[1].lower(), p[0])))
    return QualityPage(now, lines, matched, open_total, summary, providers, days, (at[0] or 0, at[1] or 0))


def _summary_lines(s, since: datetime, names: dict[str, str], active: list[str]) -> tuple[SummaryLine, ...]:
    found = {p.org_code: p for p in _summary(s, since)}
    counted = dict(s.execute(text(
        "SELECT org_code, count(*) FROM intake_notice WHERE received_at >= :since GROUP BY org_code"),
        {"since": to_utc_text(since)}).all())
    # Each provider's newest receipt, however old, through the (org_code, received_at) index.
    last = {code: (None if at is None else from_utc_text(at)) for code, at in s.execute(text(
        "SELECT o.ods_code, (SELECT max(received_at) FROM intake_notice WHERE org_code = o.ods_code)"
        " FROM organisation o")).all()}
    out = []
    for code in dict.fromkeys([*active, *found]):
        p = found.get(code) or ProviderSummary(code, 0, 0, 0, {})
        out.append(SummaryLine(code, names.get(code), p.open, p.raised, p.cleared, p.by_check,
                               counted.get(code, 0), last.get(code)))
    # Who needs a call first: open findings, then late or missing data, then anything found this week.
    return tuple(sorted(out, key=lambda x: (-x.open, -(x.late + x.missing), -x.raised,
                                            (x.name or x.org_code).lower())))


_NOTICE = ("SELECT submission_id, org_code, source, submitted_at, received_at, rejected, rejected_count, feed_seq,"
           " sent_by FROM intake_notice")


def submission_of(s, row: DataQualityFinding) -> SubmissionView | None:
    """The submission a stored finding names, through the hub's intake notice (session ``s``)."""
    return _submission(s, row)


def _submission(s, row: DataQualityFinding) -> SubmissionView | None:
    ref = row.submission_ref
    if not ref:
        return None
    org = row.org_code or ""
    if ref.startswith("feed ") and ref[5:].isdigit():
        notice = _notice_of_item(s, int(ref[5:]), org)
    else:
        # Received at or before the finding was last seen (walked back through the org's index):
        # an intake finding names its receipt's time exactly, a clock finding the provider's newest.
        upto = max(t for t in (row.found_at, row.last_seen_at, row.subject_at) if t is not None)
        notice = s.execute(text(_NOTICE + " WHERE org_code = :org AND received_at <= :upto AND submission_id = :sid"
                                          " ORDER BY received_at DESC LIMIT 1"),
                           {"org": org, "upto": to_utc_text(upto), "sid": ref}).first()
    if notice is None:
        # No notice names it: figures phoned in to the SCC name who phoned and who typed them.
        return SubmissionView(ref, None, sender=submission_sender.phoned_call(s, org, row.metric_code, row.subject_at)
                              if ref.startswith("feed ") else None)
    sid, _org, source, sent, got, rejected, count, _seq, sent_by = notice
    return SubmissionView(ref, sid, source, from_utc_text(sent), from_utc_text(got),
                          _rejected_items(json.loads(rejected or "[]"), row), count or 0,
                          submission_sender.from_notice(sent_by))


def submissions_of(store, findings: list[FindingView]) -> dict[int, SubmissionView]:
    """The submission each finding names (finding id -> its view), as the quality view shows it."""
    ids = [f.id for f in findings if f.submission]
    if not ids:
        return {}
    F = DataQualityFinding
    with store.session() as s:
        return {r.id: sub for r in s.scalars(select(F).where(F.id.in_(ids)))
                if (sub := _submission(s, r)) is not None}


_PHONED_STATUS = ("SELECT 1 FROM critcon_status WHERE feed_seq = :seq AND phoned_in_uuid IS NOT NULL UNION ALL"
                  " SELECT 1 FROM ambulance_status WHERE feed_seq = :seq AND phoned_in_uuid IS NOT NULL")


def _notice_of_item(s, seq: int, org: str):
    """The notice of the submission that brought feed item ``seq``.  The hub puts a submission's
    items and then its notice on the feed in one transaction, and commits positions in order, so
    it is the first notice after the item; it must be the same provider's and, for an observation
    (which keeps the hub's receipt time; the status tables keep this desktop's), received then."""
    notice = s.execute(text(_NOTICE + " WHERE feed_seq > :seq ORDER BY feed_seq LIMIT 1"), {"seq": seq}).first()
    if notice is None or notice[1] != org:
        return None
    # A unit's beds or an ambulance service's REAP phoned in to the SCC came with no notice: the next one of
    # the provider's is a later submission's (session 28: the room was told the API's token had sent them).
    if s.execute(text(_PHONED_STATUS), {"seq": seq}).first() is not None:
        return None
    got = s.execute(text("SELECT received_at FROM observation WHERE feed_seq = :seq"), {"seq": seq}).first()
    if got is not None and got[0] != notice[4]:
        return None
    return notice


def _rejected_items(rejected: list[dict], row: DataQualityFinding) -> tuple[RejectedItem, ...]:
    if row.check_code not in ("intake_quarantine", "level_mismatch"):
        return ()
    # The finding's key ends with what it is about: "<submission id>:<item index>", or ":rest".
    about = (row.finding_key or "").rsplit(":", 1)[-1]
    items = [RejectedItem(int(r.get("index", 0)), r.get("row"), r.get("type"), r.get("metric"),
                          tuple((e.get("field", ""), e.get("reason", "")) for e in r.get("errors", [])),
                          r.get("raw", "")) for r in rejected if isinstance(r, dict)]
    # ":rest" names the items past the notice's bound: only the hub's quarantine lists them.
    return tuple(i for i in items if i.index == int(about)) if about.isdigit() else ()
