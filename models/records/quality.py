"""Keeping ``data_quality_finding`` in step with the checks (``models.rules.quality``).

:func:`refresh` reads the replica into the checks' plain facts, runs every check, and in the
caller's transaction: inserts a finding not open yet, updates the detail of one still found
(its ``last_seen_at`` too), and clears (``resolved_at``) an open one no longer found, because
corrected data arrived.  One open row per ``finding_key`` (a unique index): runs never double
a finding.  Run after each sync batch and on the window's timer, as part of the housekeeping
chores (``models.records.housekeeping``), and by ``scc-desktop quality list``.

Windows keep a run cheap on a year of data: values of the last ``READ_HOURS`` (jumps judge the
last six hours against the values before them, up to 24), each series' newest value of the last
``SERIES_DAYS`` (a series silent longer is no longer expected), receipts of the last day; and the
series with a ``stuck`` finding open, which stay found while their run holds beyond the window.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import text

from models.queries.offload import unclosed_arrivals, uncleared_crews
from models.replica.orm import DataQualityFinding
from models.replica.utc import from_utc_text, to_utc_text
from models.rules.catalogue import Catalogue, load_catalogue
from models.rules.opel_table import load_shipped, shipped_pillars
from models.rules.quality.contacts_unchecked import CHECK_DUE_DAYS, ContactAge
from models.rules.quality.facts import Assessment, CritcareBeds, Handover, Reading, Receipt, Rejection, Unchecked
from models.rules.quality.finding import Finding
from models.rules.quality.run import Facts, Settings, check_all

READ_HOURS = 18   # six hours judged for jumps, with 12 to 24 values before them
SERIES_DAYS = 7
RECEIPT_HOURS = 24
HANDOVER_HOURS = READ_HOURS
# Status tables read as a series of their level, so their cadence is checked like a metric's: each
# provider's newest report, found through the (org_code, time) index. An ambulance status keeps the
# time its level was declared while the level holds and is sent again every 15 minutes, so its
# report's own time is its receipt (True below): judged by the declaration, a REAP level held for a
# day was "missing" all day while its reports kept coming, and its lateness cannot be told.
_STATUS_SERIES = (
    ("reap_level", True,
     "SELECT s.org_code, s.declared_at, s.reap_level, s.received_at, s.feed_seq FROM organisation o"
     " CROSS JOIN ambulance_status s WHERE s.id = (SELECT id FROM ambulance_status WHERE"
     " org_code = o.ods_code ORDER BY declared_at DESC, id DESC LIMIT 1)"
     " AND (s.declared_at >= :since OR s.received_at >= :since)"),
    ("critcon_level", False,
     "SELECT s.org_code, s.reported_at, s.level, s.received_at, s.feed_seq FROM organisation o"
     " CROSS JOIN critcon_status s WHERE s.id = (SELECT id FROM critcon_status WHERE"
     " org_code = o.ods_code ORDER BY reported_at DESC LIMIT 1) AND s.reported_at >= :since"),
)


@dataclass(frozen=True)
class Refreshed:
    raised: int
    cleared: int
    open: int

    @property
    def changed(self) -> bool:
        return bool(self.raised or self.cleared)


@lru_cache(maxsize=1)
def _bundled_catalogue() -> Catalogue:
    return load_catalogue()


@lru_cache(maxsize=1)
def _opel_keys() -> dict[str, tuple[str, ...]]:
    return {pillar: load_shipped(pillar).keys for pillar in shipped_pillars()}


def settings_for(catalogue: Catalogue | None = None) -> Settings:
    cat = catalogue or _bundled_catalogue()
    floors = {}
    for m in cat.metrics.values():
        span = m.valid_max - m.valid_min
        floors[m.code] = 0.01 * span if math.isfinite(span) else 1.0
    return Settings(cadences={m.code: m.cadence_minutes for m in cat.metrics.values() if m.cadence_minutes},
                    floors=floors, bounds={m.code: (m.valid_min, m.valid_max) for m in cat.metrics.values()},
                    known_metrics=frozenset(cat.metrics))


@lru_cache(maxsize=16384)
def _parsed(value: str) -> datetime:
    return from_utc_text(value)


def _t(value: str | None) -> datetime | None:
    # Cached: a window repeats its times (one observed_at for every provider, one received_at per
    # submission), and each conversion to UTC costs tens of microseconds.
    return None if value is None else _parsed(value)


def _ref(seq) -> str | None:
    return None if seq is None else f"feed {seq}"


def _rows(session, sql: str, **params):
    return session.execute(text(sql), params).all()


# Every statement on ``observation`` names its organisations and metrics, so SQLite walks the
# (org_code, metric_code, observed_at) index per series instead of reading a year of rows.
_PAIRS = ("WITH pairs(org, metric) AS MATERIALIZED"
          " (SELECT o.ods_code, m.value FROM organisation o, json_each(:metrics) m)")
_WINDOW = (_PAIRS + " SELECT ob.org_code, ob.metric_code, ob.observed_at, ob.value, ob.received_at, ob.feed_seq"
           " FROM pairs CROSS JOIN observation ob"   # CROSS: pairs first, then the index per pair
           " WHERE ob.org_code = pairs.org AND ob.metric_code = pairs.metric AND ob.observed_at >= :since")
_NEWEST = (_PAIRS + " SELECT ob.org_code, ob.metric_code, ob.observed_at, ob.value, ob.received_at, ob.feed_seq"
           " FROM pairs JOIN observation ob ON ob.id = (SELECT id FROM observation WHERE org_code = pairs.org"
           " AND metric_code = pairs.metric ORDER BY observed_at DESC LIMIT 1) WHERE ob.observed_at >= :since")


# A critical care report's staffed beds read as a series, so a count far from the unit's usual is a
# jump like any metric's; and each unit's newest report, for occupied beds that cannot be
# (``critcare_beds``: occupied beds move within the staffed ones, and beyond them that check judges,
# so they are not a series here, or one slip was two findings).  Before session 23 no check read
# them: 2000 staffed beds at a unit of 20, or 190 occupied of 20, passed without a word.
_CRITCARE_WINDOW = ("SELECT org_code, reported_at, staffed_beds, received_at, feed_seq"
                    " FROM critcon_status WHERE reported_at >= :since AND staffed_beds IS NOT NULL")
_CRITCARE_NEWEST = ("SELECT s.org_code, s.reported_at, s.staffed_beds, s.occupied_beds, s.feed_seq FROM organisation o"
                    " CROSS JOIN critcon_status s WHERE s.id = (SELECT id FROM critcon_status WHERE"
                    " org_code = o.ods_code ORDER BY reported_at DESC, id DESC LIMIT 1) AND s.reported_at >= :since")
def _critcare_readings(session, since: str, metrics: set[str]) -> list[Reading]:
    if "cc_staffed_beds" not in metrics:
        return []
    return [Reading(org, "cc_staffed_beds", _t(at), float(staffed), _t(got) if got else _t(at), _ref(seq))
            for org, at, staffed, got, seq in _rows(session, _CRITCARE_WINDOW, since=since)]


def _critcare_newest(session, since: str) -> list[CritcareBeds]:
    return [CritcareBeds(org, _t(at), int(staffed), int(occupied), _ref(seq))
            for org, at, staffed, occupied, seq in _rows(session, _CRITCARE_NEWEST, since=since)
            if staffed is not None and occupied is not None]


def _reading(r) -> Reading:
    return Reading(r[0], r[1], _t(r[2]), r[3], _t(r[4]), _ref(r[5]))


def read_facts(session, now: datetime, metrics: list[str] | None = None) -> Facts:
    codes = json.dumps(metrics if metrics is not None else sorted(_bundled_catalogue().metrics))
    since = to_utc_text(now - timedelta(hours=READ_HOURS))
    series_since = to_utc_text(now - timedelta(days=SERIES_DAYS))
    readings = [_reading(r) for r in _rows(session, _WINDOW, metrics=codes, since=since)]
    readings += _critcare_readings(session, since, set(json.loads(codes)))
    newest = [_reading(r) for r in _rows(session, _NEWEST, metrics=codes, since=series_since)]
    # Each series' newest receipt says whether it is late now; of the values one receipt brought
    # (a backfill brings hours at once), the newest.
    latest: dict[tuple[str, str], Reading] = {}
    for r in readings:
        key = (r.org_code, r.metric)
        seen = latest.get(key)
        if seen is None or (r.received_at, r.observed_at) > (seen.received_at, seen.observed_at):
            latest[key] = r
    received = list(latest.values())
    for metric, resent, sql in _STATUS_SERIES:
        status = []
        for org, at, level, got, seq in _rows(session, sql, since=series_since):
            at, got = _t(at), _t(got) if got else _t(at)
            status.append(Reading(org, metric, max(at, got) if resent else at, float(level), got, _ref(seq)))
        newest += status
        received += status
    # Feed positions rise with receipt: handovers updated since the window's values came are above
    # its lowest position (the unique feed_seq index finds them without reading a year of ambulances).
    floor = min((int(r.ref.split()[1]) for r in readings if r.ref), default=0)
    # A series found stuck stays found while its run holds, when the values it moved at have left the window.
    still = frozenset((org, metric) for org, metric in _rows(
        session, "SELECT org_code, metric_code FROM data_quality_finding WHERE resolved_at IS NULL"
                 " AND check_code = 'stuck' AND org_code IS NOT NULL AND metric_code IS NOT NULL"))
    return Facts(readings=readings, newest=newest, received=received, stuck=still,
                 assessments=_assessments(session, newest), handovers=_handovers(session, now, floor),
                 unclosed=_unclosed(session, now), critcare=_critcare_newest(session, series_since),
                 contacts=_contacts(session, now), **_receipts(session, now))


def _contacts(session, now: datetime) -> list[ContactAge]:
    """The contacts in the directory not checked since ``CHECK_DUE_DAYS`` before ``now`` (the check judges
    them again), with when each was last checked: one scan of ``contact``, only the overdue ones turned
    into Python (5,000 contacts, 4,279 overdue: 26 ms; none overdue: a few ms)."""
    due = to_utc_text(now - timedelta(days=CHECK_DUE_DAYS))
    return [ContactAge(u, n, o, _t(at)) for u, n, o, at in _rows(
        session, "SELECT uuid, name, organisation, checked_at FROM contact WHERE deleted = 0"
                 " AND (checked_at IS NULL OR checked_at < :due)", due=due)]


def _assessments(session, newest: list[Reading]) -> list[Assessment]:
    """Each OPEL provider's newest assessment, and the parameters its newest submission lacked."""
    rows = _rows(session, "SELECT a.id, a.org_code, a.pillar, a.assessed_at, a.complete, a.calculated_level,"
                          " a.at_least_level, a.declared_level, a.override_reason, a.feed_seq FROM organisation o"
                          " CROSS JOIN opel_assessment a WHERE a.id = (SELECT id FROM opel_assessment WHERE"
                          " scope = 'provider' AND org_code = o.ods_code ORDER BY assessed_at DESC LIMIT 1)")
    if not rows:
        return []
    keys = _opel_keys()
    problems: dict[int, dict[str, str]] = {}
    ids = ",".join(str(int(r[0])) for r in rows)
    for aid, key, why in _rows(session, "SELECT assessment_id, parameter_key, problem FROM opel_parameter_score"
                                        f" WHERE assessment_id IN ({ids}) AND (value IS NULL OR problem IS NOT NULL)"):
        problems.setdefault(aid, {})[key] = why or "no usable value"
    times: dict[str, dict[str, datetime]] = {}
    for r in newest:
        times.setdefault(r.org_code, {})[r.metric] = r.observed_at
    out = []
    for aid, org, pillar, assessed, complete, calc, floor, declared, reason, seq in rows:
        lacking = dict(problems.get(aid, {}))
        mine = {k: t for k, t in times.get(org, {}).items() if k in keys.get(pillar, ())}
        older, last = [], None
        if mine:
            last = max(mine.values())
            older = [key for key in keys.get(pillar, ()) if key not in lacking and mine.get(key, last) < last]
        out.append(Assessment(org, pillar, _t(assessed), bool(complete) and not lacking and not older, calc, floor,
                              declared, reason, tuple(lacking), tuple(lacking.values()), _ref(seq), tuple(older),
                              last))
    return out


def _handovers(session, now: datetime, floor: int = 0) -> list[Handover]:
    since = to_utc_text(now - timedelta(hours=HANDOVER_HOURS))
    return [Handover(r[0], r[1], r[2], r[3], _t(r[4]), _t(r[5]), _t(r[6]), _t(r[7]), _ref(r[8])) for r in _rows(
        session, "SELECT event_uuid, ambulance_org, hospital_code, state, arrived_at, handed_over_at, cleared_at,"
                 " updated_at, feed_seq FROM handover_event WHERE feed_seq >= :floor AND updated_at >= :since"
                 " AND cleared_at IS NOT NULL AND (cleared_at < arrived_at OR cleared_at < handed_over_at)",
        since=since, floor=floor)]


def _unclosed(session, now: datetime) -> list[Handover]:
    """Records "arrived", or "handed over" and never cleared, beyond the valid range, judged as the
    offload and ambulance views judge them."""
    apart = {w.event_uuid for w in unclosed_arrivals(session, now)} | {e for e, _c in uncleared_crews(session, now)}
    if not apart:
        return []
    return [Handover(r[0], r[1], r[2], r[3], _t(r[4]), _t(r[5]), None, _t(r[6]), _ref(r[7]), r[8], r[9]) for r in _rows(
        session, "SELECT e.event_uuid, e.ambulance_org, e.hospital_code, e.state, e.arrived_at, e.handed_over_at,"
                 " e.updated_at,"
                 " e.feed_seq, e.vehicle_ref, o.name FROM handover_event e LEFT JOIN organisation o"
                 " ON o.ods_code = e.hospital_code WHERE e.event_uuid IN (SELECT value FROM json_each(:ids))",
        ids=json.dumps(sorted(apart)))]


def _receipt(row) -> Receipt:
    sid, org, source, sent, got, keys, rejected, count, seq, unchecked = row
    rej = tuple(Rejection(int(r.get("index", 0)), r.get("type"), r.get("metric"),
                          tuple((e.get("field", ""), e.get("reason", "")) for e in r.get("errors", [])),
                          r.get("raw", ""), r.get("row")) for r in json.loads(rejected or "[]"))
    return Receipt(sid or "", org, source, _t(sent), _t(got), frozenset(json.loads(keys or "[]")), rej, count or 0,
                   _ref(seq), unchecked=_unchecked(unchecked))


def _unchecked(text) -> tuple[Unchecked, ...]:
    """The notice's ``unchecked`` (stored as the feed item gave it: its times ISO 8601 with an offset)."""
    out = []
    for u in json.loads(text or "null") or ():   # NULL, or JSON null (none listed)
        if isinstance(u, dict) and u.get("type") == "opel_declaration":
            times = [datetime.fromisoformat(u[k]) if isinstance(u.get(k), str) else None
                     for k in ("assessed_at", "history_from")]
            out.append(Unchecked(int(u.get("index", 0)), u.get("declared_level"), times[0], times[1],
                                 tuple(str(p) for p in u.get("parameters") or ()), str(u.get("cause") or "")))
    return tuple(out)


_RECEIPT_COLUMNS = ("submission_id, org_code, source, submitted_at, received_at, accepted_keys, rejected,"
                    " rejected_count, feed_seq, unchecked")


def _receipts(session, now: datetime) -> dict[str, list[Receipt]]:
    """The last day's receipts, reaching back to the oldest one an open intake finding names (its
    items stay found until corrected, however long that takes), and each provider's newest."""
    since = to_utc_text(now - timedelta(hours=RECEIPT_HOURS))
    oldest = _rows(session, "SELECT min(n.received_at) FROM intake_notice n JOIN data_quality_finding f"
                            " ON f.submission_ref = n.submission_id AND f.org_code = n.org_code"
                            " WHERE f.resolved_at IS NULL AND f.check_code IN ('intake_quarantine', 'level_mismatch',"
                            " 'declaration_unchecked')")
    if oldest and oldest[0][0] is not None and oldest[0][0] < since:
        since = oldest[0][0]
    window = [_receipt(r) for r in _rows(session, f"SELECT {_RECEIPT_COLUMNS} FROM intake_notice"
                                                  " WHERE received_at >= :since ORDER BY received_at, id", since=since)]
    newest = [_receipt(r) for r in _rows(
        session, "SELECT n.submission_id, n.org_code, n.source, n.submitted_at, n.received_at, n.accepted_keys,"
                 " n.rejected, n.rejected_count, n.feed_seq, n.unchecked FROM organisation o CROSS JOIN intake_notice n"
                 " WHERE n.id = (SELECT id FROM intake_notice WHERE org_code = o.ods_code"
                 " ORDER BY received_at DESC, id DESC LIMIT 1)")]
    return {"receipts": window, "newest_receipts": newest}


@dataclass(frozen=True)
class Assessed:
    """What one pass found, read without the write lock; :func:`store_assessed` writes it."""
    now: datetime
    findings: list[Finding]
    windows: dict[str, datetime]


def assess(session, now: datetime, catalogue: Catalogue | None = None) -> Assessed:
    """Read and check at ``now``; writes nothing, so a read session will do (on a year of data the
    reading takes seconds, which the sync's next batch must not wait for)."""
    settings = settings_for(catalogue)
    found = check_all(read_facts(session, now, sorted(settings.known_metrics)), now, settings)
    return Assessed(now, found, examined_since(now, settings.jump_window))


def store_assessed(session, assessed: Assessed) -> Refreshed:
    """Write what :func:`assess` found, in the caller's (write) transaction."""
    return store_findings(session, assessed.findings, assessed.now, assessed.windows)


def refresh(session, now: datetime, catalogue: Catalogue | None = None) -> Refreshed:
    """One pass at ``now`` in the caller's (write) transaction."""
    return store_assessed(session, assess(session, now, catalogue))


def examined_since(now: datetime, jump_window: timedelta) -> dict[str, datetime]:
    """Checks that look at a window of time: a finding about a moment before it was not looked at
    again, so not finding it says nothing (it is not cleared; it expires after ``EXPIRE_DAYS``)."""
    recent = now - timedelta(hours=min(READ_HOURS, HANDOVER_HOURS))
    return {"jump": now - jump_window, "duplicate": recent, "impossible": recent}


EXPIRE_DAYS = 7


def store_findings(session, findings, now: datetime, windows: dict[str, datetime] | None = None) -> Refreshed:
    found = {f.key: f for f in findings}
    windows = windows or {}
    open_rows = {row.finding_key: row for row in session.query(DataQualityFinding).filter(
        DataQualityFinding.resolved_at.is_(None), DataQualityFinding.finding_key.is_not(None))}
    raised = cleared = 0
    for key, row in open_rows.items():
        f = found.get(key)
        if f is None:
            since = windows.get(row.check_code or "")
            if since is not None and row.subject_at is not None and row.subject_at < since:
                if now - row.found_at < timedelta(days=EXPIRE_DAYS):
                    continue   # not looked at again: still open
                row.detail += f" Expired: not examined again {EXPIRE_DAYS} days after it was found."
            row.resolved_at = now
            cleared += 1
        else:
            row.detail, row.last_seen_at, row.severity = f.detail, now, f.severity
            row.submission_ref, row.subject_at = _cut(f.submission, 80), f.at
    for key, f in found.items():
        if key not in open_rows:
            session.add(_row(f, now))
            raised += 1
    session.flush()
    return Refreshed(raised, cleared, len(found))


def _cut(value: str | None, limit: int) -> str | None:
    return None if value is None else value[:limit]


def _row(f: Finding, now: datetime) -> DataQualityFinding:
    return DataQualityFinding(found_at=now, org_code=_cut(f.org_code, 12), metric_code=_cut(f.metric, 80),
                              kind=f.kind, detail=f.detail, check_code=f.check, finding_key=f.key,
                              severity=f.severity, submission_ref=_cut(f.submission, 80), subject_at=f.at,
                              last_seen_at=now)
