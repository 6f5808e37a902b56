"""What escalation needs to know about the room, read from the hub's own feed.

The feed is the one place that holds all of it, in the order every desktop applies it:

- alerts: items of kind ``alert`` (``sync.protocol.FeedAlert``: ``change`` raised or cleared,
  ``alert_uuid``, ``rule_id``, ``rule_name``, ``severity``, ``org_code``, ``at``,
  ``escalate_after_minutes``, ``detail``), put there by the hub's rule engine;
- acknowledgements: ``alert_ack`` records (``alert_uuid``, ``acknowledged_at``); the earliest counts;
- the directory: ``contact`` records (``contact_uuid`` and per-field ``changes``), folded in feed
  order, per field the edit the hub received last winning, exactly as each desktop merges them (an
  edit after a deletion that did not set ``deleted`` puts the contact back, as on the desktops);
- the rota: ``on_call_shift`` records (``create`` with the slot, ``cancel`` with ``shift_uuid``);
- the room's rule edits: ``alert_rule`` records.  An add or edit sets the escalation minutes of the
  rule's open alerts (a raise carries its rule's minutes of that moment): the room that cuts OPEL 4's
  time from 60 minutes to 5 with one open wants it told now, not an hour on.  Counted from the raise.

:class:`RoomReader` reads only what is new since its last read (feed positions are gap-free and
commit in order, so nothing is missed); the first read goes through the whole feed once.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, select

from models.records.contacts.fields import FIELDS as CONTACT_FIELDS
from models.rules.alert_rules import fold_rule_record
from models.rules.escalation import OpenAlert, Person, Shift
from sync.hub import schema as s
from sync.hub.read_bound import NotInTime

log = logging.getLogger("sync.hub")
_RECORD_KINDS = ("contact", "on_call_shift", "alert_ack", "alert_rule")
_CHUNK = 500


@dataclass
class Room:
    open_alerts: dict[str, OpenAlert] = field(default_factory=dict)   # raised and not cleared
    cleared: set[str] = field(default_factory=set)                     # ids seen cleared
    acknowledged: dict[str, datetime] = field(default_factory=dict)    # alert id -> earliest ack
    people: dict[str, Person] = field(default_factory=dict)
    shifts: dict[str, Shift] = field(default_factory=dict)
    values: dict[str, tuple] = field(default_factory=dict)   # open alert id -> (value, threshold): a page says them

    def copy(self) -> Room:
        """A copy another thread's refresh does not change under its reader (the containers; their items are
        not changed in place)."""
        return Room(dict(self.open_alerts), set(self.cleared), dict(self.acknowledged), dict(self.people),
                    dict(self.shifts), dict(self.values))

    def alerts(self) -> list[OpenAlert]:
        """Open alerts with their acknowledgement (an ack may arrive before or after its alert)."""
        out = []
        for a in self.open_alerts.values():
            acked = self.acknowledged.get(a.id)
            out.append(a if acked is None else dataclasses.replace(a, acknowledged_at=acked))
        return out


@dataclass
class _Run:
    """The unacknowledged raises of one rule and subject, each within the rule's escalation minutes of
    the clear before it: a flapping alert.  Each raise cleared before its own minutes ran out, so
    OPEL 4 coming and going all night emailed nobody; the run is due from its first raise, and
    escalated once."""

    since: datetime
    reached: datetime | None
    after: float | None
    last_clear: datetime | None = None   # the hub's time its latest alert cleared
    acknowledged: bool = False
    ids: list[str] = field(default_factory=list)   # its alerts, in order

    def goes_on(self, at: datetime, after: float | None) -> bool:
        """A raise at ``at`` (the hub's time) continues this run."""
        return (not self.acknowledged and self.last_clear is not None and after is not None
                and after == self.after and at - self.last_clear <= timedelta(minutes=after))


class RoomReader:
    """The room as of the hub's committed head, kept up to date incrementally.  One per hub process
    (``Hub.room_reader``) serves both escalation channels (the e-mail check and the pager) and ``/m/``'s board,
    each on threads of its own: a refresh holds a lock and returns a copy of the room, so one reader's refresh
    never changes what another is reading, and the feed is replayed once at the hub's start, not once per
    reader (session 29: the board kept a third)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.cursor = 0
        self.room = Room()
        self._contacts: dict[str, dict] = {}
        self._runs: dict[tuple[str, str], _Run] = {}   # (rule, "scope:subject") -> its latest run
        self._run_of: dict[str, _Run] = {}             # alert id -> the run it is in

    def refresh(self, db) -> Room:
        """The room as of the committed head now (a copy: see the class)."""
        return self.read(db)[0]

    def read(self, db) -> tuple[Room, int]:
        """The room as of the committed head now (a copy) and the feed position it is as of, taken together under
        the lock (another thread's refresh may move :attr:`cursor` past the copy the moment it is released).
        A ``db`` with a ``deadline`` (``sync.hub.read_bound.Bounded``: ``/m/``'s board) waits for the lock at most
        until then, and raises ``read_bound.NotInTime`` if another refresh still holds it."""
        deadline = getattr(db, "deadline", None)
        if deadline is None:
            self.lock.acquire()
        elif not self.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise NotInTime("another refresh of the room (the escalation check's, or the pager's) held it past "
                            "the deadline")
        try:
            self._refresh(db)
            return self.room.copy(), self.cursor
        finally:
            self.lock.release()

    def _refresh(self, db) -> None:
        with db.read() as conn:
            head = db.head(conn)
            if head < self.cursor:   # another database behind the same URL: start again
                self._reset()
            window = and_(s.feed.c.seq > self.cursor, s.feed.c.seq <= head)
            rows = [(seq, "alert", (text, created)) for seq, text, created in conn.execute(
                select(s.feed.c.seq, s.feed.c.data, s.feed.c.created_at).where(window, s.feed.c.kind == "alert"))]
            seqs = conn.execute(select(s.record.c.seq).where(
                s.record.c.seq > self.cursor, s.record.c.seq <= head,
                s.record.c.kind.in_(_RECORD_KINDS))).scalars().all()
            for i in range(0, len(seqs), _CHUNK):
                rows += [(seq, "record", text) for seq, text in conn.execute(
                    select(s.feed.c.seq, s.feed.c.data).where(s.feed.c.seq.in_(seqs[i:i + _CHUNK])))]
        for seq, kind, text in sorted(rows, key=lambda r: r[0]):
            try:
                if kind == "alert":
                    self._alert(json.loads(text[0]), text[1])
                else:
                    self._record(json.loads(text))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                # Stored by this hub, so well-formed; one odd item must still not stop escalation.
                log.warning("escalation: feed item %s not understood (%s); skipped", seq, exc)
        self.cursor = head

    def _alert(self, d: dict, created=None) -> None:
        uid, reached = d["alert_uuid"], _reached(created)
        if d["change"] == "cleared":
            self.room.open_alerts.pop(uid, None)
            self.room.values.pop(uid, None)
            self.room.cleared.add(uid)
            run = self._run_of.get(uid)
            if run is not None:
                run.last_clear = reached or _time(d["at"])
            return
        at = _time(d["at"])
        after = d.get("escalate_after_minutes")
        after = None if after is None else float(after)
        key = (d["rule_id"], f"{d.get('scope')}:{d.get('subject')}")
        run = self._runs.get(key)
        if uid in self._run_of:   # the same raise again
            run = self._run_of[uid]
        elif run is not None and run.goes_on(reached or at, after):
            run.ids.append(uid)
        else:
            run = self._runs[key] = _Run(at, reached, after, ids=[uid])
        self._run_of[uid] = run
        earlier = tuple(run.ids[:run.ids.index(uid)])
        self.room.values[uid] = (d.get("value"), d.get("threshold"))
        self.room.open_alerts[uid] = OpenAlert(
            uid, d["rule_id"], d.get("org_code"), at, None, after, d.get("severity") or "warning",
            d.get("detail") or "", d.get("rule_name") or d["rule_id"], reached,
            run.since if earlier else None, run.reached if earlier else None, len(earlier) + 1, earlier,
            d.get("metric") or None)

    def _record(self, rec: dict) -> None:
        kind, d = rec["kind"], rec["data"]
        if kind == "alert_rule":
            self._rule_edited(d)
        elif kind == "alert_ack":
            uid, at = d["alert_uuid"], _time(d["acknowledged_at"])
            if uid not in self.room.acknowledged or at < self.room.acknowledged[uid]:
                self.room.acknowledged[uid] = at
            if uid in self._run_of:   # the room has seen it: the next raise has its own minutes
                self._run_of[uid].acknowledged = True
        elif kind == "on_call_shift":
            if d["op"] == "cancel":
                self.room.shifts.pop(d["shift_uuid"], None)
            elif d["shift_uuid"] not in self.room.shifts:   # created once per slot, as on a desktop
                self.room.shifts[d["shift_uuid"]] = Shift(d["shift_uuid"], d["rota"], d["contact_uuid"],
                                                          _time(d["starts_at"]), _time(d["ends_at"]))
        elif kind == "contact":
            uid = d["contact_uuid"]
            fields = self._contacts.setdefault(uid, {})
            changes = {k: v for k, v in (d.get("changes") or {}).items() if isinstance(v, dict)}
            if fields.get("deleted") and "deleted" not in changes and any(k in CONTACT_FIELDS for k in changes):
                # Edited by someone who had not seen the deletion: back in the directory, as every desktop
                # applies it (sync.apply_records._contact), so the person on call is emailed, not the fallback.
                fields["deleted"] = False
            for name, change in changes.items():
                fields[name] = change.get("new")
            if fields.get("name"):
                self.room.people[uid] = Person(uid, str(fields["name"]), fields.get("email") or None,
                                               bool(fields.get("deleted")), str(fields.get("phone") or "") or None)


    def _rule_edited(self, d: dict) -> None:
        """The rule's open alerts (and their runs) take an added or edited rule's escalation minutes."""
        if d.get("op") not in ("add", "edit"):
            return
        after = float(fold_rule_record(None, d)["rule"]["escalate_after_minutes"])   # checked at the door
        rule_id = d["rule_id"]
        for uid, a in list(self.room.open_alerts.items()):
            if a.rule_id == rule_id and a.escalate_after_minutes != after:
                self.room.open_alerts[uid] = dataclasses.replace(a, escalate_after_minutes=after)
        for (rid, _), run in self._runs.items():
            if rid == rule_id:
                run.after = after


def _reached(created) -> datetime | None:
    """The feed row's time (the hub's clock when it wrote the raise)."""
    if created is None:
        return None
    value = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
    return value if value.utcoffset() is not None else value.replace(tzinfo=timezone.utc)


def _time(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


def open_alerts_for_escalation(hub_db) -> list[OpenAlert]:
    """Every alert the hub's rule engine raised and has not cleared, each with its earliest
    acknowledgement (None while unacknowledged), read from the feed of ``hub_db`` (a
    :class:`sync.hub.db.HubDB`).  The hub's escalation keeps a :class:`RoomReader` instead, which
    reads only what is new on each check."""
    return RoomReader().refresh(hub_db).alerts()
