"""A provider's OPEL parameters as they stood at a past time, to check a backfilled declaration.

A declaration is the provider's level at its ``assessed_at``. Live, that is the hub's latest
parameters; but a provider catching up after an outage sends declarations from before figures
the hub already holds, and checking those against the latest figures refused correct
declarations (session 28, a new user's walkthrough, F4: RK5's OPEL 1 of the day before refused
against an OPEL 2 worked out from figures 22 hours later).

The hub holds each observation's history in ``feed_observation``: for each parameter, the value
with the newest ``observed_at`` at or before the time (on a tie a provider's own figure before a
phoned-in one, then the later receipt, as ``LatestValues`` keeps them), one seek each on
``ix_feed_observation_org_metric_time``. Figures of the same submission are not on the feed yet
and are passed in.

The history is not always whole: the retention policy deletes old observations
(``feed_pruned_through``), and a hub that started at schema 1 kept its first observations as
JSON only. Anything missing that way was received before the first position kept (or the
upgrade); it was observed at most ``MAX_FUTURE_SKEW`` after. A parameter whose value found is
older than that, or that has none, may have had another one then: the level cannot be worked
out, and :func:`parameters_at` says why instead (:class:`NotKnown`; the room is told in the submission's
intake notice, ``sync.hub.intake_notice``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from sqlalchemy import Connection, case, select

from models.records.phoned_in import SOURCE as PHONED_IN
from sync.hub import retention
from sync.hub import schema as s
from sync.hub.validate import MAX_FUTURE_SKEW

_fo = s.feed_observation.c


# Why figures from before the floor may be missing, in words (the room reads them: sync.hub.intake's notice).
RETENTION = "the hub's retention deleted the figures it received before then"
SCHEMA_1 = "the hub started at schema 1 and cannot look up the figures it received before its upgrade by their time"


@dataclass(frozen=True)
class NotKnown:
    """Why a provider's level at a past time cannot be worked out: the figures the hub holds start at ``floor``
    (``cause``, in words), and these ``parameters`` had no figure kept from before ``at``."""

    at: datetime
    floor: datetime
    cause: str
    parameters: tuple[str, ...]

    def __str__(self) -> str:   # the hub's log
        return (f"the hub no longer holds every figure from before {s.iso(self.floor)} ({self.cause}), so "
                f"{', '.join(self.parameters)} as it stood at {s.iso(self.at)} is not known")


def history_gap(conn: Connection) -> tuple[datetime, str] | None:
    """The time before which observations may be missing from ``feed_observation``, and why (None: none are)."""
    floors = []
    horizon = retention.pruned_through(conn)
    if horizon:
        first_kept = conn.execute(select(s.feed.c.created_at).where(s.feed.c.seq > horizon)
                                  .order_by(s.feed.c.seq).limit(1)).scalar()
        floors.append((first_kept or s.utcnow(), RETENTION))
    versions = dict(conn.execute(select(s.schema_version.c.version, s.schema_version.c.applied_at)).all())
    if versions and min(versions) < 2:   # upgraded from 1: to 2, or straight to a later version
        upgraded = min((v for v in versions if v >= 2), default=None)
        floors.append((versions[upgraded] if upgraded is not None else s.utcnow(), SCHEMA_1))
    return max(floors, key=lambda f: f[0]) if floors else None


def history_floor(conn: Connection) -> datetime | None:
    """The time before which observations may be missing from ``feed_observation`` (None: none are)."""
    gap = history_gap(conn)
    return None if gap is None else gap[0]


def seek(org_code: str, metric: str, when: str):
    """The newest figure of ``metric`` observed at or before ``when`` (fixed UTC text)."""
    return (select(_fo.observed_at, _fo.source, _fo.seq, _fo.value)
            .where(_fo.org_code == org_code, _fo.metric == metric, _fo.observed_at <= when)
            .order_by(_fo.observed_at.desc(), case((_fo.source == PHONED_IN, 0), else_=1).desc(), _fo.seq.desc())
            .limit(1))


def parameters_at(conn: Connection, org_code: str, keys: Iterable[str], at: datetime,
                  own: Iterable[tuple[str, float, datetime, int]] = ()) -> dict[str, float] | NotKnown:
    """Each parameter's value as it stood at ``at``; or, when that cannot be worked out, the reason.

    ``own``: this submission's figures ``(metric, value, observed_at, seq)``, not yet on the feed."""
    keys = sorted(set(keys))
    when = s.utc_text(at)
    found: dict[str, tuple[str, int, int, float]] = {}   # metric -> (observed_at, provider?, seq, value)
    for metric in keys:   # one index seek each
        row = conn.execute(seek(org_code, metric, when)).first()
        if row is not None:
            found[metric] = (row.observed_at, int(row.source != PHONED_IN), row.seq, row.value)
    for metric, value, observed_at, seq in own:
        if metric in keys and observed_at <= at:
            mine = (s.utc_text(observed_at), 1, seq, value)
            if metric not in found or mine[:3] > found[metric][:3]:
                found[metric] = mine
    gap = history_gap(conn)
    if gap is not None:
        safe = s.utc_text(gap[0] + MAX_FUTURE_SKEW)
        unsure = [m for m in keys if m not in found or found[m][0] < safe]
        if unsure:
            return NotKnown(at, gap[0], gap[1], tuple(unsure))
    return {m: v[3] for m, v in found.items()}
