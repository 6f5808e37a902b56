"""The provider drill-down's page: the providers to choose from, why the chosen one is at its OPEL
level, and its level and every parameter's values over a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.queries import carried_in, opel_history, opel_latest
from models.queries import phoned_in as qphoned
from models.queries import provider as qp
from models.rules.opel_rollup import NextLevel, next_level
from models.service import submission_sender


@dataclass(frozen=True)
class ProviderPage:
    now: datetime
    since: datetime                  # the charts' data start here: the view cuts it to the period shown
    asked: tuple[str, ...]           # the providers asked for, in order of preference
    providers: tuple[qp.ProviderRef, ...]   # every provider with an assessment, by name
    detail: qp.ProviderDetail | None        # the provider shown (None: no provider is assessed)
    levels: tuple[tuple[datetime, int | None], ...]     # its shown level at each assessment, oldest first
    series: dict[str, list[tuple[datetime, float]]]     # parameter key -> observed values, oldest first
    # Points from the calculated score to the next level up (None: OPEL 4, incomplete, or scored
    # under a table edition this desktop does not hold, whose level edges it cannot know).
    next_level: NextLevel | None = None
    carried: carried_in.ProviderCarried | None = None   # the values before ``since``
    # The chart points that came from phoned-in calls (who phoned): parameter values and assessments.
    phoned: qphoned.ChartMarks = qphoned.ChartMarks({}, {})
    # Its newest submission the hub took: (received at, sender or None: not recorded, source, accepted,
    # quarantined); None when the hub has sent this desktop none (models.service.submission_sender.newest).
    newest_submission: tuple | None = None

    @property
    def org_code(self) -> str | None:
        return self.detail.org_code if self.detail else None


def provider_page(store, now: datetime, since: datetime, asked: Sequence[str] = ()) -> ProviderPage:
    """One snapshot of the replica: the first of ``asked`` that has an assessment is explained (with
    nothing asked, the worst-off provider; else the first by name), its charts' data from ``since``."""
    asked = tuple(asked)
    with store.session() as s:
        providers = tuple(qp.scored_providers(s))
        codes = {p.org_code for p in providers}
        code = next((c for c in asked if c in codes), None)
        if code is None and not asked:   # first look: start with the provider under most pressure
            worst = opel_latest.latest_opel(s, "provider")
            code = next((w.org_code for w in worst if w.org_code in codes), None)
        if code is None and providers:
            code = providers[0].org_code
        detail = qp.provider_detail(s, code) if code else None
        levels = tuple(opel_history.opel_history(s, code, since)) if detail else ()
        keys = [ln.key for ln in detail.lines] if detail else []
        series = qp.parameter_series(s, code, keys, since) if keys else {}
        carried = carried_in.provider_carried(s, code, keys, since) if detail else None
        phoned = qphoned.chart_marks(s, code, keys, since) if detail else qphoned.ChartMarks({}, {})
        newest = submission_sender.newest(s, code) if detail else None
    return ProviderPage(now, since, asked, providers, detail, levels, series, _next_level(detail), carried, phoned,
                        newest)


def _next_level(detail: qp.ProviderDetail | None) -> NextLevel | None:
    if detail is None or detail.level is None:
        return None
    table = qp.desktop_table(detail.pillar)
    if table is None or table.edition != detail.edition:
        return None
    return next_level(table.levels, detail.total)
