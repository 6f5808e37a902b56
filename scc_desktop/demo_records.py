"""The demo room's own records, written once per demo folder through the paths the window uses.

A room keeps more than the feed: its directory and on-call rota, the transfers it is chasing,
the decisions it has taken (each with the automatic snapshot of the system picture) and the
actions they set.  An empty demo showed none of that, so the Contacts, Transfers, Decision log
and Actions views showed only their "nothing yet" texts.  :func:`seed` writes a morning's worth
through the door (``models.service``): the same checks, one transaction per use case, and the
outbox rows the sync pushes to the hub, as a room lead's clicks would.

It is plainly demo data: fictional people, every phone number from Ofcom's ranges kept for drama
(07700 900xxx mobiles, 0113 496 0xxx landlines), addresses at example.org, and every contact's
notes say so.  Times are set from ``now``: a Director on call now, with a gap tonight in the
Director on-call rota; a critical-care transfer past its acceptance threshold
(``resources/records/transfer_thresholds.toml``); three decisions; an action overdue.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from models.replica.utc import utcnow
from models.rules.handover_bands import load_handover
from models.service import contacts as contacts_door
from models.service import critical_care, decision_log, offload, overview, rota, transfers
from models.service.actions import complete_action
from models.service.decisions import NewAction, NewDecision, record_decision
from models.uk_time import UK

log = logging.getLogger(__name__)

ROOM_LEAD = "Jo Pennington"   # signs what the room did before the demo opened
DIRECTOR_ROTA = "Director on-call"    # models.rules.escalation.OUT_OF_HOURS_ROTA
ROOM_LEAD_ROTA = "SCC room lead"      # models.rules.escalation.IN_HOURS_ROTA
ROTA_DAYS = 7                          # a week ahead: the folder stays a plausible room for days
NOTE = "Demo data: a fictional person and number."

# (name, organisation: an ODS code of the simulated system or a name, role, phone, email local part)
PEOPLE = (
    ("Dr Helen Marsh", "ICB", "Director on-call (Chief Operating Officer)", "07700 900101", "helen.marsh"),
    ("Ian Whitfield", "ICB", "Director on-call (Director of Urgent Care)", "07700 900102", "ian.whitfield"),
    ("Dr Nadia Rahman", "ICB", "Director on-call (Medical Director)", "07700 900103", "nadia.rahman"),
    ("Gareth Lowe", "ICB", "Director on-call (Director of Strategy)", "07700 900104", "gareth.lowe"),
    (ROOM_LEAD, "ICB", "SCC room lead", "0113 496 0201", "jo.pennington"),
    ("Ravi Desai", "ICB", "SCC room lead", "0113 496 0202", "ravi.desai"),
    ("Dr Claire Boden", "ICB", "SCC clinical lead", "0113 496 0203", "claire.boden"),
    ("Site manager on duty", "RX1", "Clinical site manager (bleep holder)", "0113 496 0311", "site.rx1"),
    ("Site manager on duty", "RFS", "Clinical site manager (bleep holder)", "0113 496 0312", "site.rfs"),
    ("Site manager on duty", "RK5", "Clinical site manager (bleep holder)", "0113 496 0313", "site.rk5"),
    ("Site manager on duty", "RTG", "Clinical site manager (bleep holder)", "0113 496 0314", "site.rtg"),
    ("Site manager on duty", "RWD", "Clinical site manager (bleep holder)", "0113 496 0315", "site.rwd"),
    ("Tactical commander", "RX9", "Ambulance service tactical commander", "0113 496 0401", "tactical.rx9"),
    ("Bed bureau", "RXM", "Mental health bed management", "0113 496 0402", "beds.rxm"),
    ("Duty co-ordinator", "Adult critical care network", "Critical care transfers and capacity", "0113 496 0403",
     "cc.network"),
    ("SPOC mailbox", "ICB", "Single point of contact (shared mailbox)", "", "scc.spoc"),
)
ICB = "Demo ICB (fictional)"
DIRECTORS = tuple(p[0] for p in PEOPLE if p[2].startswith(DIRECTOR_ROTA))
ROOM_LEADS = tuple(p[0] for p in PEOPLE if p[2] == ROOM_LEAD_ROTA)


@dataclass(frozen=True)
class Seeded:
    contacts: int = 0
    shifts: int = 0
    transfers: int = 0
    decisions: int = 0
    actions: int = 0
    gap: tuple[datetime, datetime] | None = None   # the hole left in the Director on-call rota

    def summary(self) -> str:
        return (f"{self.contacts} contacts, {self.shifts} on-call shifts, {self.transfers} transfers, "
                f"{self.decisions} decisions, {self.actions} actions")


@dataclass(frozen=True)
class Picture:
    """What the seeded records talk about, read from the replica so they match what it shows."""

    system_level: int | None = None
    critical_care: tuple[str, str] = ("RFS", "Chesterfield Royal Hospital")   # worst CRITCON: code, name
    critcon: str = "no critical care bed free"
    delays: tuple[str, str] = ("RWD", "United Lincolnshire Hospitals")         # most hours lost today
    hours_lost: float | None = None


def picture(store, now: datetime) -> Picture:
    """The system level, the acute unit with the worst CRITCON and the hospital losing most hours
    to handover delays today, through the door (the demo's defaults where the replica has none)."""
    found = {}
    page = overview.overview_page(store, now)
    if page.system is not None:
        found["system_level"] = page.system.shown_level
    units = critical_care.critcon_page(store, now, now - timedelta(hours=1)).lines
    if units:
        worst = max(units, key=lambda u: (u.level, -(u.available_beds or 0)))
        free = worst.available_beds
        beds = ("" if free is None else f", {free} staffed bed{'' if free == 1 else 's'} free" if free >= 0
                else f", {-free} over staffed capacity")
        found["critical_care"] = (worst.org_code, worst.name)
        found["critcon"] = f"CRITCON {worst.level}{beds}"
    board = offload.offload_page(store, now, now, load_handover()).board
    if board:
        worst_delays = max(board, key=lambda h: h.today.hours_lost)
        found["delays"] = (worst_delays.hospital_code, worst_delays.name)
        found["hours_lost"] = worst_delays.today.hours_lost
    return Picture(**found)


def seed_room(store, engine) -> Seeded | None:
    """Sync the history in first (the decisions' snapshots record that picture), then seed the
    room unless someone has written in it already (None then)."""
    engine.run_once()
    now = utcnow()
    if not room_is_empty(store, now):
        return None
    done = seed(store, now)
    log.info("demo: wrote the room's records (%s)", done.summary())
    return done


def room_is_empty(store, now: datetime) -> bool:
    """No contact and no decision yet: a demo room nobody (and no earlier seed) has written in."""
    page = contacts_door.contacts_page(store, now)
    return not page.index.search("", limit=None) and decision_log.log_page(store).total == 0


def seed(store, now: datetime) -> Seeded:
    """Write the demo room's records as of ``now`` (aware UTC).  The caller runs it once per
    folder, after a sync, so the decisions' snapshots hold the simulated picture."""
    names = dict(transfers.transfers_page(store, now).organisations)
    seen = picture(store, now)
    people = _contacts(store, names)
    shifts, gap, schedule = _rota(store, people, now)
    cases = _transfers(store, now, seen)
    decisions, actions = _decisions(store, now, schedule)
    return Seeded(len(people), shifts, cases, decisions, actions, gap)


def _contacts(store, names: dict[str, str]) -> dict[str, str]:
    """Each person's contact UUID by name (the site managers by ODS code)."""
    uuids = {}
    for name, org, role, phone, mail in PEOPLE:
        code = org if org in names else None
        organisation = names[org] if code else ICB if org == "ICB" else org
        fields = {"name": name, "organisation": organisation, "org_code": code, "role": role,
                  "service": "SCC" if org == "ICB" else "", "phone": phone or None,
                  "email": f"{mail}@example.org", "cover": "both", "notes": NOTE}
        uuids[code or name] = contacts_door.save_contact(store, ROOM_LEAD, None, fields).uuid
    return uuids


def _uk(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UK).astimezone(timezone.utc)


Schedule = list[tuple[str, str, datetime, datetime]]   # (rota, person, start, end) as written


def on_call(schedule: Schedule, rota_name: str, at: datetime) -> str | None:
    """Who the seeded rota has on ``rota_name`` at ``at`` (None: nobody, the gap)."""
    return next((person for name, person, start, end in schedule if name == rota_name and start <= at < end), None)


def _rota(store, people: dict[str, str], now: datetime) -> tuple[int, tuple[datetime, datetime], Schedule]:
    """Day (08:00-20:00) and night (20:00-08:00) shifts, UK time, from yesterday for a week, for the
    Director on-call and the SCC room lead.  One Director night ends at 02:00 with nobody after:
    the first night whose 02:00 is still to come, so someone is on call now and the hole is in
    the next 24 hours.  Returns the shifts written, the gap and the schedule."""
    today = now.astimezone(UK).date()
    added = 0
    gap = None
    schedule: Schedule = []
    for n in range(-1, ROTA_DAYS):
        day = today + timedelta(days=n)
        for half, (start, end) in enumerate(((_uk(day, 8), _uk(day, 20)),
                                             (_uk(day, 20), _uk(day + timedelta(days=1), 8)))):
            slot = 2 * (n + 1) + half
            director_end = end
            if half == 1 and gap is None and _uk(day + timedelta(days=1), 2) > now:
                director_end = _uk(day + timedelta(days=1), 2)
                gap = (director_end, end)
            for rota_name, person, until in ((DIRECTOR_ROTA, DIRECTORS[slot % len(DIRECTORS)], director_end),
                                             (ROOM_LEAD_ROTA, ROOM_LEADS[slot % len(ROOM_LEADS)], end)):
                done = rota.add_shift(store, rota.NewShift(rota_name, people[person], start, until), ROOM_LEAD)
                added += done.applied
                schedule.append((rota_name, person, start, until))
    return added, gap, schedule


def _transfers(store, now: datetime, seen: Picture) -> int:
    """Five cases: one past its threshold, one close to it, one under way, two done."""
    cases = (
        # Emergency inter-hospital: accept within 30 minutes; 75 minutes and still no receiving unit.
        (transfers.NewTransfer(f"{seen.critical_care[0]}-CC-0412", "inter_hospital", seen.critical_care[0], "",
                               "emergency", f"Level 3 critical care bed; sending unit at {seen.critcon}",
                               "Dr Claire Boden", "Network asked for mutual aid; two units declined"), 75, ()),
        # Urgent out of area: accept within 4 hours, approaching from 3.
        (transfers.NewTransfer("DHC-MH-0077", "mh_out_of_area", "RXM", "", "urgent",
                               "Adult acute mental health bed; patient in ED for 14 hours", "Bed bureau"),
         200, ()),
        (transfers.NewTransfer("NUH-STR-118", "inter_hospital", "RX1", "RTG", "urgent",
                               "Stroke unit bed after thrombectomy, closer to home", "Ravi Desai"),
         50, (("accepted", 20),)),
        (transfers.NewTransfer("ULH-REP-2231", "repatriation", "RX1", "RWD", "routine",
                               "Repatriation after major trauma care; medically optimised", ROOM_LEAD),
         300, (("accepted", 240), ("departed", 40))),
        (transfers.NewTransfer("SFH-IH-0930", "intra_hospital", "RK5", "RK5", "urgent",
                               "Move to the respiratory support unit", "Site manager on duty"),
         200, (("accepted", 180), ("departed", 160), ("arrived", 140))),
    )
    for new, waited, steps in cases:
        uid = transfers.open_case(store, new, ROOM_LEAD, at=now - timedelta(minutes=waited)).uuid
        for status, ago in steps:
            transfers.step(store, uid, status, ROOM_LEAD, now - timedelta(minutes=ago))
    return len(cases)


def _decisions(store, now: datetime, schedule: Schedule) -> tuple[int, int]:
    """Three decisions of the morning with their actions: one action done, one overdue.  Each is
    signed by whoever the seeded rota has on call at its time (the room lead on call, in the rota's
    gap) and says what the picture showed at its time."""
    def ago(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    def director(at: datetime) -> tuple[str, str]:
        person = on_call(schedule, DIRECTOR_ROTA, at)
        if person is not None:
            return person, DIRECTOR_ROTA
        return on_call(schedule, ROOM_LEAD_ROTA, at) or ROOM_LEAD, ROOM_LEAD_ROTA

    first, second, third = (picture(store, ago(minutes)) for minutes in (140, 70, 25))
    level = f"OPEL {first.system_level}" if first.system_level else "rising pressure"
    # Twice-daily system calls are an escalation: the decision fits the level the picture shows.
    high = first.system_level is None or first.system_level >= 3
    calls = (f"Stand up twice-daily system calls (08:30 and 15:00) while the system is at {level}" if high else
             f"Keep one daily system call (08:30) while the system is at {level}; go to twice daily at OPEL 3")
    options = "Hold at one daily call; hourly calls" if high else "Twice-daily calls now; no call until OPEL 3"
    next_call = "the 15:00 call" if high else "tomorrow's 08:30 call"
    (cc_code, cc_name), (site, site_name) = second.critical_care, third.delays
    lost = "" if third.hours_lost is None else f"{third.hours_lost:.1f} hours lost to handover delays since midnight; "
    receiving = "RX1" if cc_code != "RX1" else "RTG"
    entries = (   # (decision, its actions, how many of the first are done, when)
        (NewDecision(*director(ago(140)), calls, f"System at {level}; handover delays building at {first.delays[1]}",
                     ROOM_LEAD, ago(140), options_considered=options,
                     review_at=now + timedelta(hours=6)),
         (NewAction("Send the system call invitation to every provider's site team", ROOM_LEAD, ago(110)),
          NewAction(f"Ask each acute trust for its discharge plan before {next_call}", "Ravi Desai",
                    now + timedelta(hours=4))), 1, ago(115)),
        (NewDecision(*director(ago(70)), f"Seek mutual aid for one Level 3 critical care bed for {cc_name}",
                     f"{cc_name} at {second.critcon}; a patient in recovery needs Level 3 care",
                     ROOM_LEAD, ago(70), links=[{"kind": "organisation", "org_code": cc_code},
                                                {"kind": "organisation", "org_code": receiving}]),
         # Due 40 minutes ago and not done: the overdue action.
         (NewAction("Confirm a receiving unit with the critical care network", "Dr Claire Boden", ago(40)),),
         0, None),
        (NewDecision("Dr Claire Boden", "SCC clinical lead", f"Ask the ambulance service to release crews at "
                     f"45 minutes at {site_name}", f"{lost}Category 2 response well over standard",
                     ROOM_LEAD, ago(25), links=[{"kind": "organisation", "org_code": site},
                                                {"kind": "organisation", "org_code": "RX9"}]),
         (NewAction(f"Agree a cohorting area with the {site} site manager", "Tactical commander",
                    now + timedelta(minutes=45)),), 0, None),
    )
    actions = 0
    for new, todo, done, done_at in entries:
        outcome = record_decision(store, new, list(todo))   # with its automatic snapshot
        actions += len(outcome.uuids)
        for uid in outcome.uuids[:done]:
            complete_action(store, uid, ROOM_LEAD, done_at)
    return len(entries), actions
