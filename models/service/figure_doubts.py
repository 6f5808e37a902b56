"""Which providers' figures shown now an open data-quality finding puts in doubt: what the overview's
tiles, the provider view and the system picture mark "In doubt (data quality)".

One rule with the alert centre, the escalation email and ``/m/`` (``models.rules.quality.doubt``): a
finding of a check that doubts a value (a jump, an impossible value, two values for one time; not a
late or missing feed, which the stale marks already say), open, about one of the provider's metrics,
and about the value shown now: its time no earlier than a minute before the newest value of that metric
(``doubt.doubting`` with the figure's time where an alert has its raise).  A jump on an earlier value
that the next values left behind leaves the figure shown now alone; the finding stays on the Data
quality tab until it clears.

Beside those, and on the tiles only (not the alerts' rule): an open ``stuck`` finding, a figure that
moved before and has come on time with one value for eight hours or more.  Its value is not known to
be wrong, but the figure shown as fresh may be one copied forward, so the room should ask before acting
on it ("unchanged 10 h (stuck feed?)").  It is about the value shown now for as long as it is open (it
clears when a value differs), so no time test applies; listed after the value doubts.

Plain SQL on the store's reader (no ORM): two statements whatever the number of providers.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from models.replica.sql_rows import placeholders, rows
from models.replica.utc import from_utc_text_or_none
from models.rules.quality import doubt
from models.rules.quality.finding import Finding

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Doubt:
    org_code: str
    metric: str
    check: str
    detail: str          # the finding in full, as the Data quality tab shows it
    at: datetime         # the time of the value the finding is about

    @property
    def words(self) -> str:
        """"In doubt (data quality): <what is wrong>." -- the alert centre's words."""
        return doubt.words(self.detail)


STUCK = "stuck"   # a figure copied forward: marked on the tiles, not a doubt of an alert (above)
TILE_CHECKS = (*doubt.DOUBT_CHECKS, STUCK)
_OPEN = ("SELECT check_code, org_code, metric_code, subject_at, detail FROM data_quality_finding "
         f"WHERE resolved_at IS NULL AND check_code IN ({placeholders(len(TILE_CHECKS))}) "
         "AND org_code IS NOT NULL AND metric_code IS NOT NULL AND subject_at IS NOT NULL ORDER BY found_at, id")
# The newest value's time of each (org, metric) pair, through the (org, metric, time) index.
_NEWEST = ("SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), "
           "(SELECT max(o.observed_at) FROM observation o WHERE o.org_code = json_extract(p.value, '$[0]') "
           "AND o.metric_code = json_extract(p.value, '$[1]')) FROM json_each(?) p")


def doubts(db) -> dict[str, tuple[Doubt, ...]]:
    """``db``: a replica connection (``sql_rows.rows``). Org code -> the findings that doubt its figures
    shown now, in the order they were found."""
    every = [Finding(check, org, metric, detail, at=from_utc_text_or_none(at))
             for check, org, metric, at, detail in rows(db, _OPEN, TILE_CHECKS)]
    stuck = [f for f in every if f.check == STUCK]
    found = [f for f in every if f.check != STUCK]
    out: dict[str, list[Doubt]] = {}
    if found:
        out = _value_doubts(db, found)
    for f in stuck:
        out.setdefault(f.org_code, []).append(Doubt(f.org_code, f.metric, f.check, f.detail, f.at))
    return {org: tuple(v) for org, v in sorted(out.items())}


def _value_doubts(db, found: list[Finding]) -> dict[str, list[Doubt]]:
    """Org code -> the value doubts of ``found`` about the figure shown now."""
    pairs = sorted({(f.org_code, f.metric) for f in found})
    newest = {(org, metric): from_utc_text_or_none(at)
              for org, metric, at in rows(db, _NEWEST, (json.dumps(pairs),))}
    out: dict[str, list[Doubt]] = {}
    for org in sorted({org for org, _m in pairs}):
        # The figure shown now: the newest value; with none stored, the finding's own value is the newest known.
        basis = {m: newest.get((o, m)) or f_at for (o, m), f_at in
                 ((k, min(f.at for f in found if (f.org_code, f.metric) == k)) for k in pairs if k[0] == org)}
        hits = doubt.doubting(org, None, datetime.min, [f for f in found if f.org_code == org], basis)
        if hits:
            out[org] = [Doubt(org, f.metric, f.check, f.detail, f.at) for f in hits]
    return out


def read(store) -> dict[str, tuple[Doubt, ...]]:
    """:func:`doubts` on the store's reader (waits for no writer)."""
    with store.reading() as db:
        return doubts(db)



def read_beside(store) -> dict[str, tuple[Doubt, ...]]:
    """:func:`read` for a view that reads it beside its own page: a failure is logged and marks nothing,
    never taking the page down with it (the Data quality tab still lists every finding)."""
    try:
        return read(store)
    except Exception:   # noqa: BLE001 -- the page is drawn whatever went wrong here
        log.exception("could not read which figures are in doubt; no figure is marked")
        return {}
