"""The handover at the end of core hours (18:00), from the room lead to the Director on-call: the
picture now, open risks and alerts, open transfers, outstanding actions with their owners, the
day's decisions, what to watch overnight, and who is on call overnight with their numbers."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from models import durations
from models.queries import records as rq
from models.reports import parts, reads, words
from models.reports.model import Report, Section, Table
from models.service import contacts as contacts_door
from models.service import decision_log, rota
from models.uk_time import UK

TITLE = "Handover to the Director on-call"
NIGHT_ENDS = time(8, 0)       # the overnight on-call runs to the next morning's core hours
NEAR_NEXT_LEVEL = 3.0         # a provider this few points below its next level is a watch point
LONG_WAIT = 60.0              # minutes: an ambulance waiting longer is a watch point


def night_end(at: datetime) -> datetime:
    """The next 08:00 UK time after ``at``."""
    local = at.astimezone(UK)
    day = local.date() + (timedelta(days=1) if local.time() >= NIGHT_ENDS else timedelta(0))
    return datetime.combine(day, NIGHT_ENDS, tzinfo=UK).astimezone(timezone.utc)


def _decisions(store, at: datetime) -> Table:
    today = at.astimezone(UK).date()
    page = decision_log.log_page(store, rq.DecisionFilter(date_from=today, date_to=today))
    rows = [r for r in page.rows if r.entry.decided_at <= at]
    rows.sort(key=lambda r: (r.entry.decided_at, r.entry.uuid))
    return Table("decisions_today", f"Decisions of {words.clock(at)[:10]}",
                 ("Decided", "By", "Decision", "Rationale", "Actions"),
                 tuple((r.entry.decided_at, f"{r.entry.decision_maker} ({r.entry.decision_maker_role})",
                        r.entry.decision, r.entry.rationale, len(r.actions)) for r in rows), at,
                 "No decision was recorded today.", widths=(0.13, 0.2, 0.3, 0.28, 0.09),
                 row_labels=tuple(f"decision of {words.clock(r.entry.decided_at)[11:]} by {r.entry.decision_maker}"
                                  for r in rows))


def _watch(r: reads.RoomReads, until: datetime, store) -> Table:
    """What could tip overnight: providers close to their next level, transfers nearing their
    threshold, long ambulance waits, critical care over capacity, actions and reviews due before
    the morning."""
    rows: list[tuple] = []
    o = r.overview
    for p in parts.worst_providers(o, len(o.providers)):
        step = o.next_levels.get(p.org_code or "")
        if step is not None and step.points <= NEAR_NEXT_LEVEL and (p.shown_level or 0) < step.level:
            rows.append(("Provider near its next level", f"{words.short_name(p.name)}: {words.level(p.shown_level)}, "
                         f"{step.points:g} {'point' if step.points == 1 else 'points'} to OPEL {step.level}", p.assessed_at))
    for x in r.transfers.board.in_conflict:
        rows.append(("Transfer conflict to settle", f"{x.transfer.local_ref} ({x.transfer.status}): "
                     f"{', '.join(words.transfer_field(f) for f in x.transfer.conflict_fields)} changed on two desktops "
                     "without seeing each other", r.at))
    for x in r.transfers.lines:
        if x.risk.level == "approaching":
            rows.append(("Transfer nearing its threshold", f"{x.transfer.local_ref}: waited "
                         f"{durations.span(x.risk.wait_minutes)} of {durations.span(x.risk.threshold_minutes)}", r.at))
    for site in r.picture.sites:
        if site.longest_minutes is not None and site.longest_minutes >= LONG_WAIT:
            rows.append(("Long ambulance wait", f"{words.short_name(site.name)}: {site.waiting} waiting, longest "
                         f"{durations.span(site.longest_minutes)}", r.picture.offload.as_at or site.handover_as_at))
        if site.free_beds is not None and site.free_beds < 0:
            rows.append(("Critical care over capacity",
                         f"{words.short_name(site.name)}: {words.count(-site.free_beds, 'bed')} over, "
                         f"CRITCON {site.critcon}", site.critcon_as_at))
    for a in r.actions.actions:
        if not a.overdue and a.due_at is not None and a.due_at < until:
            rows.append(("Action due overnight", f"{a.description} ({a.owner}), due {words.clock(a.due_at)}", r.at))
    page = decision_log.log_page(store, rq.DecisionFilter(date_from=r.at.astimezone(UK).date() - timedelta(days=30)))
    for d in page.rows:
        if d.entry.review_at is not None and r.at <= d.entry.review_at < until:
            rows.append(("Decision to review overnight",
                         f"{d.entry.decision} (review {words.clock(d.entry.review_at)})",
                         d.entry.decided_at))
    return Table("watch_points", f"Watch points for the night (to {words.clock(until)})", ("Watch", "What", "As at"),
                 tuple(rows), r.at, "Nothing stands out for the night.", widths=(0.26, 0.58, 0.16))


def _overnight(store, at: datetime, until: datetime) -> tuple[Table, Table]:
    page = rota.rota_page(store, at, until, until)
    shifts = sorted((x for x in page.shifts if x.overlaps(at, until)),
                    key=lambda x: (not contacts_door.is_director_rota(x.rota), x.rota.lower(), x.starts_at,
                                   x.contact.name))
    cover = Table("on_call_overnight", f"On call overnight (to {words.clock(until)})",
                  ("Rota", "Name", "Phone", "From", "Until"),
                  tuple((x.rota, x.contact.name, x.contact.phone or "—", x.starts_at, x.ends_at) for x in shifts), at,
                  "No on-call shift is held for tonight.", widths=(0.22, 0.24, 0.2, 0.17, 0.17))
    gaps = Table("rota_gaps_overnight", "Gaps in cover overnight", ("Rota", "From", "Until"),
                 tuple((g.rota, g.starts_at, g.ends_at) for g in page.gaps), at, "Every rota is covered overnight.",
                 widths=(0.4, 0.3, 0.3), warn_rows=frozenset(range(len(page.gaps))))
    return cover, gaps


def build(store, at: datetime, generated_at: datetime | None = None) -> Report:
    r = reads.read_room(store, at)
    until = night_end(at)
    cover, gaps = _overnight(store, at, until)
    sections = (
        parts.picture_section(r.picture, r.overview, "Current picture", r.silent),
        Section("Open risks and alerts", (parts.worst_sites(r.overview, r.picture),
                                          parts.alerts_table(r.alerts, at, r.alerts_limited)), at),
        Section("Open transfers", (parts.transfers_table("open_transfers", "Open transfers (conflicts to settle first), "
                                                         "most at risk first",
                                                         r.transfers.lines, r.names, at, "No transfer is open."),), at),
        Section("Outstanding actions", (parts.actions_table("outstanding_actions", "Open actions with their owners",
                                                            r.actions.actions, at, "No action is open."),), at),
        Section("Decisions of the day", (_decisions(store, at),), at),
        Section("Watch points", (_watch(r, until, store),), at),
        Section("On call overnight", (cover, gaps), at),
    )
    return Report("handover", TITLE, at, generated_at or at, sections, parts.opel_tables(r.overview),
                  r.picture.data_as_at, r.picture.feed.last_sync_at, notes=reads.notes(r))
