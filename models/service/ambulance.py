"""The ambulance view's page: one service's REAP and CSP levels with their history, its response
times over the last hour, today and the month to date against the standards, and the crews en route
to and on site at each hospital with the time of the newest handover data they are counted from."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from models.queries import ambulance as qa
from models.queries import ambulance_responses as qr
from models.queries import carried_in
from models.queries import offload as qo
from models.rules.ambulance_standards import AmbulanceStandards


@dataclass(frozen=True)
class AmbulancePage:
    now: datetime
    services: tuple[tuple[str, str], ...]   # (org code, name) of each service with a REAP report, by code
    service: str | None                     # the one shown (None: no service has reported)
    levels: qa.AmbulanceLevels | None
    windows: tuple[qr.CategoryWindows, ...]  # each category: last hour, today, month to date, judged
    crews: tuple[qa.HospitalCrews, ...]     # every hospital, zeros included
    history: tuple[qa.LevelChange, ...]     # REAP and CSP changes since the charts' start
    c1: tuple[tuple[datetime, float | None, float | None], ...]   # (period end, mean, 90th centile) minutes
    c2: tuple[tuple[datetime, float | None, float | None], ...]
    chart: carried_in.AmbulanceChart | None = None   # every level report since the start, values before it
    crews_as_at: datetime | None = None     # the newest handover update received: the crews' counts' time


def ambulance_page(store, now: datetime, since: datetime, standards: AmbulanceStandards,
                   service: str | None = None) -> AmbulancePage:
    """One snapshot of the replica: ``service`` (or, when it has not reported, the first service
    by code) checked against ``standards``, its charts from ``since``."""
    with store.session() as s:
        services = tuple(qa.ambulance_services(s))
        codes = [c for c, _name in services]
        code = service if service in codes else (codes[0] if codes else None)
        # As the offload view counts: a record "arrived" beyond the valid range is no crew waiting.
        apart = Counter(w.hospital_code for w in qo.unclosed_arrivals(s, now))
        uncleared = Counter(hospital for _event, hospital in qo.uncleared_crews(s, now))
        crews = tuple(replace(c, waiting=c.waiting - apart[c.hospital_code], unclosed=apart[c.hospital_code],
                              handed_over=c.handed_over - uncleared[c.hospital_code],
                              uncleared=uncleared[c.hospital_code])
                      for c in qa.crews_by_hospital(s))
        as_at = max(qo.last_updates(s).values(), default=None)
        if code is None:
            return AmbulancePage(now, services, None, None, (), crews, (), (), (), crews_as_at=as_at)
        return AmbulancePage(
            now, services, code, qa.ambulance_levels(s, code, standards),
            tuple(qr.response_windows(s, code, now, standards)), crews,
            tuple(qa.level_history(s, code, since)),
            tuple(qa.response_history(s, code, "C1", since)), tuple(qa.response_history(s, code, "C2", since)),
            carried_in.ambulance_chart(s, code, since), as_at)
