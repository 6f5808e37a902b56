"""The newest OPEL assessment per provider, pillar or the system: what the overview draws.

Plain SQL (``models.replica.sql_rows``), no ORM: the window paints the last known
picture from this before SQLAlchemy is loaded, and the overview asks for it
after every sync batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from models.replica.sql_rows import placeholders, rows
from models.replica.utc import from_utc_text
from models.rules.shown_level import shown_level

SCOPES = ("provider", "pillar", "system")


@dataclass(frozen=True)
class Driver:
    key: str
    value: float | None
    band: str | None
    points: float | None
    problem: str | None
    weight: float = 1.0

    @property
    def weighted_points(self) -> float | None:
        """What this parameter adds to the assessment's total (band points x weight)."""
        return None if self.points is None else self.points * self.weight


@dataclass(frozen=True)
class OpelStatus:
    scope: str
    pillar: str
    org_code: str | None
    name: str
    sector: str
    level: int | None
    at_least_level: int | None
    total: float | None
    declared_level: int | None
    override_reason: str | None
    assessed_at: datetime
    edition: str
    verified: bool
    drivers: tuple[Driver, ...] = field(default=())

    @property
    def shown_level(self) -> int | None:
        """The level to display: declared if the provider declared one, else calculated."""
        return shown_level(self.declared_level, self.level)


# Newest = latest ``assessed_at``, then highest id.  The recursive part walks the
# distinct keys of the scope through the (scope, key, assessed_at) index, one seek
# per key, and each key's newest row is one more seek: the work grows with the
# number of providers, not with the history the replica holds.
_LATEST = """
WITH RECURSIVE opel_keys(k) AS (
  SELECT min({key}) FROM opel_assessment WHERE scope = ?1
  UNION ALL
  SELECT (SELECT min(a.{key}) FROM opel_assessment AS a WHERE a.scope = ?1 AND a.{key} > opel_keys.k)
  FROM opel_keys WHERE opel_keys.k IS NOT NULL)
SELECT id, scope, pillar, org_code, calculated_level, at_least_level, total_score, declared_level,
       override_reason, assessed_at, table_edition, table_verified
FROM opel_assessment
WHERE id IN (SELECT (SELECT b.id FROM opel_assessment AS b WHERE b.scope = ?1 AND b.{key} = opel_keys.k
                     ORDER BY b.assessed_at DESC, b.id DESC LIMIT 1)
             FROM opel_keys WHERE opel_keys.k IS NOT NULL)
ORDER BY id"""
_STATEMENTS = {scope: _LATEST.format(key="org_code" if scope == "provider" else "pillar") for scope in SCOPES}
# In the index's own order (assessment, then id): each assessment's parameters in the order
# received, with no sort of the rows (ORDER BY id alone needed a temporary B-tree).
_PARAMETERS = ("SELECT assessment_id, parameter_key, value, band, points, problem, weight FROM opel_parameter_score "
               "WHERE assessment_id IN ({}) ORDER BY assessment_id, id")
_CHUNK = 500


def latest_opel(db, scope: str = "provider") -> list[OpelStatus]:
    """The newest assessment per provider (or per pillar, or the system), worst first.

    ``db``: the store's reader (``Store.reading()``) or a session."""
    if scope not in _STATEMENTS:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}, not {scope!r}")
    found = rows(db, _STATEMENTS[scope], (scope,))
    parameters: dict[int, list[Driver]] = {row[0]: [] for row in found}
    ids = list(parameters)
    for start in range(0, len(ids), _CHUNK):
        part = ids[start:start + _CHUNK]
        for aid, key, value, band, points, problem, weight in rows(
                db, _PARAMETERS.format(placeholders(len(part))), part):
            parameters[aid].append(Driver(key, value, band, points, problem, 1.0 if weight is None else weight))
    orgs = {code: (name, sector) for code, name, sector in
            rows(db, "SELECT ods_code, name, sector FROM organisation")} if found else {}
    out = []
    for (aid, scope_, pillar, org_code, level, at_least, total, declared, reason, assessed_at,
         edition, verified) in found:
        org = orgs.get(org_code or "")
        drivers = tuple(sorted(parameters[aid], key=lambda d: (d.problem is None, -(d.weighted_points or 0))))
        out.append(OpelStatus(
            scope=scope_, pillar=pillar, org_code=org_code,
            name=org[0] if org else (org_code or pillar), sector=org[1] if org else pillar,
            level=level, at_least_level=at_least, total=total,
            declared_level=declared, override_reason=reason,
            assessed_at=from_utc_text(assessed_at), edition=edition, verified=bool(verified),
            drivers=drivers))
    out.sort(key=lambda s: (-(s.shown_level or s.at_least_level or 0), s.name))
    return out
