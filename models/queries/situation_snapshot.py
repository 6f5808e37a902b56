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
  mistaken for "nothing wrong";
- ``feed`` (from session 31): this desktop's last sync with the hub (``last_sync_at``), the newest figure
  the snapshot holds (``newest_figure_at``), and whether the sync was older than the room's limit
  (``sync_stale``, ``sync_stale_after_minutes``): a decision recorded offline says its figures are hours old.
  ``last_sync_at`` is on the snapshot's clock (the hub's); ``clock_offset_seconds``, when there, is what this
  computer's clock was behind the hub's and was added to the sync time (none: no correction).
  Each hospital's offload figures carry ``as_at`` (the time its queue is known to: the snapshot's time
  while its ambulance service is heard, else that service's newest update) and ``stale``; the offload
  totals carry ``as_at``, the oldest of those.  A snapshot without them predates them and reads as before.

Minutes and hours are rounded to 0.1. Every figure carries its own time
(``assessed_at``, ``declared_at``) so a reader sees how old it was.
:func:`describe` turns a snapshot (this shape, or an older free-form one)
into short lines for a screen or a report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from models.queries import opel_latest
from models.queries import ambulance as queries_ambulance
from models.queries import offload as queries_offload
from models.queries import phoned_in as queries_phoned
from models import durations
from models.replica.orm import FeedCursor
from models.replica.orm.types import to_utc_text
from models.uk_time import UK
from models.rules.handover_bands import hours_lost_label, load_handover

FORMAT = "scc-situation-1"
PILLAR_ORDER = ("acute", "community", "mental_health", "nhs111")
SYNC_STALE_AFTER = timedelta(minutes=30)   # the room's default "stale after" for the last sync (ui.stale_limits)


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
    services = {code for code, _name in queries_ambulance.ambulance_services(session)}
    heard = queries_offload.service_as_at(session, services or None)   # a seek a service, not a pass over a year
    newest = max(heard.values(), default=None)   # the ambulance feed's newest update

    def quiet_at(hospital_code: str) -> datetime:
        """An empty queue is known as far as its own service's feed (r3 LOW 8): the service of the hospital's
        newest arrival, else (no crew ever went there) the feed's newest update."""
        service = queries_offload.hospital_service(session, hospital_code)
        if service is not None and service not in heard:
            heard.update(queries_offload.service_as_at(session, {service}))
        at = heard.get(service, newest) if service is not None else newest
        return at if at is not None and now - at > queries_offload.WAIT_STALE_AFTER else now

    for h in queries_offload.offload_board(session, now, table, basis):
        longest = h.longest_wait
        known = min(w.as_at or now for w in h.waiting) if h.waiting else quiet_at(h.hospital_code)
        hospitals[h.hospital_code] = {
            "name": h.name, "waiting": len(h.waiting),
            "longest_wait_minutes": _round(longest.wait_minutes) if longest else None,
            "handovers_today": h.today.count, "mean_handover_minutes_today": _round(h.today.mean_minutes),
            "hours_lost_today": _round(h.today.hours_lost), "serious_delays_today": h.today.serious_delays,
            "as_at": _time(min(known, now)), "stale": known < now}
        if h.unclosed:   # "arrived" over a day with no handover: not waiting, counted apart (never dropped unsaid)
            hospitals[h.hospital_code]["records_open_over_a_day"] = len(h.unclosed)
    waits = [v["longest_wait_minutes"] for v in hospitals.values() if v["longest_wait_minutes"] is not None]
    return {"hospitals": hospitals,
            "waiting": sum(v["waiting"] for v in hospitals.values()),
            "records_open_over_a_day": sum(v.get("records_open_over_a_day", 0) for v in hospitals.values()),
            "longest_wait_minutes": max(waits) if waits else None,
            "hours_lost_today": _round(sum(v["hours_lost_today"] or 0.0 for v in hospitals.values())),
            "hours_lost_beyond_minutes": basis, "today_from": _time(queries_offload.uk_midnight(now)),
            "as_at": min((v["as_at"] for v in hospitals.values()), default=None), "newest_update_at": _time(newest)}


def _open_words(off: dict[str, Any]) -> str:
    n = off.get("records_open_over_a_day") or 0
    return (f"; {n} record{'s' if n != 1 else ''} open over a day with no handover, not counted as waiting"
            if n else "")


def _phoned(session: Session, now: datetime) -> dict[str, Any]:
    return {code: {"phoned_at": _time(m.at), "caller_name": m.caller_name, "caller_role": m.caller_role,
                   "taken_by": m.taken_by, "keys": sorted(set(m.keys)), "sent": not m.waiting}
            for code, m in sorted(queries_phoned.marks(session, now).items())}


def _newest(snapshot: dict[str, Any]) -> str | None:
    """The newest figure's time among the levels, REAP/CSP and handover data the snapshot holds."""
    times = [p.get("assessed_at") for p in [snapshot["system"] or {}, *snapshot["pillars"].values(),
                                            *snapshot["providers"].values()]]
    times += [a.get("declared_at") for a in snapshot["ambulance"].values()]
    times.append(snapshot["offload"]["newest_update_at"])
    return max((t for t in times if t), default=None)   # fixed-width UTC text: sorts as the times do


def _feed(session: Session, now: datetime, newest: str | None, stale_after: timedelta,
          clock_offset: timedelta | None) -> dict[str, Any]:
    cursor = session.get(FeedCursor, "main")
    last = cursor.last_sync_at if cursor is not None else None
    # The cursor's time is this computer's clock (sync.apply); ``now`` is the snapshot's (the window's HubClock,
    # the hub's): one clock, so a desktop 2 h behind its hub is not "no sync for 2 h" a minute after a sync.
    if last is not None and clock_offset:
        last = last + clock_offset
    feed = {"last_sync_at": _time(last), "newest_figure_at": newest,
            "sync_stale": last is None or now - last > stale_after,
            "sync_stale_after_minutes": round(stale_after.total_seconds() / 60)}
    if clock_offset:
        feed["clock_offset_seconds"] = round(clock_offset.total_seconds())
    return feed


def take(session: Session, now: datetime, lost_basis: float | None = None,
         sync_stale_after: timedelta | None = None, clock_offset: timedelta | None = None) -> dict[str, Any]:
    """The picture in ``session``'s replica at ``now`` (aware datetime); JSON values only. Hours lost are
    counted beyond ``lost_basis`` minutes (the room's setting; None: the handover table's default); the
    last sync is stale past ``sync_stale_after`` (the room's limit; None: 30 minutes).  ``clock_offset``:
    what ``now``'s clock is ahead of this computer's (the window's HubClock offset), put on the last sync."""
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
    snapshot["feed"] = _feed(session, now, _newest(snapshot), sync_stale_after or SYNC_STALE_AFTER,
                             clock_offset)
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


def _parse(text: Any) -> datetime | None:
    try:
        value = datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
    return value if value is not None and value.utcoffset() is not None else None   # never a guessed zone


def day_of(snapshot: dict) -> Any:
    """The UK date the snapshot was taken on (times on it are said without their date), or None."""
    taken = _parse(snapshot.get("taken_at"))
    return taken.astimezone(UK).date() if taken else None


def clock(text: Any, day=None) -> str:
    """UTC text as UK wall-clock time, "14:38", with the day ("Sat 05 Dec 14:38") when not ``day``."""
    value = _parse(text)
    if value is None:
        return "?" if text is None else str(text)
    local = value.astimezone(UK)
    return f"{local:%H:%M}" if local.date() == day else f"{local:%a %d %b %H:%M}"


def feed_sentence(snapshot: dict, said=None) -> str | None:
    """How current the snapshot's figures were when it was taken, from its ``feed`` part: "no sync since 14:38
    (6 h 02 min before this snapshot)" when the last sync was older than the room's limit; None for a snapshot
    taken before the part was kept.  ``said`` turns a UTC text into words (default: :func:`clock`)."""
    feed = snapshot.get("feed") if isinstance(snapshot, dict) else None
    if not isinstance(feed, dict):
        return None
    day = day_of(snapshot)
    said = said or (lambda text: clock(text, day))
    newest = feed.get("newest_figure_at")
    figure = f"the newest figure is from {said(newest)}" if newest else "it held no figure"
    last, taken = _parse(feed.get("last_sync_at")), _parse(snapshot.get("taken_at"))
    if last is None:
        return f"Feed: this desktop had never synced with the hub; {figure}."
    if not feed.get("sync_stale"):
        return f"Feed: synced {said(feed.get('last_sync_at'))}; {figure}."
    behind = f" ({durations.span((taken - last).total_seconds() / 60)} before this snapshot)" if taken else ""
    return (f"Feed: no sync since {said(feed.get('last_sync_at'))}{behind}; {figure}. Every figure is as at "
            "its own time, not the snapshot's.")


def _as_at(entry: dict, day) -> str:
    """ " as at 14:38" for a part that kept its time (none for a snapshot before session 31)."""
    at = entry.get("as_at") if isinstance(entry, dict) else None
    return f" as at {clock(at, day)}" if at else ""


def _assessed(entries: list, day) -> str:
    """ " (assessed 14:30)", or the span " (assessed 13:50-14:30)", of the entries' times."""
    times = sorted(e.get("assessed_at") for e in entries if isinstance(e, dict) and e.get("assessed_at"))
    if not times:
        return ""
    first, last = clock(times[0], day), clock(times[-1], day)
    return f" (assessed {first})" if first == last else f" (assessed {first}–{last})"


def describe(snapshot: dict | None) -> list[str]:
    """Short lines for a person: system and pillar levels, providers, REAP/CSP, offload.

    A snapshot in another (older, free-form) shape comes back as ``key: value`` lines.
    """
    if not snapshot:
        return ["No situation snapshot was recorded with this entry."]
    if snapshot.get("format") != FORMAT:
        return [f"{k}: {v}" for k, v in sorted(snapshot.items())]
    # A snapshot that kept its feed part (session 31) says each part's time; an older one reads as before.
    timed = isinstance(snapshot.get("feed"), dict)
    day = day_of(snapshot)
    lines = [feed_sentence(snapshot)] if timed else []
    system = snapshot.get("system")
    lines.append(f"System: {_level(system)}" + (_assessed([system], day) if timed else ""))
    pillars = snapshot.get("pillars") or {}
    order = [p for p in PILLAR_ORDER if p in pillars] + sorted(set(pillars) - set(PILLAR_ORDER))
    if order:
        lines.append("Pillars" + (_assessed([pillars[p] for p in order], day) if timed else "") + ": "
                     + ", ".join(f"{p.replace('_', ' ')} {_level(pillars[p])}" for p in order))
    providers = snapshot.get("providers") or {}
    if providers:
        ranked = sorted(providers.items(), key=lambda kv: (-(kv[1].get("level") or 0), kv[0]))
        lines.append("Providers" + (_assessed(list(providers.values()), day) if timed else "") + ": "
                     + "; ".join(f"{code} {_level(p)}" for code, p in ranked))
    for code, a in sorted((snapshot.get("ambulance") or {}).items()):
        csp = f", CSP {a['csp_level']}" if a.get("csp_level") is not None else ""
        declared = f" (declared {clock(a['declared_at'], day)})" if timed and a.get("declared_at") else ""
        lines.append(f"Ambulance {code}: REAP {a.get('reap_level')}{csp}{declared}")
    off = snapshot.get("offload") or {}
    if off.get("hospitals"):
        lost = lost_words(off)
        lines.append(f"Offload{_as_at(off, day)}: {off.get('waiting', 0)} waiting, longest "
                     f"{_minutes(off.get('longest_wait_minutes'))}, "
                     f"{off.get('hours_lost_today', 0):g} {lost} today" + _open_words(off))
        for code, h in sorted(off["hospitals"].items()):
            lines.append(f"  {code}{_as_at(h, day)}: {h.get('waiting', 0)} waiting, longest "
                         f"{_minutes(h.get('longest_wait_minutes'))}, {h.get('hours_lost_today') or 0:g} {lost}")
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
