"""Phoned-in figures as the views show them: each call, each figure current or given way to the
provider's own data, and which providers show a phoned-in figure now.

A figure is **current** while it is the newest the desktop holds for that provider and figure: no
value from the provider's feed at or after its time (a tie goes to the feed), and no later call
giving the same figure.  Older than the feed's newest it is kept but not current; a newer feed
value supersedes it.  Plain SQL (``models.replica.sql_rows``): the overview reads this for its first
paint, before SQLAlchemy is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.records import phoned_in as rules
from models.replica.sql_rows import rows
from models.replica.utc import from_utc_text, to_utc_text

WINDOW = timedelta(days=7)   # calls older than this are history: no longer a mark on a tile
CURRENT, SUPERSEDED, REPLACED = "current", "superseded", "replaced"

_CALLS = ("SELECT c.uuid, c.org_code, c.phoned_at, c.caller_name, c.caller_role, c.taken_by, c.figures, c.note, "
          "c.recorded_at, c.feed_seq, o.sent_at, o.rejected_at, o.last_error "
          "FROM phoned_in_call AS c LEFT JOIN outbox AS o ON o.uuid = c.uuid WHERE c.phoned_at >= ?{org} "
          "ORDER BY c.phoned_at DESC, c.recorded_at DESC, c.uuid")
_FEED_NEWEST = {
    # The provider's own newest value of a figure (phoned-in rows left out), walked from the newest.
    "observation": ("SELECT observed_at FROM observation WHERE org_code = ? AND metric_code = ? "
                    "AND source <> 'phoned_in' ORDER BY observed_at DESC LIMIT 1"),
    "ambulance_status": ("SELECT declared_at FROM ambulance_status WHERE org_code = ? AND phoned_in_uuid IS NULL "
                         "ORDER BY declared_at DESC LIMIT 1"),
    "critcon": ("SELECT reported_at FROM critcon_status WHERE org_code = ? AND phoned_in_uuid IS NULL "
                "ORDER BY reported_at DESC LIMIT 1"),
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    value: float | str
    state: str                       # CURRENT, SUPERSEDED (the feed has newer or equal data), REPLACED (a later call)
    feed_at: datetime | None = None  # the provider's newest value of this figure


@dataclass(frozen=True)
class Call:
    uuid: str
    org_code: str
    phoned_at: datetime
    caller_name: str
    caller_role: str
    taken_by: str
    note: str
    recorded_at: datetime
    hub: str                          # "received" (back on the feed), "sent", "waiting" or "refused"
    refusal: str | None
    figures: tuple[Figure, ...]

    @property
    def current(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.state == CURRENT)

    @property
    def provenance(self) -> str:
        """"Jo Bloggs (site manager), taken by A. Lead": who phoned and who took it."""
        return f"{self.caller_name} ({self.caller_role}), taken by {self.taken_by}"


@dataclass(frozen=True)
class Mark:
    """A provider showing phoned-in figures now: the newest call with a current figure."""
    org_code: str
    at: datetime
    caller_name: str
    caller_role: str
    taken_by: str
    keys: tuple[str, ...]             # every figure current from a call, newest call first
    waiting: bool                     # some current figure has not reached the hub yet

    def text(self) -> str:
        return f"Phoned in by {self.caller_name} ({self.caller_role}), taken by {self.taken_by}"


def _part(key: str) -> str:
    return rules.STATUS_KEYS[key][0] if key in rules.STATUS_KEYS else "observation"


def calls(db, now: datetime, org_code: str | None = None, window: timedelta = WINDOW) -> list[Call]:
    """The calls of the last ``window`` (one provider's, or all), newest first, each figure's state."""
    params = [to_utc_text(now - window)] + ([org_code] if org_code else [])
    found = rows(db, _CALLS.format(org=" AND c.org_code = ?" if org_code else ""), params)
    newest: dict[tuple[str, str], datetime | None] = {}
    taken: set[tuple[str, str]] = set()   # (org, key) a later call gave already
    out = []
    for (uid, org, phoned_at, name, role, taker, figures, note, recorded_at, feed_seq, sent_at, rejected_at,
         error) in found:
        at = from_utc_text(phoned_at)
        shown = []
        for key, value in (json.loads(figures) if isinstance(figures, str) else figures or {}).items():
            part = _part(key)
            look = (org, key if part == "observation" else part)
            if look not in newest:
                params = (org, key) if part == "observation" else (org,)
                hit = rows(db, _FEED_NEWEST[part], params)
                newest[look] = from_utc_text(hit[0][0]) if hit else None
            feed_at = newest[look]
            if feed_at is not None and feed_at >= at:
                state = SUPERSEDED
            elif (org, key) in taken:
                state = REPLACED
            else:
                state = CURRENT
            taken.add((org, key))
            label, unit = rules.label_of(key)
            shown.append(Figure(key, label, unit, value, state, feed_at))
        hub = ("received" if feed_seq is not None else "refused" if rejected_at else
               "sent" if sent_at else "waiting")
        out.append(Call(uid, org, at, name, role, taker, note or "", from_utc_text(recorded_at), hub,
                        error if rejected_at else None, tuple(shown)))
    return out


def marks(db, now: datetime, window: timedelta = WINDOW) -> dict[str, Mark]:
    """Providers with a phoned-in figure current at ``now``: org code -> its newest such call."""
    out: dict[str, Mark] = {}
    keys: dict[str, list[str]] = {}
    waiting: dict[str, bool] = {}
    for call in calls(db, now, window=window):
        current = call.current
        if not current:
            continue
        keys.setdefault(call.org_code, []).extend(f.key for f in current)
        waiting[call.org_code] = waiting.get(call.org_code, False) or call.hub in ("waiting", "refused")
        if call.org_code not in out:
            out[call.org_code] = Mark(call.org_code, call.phoned_at, call.caller_name, call.caller_role,
                                      call.taken_by, (), False)
    return {code: Mark(m.org_code, m.at, m.caller_name, m.caller_role, m.taken_by, tuple(keys[code]), waiting[code])
            for code, m in out.items()}




# --- which chart points came from a call --------------------------------------------------------

_PHONED_OBSERVATIONS = (
    # A provider's phoned-in values in the period, each with its call when this desktop has it; one
    # the provider's own value of the same time or a later call of that time replaces is not drawn.
    "SELECT o.metric_code, o.observed_at, c.caller_name, c.caller_role, c.taken_by FROM observation AS o "
    "LEFT JOIN phoned_in_call AS c ON c.org_code = o.org_code AND c.phoned_at = o.observed_at "
    "WHERE o.org_code = ? AND o.metric_code IN ({keys}) AND o.observed_at >= ? AND o.source = 'phoned_in' "
    "AND NOT EXISTS (SELECT 1 FROM observation AS f WHERE f.org_code = o.org_code "
    "AND f.metric_code = o.metric_code AND f.observed_at = o.observed_at AND (f.source <> 'phoned_in' OR f.id > o.id)) "
    "ORDER BY o.metric_code, o.observed_at")
_PHONED_LEVELS = (
    # A provider's assessments in the period scored from at least one phoned-in value.
    "SELECT a.assessed_at, p.parameter_key, c.caller_name, c.caller_role, c.taken_by FROM opel_assessment AS a "
    "JOIN opel_parameter_score AS p ON p.assessment_id = a.id "
    "LEFT JOIN phoned_in_call AS c ON c.uuid = p.phoned_in_uuid "
    "WHERE a.scope = 'provider' AND a.org_code = ? AND a.assessed_at >= ? AND p.phoned_in_uuid IS NOT NULL "
    "ORDER BY a.assessed_at, p.parameter_key")


_PHONED_STATUS = {
    # A service's REAP/CSP reports or a unit's CRITCON reports in the period that came from a call.
    table: (f"SELECT s.{at}, c.caller_name, c.caller_role, c.taken_by FROM {table} AS s "
            f"LEFT JOIN phoned_in_call AS c ON c.uuid = s.phoned_in_uuid "
            f"WHERE s.org_code = ? AND s.{at} >= ? AND s.phoned_in_uuid IS NOT NULL ORDER BY s.{at}")
    for table, at in (("ambulance_status", "declared_at"), ("critcon_status", "reported_at"))}


def _who(name: str | None, role: str | None, taker: str | None) -> str:
    return f"phoned in by {name} ({role}), taken by {taker}" if name else "phoned in (the call is not on this desktop yet)"


@dataclass(frozen=True)
class ChartMarks:
    """The points of a provider's charts that came from phoned-in calls, each with who phoned:
    ``series`` parameter key -> {observed time: "phoned in by …"}, ``levels`` assessment time ->
    "scored from phoned-in figures: …" (an assessment the hub scored from at least one phoned-in value)."""
    series: dict[str, dict[datetime, str]]
    levels: dict[datetime, str]

    def __bool__(self) -> bool:
        return bool(self.levels) or any(self.series.values())


def chart_marks(db, org_code: str, keys, since: datetime) -> ChartMarks:
    """Which of ``org_code``'s values of ``keys`` and assessments from ``since`` were phoned in."""
    keys = list(keys)
    series: dict[str, dict[datetime, str]] = {k: {} for k in keys}
    if keys:
        sql = _PHONED_OBSERVATIONS.format(keys=", ".join("?" * len(keys)))
        for metric, at, name, role, taker in rows(db, sql, [org_code, *keys, to_utc_text(since)]):
            series[metric][from_utc_text(at)] = _who(name, role, taker)
    scored: dict[datetime, tuple[list[str], str]] = {}
    for at, key, name, role, taker in rows(db, _PHONED_LEVELS, (org_code, to_utc_text(since))):
        found = scored.setdefault(from_utc_text(at), ([], _who(name, role, taker)))
        found[0].append(rules.label_of(key)[0])
    levels = {at: f"scored from phoned-in figures ({', '.join(names)}): {who}" for at, (names, who) in scored.items()}
    return ChartMarks(series, levels)


def status_marks(db, table: str, org_code: str, since: datetime) -> dict[datetime, str]:
    """Report time -> who phoned it in, for ``org_code``'s reports in ``table`` (``ambulance_status``
    or ``critcon_status``) from ``since`` that came from a phoned-in call."""
    return {from_utc_text(at): _who(name, role, taker)
            for at, name, role, taker in rows(db, _PHONED_STATUS[table], (org_code, to_utc_text(since)))}
