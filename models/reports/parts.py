"""Pieces more than one report shows, built from the door's pages (``models.service``) so each
figure is the one the matching view shows: the system picture, the worst sites, alerts, transfers,
actions and who is on call."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from models import durations
from models.queries.opel_latest import OpelStatus
from models.records import phoned_in as phoned_rules
from models.reports import reads, words
from models.reports.model import Chart, Section, Table, Text
from models.rules.declared_above import words as declared_words
from models.service.actions import ActionsPage
from models.service.alert_centre import CentreAlert
from models.service.overview import OverviewPage, worst_first
from models.service.system_picture import SystemPicture

OPEL_COLOURS = ("#00a499", "#ffb81c", "#ed8b00", "#da291c")   # OPEL 1-4, as the views draw them
WORST_SITES = 6   # the brief names this many at most: the call has minutes, not an hour
PHONED_NOTE = ("Phoned in: the row shows figures the provider phoned to the room while its feed was down "
               "(who phoned and who took the call: see Figures phoned in); 'not sent yet': the call has not "
               "reached the hub, so the row's figures are still the feed's and the call's are in that table.")
REAP_KEYS = ("reap_level", "csp_level")
CRITCON_KEYS = ("critcon_level", "cc_staffed_beds", "cc_occupied_beds")


def phoned_mark(picture: SystemPicture, org_code: str | None, keys: Iterable[str] | None = None) -> str:
    """"phoned in Mon 12 Jan 10:05" when ``org_code`` shows a phoned-in figure now (of ``keys``, if
    given: the figures the row shows); "" when its figures are its feed's."""
    mark = picture.phoned.get(org_code or "")
    if mark is None or (keys is not None and not set(keys) & set(mark.keys)):
        return ""
    return f"phoned in {words.clock(mark.at)}" + (", not sent yet" if mark.waiting else "")


def phoned_table(picture: SystemPicture, names: Mapping[str, str]) -> Table:
    """Every provider showing a phoned-in figure at the report's time: when, who phoned, who took
    the call, which figures, and whether the hub has the call yet."""
    marks = sorted(picture.phoned.values(), key=lambda m: (m.at, m.org_code))
    rows = tuple((m.at, words.short_name(names.get(m.org_code, m.org_code)),
                  "; ".join(dict.fromkeys(phoned_rules.label_of(k)[0] for k in m.keys)),
                  f"{m.caller_name} ({m.caller_role})", m.taken_by,
                  "not sent to the hub yet" if m.waiting else "with the hub") for m in marks)
    return Table("phoned_in", "Figures phoned in, shown now", ("Phoned at", "Provider", "Figures", "Who phoned",
                                                               "Taken by", "Hub"),
                 rows, picture.now, "No figure shown was phoned in: every one is the provider's own feed's.",
                 "A phoned-in figure is shown until the provider's own feed sends newer data." if rows else "",
                 (0.15, 0.17, 0.3, 0.16, 0.11, 0.11))


def opel_tables(overview: OverviewPage) -> tuple[tuple[str, bool], ...]:
    """(edition, verified) of every OPEL table the shown assessments were scored on."""
    found = {(s.edition, s.verified) for s in (*overview.providers, *overview.pillars.values())}
    if overview.system is not None:
        found.add((overview.system.edition, overview.system.verified))
    return tuple(sorted(found))


def _trend(overview: OverviewPage, key: str) -> str:
    t = overview.trends.get(key)
    return t.text() if t is not None else "—"


# docs/opel-tables.md, "Declared levels and the roll-up": why the roll-ups count calculated scores only.
DECLARED_NOTE = ("Pillar and system levels are rolled up from the providers' calculated scores; \"Set by\" names "
                 "each provider that declared a level above its pillar's (\"calculated level; ... declared 4\").")


def picture_section(picture: SystemPicture, overview: OverviewPage, title: str = "System picture now",
                    silent: tuple[tuple[str, str, str], ...] = ()) -> Section:
    """The system's and pillars' levels, the figures the wall screen leads with, and a chart of
    providers at each level; ``silent`` (``reads.never_reported``) named first, as never submitted."""
    s = picture.system
    head = (f"System {words.level(s.level, s.at_least_level)}"
            + (f", ICS score {words.score(s.score, s.unit)}" if s.score is not None else "")
            + (f", set by {', '.join(words.pillar_name(k) for k in s.set_by)}" if s.set_by else "")
            + (f"; assessed {words.clock(s.as_at)}." if s.as_at else "; the hub has sent no system level."))
    feed = (f"Newest provider figure {words.clock(picture.data_as_at)}; last sync "
            f"{words.clock(picture.feed.last_sync_at)}"
            + (f"; {words.count(picture.feed.outbox_pending, 'record')} waiting to go to the hub."
               if picture.feed.outbox_pending
               else "."))
    tiles = [s, *picture.pillars]
    rows = tuple((words.pillar_name(t.key), words.level(t.level, t.at_least_level), words.score(t.score, t.unit),
                  ", ".join(words.pillar_name(x) if t.key == "system" else words.short_name(x) for x in t.set_by[:3])
                  + (f" +{len(t.set_by) - 3} more" if len(t.set_by) > 3 else "")
                  # a provider declared above its pillar's calculated level, named as on the wall's tile
                  + (f"; {declared_words(t.declared_above, shown=3)}" if t.declared_above else ""),
                  _trend(overview, t.key), t.as_at, age(picture.now, t.as_at, feed_down(picture))) for t in tiles)
    note = " ".join(x for x in (age_note(picture.now, rows), DECLARED_NOTE if any(
        t.declared_above for t in picture.pillars) else "") if x)
    levels = Table(
        "levels", "System and pillar levels",
        ("Where", "Level", "Score", "Set by", "Since 24 h ago", "As at", "Age"), rows,
        picture.data_as_at, note=note, widths=(0.11, 0.08, 0.07, 0.28, 0.18, 0.15, 0.13),
        warn_rows=stale_rows(rows))
    names = {p.org_code: p.name for p in overview.providers if p.org_code}
    names.update({a.org_code: a.name for a in picture.ambulance})
    never = reads.silent_text(silent)
    return Section(title, (Text(head), Text(feed), *((Text(never, warn=True),) if never else ()), levels,
                           key_figures(picture), level_chart(overview), phoned_table(picture, names)),
                   picture.data_as_at)


def key_figures(p: SystemPicture) -> Table:
    """The figures the wall screen leads with; a row that includes a phoned-in figure says so."""
    o, cc = p.offload, p.critcare
    rows: list[tuple] = []
    for a in p.ambulance:
        rows.append((f"{words.short_name(a.name)}: REAP", f"REAP {a.reap_level}"
                     + (f" ({a.reap_name})" if a.reap_name else "")
                     + (f", CSP {a.csp_level}" if a.csp_level else ""), a.as_at,
                     phoned_mark(p, a.org_code, REAP_KEYS)))
    longest = ("—" if o.longest_minutes is None else
               ("at least " if o.at_least or o.longest_as_at else "") + f"{durations.span(o.longest_minutes)} at "
               f"{words.short_name(o.longest_site or '?')}")
    rows += [("Ambulances waiting to hand over", o.waiting, o.as_at, ""),
             ("Longest wait to hand over", longest, o.longest_as_at or o.as_at, ""),
             (f"Handover hours lost today (beyond {o.hours_lost_beyond:g} min)", words.number(o.hours_lost), o.as_at,
              ""),
             ("Handovers over 60 min today", o.over_60, o.as_at, "")]
    if o.unclosed:   # never dropped unsaid: the records the offload view sets apart, as a count to check
        rows.append(("Arrivals open over a day, no handover (not counted as waiting)", o.unclosed, o.as_at, ""))
    for c in p.responses:
        target = f" (standard {c.mean_target:g} min)" if c.mean_target is not None else ""
        rows.append((f"{c.category} mean response today", words.response(c.mean_minutes) + target, c.as_at, ""))
    if cc.units:
        # The critical care totals count a unit's phoned-in CRITCON report like its feed's: said on their rows.
        called = sorted({f"{words.short_name(r.name)} {phoned_mark(p, r.org_code, CRITCON_KEYS)}" for r in p.sites
                         if phoned_mark(p, r.org_code, CRITCON_KEYS)})
        mark = "includes " + "; ".join(called) if called else ""
        rows += [("Worst CRITCON", f"{cc.worst_level} at " + ", ".join(words.short_name(x) for x in cc.worst_sites[:3])
                  + (f" +{len(cc.worst_sites) - 3} more" if len(cc.worst_sites) > 3 else ""), cc.as_at, mark),
                 ("Critical care beds free", f"{cc.free_beds} in {cc.units_with_free} of {cc.units} units", cc.as_at,
                  mark),
                 ("Critical care units over capacity", f"{cc.units_over} ({cc.beds_over} beds over)", cc.as_at,
                  mark)]
    rows += [("Alerts nobody has acknowledged", p.room.unacknowledged_alerts, p.room.as_at, ""),
             ("Actions overdue", p.room.overdue_actions, p.room.as_at, ""),
             ("Transfers past their threshold", p.transfers.count, p.transfers.as_at, "")]
    down = feed_down(p)
    rows = [(name, value, at, age(p.now, at, down), mark) for name, value, at, mark in rows]
    notes = [age_note(p.now, rows)] + ([PHONED_NOTE] if any(r[4] for r in rows) else [])
    return Table("key_figures", "Key figures", ("Figure", "Value", "As at", "Age", "Phoned in"), tuple(rows), p.now,
                 note=" ".join(n for n in notes if n), widths=(0.31, 0.27, 0.16, 0.13, 0.13),
                 warn_rows=stale_rows(rows))


STALE_MARK = "STALE"


def feed_down(p: SystemPicture) -> bool:
    """The newest provider figure is over ``reads.STALE`` older than the report (or there is none)."""
    return p.data_as_at is None or p.now - p.data_as_at > reads.STALE


def age(now: datetime, at: datetime | None, down: bool) -> str:
    """How old a figure is at the report's time ("8 h 00 min"); while the feed is down (``feed_down``) a
    figure over ``reads.STALE`` old is "STALE: ...", as it may have changed since (found by a paper review,
    session 25: a brief made 8 hours into a feed outage printed "0 handovers over 60 min today" as at the
    evening before with nothing on its row to say so).  With the feed up the age alone is said: a unit's
    CRITCON report hours old is its last, not a sign of an outage."""
    if at is None:
        return "—"
    if at > now + timedelta(minutes=1):
        return "newer than the report"
    if now - at < timedelta(minutes=1):
        return "now"
    stale = down and now - at > reads.STALE
    return (f"{STALE_MARK}: " if stale else "") + durations.span((now - at).total_seconds() / 60)


def stale_rows(rows) -> frozenset[int]:
    return frozenset(i for i, row in enumerate(rows) if any(str(v).startswith(f"{STALE_MARK}:") for v in row))


def age_note(now: datetime, rows) -> str:
    if not stale_rows(rows):
        return ""
    return (f"Age at {words.clock(now)}; over {durations.span(reads.STALE.total_seconds() / 60)} is marked "
            f"{STALE_MARK} (shaded) while the newest provider figure is that old: the feed may be down, so "
            "the figure may have changed since.")


def _silent_note(now: datetime, rows) -> str:
    """The worst sites' note for a STALE row while the feed is up: that provider has sent no level since."""
    if not stale_rows(rows):
        return ""
    return (f"Age at {words.clock(now)}; a provider's level over {durations.span(reads.STALE.total_seconds() / 60)} "
            f"old is marked {STALE_MARK} (shaded): it has sent none since, so phone it for its position.")


def level_chart(overview: OverviewPage) -> Chart:
    pillars = sorted({p.pillar for p in overview.providers}, key=lambda k: list(words.PILLAR_NAMES).index(k)
                     if k in words.PILLAR_NAMES else 99)
    series = tuple((f"OPEL {lv}", tuple(float(sum(1 for p in overview.providers
                                                  if p.pillar == k and p.shown_level == lv)) for k in pillars))
                   for lv in (1, 2, 3, 4))
    newest = max((p.assessed_at for p in overview.providers), default=None)
    return Chart("providers_by_level", "Providers at each OPEL level, by pillar",
                 tuple(words.pillar_name(k) for k in pillars), series, newest, "providers", True, OPEL_COLOURS)


def worst_providers(overview: OverviewPage, limit: int = WORST_SITES) -> list[OpelStatus]:
    """The providers at the highest levels, within a level the one nearest the next level first: the
    overview's "Worst first" (``models.service.overview.worst_first``: scores compared on each
    pillar's own scale, not raw points)."""
    return worst_first(overview.providers)[:limit]


def worst_sites(overview: OverviewPage, picture: SystemPicture, limit: int = WORST_SITES) -> Table:
    """The worst providers and why: their heaviest parameters, a declared level's reason, and for an
    acute site its ambulance queue and 12-hour waits."""
    sites = {r.org_code: r for r in picture.sites}
    rows = []
    down = feed_down(picture)
    for p in worst_providers(overview, limit):
        why = [words.driver(d) for d in p.drivers[:2]]
        if p.declared_level is not None and p.declared_level != p.level:
            why.insert(0, f"declared OPEL {p.declared_level} (calculated {words.level(p.level)}): "
                          f"{p.override_reason or 'no reason given'}")
        site = sites.get(p.org_code or "")
        if site is not None and site.waiting:
            why.append(f"{words.count(site.waiting, 'ambulance')} waiting, longest {durations.span(site.longest_minutes)}")
        if site is not None and site.over_12h.value:
            why.append(f"{site.over_12h.value:g} patients 12 h or more in ED")
        rows.append((words.short_name(p.name), words.pillar_name(p.pillar),
                     words.level(p.shown_level, p.at_least_level),
                     words.number(p.total, 2), "; ".join(why), p.assessed_at,
                     # A provider's own level: over an hour old it is STALE with the feed up too, as the
                     # bc-pack's list of providers says (a trust silent for 60 days led this table at OPEL 4,
                     # unshaded: found by the session 25 review).
                     age(picture.now, p.assessed_at, True), phoned_mark(picture, p.org_code)))
    notes = [age_note(picture.now, rows) if down else _silent_note(picture.now, rows)]
    notes += [PHONED_NOTE] if any(r[-1] for r in rows) else []
    return Table("worst_sites", "Worst sites and why",
                 ("Provider", "Pillar", "Level", "Score", "Why", "As at", "Age", "Phoned in"),
                 tuple(rows), max((p.assessed_at for p in overview.providers), default=None),
                 "No provider has reported a level.", " ".join(n for n in notes if n),
                 widths=(0.14, 0.08, 0.07, 0.06, 0.33, 0.11, 0.1, 0.11), warn_rows=stale_rows(rows))


def alerts_table(alerts: Sequence[CentreAlert], now: datetime, limited: bool = False) -> Table:
    """Open alerts, those nobody has acknowledged first (worst first within each)."""
    ordered = sorted(alerts, key=lambda a: (a.acknowledged_at is not None,
                                            {"critical": 0, "warning": 1, "info": 2}.get(a.severity, 1),
                                            a.raised_at, a.uuid))
    rows = tuple((a.severity, a.where, a.detail or a.rule_name, a.raised_at,
                  "not acknowledged" if a.acknowledged_at is None else
                  f"acknowledged by {a.acknowledged_by or '?'} {words.clock(a.acknowledged_at)}"
                  + (f": {a.acknowledged_note}" if a.acknowledged_note else "")) for a in ordered)
    return Table("alerts", "Open alerts", ("Severity", "About", "Alert", "Raised", "Acknowledged"), rows, now,
                 "No open alerts.", "More alerts are open than a page holds: see the alert centre." if limited else "",
                 (0.09, 0.19, 0.37, 0.13, 0.22),
                 frozenset(i for i, a in enumerate(ordered) if a.acknowledged_at is None and a.severity == "critical"))


def transfers_table(key: str, title: str, lines: Iterable, names: Mapping[str, str], now: datetime,
                    empty: str) -> Table:
    """Cases as the transfer board lists them (``rq.transfer_board``: closed ones with a conflict to settle
    first, then open ones most at risk first), what each needs (the bed or service: the next shift, or a room
    working from the printed pack, must know it without the tracker), the wait against its threshold; a
    conflict says which fields."""
    lines = list(lines)
    rows = []
    for line in lines:
        t, r = line.transfer, line.risk
        to = words.short_name(names.get(t.to_code, t.to_code)) if t.to_code else "not yet known"
        wait = "—" if r.wait_minutes is None else (
            durations.span(r.wait_minutes) + (f" of {durations.span(r.threshold_minutes)}" if r.threshold_minutes else ""))
        stage = t.status if r.level == "closed" else r.stage.replace("_", " ")
        risk = r.level + (f"; CONFLICT: {', '.join(words.transfer_field(f) for f in t.conflict_fields)}"
                          if t.has_conflict else "")
        rows.append((t.local_ref, t.kind.replace("_", " "), t.priority, t.clinical_need.strip() or "not recorded",
                     f"{words.short_name(names.get(t.from_code, t.from_code))} → {to}", stage,
                     wait, risk, t.owner or "—"))
    return Table(key, title, ("Ref", "Kind", "Priority", "Clinical need", "From → to", "Stage", "Waited of threshold",
                              "Risk", "Owner"), tuple(rows), now, empty,
                 widths=(0.07, 0.09, 0.09, 0.17, 0.17, 0.11, 0.12, 0.09, 0.09),
                 warn_rows=frozenset(i for i, x in enumerate(lines)
                                     if x.risk.level == "breached" or x.transfer.has_conflict))


def actions_table(key: str, title: str, items: Sequence, now: datetime, empty: str) -> Table:
    rows = tuple((a.description, a.owner, a.due_at,
                  f"overdue by {durations.span(a.overdue_minutes)}" if a.overdue
                  else ("open" if a.due_at else "no due time"))
                 for a in items)
    return Table(key, title, ("Action", "Owner", "Due", "Status"), rows, now, empty, widths=(0.5, 0.18, 0.14, 0.18),
                 warn_rows=frozenset(i for i, a in enumerate(items) if a.overdue))


def on_call_table(key: str, title: str, on_call: Mapping[str, list], now: datetime,
                  first_rota=lambda rota: False) -> Table:
    """Who is on call on every rota, the Director on-call's first; a rota with nobody is a row that says so."""
    rows = []
    gaps = set()
    for rota in sorted(on_call, key=lambda r: (not first_rota(r), r.lower())):
        people = on_call[rota]
        if not people:
            gaps.add(len(rows))
            rows.append((rota, "NOBODY ON CALL", "—", None, None))
        for o in sorted(people, key=lambda x: (x.starts_at, x.contact.name)):
            rows.append((rota, o.contact.name, o.contact.phone or "—", o.starts_at, o.ends_at))
    return Table(key, title, ("Rota", "Name", "Phone", "From", "Until"), tuple(rows), now,
                 "No on-call rota is held in this replica.", widths=(0.22, 0.24, 0.2, 0.17, 0.17),
                 warn_rows=frozenset(gaps))


def actions_due_by(page: ActionsPage, until: datetime) -> list:
    """Open actions overdue or due before ``until``, overdue first (the actions view's order)."""
    return [a for a in page.actions if a.overdue or (a.due_at is not None and a.due_at < until)]
