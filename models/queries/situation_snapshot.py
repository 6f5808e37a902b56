"""The system picture at the moment of a decision, as plain JSON for the decision log.

:func:`take` reads the replica through the existing query modules and returns
a dict of JSON values only (numbers, text, lists, objects), so it can be
hashed into a decision entry (``models.records.decision_log``) and exported as it is:

- ``taken_at``: UTC text of the moment (the caller's ``now``);
- ``system``: the ICS OPEL level (``None`` when no roll-up has arrived);
- ``pillars``: per pillar (acute, community, ...), its OPEL level;
- ``providers``: per ODS code, the level shown (declared if declared, else
  calculated), both levels, and when it was assessed;
- ``ambulance``: per ambulance service, REAP and CSP levels and since when;
- ``offload``: per hospital, ambulances waiting, the longest wait (minutes),
  today's mean handover, hours lost and serious delays (today = since UK
  midnight); plus the totals and ``hours_lost_beyond_minutes``, the basis the
  hours lost were counted on (a snapshot without it predates the basis being kept);
- ``phoned_in`` (only when some figure shown was phoned in): per ODS code, the call whose figures
  were shown (``phoned_at``, ``caller_name``, ``caller_role``, ``taken_by``), the figures' ``keys``
  and whether the call had reached the hub (``sent``), so a record says which figures were phoned in;
- ``missing``: what had no data, in words, so an empty part is never
  mistaken for "nothing wrong".

Minutes and hours are rounded to 0.1. Every figure carries its own time
(``assessed_at``, ``declared_at``) so a reader sees how old it was.
:func:`describe` turns a snapshot (this shape, or an older free-form one)
into short lines for a screen or a report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models.queries import opel_latest
from models.queries import ambulance as queries_ambulance
from models.queries import offload as queries_offload
from models.queries import phoned_in as queries_phoned
from models.replica.orm.types import to_utc_text
from models.rules.handover_bands import hours_lost_label, load_handover

FORMAT = "scc-situation-1"
PILLAR_ORDER = ("acute", "community", "mental_health", "nhs111")


def _time(value: datetime | None) -> str | None:
    return to_utc_text(value) if value is not None else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _opel(status: opel_latest.OpelStatus) -> dict[str, Any]:
    return {"level": status.shown_level, "calculated_level": status.level,
            "declared_level": status.declared_level, "at_least_level": status.at_least_level,
            "assessed_at": _time(status.assessed_at), "edition": status.edition,
            "verified": status.verified}


def _ambulance(session: Session) -> dict[str, Any]:
    out = {}
    for code, _name in queries_ambulance.ambulance_services(session):
        levels = queries_ambulance.ambulance_levels(session, code)
        if levels is None:
            continue
        out[code] = {"name": levels.name, "reap_level": levels.reap_level, "reap_name": levels.reap_name,
                     "reap_since": _time(levels.reap_since), "csp_level": levels.csp_level,
                     "csp_since": _time(levels.csp_since), "declared_at": _time(levels.declared_at)}
    return out


def _offload(session: Session, now: datetime, lost_basis: float | None) -> dict[str, Any]:
    table = load_handover()
    basis = table.basis(lost_basis).beyond_minutes
    hospitals = {}
    for h in queries_offload.offload_board(session, now, table, basis):
        longest = h.longest_wait
        hospitals[h.hospital_code] = {
            "name": h.name, "waiting": len(h.waiting),
            "longest_wait_minutes": _round(longest.wait_minutes) if longest else None,
            "handovers_today": h.today.count, "mean_handover_minutes_today": _round(h.today.mean_minutes),
            "hours_lost_today": _round(h.today.hours_lost), "serious_delays_today": h.today.serious_delays}
        if h.unclosed:   # "arrived" over a day with no handover: not waiting, counted apart (never dropped unsaid)
            hospitals[h.hospital_code]["records_open_over_a_day"] = len(h.unclosed)
    waits = [v["longest_wait_minutes"] for v in hospitals.values() if v["longest_wait_minutes"] is not None]
    return {"hospitals": hospitals,
            "waiting": sum(v["waiting"] for v in hospitals.values()),
            "records_open_over_a_day": sum(v.get("records_open_over_a_day", 0) for v in hospitals.values()),
            "longest_wait_minutes": max(waits) if waits else None,
            "hours_lost_today": _round(sum(v["hours_lost_today"] or 0.0 for v in hospitals.values())),
            "hours_lost_beyond_minutes": basis, "today_from": _time(queries_offload.uk_midnight(now))}


def _open_words(off: dict[str, Any]) -> str:
    n = off.get("records_open_over_a_day") or 0
    return (f"; {n} record{'s' if n != 1 else ''} open over a day with no handover, not counted as waiting"
            if n else "")


def _phoned(session: Session, now: datetime) -> dict[str, Any]:
    return {code: {"phoned_at": _time(m.at), "caller_name": m.caller_name, "caller_role": m.caller_role,
                   "taken_by": m.taken_by, "keys": sorted(set(m.keys)), "sent": not m.waiting}
            for code, m in sorted(queries_phoned.marks(session, now).items())}


def take(session: Session, now: datetime, lost_basis: float | None = None) -> dict[str, Any]:
    """The picture in ``session``'s replica at ``now`` (aware datetime); JSON values only. Hours lost are
    counted beyond ``lost_basis`` minutes (the room's setting; None: the handover table's default)."""
    if now.tzinfo is None:
        raise ValueError("now: a time without a UTC offset is ambiguous on clock-change nights")
    system = opel_latest.latest_opel(session, "system")
    pillars = {p.pillar: _opel(p) for p in opel_latest.latest_opel(session, "pillar")}
    providers = {}
    for p in opel_latest.latest_opel(session, "provider"):
        if p.org_code:
            providers[p.org_code] = {"name": p.name, "pillar": p.pillar, **_opel(p),
                                     "override_reason": p.override_reason}
    snapshot = {
        "format": FORMAT, "taken_at": to_utc_text(now),
        "system": _opel(system[0]) if system else None,
        "pillars": pillars, "providers": providers,
        "ambulance": _ambulance(session), "offload": _offload(session, now, lost_basis)}
    phoned = _phoned(session, now)
    if phoned:
        snapshot["phoned_in"] = phoned
    missing = []
    if snapshot["system"] is None:
        missing.append("no system OPEL level yet")
    if not providers:
        missing.append("no provider OPEL assessments yet")
    if not snapshot["ambulance"]:
        missing.append("no REAP/CSP report yet")
    if not snapshot["offload"]["hospitals"]:
        missing.append("no hospitals or handovers yet")
    snapshot["missing"] = missing
    return snapshot


# --- reading a snapshot back ---------------------------------------------------------
def _level(entry: dict | None) -> str:
    if not entry or not isinstance(entry, dict):
        return "no data"
    if entry.get("level"):
        return f"OPEL {entry['level']}"
    if entry.get("at_least_level"):
        return f"OPEL ≥{entry['at_least_level']} (incomplete)"
    return "OPEL — (no level)"


def lost_words(offload: dict) -> str:
    """ "hours lost beyond 15 min" for a snapshot's offload part; one recorded before the basis was kept
    says so rather than guess it."""
    basis = offload.get("hours_lost_beyond_minutes") if isinstance(offload, dict) else None
    if isinstance(basis, (int, float)) and not isinstance(basis, bool):
        return hours_lost_label(basis)
    return "hours lost (basis not recorded)"


def _minutes(value: float | None) -> str:
    return "—" if value is None else f"{value:g} min"


def describe(snapshot: dict | None) -> list[str]:
    """Short lines for a person: system and pillar levels, providers, REAP/CSP, offload.

    A snapshot in another (older, free-form) shape comes back as ``key: value`` lines.
    """
    if not snapshot:
        return ["No situation snapshot was recorded with this entry."]
    if snapshot.get("format") != FORMAT:
        return [f"{k}: {v}" for k, v in sorted(snapshot.items())]
    lines = [f"System: {_level(snapshot.get('system'))}"]
    pillars = snapshot.get("pillars") or {}
    order = [p for p in PILLAR_ORDER if p in pillars] + sorted(set(pillars) - set(PILLAR_ORDER))
    if order:
        lines.append("Pillars: " + ", ".join(f"{p.replace('_', ' ')} {_level(pillars[p])}" for p in order))
    providers = snapshot.get("providers") or {}
    if providers:
        ranked = sorted(providers.items(), key=lambda kv: (-(kv[1].get("level") or 0), kv[0]))
        lines.append("Providers: " + "; ".join(f"{code} {_level(p)}" for code, p in ranked))
    for code, a in sorted((snapshot.get("ambulance") or {}).items()):
        csp = f", CSP {a['csp_level']}" if a.get("csp_level") is not None else ""
        lines.append(f"Ambulance {code}: REAP {a.get('reap_level')}{csp}")
    off = snapshot.get("offload") or {}
    if off.get("hospitals"):
        lost = lost_words(off)
        lines.append(f"Offload: {off.get('waiting', 0)} waiting, longest {_minutes(off.get('longest_wait_minutes'))}, "
                     f"{off.get('hours_lost_today', 0):g} {lost} today" + _open_words(off))
        for code, h in sorted(off["hospitals"].items()):
            lines.append(f"  {code}: {h.get('waiting', 0)} waiting, longest {_minutes(h.get('longest_wait_minutes'))}, "
                         f"{h.get('hours_lost_today') or 0:g} {lost}")
    for code, c in sorted((snapshot.get("phoned_in") or {}).items()):
        if isinstance(c, dict):
            lines.append(f"Phoned in {code}: {', '.join(map(str, c.get('keys') or []))} by {c.get('caller_name')} "
                         f"({c.get('caller_role')}), taken by {c.get('taken_by')}")
    for gap in snapshot.get("missing") or []:
        lines.append(f"Missing: {gap}")
    return lines


def org_codes(snapshot: dict | None) -> set[str]:
    """ODS codes a snapshot names (providers, ambulance services, hospitals; any shape)."""
    found: set[str] = set()

    def walk(value: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(value, dict):
            for k, v in value.items():
                if k.isupper() and k.isalnum():
                    found.add(k)
                walk(v, depth + 1)
        elif isinstance(value, list):
            for v in value:
                walk(v, depth + 1)

    walk(snapshot or {}, 0)
    return found
