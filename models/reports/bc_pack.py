"""The business-continuity pack: what a room needs on paper when all its IT is lost.  Who to call
first (who is on call now and through the next 24 hours, then the whole directory, names, roles and
numbers leading), the picture as it last stood (the system's and each provider's level with the
age of its data), open transfers, open actions with their owners, and the OPEL action cards.

Every table prints its words as well as its shading, so a black-and-white print loses nothing
(a gap in cover says "NOBODY ON CALL", stale data says "STALE").  The action cards are the room's
own (``resources/records/action_cards.toml``, ``models.rules.action_cards``); they say what the
room does at each level and whose level brings each card up, not what each sector does, so each
level's card also names who is at that level as the pack is made."""

from __future__ import annotations

from datetime import datetime, timedelta

from models import durations
from models.reports import parts, reads, words
from models.reports.model import Chart, Report, Section, Table, Text
from models.rules.action_cards import LEVELS, ActionCards, load_cards
from models.rules.opel_levels import opel_levels
from models.rules.quality.contacts_unchecked import CHECK_DUE_DAYS, is_overdue
from models.service import contacts as contacts_door
from models.service import rota
from models.uk_time import UK, uk_date, uk_time

TITLE = "Business continuity pack: a printed snapshot, not live"
AHEAD = timedelta(hours=24)   # the on-call cover the pack lists: a room without IT may be a day without it
COVER_WORDS = {"both": "in and out of hours", "in_hours": "in hours", "out_of_hours": "out of hours"}
GAP = "NOBODY ON CALL"
NEVER = "NEVER SUBMITTED"
OVERDUE = "NOT CHECKED"   # a number not checked for CHECK_DUE_DAYS: in words, so a black-and-white print keeps it
SCOPE_WORDS = {"provider": "a provider's", "pillar": "a pillar's", "system": "the system's"}


def _rota_key(rota_name: str) -> tuple:
    return (not contacts_door.is_director_rota(rota_name), rota_name.lower())


def checked_words(checked_at: datetime | None, at: datetime) -> str:
    """When the contact was last checked, as a UK date; past ``CHECK_DUE_DAYS``, said so in capitals."""
    if checked_at is None:
        return f"{OVERDUE}: never"
    day = uk_date(checked_at.astimezone(UK).date())
    return f"{OVERDUE} since {day}" if is_overdue(checked_at, at) else day


def _checked_note(rows_overdue: int) -> str:
    return (f"Checked: when someone last confirmed the contact's details (or edited them). {rows_overdue} "
            f"not checked in {CHECK_DUE_DAYS} days, marked {OVERDUE}: confirm the number when you call."
            if rows_overdue else "Checked: when someone last confirmed the contact's details (or edited them).")


def _on_call_now(on_call: dict, at: datetime, gap_ends: dict[str, datetime] | None = None) -> Table:
    """Who to ring now, rota by rota, the Director on-call first; a rota with nobody says so, and until when
    when a shift within the day ahead ends the gap (``gap_ends``; who comes then is in the next table); beside
    each number, when it was last checked."""
    rows, gaps, late = [], set(), set()
    for rota_name in sorted(on_call, key=_rota_key):
        people = sorted(on_call[rota_name], key=lambda o: (o.starts_at, o.contact.name))
        if not people:
            gaps.add(len(rows))
            rows.append((rota_name, GAP, "—", "—", "—", (gap_ends or {}).get(rota_name)))
        for o in people:
            if is_overdue(o.contact.checked_at, at):
                late.add(len(rows))
            rows.append((rota_name, o.contact.name, o.contact.phone or "—", checked_words(o.contact.checked_at, at),
                         o.contact.role or "—", o.ends_at))
    return Table("on_call_now", f"On call now ({words.clock(at)})", ("Rota", "Name", "Phone", "Checked", "Role",
                                                                      "Until"),
                 tuple(rows), at, "No on-call rota is held in this replica.", _checked_note(len(late)) if late else "",
                 widths=(0.16, 0.19, 0.16, 0.17, 0.18, 0.14), warn_rows=frozenset(gaps | late))


def _next_day(page: rota.RotaPage, at: datetime, until: datetime) -> tuple[Table, Table]:
    shifts = sorted((x for x in page.shifts if x.overlaps(at, until)),
                    key=lambda x: (*_rota_key(x.rota), x.starts_at, x.contact.name))
    cover = Table("on_call_24h", f"On call to {words.clock(until)}",
                  ("Rota", "Name", "Phone", "Role", "From", "Until"),
                  tuple((x.rota, x.contact.name, x.contact.phone or "—", x.contact.role or "—",
                         x.starts_at, x.ends_at) for x in shifts), at,
                  "No on-call shift is held for the next 24 hours.", widths=(0.18, 0.2, 0.16, 0.18, 0.14, 0.14))
    gaps = sorted(page.gaps, key=lambda g: (*_rota_key(g.rota), g.starts_at))
    holes = Table("rota_gaps_24h", "Gaps in cover in the next 24 hours", ("Rota", "Who", "From", "Until"),
                  tuple((g.rota, GAP, g.starts_at, g.ends_at) for g in gaps), at,
                  "Every rota is covered for the next 24 hours.", widths=(0.3, 0.3, 0.2, 0.2),
                  warn_rows=frozenset(range(len(gaps))))
    return cover, holes


def _directory(page: contacts_door.ContactsPage, at: datetime) -> Table:
    people = sorted(page.index.search("", limit=None),
                    key=lambda c: (c.organisation.lower(), c.name.lower(), c.uuid))
    late = frozenset(i for i, c in enumerate(people) if is_overdue(c.checked_at, at))
    return Table("directory", "Contact directory, by organisation",
                 ("Name", "Role", "Phone", "Checked", "Organisation", "Hours", "Email"),
                 tuple((c.name, c.role or "—", c.phone or "—", checked_words(c.checked_at, at),
                        words.short_name(c.organisation), COVER_WORDS.get(c.cover, c.cover), c.email or "—")
                       for c in people), at,
                 "The directory is empty.", _checked_note(len(late)),
                 widths=(0.14, 0.14, 0.14, 0.15, 0.15, 0.1, 0.18), warn_rows=late)


def _age(at: datetime, assessed: datetime | None) -> str:
    if assessed is None:
        return "no data"
    if assessed > at:
        return "newer than the pack"
    minutes = (at - assessed).total_seconds() / 60
    return ("STALE: " if at - assessed > reads.STALE else "") + durations.span(minutes)


def _providers(r: reads.RoomReads) -> Table:
    """Every provider's level with how old its figures were when the pack was made, by pillar and
    name (a printed list is searched by eye), and the ambulance service's REAP."""
    order = list(words.PILLAR_NAMES)
    # A provider that has never sent a figure is listed too, in its place, as such: a room without IT phones it.
    listed = [(p.pillar, p.name, p.org_code or "", p) for p in r.overview.providers]
    listed += [(sector, name, code, None) for code, name, sector in r.silent if sector != "ambulance"]
    listed.sort(key=lambda x: (order.index(x[0]) if x[0] in order else 99, x[1].lower(), x[2]))
    rows = [(words.short_name(p.name), words.pillar_name(p.pillar), words.level(p.shown_level, p.at_least_level),
             words.number(p.total, 2), p.assessed_at, _age(r.at, p.assessed_at),
             parts.phoned_mark(r.picture, p.org_code)) if p is not None else
            (words.short_name(name), words.pillar_name(pillar), "no level", None, None, NEVER, "")
            for pillar, name, _code, p in listed]
    rows += [(words.short_name(a.name), "Ambulance", f"REAP {a.reap_level}" + (f", CSP {a.csp_level}"
              if a.csp_level else ""), None, a.declared_at, _age(r.at, a.as_at),
              parts.phoned_mark(r.picture, a.org_code, parts.REAP_KEYS)) for a in r.picture.ambulance]
    rows += [(words.short_name(name), "Ambulance", "no REAP level", None, None, NEVER, "")
             for _code, name, sector in r.silent if sector == "ambulance"]
    stale = frozenset(i for i, row in enumerate(rows) if str(row[5]).startswith(("STALE", NEVER)))
    return Table("providers", "Each provider's level and the age of its data",
                 ("Provider", "Pillar", "Level", "Score", "Assessed", "Data age", "Phoned in"), tuple(rows),
                 r.picture.data_as_at, "No provider has reported a level.",
                 f"Data age is at {words.clock(r.at)}; over {durations.span(reads.STALE.total_seconds() / 60)} "
                 "is marked STALE: phone the provider for its position."
                 + (f" {NEVER}: no figure has ever been received from it." if r.silent else "")
                 + (" " + parts.PHONED_NOTE if any(row[-1] for row in rows) else ""),
                 widths=(0.26, 0.11, 0.13, 0.07, 0.16, 0.13, 0.14), warn_rows=stale)


def _at_level(r: reads.RoomReads, level: int) -> str:
    o = r.overview
    here = []
    if o.system is not None and o.system.shown_level == level:
        here.append("the system")
    pillars = [words.pillar_name(k) for k, p in sorted(o.pillars.items()) if p.shown_level == level]
    if pillars:
        here.append(f"{', '.join(pillars)} pillar{'s' if len(pillars) > 1 else ''}")
    providers = sorted(words.short_name(p.name) for p in o.providers if p.shown_level == level)
    if providers:
        here.append(f"{words.count(len(providers), 'provider')}: {', '.join(providers)}")
    return f"At OPEL {level} as the pack was made: " + ("; ".join(here) if here else "nobody") + "."


def _cards(r: reads.RoomReads, cards: ActionCards) -> Section:
    meanings = opel_levels()
    h = cards.header
    parts_: list = [Text(f"The room's action cards, edition {h.edition} "
                         f"({'verified' if h.verified else 'UNVERIFIED: a starting point, not agreed cards'}). "
                         "Each level's cards are what the room does when a provider's, a pillar's or the "
                         "system's level reaches it; work through them on paper and record who did what, "
                         "and when, for the decision log once the IT is back.", warn=not h.verified)]
    for level in LEVELS:
        found = cards.for_level(level)
        # The level's meaning is the table's caption, which the PDF keeps with the table; who is at
        # the level now is its note, under it.
        parts_.append(Table(f"cards_opel_{level}", f"OPEL {level}, {meanings[level][0]}: {meanings[level][1]}",
                            ("Who", "Action", "What to do", "Brought up by", "Done (initials, time)"),
                            tuple((c.owner_role or "—", c.title, c.detail or "—",
                                   " or ".join(SCOPE_WORDS[s] for s in c.applies_to) + " level", "")
                                  for c in found), r.at, "No card for this level.", _at_level(r, level),
                            widths=(0.13, 0.2, 0.39, 0.14, 0.14)))
    return Section("OPEL action cards", tuple(parts_), r.at)


def build(store, at: datetime, generated_at: datetime | None = None, cards: ActionCards | None = None) -> Report:
    r = reads.read_room(store, at)
    until = at + AHEAD
    directory = contacts_door.contacts_page(store, at)
    page = rota.rota_page(store, at, until, until)
    cover, gaps = _next_day(page, at, until)
    # A gap now that a shift in the day ahead ends (one running to ``until`` may run on past it: left "—").
    gap_ends = {g.rota: g.ends_at for g in page.gaps if g.starts_at <= at < g.ends_at < until}
    picture = parts.picture_section(r.picture, r.overview, "The picture as it last stood", r.silent)
    made = uk_time(generated_at or at)
    sections = (
        Section("Who to call", (_on_call_now(directory.on_call, at, gap_ends), cover, gaps,
                                _directory(directory, at)), at),
        # The chart's colours do not survive a black-and-white print: its figures are the tables'.
        Section(picture.title, (*(p for p in picture.parts if not isinstance(p, Chart)), _providers(r)),
                picture.as_at),
        Section("Open transfers", (parts.transfers_table("open_transfers", "Open transfers (conflicts to settle first), "
                                                         "most at risk first",
                                                         r.transfers.lines, r.names, at, "No transfer is open."),), at),
        Section("Open actions", (parts.actions_table("open_actions", "Open actions with their owners",
                                                     r.actions.actions, at, "No action is open."),), at),
        _cards(r, cards or load_cards()),
    )
    snapshot = (f"A snapshot made {made} from this desktop's replica for use when the IT is down: nothing "
                "that happened after that is in it. Check the folder for a newer pack before relying on it.")
    return Report("bc-pack", TITLE, at, generated_at or at, sections, parts.opel_tables(r.overview),
                  r.picture.data_as_at, r.picture.feed.last_sync_at, notes=(snapshot, *reads.notes(r)))

