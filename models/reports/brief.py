"""The morning brief for the 08:00 system call: the picture now, what changed since yesterday (or
since the last brief), the worst sites and why, open alerts, transfers past their threshold, the
actions due today, who is on call, each acute site's next 24 hours (its chance of OPEL 3+ first), and
the system's week ahead."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from models.queries import trend as queries_trend
from models.reports import parts, reads, words
from models.reports.next_day_part import next_day_section
from models.reports.week_part import week_section
from models.reports.model import Report, Section, Table, Text
from models.service import contacts as contacts_door
from models.uk_time import UK, same_time_day_before

TITLE = "Morning brief for the system call"


def next_uk_midnight(at: datetime) -> datetime:
    day = at.astimezone(UK).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(timezone.utc)


def _changes(store, r: reads.RoomReads, since: datetime) -> Section:
    """Every provider, pillar and the system whose shown level differs from the one in force at
    ``since`` (the overview's own comparison when ``since`` is 24 hours back)."""
    o = r.overview
    statuses = [*o.providers, *o.pillars.values(), *([o.system] if o.system else [])]
    if r.at - since == queries_trend.DEFAULT_BACK:
        trends = o.trends
    else:
        with store.reading() as db:
            trends = queries_trend.trends(db, statuses, r.at, back=r.at - since)
    rows, worse = [], set()
    order = {"system": 0, "pillar": 1, "provider": 2}
    for s in sorted(statuses, key=lambda s: (order[s.scope], s.pillar, s.name)):
        t = trends.get(s.org_code if s.scope == "provider" else s.pillar)
        if t is None or t.direction in ("same", "unknown"):
            continue
        name = words.short_name(s.name) if s.scope == "provider" else words.pillar_name(s.pillar)
        if t.direction == "up":
            worse.add(len(rows))
        rows.append((name, words.pillar_name(s.pillar) if s.scope == "provider" else s.scope,
                     words.level(t.then_level), words.level(t.now_level),
                     "worse" if t.direction == "up" else "better", s.assessed_at))
    table = Table("level_changes", f"Level changes since {words.clock(since)}",
                  ("Where", "Pillar", "Then", "Now", "Change", "Assessed"), tuple(rows), r.at,
                  "No level has changed.", widths=(0.3, 0.15, 0.12, 0.12, 0.1, 0.21), warn_rows=frozenset(worse))
    up = len(worse)
    summary = (f"Since {words.clock(since)}: {words.count(up, 'level')} worse, {len(rows) - up} better; "
               f"{words.count(sum(1 for a in r.alerts if a.raised_at >= since), 'open alert')} raised; "
               f"{words.count(sum(1 for x in r.transfers.lines if x.risk.level != 'closed' and x.transfer.requested_at >= since), 'open transfer')} "
               "requested.")
    return Section("What changed", (Text(summary), table), r.at)


def build(store, at: datetime, since: datetime | None = None, generated_at: datetime | None = None) -> Report:
    """The brief as at ``at``; changes since ``since`` (default: the same UK clock time yesterday, the
    last 08:00 call's time: 24 hours, 23 or 25 on a clock-change day)."""
    since = since or same_time_day_before(at)
    if since >= at:
        raise ValueError(f"since: {words.clock(since)} is not before the brief's time {words.clock(at)}")
    r = reads.read_room(store, at)
    names = r.names
    board = r.transfers.board
    # The board's rule (``rq.transfer_board``): a case with a conflict nobody has settled, closed or not, is listed
    # with those past their threshold, in the board's order (closed ones in conflict first).
    late = [x for x in board.attention if x.risk.level == "breached" or x.transfer.has_conflict]
    closed_conflicts = sum(1 for x in board.in_conflict if x.risk.level == "closed")
    due = parts.actions_due_by(r.actions, next_uk_midnight(at))
    sections = (
        parts.picture_section(r.picture, r.overview, silent=r.silent),
        _changes(store, r, since),
        Section("Worst sites", (parts.worst_sites(r.overview, r.picture),), r.picture.data_as_at),
        Section("Alerts", (parts.alerts_table(r.alerts, at, r.alerts_limited),), at),
        Section("Transfers", (parts.transfers_table(
            "transfers_past_threshold", "Transfers past their threshold or with a conflict to settle", late, names, at,
            "No transfer is past its threshold or has a conflict to settle."),
            Text(f"{words.count(board.open_count, 'transfer')} open in all"
                 + (f"; {words.count(closed_conflicts, 'closed case')} with a conflict to settle (listed first)."
                    if closed_conflicts else "."))), at),
        Section("Actions", (parts.actions_table("actions_due_today", "Actions overdue or due today", due, at,
                                                "No action is overdue or due today."),), at),
        Section("On call", (parts.on_call_table("on_call", "Who is on call now", r.actions.on_call, at,
                                                contacts_door.is_director_rota),), at),
        next_day_section(store, at),
        week_section(store, at),
    )
    return Report("brief", TITLE, at, generated_at or at, sections, parts.opel_tables(r.overview),
                  r.picture.data_as_at, r.picture.feed.last_sync_at, since=since, notes=reads.notes(r))
