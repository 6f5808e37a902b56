"""The hub evaluates the alert rules where the data is, and puts alerts on the feed (kind "alert").

Every write transaction that puts items on the feed (a submission, its OPEL roll-ups, a desktop's
records) is shown to :meth:`HubAlerts.observe` before it commits: the items become signals
(``models.rules.alert_signals``), the engine (``models.rules.alert_engine``) turns them into raises
and clears, and those go on the feed in the same transaction, with the engine's state saved in
``alert_state``.  So a hub that stops at any point has either the data, the alerts and the state
together or none of them: a restart neither loses nor repeats an alert, on SQLite or PostgreSQL,
with one process or several (the transaction holds the feed lock).

A clock (:func:`run_clock`, started with the app) evaluates what time alone changes: data late
against its rule, an ambulance still waiting, a new day.

**The room's rules** (record kind ``alert_rule``) are folded into the state (section ``rules``) in
the transaction that stores the record, in feed order, over the base set (the shipped defaults or
``hub serve --alert-rules FILE``): every process on the database, and a restarted one, evaluates
the same rules from the next transaction on.  An edited threshold judges data arriving after it
(an open alert stays open and clears by the new ``clear``); an edit that changes what the rule
watches (kind, scope, metric, direction, organisations), and a disable, clear the rule's open
alerts at once (its transfer alerts too), with a sentence saying so: nothing would ever clear them
otherwise, and a room that switched a rule off does not want its alerts left on every banner.

**Snooze** (``alert_ack.snooze_minutes``): an acknowledgement may snooze its rule and subject for
up to a day from the time it was made (section ``snooze``).  A re-raise inside that time is still
raised (the room sees it happened, in the alert centre and its history) but comes already
acknowledged: the hub puts an ``alert_ack`` record on the feed right after it, in the name of who
snoozed it, so no banner nags, escalation emails nobody, and every desktop shows the same.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import uuid as uuidlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, String, Table, Text, bindparam, delete, insert, select, update
from starlette.concurrency import run_in_threadpool

from models.author import MAX_CHARS
from models.rules import alert_signals, transfer_alerts
from models.rules.alert_engine import NAMESPACE, AlertChange, evaluate, uk_clock
from models.rules.alert_rules import Rule, default_rules, effective_rules, fold_rule_record, read_rules_file
from models import record_signer
from sync.protocol import HUB_DEVICE
from sync.hub import schema as s
from sync.hub.db import Writer, dumps

log = logging.getLogger("sync.hub")
TICK_ENV = "SCC_HUB_ALERT_TICK_SECONDS"
_SNOOZED = " (snoozed)"   # after who snoozed, in the hub's acknowledgement of a re-raise
DEFAULT_TICK_SECONDS = 30.0

# On the hub's metadata, so init_schema creates it beside the rest (a new table only: the
# schema version does not change, and an older hub simply leaves it alone).  One row per entry
# of the state ("subjects|<rule>|<scope>:<subject>", "seen|...", "waiting|<hospital>", ...) so a
# submission rewrites only the few entries it changed, and "version|" counts the writes.
alert_state = Table(
    "alert_state", s.metadata,
    Column("key", String(200), primary_key=True),
    Column("data", Text, nullable=False),   # JSON
)
_VERSION = "version|"
_ENGINE = ("subjects", "seen")
_SIGNALS = ("waiting", "lost", "c2", "ended", "heard", "clock")   # clock: the hub's last outage
_TRANSFERS = ("transfers", "transfers_meta")   # open cases' events and alerts (models.rules.transfer_alerts)
_ROOM = ("rules", "snooze")   # the room's rule records, folded; snoozes by "<rule>|<scope>:<subject>"
_ROOM_KINDS = ("alert_rule", "alert_ack")
_TRANSFER_KIND = "transfer_event"
_CHUNK = 500
SNOOZE_KEPT = timedelta(days=1)   # an ended snooze is kept this long for data arriving late


class HubAlerts:
    def __init__(self, rules: Sequence[Rule], evaluating: bool = True) -> None:
        self.base = list(rules)
        # False (``--no-alerts``): no rule is evaluated, but the room's rule records are still
        # folded in, so turning alerts on later starts from the room's rules.
        self.evaluating = evaluating
        # The state as last written by this process, with the version it wrote: reused while no
        # other process has written since (checked in each transaction, under the feed lock).
        self._version: str | None = None
        self._sections: dict[str, dict[str, Any]] = {}
        self._effective: tuple[Any, list[Rule]] = (None, effective_rules(self.base, {}))

    @classmethod
    def from_file(cls, path: Path | None) -> HubAlerts:
        return cls(read_rules_file(path) if path is not None else default_rules())

    @classmethod
    def off(cls) -> HubAlerts:
        return cls([], evaluating=False)

    @property
    def rules(self) -> list[Rule]:
        """The rules as this process last saw them (the base until a transaction has run)."""
        return self._effective[1]

    @property
    def enabled(self) -> bool:
        return self.evaluating and any(r.enabled for r in self.rules)

    def _rules_for(self, sections: dict[str, dict[str, Any]]) -> list[Rule]:
        room = sections["rules"]
        if self._effective[0] is not room:   # a new dict whenever a rule record changes it
            self._effective = (room, effective_rules(self.base, room))
        return self._effective[1]

    def observe(self, w: Writer) -> None:
        """Evaluate the items of this write transaction; put the alerts on the feed with them."""
        items = [(kind, data) for kind, data in w.items if kind in alert_signals.WATCHED]
        room = [data for kind, data in w.items if kind == "record" and data.get("kind") in _ROOM_KINDS]
        moves = [data for kind, data in w.items if kind == "record" and data.get("kind") == _TRANSFER_KIND]
        if room:
            self._room_records(w, room)
        if self.evaluating and (items or moves):   # other records, organisations: nothing to judge
            self._evaluate(w, items, clock=False, moves=moves)

    def tick(self, db) -> int:
        """Evaluate the clock alone (late data, waiting ambulances); returns alerts put on the feed."""
        if not self.evaluating:
            return 0
        with db.write() as w:
            self._evaluate(w, [], clock=True)
            return w.emitted

    def _evaluate(self, w: Writer, items: list, clock: bool, moves: list | None = None) -> None:
        sections = self._load(w.conn)
        rules = self._rules_for(sections)
        enabled = any(r.enabled for r in rules)
        # With every rule disabled an open transfer alert is still cleared (it was left open for good).
        if not enabled and not any(e.get("open") for e in sections["transfers"].values()):
            return
        transfers, changes = self._transfers(w, sections, rules, clock, moves or [])
        engine = {name: sections[name] for name in _ENGINE}
        signal_state = {name: sections[name] for name in _SIGNALS}
        if enabled and (items or clock):   # a transaction of transfer events alone has nothing for the engine
            sigs, signal_state = alert_signals.signals(items, signal_state, w.now, _outage())
            out = evaluate(rules, engine, sigs, w.now, clock=clock)
            engine, changes = out.state, out.changes + changes
        snooze = sections["snooze"]
        if snooze and any(datetime.fromisoformat(h["until"]) < w.now - SNOOZE_KEPT for h in snooze.values()):
            snooze = {k: h for k, h in snooze.items() if datetime.fromisoformat(h["until"]) >= w.now - SNOOZE_KEPT}
        for change in changes:
            w.emit("alert", _fed(change, w), change.org_code)
            held = snooze.get(f"{change.rule_id}|{change.scope}:{change.subject}") if snooze else None
            if change.change == "raised" and held and change.at < datetime.fromisoformat(held["until"]):
                _snoozed_ack(w, change, held)
        self._save(w.conn, {**sections, "snooze": snooze, **{n: engine[n] for n in _ENGINE},
                            **{n: signal_state[n] for n in _SIGNALS}, **transfers})

    def _transfers(self, w: Writer, sections: dict[str, dict[str, Any]], rules: list[Rule], clock: bool,
                   moves: list[dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[AlertChange]]:
        """Fold this transaction's transfer events, then raise and clear the breached-transfer alerts of the
        cases they touched (the clock: of every case due a look); the sections as they are after, and the
        alerts to put on the feed."""
        cases, meta = sections["transfers"], sections["transfers_meta"]
        if not transfer_alerts.rules_watching(rules) and not any(e.get("open") for e in cases.values()):
            # Nothing watches transfers: their events are read from the feed again once a rule does.
            return ({"transfers_meta": {}} if meta else {}), []
        cases = dict(cases)
        if not meta.get("read"):   # a hub upgraded with cases on its feed, or a rule enabled again
            touched = transfer_alerts.add_events(cases, _feed_transfer_events(w.conn) + moves)
            meta = {**meta, "read": transfer_alerts.utc_text(w.now)}
        else:
            touched = transfer_alerts.add_events(cases, moves) if moves else set()
        if not clock and not touched:
            return {}, []
        judged = transfer_alerts.judge(cases, touched, rules, w.now, clock=clock)
        return {"transfers": judged.cases, "transfers_meta": meta}, judged.changes

    def _room_records(self, w: Writer, records: list[dict[str, Any]]) -> None:
        """Fold the room's rule records and snoozes into the state, in feed order; clear the open
        alerts of a rule disabled or changed in what it watches."""
        sections = self._load(w.conn)
        before = {r.id: r for r in self._rules_for(sections)}
        room, snooze = dict(sections["rules"]), dict(sections["snooze"])
        subjects = sections["subjects"]
        for rec in records:
            d = rec["data"]
            if rec["kind"] == "alert_rule":
                room[d["rule_id"]] = fold_rule_record(room.get(d["rule_id"]), d)
            elif d.get("snooze_minutes"):
                # Who snoozed, as every desktop shows the acknowledgement: the token's user first when the
                # name signed differs; cut to leave room for " (snoozed)" in the re-raise's acknowledgement.
                by = record_signer.shown(d["acknowledged_by"], rec.get("author"), rec.get("device_id"),
                                         limit=MAX_CHARS - len(_SNOOZED))
                _snooze(snooze, subjects, d, by or d["acknowledged_by"])
        if room == sections["rules"] and snooze == sections["snooze"]:
            return
        after = {r.id: r for r in effective_rules(self.base, room)}
        subjects = dict(subjects)
        # Who changed the rule as every desktop names it: the token's user first when the name signed differs.
        author = {rec["data"]["rule_id"]: record_signer.shown(rec["data"]["author"], rec.get("author"),
                                                              rec.get("device_id")) or rec["data"]["author"]
                  for rec in records if rec["kind"] == "alert_rule"}
        for rid, old in before.items():
            new = after.get(rid)
            if old.enabled and (new is None or not new.enabled or _watches(old) != _watches(new)):
                why = "was disabled" if new is None or not new.enabled else "now watches something else"
                for key in [k for k in subjects if k.startswith(rid + "|")]:
                    entry = subjects.pop(key)
                    if entry.get("open") and self.evaluating:
                        change = _cleared_by_room(old, key, entry, w.now, f"{why} by {author.get(rid, 'the room')}")
                        w.emit("alert", _fed(change, w), change.org_code)
        transfers = self._transfers_unwatched(w, sections, list(after.values())) if self.evaluating else {}
        self._save(w.conn, {**sections, "rules": room, "snooze": snooze, "subjects": subjects, **transfers})

    @staticmethod
    def _transfers_unwatched(w: Writer, sections: dict[str, dict[str, Any]], rules: list[Rule]) -> dict[str, Any]:
        """The open transfer alerts of a rule that no longer watches transfers (disabled, or edited to watch
        something else), cleared in the transaction that changed it, as the rule's other alerts are (they
        waited for the alert clock's next tick, up to 30 s)."""
        live = {r.id for r in transfer_alerts.rules_watching(rules)}
        cases = sections["transfers"]
        gone = [tid for tid, e in cases.items() if any(rid not in live for rid in (e.get("open") or {}))]
        if not gone:
            return {}
        judged = transfer_alerts.judge(cases, gone, rules, w.now)
        for change in judged.changes:
            w.emit("alert", _fed(change, w), change.org_code)
        return {"transfers": judged.cases}

    def _load(self, conn) -> dict[str, dict[str, Any]]:
        version = conn.execute(select(alert_state.c.data).where(alert_state.c.key == _VERSION)).scalar()
        if version is None or version != self._version:
            sections: dict[str, dict[str, Any]] = {n: {} for n in _ENGINE + _SIGNALS + _ROOM + _TRANSFERS}
            for key, data in conn.execute(select(alert_state.c.key, alert_state.c.data)
                                          .where(alert_state.c.key != _VERSION)):
                section, _, name = key.partition("|")
                if section in sections:
                    sections[section][name] = json.loads(data)
            self._version, self._sections = version, sections
        return self._sections

    def _save(self, conn, sections: dict[str, dict[str, Any]]) -> None:
        changed, gone = [], []
        for section, new in sections.items():
            old = self._sections.get(section, {})
            for name, value in new.items():
                before = old.get(name)
                if before is not value and before != value:
                    changed.append((f"{section}|{name}", dumps(value), name in old))
            gone += [f"{section}|{name}" for name in old if name not in new]
        # Random, not a count: a process whose commit failed must not match another's next write.
        version = secrets.token_hex(8)
        updates = [{"k": key, "d": data} for key, data, exists in changed if exists]
        inserts = [{"key": key, "data": data} for key, data, exists in changed if not exists]
        if self._version is not None:
            updates.append({"k": _VERSION, "d": version})
        else:
            inserts.append({"key": _VERSION, "data": version})
        # executemany: one statement for each kind of write, however many entries changed.
        if updates:
            conn.execute(update(alert_state).where(alert_state.c.key == bindparam("k"))
                         .values(data=bindparam("d")), updates)
        if inserts:
            conn.execute(insert(alert_state), inserts)
        if gone:
            conn.execute(delete(alert_state).where(alert_state.c.key.in_(gone)))
        # Taken as this process's view only once the transaction commits (sync.hub.db.HubDB.write
        # runs observers just before its commit; a failed commit leaves a stale cache that the
        # next transaction's version check throws away, since the version was not written).
        self._version, self._sections = version, sections


def _feed_transfer_events(conn) -> list[dict[str, Any]]:
    """Every transfer event on the feed, in feed order (the hub's ``record`` items' data)."""
    seqs = conn.execute(select(s.record.c.seq).where(s.record.c.kind == _TRANSFER_KIND)
                        .order_by(s.record.c.seq)).scalars().all()
    out = []
    for i in range(0, len(seqs), _CHUNK):
        out += [json.loads(text) for text in conn.execute(
            select(s.feed.c.data).where(s.feed.c.seq.in_(seqs[i:i + _CHUNK])).order_by(s.feed.c.seq)).scalars()]
    return out


def _watches(rule: Rule) -> tuple:
    return rule.kind, rule.scope, rule.metric, rule.direction, rule.orgs


def _cleared_by_room(rule: Rule, key: str, entry: dict[str, Any], now: datetime, why: str) -> AlertChange:
    _, _, where = key.partition("|")
    scope, _, subject = where.partition(":")
    opened = entry["open"]
    last = entry.get("last")
    return AlertChange("cleared", opened["id"], rule.id, rule.name, rule.severity, rule.kind, rule.direction,
                       scope, subject, subject if scope == "provider" else None, rule.metric,
                       None if last is None else float(last), rule.raise_at, datetime.fromisoformat(opened["since"]),
                       now, rule.escalate_after_minutes, f"{rule.name}: cleared because the rule {why}."[:2000])


def _fed(change: AlertChange, w: Writer) -> dict[str, Any]:
    """The feed item's data, with when the hub put it there (``feed_at``): an alert raised from data
    that came hours late is raised at the data's time, and the room learnt of it only now."""
    return {**change.wire(), "feed_at": s.iso(w.now)}


def _snooze(snooze: dict[str, Any], subjects: dict[str, Any], d: dict[str, Any], by: str) -> None:
    """Hold re-raises of the acknowledged alert's rule and subject until ``acknowledged_at`` plus the snooze;
    ``by`` is who snoozed as the desktops show the acknowledgement (``models.record_signer.shown``)."""
    key = next((k for k, e in subjects.items() if (e.get("open") or {}).get("id") == d["alert_uuid"]), None)
    if key is None and d.get("rule_code") and d.get("subject"):   # already cleared: the record names it
        key = f"{d['rule_code']}|{d['subject']}"
    if key is None:
        return
    until = datetime.fromisoformat(d["acknowledged_at"]) + timedelta(minutes=d["snooze_minutes"])
    held = snooze.get(key)
    if held is None or until > datetime.fromisoformat(held["until"]):
        snooze[key] = {"until": until.isoformat(), "by": by, "minutes": d["snooze_minutes"],
                       "alert_uuid": d["alert_uuid"], "acknowledged_at": d["acknowledged_at"]}


def _snoozed_ack(w: Writer, change: AlertChange, held: dict[str, Any]) -> None:
    """An ``alert_ack`` record from the hub for a re-raise inside a snooze, stored like a desktop's."""
    uid = str(uuidlib.uuid5(NAMESPACE, f"snooze|{change.id}"))
    if w.conn.execute(select(s.record.c.seq).where(s.record.c.uuid == uid)).scalar() is not None:
        return
    until = datetime.fromisoformat(held["until"])
    by = f"{held['by'][:MAX_CHARS - len(_SNOOZED)]}{_SNOOZED}"
    note = (f"Raised again while snoozed: {held['by']} acknowledged an earlier alert at "
            f"{uk_clock(datetime.fromisoformat(held['acknowledged_at']))} UK time and snoozed "
            f"{held['minutes']} min (until {uk_clock(until)}).")
    data = {"alert_uuid": change.id, "acknowledged_at": s.iso(change.at), "acknowledged_by": by, "note": note,
            "rule_code": change.rule_id, "org_code": change.org_code, "raised_at": s.iso(change.at),
            "detail": change.detail, "snoozed_by_ack": held["alert_uuid"]}
    seq = w.emit("record", {"uuid": uid, "kind": "alert_ack", "device_id": HUB_DEVICE, "authored_at": s.iso(w.now),
                            "data": data, "author": HUB_DEVICE, "author_role": HUB_DEVICE,
                            "received_at": s.iso(w.now)}, change.org_code)
    w.conn.execute(insert(s.record).values(uuid=uid, kind="alert_ack", device_id=HUB_DEVICE, seq=seq,
                                           received_at=w.now, author=HUB_DEVICE))


def tick_seconds() -> float:
    try:
        return max(float(os.environ.get(TICK_ENV) or DEFAULT_TICK_SECONDS), 0.05)
    except ValueError:
        return DEFAULT_TICK_SECONDS


def _outage() -> timedelta:
    """How long without an evaluation is the hub down (``alert_signals.judged_at``): ``OUTAGE``, or three
    ticks of a clock set slower than that (each tick would otherwise read as an outage)."""
    return max(alert_signals.OUTAGE, timedelta(seconds=3 * tick_seconds()))


async def run_clock(hub) -> None:
    """Tick the alerts until the hub stops; a failing tick is logged and tried again next time."""
    period = tick_seconds()
    while not hub.stopping:
        await asyncio.sleep(period)
        try:
            await run_in_threadpool(hub.alerts.tick, hub.db)
        except Exception:  # noqa: BLE001 - the database's state is reported by /health; keep ticking
            log.exception("alert clock tick failed; trying again in %.0f s", period)
