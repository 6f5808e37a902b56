"""Escalation on the hub: an alert nobody acknowledged in time is emailed to whoever is on call, once.

Each check (:meth:`Escalator.check`, run every ``check_seconds`` by :func:`run` while the hub
serves):

1. reads the room from the feed (:mod:`sync.hub.escalation_room`) and asks the pure rule
   (:func:`models.rules.escalation.due`) which alerts are due and to whom;
2. **claims** each in ``alert_escalation`` (primary key: the alert's id), insert-if-absent: of
   two hub processes on one database, or a hub before and after a restart, exactly one row and
   so one email per alert;
3. **takes** each pending row whose time has come by a conditional update of its attempt count
   (only one process wins it) and sets a lease (at least two whole attempts and a check, renewed as
   each batch is sent), so an attempt a crashed hub left unfinished is tried again after it -- a
   hub killed between the SMTP server accepting the email and the row recording it is the way an
   alert can be emailed twice;
4. sends one email per recipient (several alerts due at once come as one list, not a flood),
   with STARTTLS and the configured login (:mod:`sync.hub.smtp_sender`), no lock or transaction
   held meanwhile;
5. records the outcome: ``sent``; or, after a transient failure, the error and the next attempt
   (``retry_seconds`` doubled each time, at most ``MAX_RETRY_SECONDS`` apart), tried for as long as
   the alert is open and unacknowledged (a mail server down for an hour must not lose the OPEL 4
   that fell due in it); after ``max_attempts`` such failures to a person, the fallback address is
   emailed instead.  A permanent refusal of a person's address (``550 user unknown`` at RCPT) goes
   to the fallback address at once, saying why; a permanent fault of the set-up or the message
   (login refused, no STARTTLS, "rejected as spam") is ``failed`` at once, as it would be for any
   address.  A server that went quiet after the message (it may have it) is not tried again:
   ``failed``, and the room is told to make sure by phone.
   The first failure to each address, a change of address, and the outcome go on the feed (kind
   ``alert_escalation``, :class:`EscalationNotice`) in the same transaction, so every desktop shows
   "the email failed: ..., phone the on-call" while the hub keeps trying, then "emailed Dr Priya
   Raman at 14:32".

An alert acknowledged or cleared while its email waits for a retry is not sent (``cancelled``).
A retry after the shift has changed goes to whoever is on call now.  One batch that cannot be
sent never stops the others in the same check; a hub stopping hands back what it took and did not
send, so the next start sends it at once rather than after the lease.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.rules.escalation import OpenAlert, Recipient, due, recipient
from models.uk_time import uk_time
from sync import protocol as p
from sync.hub import schema as s
from sync.hub import attempt_lease, figures_doubt, lease_holder, mail_loop, orgs, smtp_sender
from sync.hub.escalation_config import EscalationConfig
from sync.hub.escalation_email import UNCHECKED_LATE, compose
from sync.hub.escalation_room import RoomReader

log = logging.getLogger("sync.hub")
NOTICE_KIND = "alert_escalation"
_CHUNK = 500
MAX_RETRY_SECONDS = 300.0   # while an alert stays open, its email is tried at least this often
STALLED_CHECKS = 4   # /health says a check stuck once a step has not moved for this many intervals (at least)
MAYBE_TAKEN = "may have taken it"   # smtp_sender's words for a failure after the message went


# Feed item ``alert_escalation``: the protocol's own model, so what the hub writes is what a desktop
# accepts (an SMTP error longer than the protocol carries is cut, never a quarantined notice).
EscalationNotice = p.FeedAlertEscalation


@dataclass
class CheckReport:
    claimed: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


class Escalator:
    def __init__(self, config: EscalationConfig, db, send: Callable = smtp_sender.send) -> None:
        self.config = config
        self.db = db
        self.send = send
        self.reader = RoomReader()
        self.doubt_seconds = figures_doubt.CHECK_SECONDS   # the most an email waits for its figures check
        self.holder = lease_holder.identity()   # this process, named on each attempt it takes
        self.last_check_at: datetime | None = None   # when the last check ended, for /health
        # The checks that raised in a row (each sent nothing): (since, why, how many); None once one ends.
        # /health says off from the second (sync.hub.escalation_health): one blip does not flap the rooms.
        self.failing: tuple[datetime, str, int] | None = None
        # Where the running check is, for /health: (monotonic, wall clock, what it does) when its current
        # step began; None between checks. A step that has not moved for stall_seconds is stuck, not slow.
        self.step: tuple[float, datetime, str] | None = None
        self._lock = threading.Lock()   # the queue below, between the check's thread and hand_back
        self._queue: list = []          # batches (recipient, rows) taken by the running check, not begun
        self._closed = False            # the hub is stopping: nothing more is begun
        self._swept = False             # the holder rows of finished attempts deleted once per process

    def hand_back(self) -> None:
        """The hub is stopping: the batches this process took and has not begun go back, due now, so the next
        start sends them at once (the one being sent, if any, is left to finish). Called as the check's task
        ends (:func:`run`), from the event loop: the check's thread may be held in a send, and the process may
        end before it looks at ``stopping`` again. Until session 28 only that look handed back, so where a
        process's holder cannot be told ended (no ``/proc``: Windows, macOS), they waited out the lease."""
        with self._lock:
            self._closed = True
            rest, self._queue = self._queue, []
        self._release([row for _to, batch in rest for row, _live in batch], s.utcnow())

    def _sweep_holders(self) -> None:
        """Holder rows of attempts no longer pending (left by hubs before session 28, which never deleted them:
        one row per alert ever e-mailed) are deleted; each attempt's own is deleted as it is recorded."""
        h, t = s.escalation_holder, s.alert_escalation
        with self.db.plain() as conn:
            conn.execute(delete(h).where(h.c.alert_uuid.in_(
                select(t.c.alert_uuid).where(t.c.state != "pending"))))
        self._swept = True

    @property
    def stall_seconds(self) -> float:
        """How long one step of a check may go without moving before /health says the check is stuck:
        twice the most one step may legitimately take (a batch: its figures check, ``doubt_seconds``, and
        one SMTP attempt, ``attempt_seconds``, each bounded; a step of reads or writes is bounded by the
        database's lock timeout, 30 s), plus an interval, and never under STALLED_CHECKS intervals.
        156 s with the defaults (20 s SMTP timeout, 3 s figures check, 30 s checks)."""
        return max(STALLED_CHECKS * self.config.check_seconds,
                   2 * (self.config.smtp.attempt_seconds + self.doubt_seconds) + self.config.check_seconds)

    def _at(self, what: str) -> None:
        self.step = (time.monotonic(), s.utcnow(), what)

    def check(self, now: datetime | None = None, stopping: Callable[[], bool] = lambda: False) -> CheckReport:
        """One check (:meth:`_check`); one that raises is remembered for /health, then raised as before."""
        try:
            report = self._check(now, stopping)
        except Exception as exc:
            since, _why, n = self.failing or (s.utcnow(), "", 0)
            self.failing = (since, f"{type(exc).__name__}: {exc}"[:300], n + 1)
            raise
        finally:
            self.step = None
        self.failing = None
        return report

    def _check(self, now: datetime | None, stopping: Callable[[], bool]) -> CheckReport:
        real = now is None   # tests pass their own clock; then every time recorded is theirs
        now = now or s.utcnow()
        report = CheckReport()
        self._at("reading the alerts open and the rota")
        room = self.reader.refresh(self.db)
        alerts = {a.id: a for a in room.alerts()}
        with self.db.read() as conn:
            escalated = self._known(conn, list(alerts))
            escalated |= self._told(conn, sorted({r for a in alerts.values() for r in a.run_ids}))
        found = due(alerts.values(), escalated, room.shifts.values(), room.people, self.config.policy, now)
        self._at("claiming the alerts due")
        if found:
            report.claimed = self._claim(found, now)
        if not self._swept:
            self._sweep_holders()
        with self._lock:
            self._queue = list(self._take(alerts, room, now, report).items())
        while True:
            with self._lock:   # a batch leaves the queue before it is begun: never handed back and sent too
                if self._closed or not self._queue or stopping():
                    rest, self._queue = self._queue, []
                    break
                to, batch = self._queue.pop(0)
            self._at(f"sending one e-mail about {len(batch)} alert{'' if len(batch) == 1 else 's'}")
            batch = self._renew(batch, now, real)   # its lease from now, not from the check's start
            if not batch:
                continue   # another process took them over meanwhile
            try:
                self._deliver(to, batch, now, report, real)
            except Exception:  # noqa: BLE001 - one batch never stops the others; its lease runs out
                log.exception("escalation: the email to %s <%s> could not be handled", to.name, to.address)
        # Stopping: handed back, so the next start sends them at once, not after the lease.
        self._release([row for _to, batch in rest for row, _live in batch], now)
        self.last_check_at = s.utcnow()   # for /health (sync.hub.escalation_health)
        return report

    def _lease(self) -> timedelta:
        """At least two whole attempts (each with its figures check) and a check: a process's lease never
        runs out while it sends."""
        return timedelta(seconds=max(self.config.lease_seconds, 2 * (self.config.smtp.attempt_seconds
                                                                     + self.doubt_seconds)
                                     + self.config.check_seconds))

    def _renew(self, batch: list, now: datetime, real: bool) -> list:
        until = (s.utcnow() if real else now) + self._lease()
        with self.db.plain() as conn:
            kept = attempt_lease.renew(conn, s.alert_escalation, [row for row, _live in batch], until)
        return [(row, live) for row, live in batch if row["alert_uuid"] in kept]

    def _release(self, rows: list[dict], now: datetime) -> None:
        if not rows:
            return
        with self.db.plain() as conn:
            attempt_lease.release(conn, s.alert_escalation, rows, now)

    @staticmethod
    def _known(conn, ids: list[str]) -> set[str]:
        known = set()
        for i in range(0, len(ids), _CHUNK):
            known |= set(conn.execute(select(s.alert_escalation.c.alert_uuid)
                                      .where(s.alert_escalation.c.alert_uuid.in_(ids[i:i + _CHUNK]))).scalars())
        return known

    @staticmethod
    def _told(conn, ids: list[str]) -> set[str]:
        """Of a flapping alert's earlier alerts, those whose email went or is going (not one cancelled
        by a clear before it left, nor one that failed: then the run has told nobody yet)."""
        told = set()
        t = s.alert_escalation
        for i in range(0, len(ids), _CHUNK):
            told |= set(conn.execute(select(t.c.alert_uuid).where(
                t.c.alert_uuid.in_(ids[i:i + _CHUNK]), t.c.state.in_(("pending", "sent")))).scalars())
        return told

    def _claim(self, found, now: datetime) -> list[str]:
        dialect = postgresql if self.db.kind == "postgresql" else sqlite
        claimed = []
        with self.db.plain() as conn:
            for e in found:
                stmt = dialect.insert(s.alert_escalation).values(
                    alert_uuid=e.alert.id, rule_id=e.alert.rule_id[:60], org_code=e.alert.org_code,
                    to_address=e.to.address, to_name=e.to.name[:200], contact_uuid=e.to.contact_uuid,
                    rota=e.to.rota[:60], fallback_reason=e.to.reason, state="pending", attempts=0,
                    next_attempt_at=now, created_at=now, attempt_log="[]", alert=json.dumps(_alert_json(e.alert)),
                ).on_conflict_do_nothing(index_elements=["alert_uuid"]).returning(s.alert_escalation.c.alert_uuid)
                if conn.execute(stmt).first() is not None:   # rowcount is not reliable here on psycopg
                    claimed.append(e.alert.id)
        return claimed

    def _take(self, alerts: dict[str, OpenAlert], room, now: datetime, report: CheckReport) -> dict:
        """Pending rows whose time has come and that this process won, by recipient; with them, any
        other row to the same address waiting for a retry (one email, not one per backoff clock)."""
        t = s.alert_escalation
        cleared = room.cleared
        with self.db.read() as conn:
            waiting = conn.execute(select(t).where(t.c.state == "pending").order_by(t.c.created_at)).mappings().all()
            orphaned = self._orphaned(conn, [r for r in waiting
                                             if r["next_attempt_at"] > now and not attempt_lease.recorded(r)])
        for r in waiting:
            if r["alert_uuid"] in orphaned:
                log.warning("escalation: the attempt %d at %s's email was taken by a hub process that has ended "
                            "(%s) and never recorded; taken over now, not at the lease's end", r["attempts"],
                            r["alert_uuid"], orphaned[r["alert_uuid"]])
        due_to = {_key(r["to_address"]) for r in waiting if r["next_attempt_at"] <= now or r["alert_uuid"] in orphaned}
        # A row in its backoff (every attempt recorded) rides along; one under another process's lease
        # (an attempt taken and not yet recorded) does not, unless that process is known dead.
        rows = [r for r in waiting if r["next_attempt_at"] <= now or r["alert_uuid"] in orphaned or (
            _key(r["to_address"]) in due_to and attempt_lease.recorded(r))]
        groups: dict[str, tuple[Recipient, list]] = {}   # by address: one email whatever each row's reason
        with self.db.plain() as conn:
            for row in rows:
                mine = (t.c.alert_uuid == row["alert_uuid"]) & (t.c.state == "pending") & (
                    t.c.attempts == row["attempts"])
                live = alerts.get(row["alert_uuid"])
                if live is None and row["alert_uuid"] not in cleared:
                    continue   # claimed by a process that has read further than this one: its to send
                if live is None or live.acknowledged_at is not None:
                    why = "cleared" if live is None else "acknowledged"
                    error = f"{why} before the email went"
                    if MAYBE_TAKEN in (row["error"] or ""):   # the server went quiet after the message
                        error = (f"{why} before the mail server confirmed the email; it may have been "
                                 f"delivered ({row['error']})")
                    if conn.execute(update(t).where(mine).values(state="cancelled", error=error)).rowcount == 1:
                        report.cancelled.append(row["alert_uuid"])
                    continue
                lease = now + self._lease()
                if conn.execute(update(t).where(mine).values(attempts=row["attempts"] + 1,
                                                             next_attempt_at=lease)).rowcount != 1:
                    continue   # another hub process took it
                self._hold(conn, row["alert_uuid"], row["attempts"] + 1, now)
                to = Recipient(row["to_address"], row["to_name"], row["rota"], row["contact_uuid"],
                               row["contact_uuid"] is None, row["fallback_reason"])
                if row["attempts"] and to.contact_uuid is not None:   # a retry: whoever is on call now
                    now_on = recipient(self.config.policy, room.shifts.values(), room.people, now)
                    if now_on != to:
                        to = now_on
                        conn.execute(update(t).where(t.c.alert_uuid == row["alert_uuid"]).values(_address(to)))
                group = groups.setdefault(_key(to.address), (to, []))
                group[1].append((dict(row, attempts=row["attempts"] + 1, **_address(to)), live))
        return dict(groups.values())

    @staticmethod
    def _orphaned(conn, leased: list) -> dict[str, str]:
        """Of rows under a lease (an attempt taken, not recorded), those whose taker is known dead
        (``sync.hub.lease_holder``): alert id -> the holder's name."""
        return lease_holder.orphaned(conn, s.escalation_holder, {r["alert_uuid"]: r["attempts"] for r in leased})

    def _hold(self, conn, alert_uuid: str, attempts: int, now: datetime) -> None:
        """This process's name on the attempt it took, in the take's transaction."""
        lease_holder.hold(conn, self.db.kind, s.escalation_holder, alert_uuid, attempts, self.holder, now)

    def _deliver(self, to: Recipient, batch: list, now: datetime, report: CheckReport, real: bool) -> None:
        alerts = [live for _row, live in batch]
        tried = [_first_try(row) for row, _live in batch]
        first = min((t for t in tried if t is not None), default=None)
        doubts, unchecked = self._doubts(alerts, now)
        try:
            names = orgs.names(self.db, (a.org_code for a in alerts))
            msg = compose(alerts, to, self.config.smtp.sender, names, now, self.db.hub_id, first_tried=first,
                          tries=max(row["attempts"] for row, _live in batch), doubts=doubts, unchecked=unchecked)
        except (ValueError, TypeError) as exc:   # an address or name no email can carry: that address's
            error = smtp_sender.SendFailure(f"no email can be written to {to.address!r}: {exc}", transient=False,
                                            recipient=True)
        else:
            error = mail_loop.try_send(self.send, self.config.smtp, msg, [to.address])
        sent_at = s.utcnow() if real else now   # sending takes a moment: the time it went
        with self.db.write() as w:
            recorded = [self._record(w, row, to, error, sent_at, report, doubts.get(row["alert_uuid"], ()),
                                     unchecked) for row, _live in batch]
        if not any(recorded):
            log.warning("escalation: the email to %s <%s> was %s, but another process had taken its alerts over",
                        to.name, to.address, "sent" if error is None else "not sent")
        elif error is None:
            log.info("escalation: emailed %s <%s> (%s) about %d alert(s)", to.name, to.address, to.rota, len(batch))
        else:
            log.warning("escalation: email to %s <%s> about %d alert(s) failed: %s", to.name, to.address,
                        len(batch), error.reason)

    def _doubts(self, alerts: list[OpenAlert], now: datetime) -> tuple[dict, str | None]:
        """The data-quality findings that doubt each alert's figures now; a check that fails never stops
        the email, nor delays it past ``doubt_seconds``: the email then says the figures could not be
        checked (in time)."""
        try:
            return figures_doubt.doubted_within(self.db, alerts, now, self.doubt_seconds), None
        except figures_doubt.NotInTime as exc:
            return {}, f"{UNCHECKED_LATE}: {exc}"[:300]
        except Exception as exc:  # noqa: BLE001 - the email goes whatever befalls the check
            log.exception("escalation: the figures behind %d alert(s) could not be checked for data quality",
                          len(alerts))
            return {}, f"{type(exc).__name__}: {exc}"[:300]

    def _record(self, w, row: dict, to: Recipient, error, at: datetime, report: CheckReport,
                doubts=(), unchecked: str | None = None) -> bool:
        """The attempt's outcome, while this process still holds the row; False when it no longer did.
        The attempt's log entry keeps what the email said of the figures (``doubt``: each finding that
        doubted them; ``doubt_unchecked``: why they could not be checked)."""
        t = s.alert_escalation
        uid, attempts = row["alert_uuid"], row["attempts"]
        before = json.loads(row["attempt_log"])
        entry = {"n": attempts, "at": s.iso(at), "to": to.address, "error": error.reason if error else None}
        if doubts:
            entry["doubt"] = [d.as_json() for d in doubts]
        if unchecked:
            entry["doubt_unchecked"] = unchecked
        values = {"attempt_log": json.dumps(_kept(before + [entry])), "error": error.reason if error else row["error"]}
        told = None   # what the desktops are told now, if anything
        failures = (sum(1 for e in before if e.get("to", row["to_address"]) == to.address and e.get("error"))
                    + _skipped_failures(before, to.address))   # earlier failures to this address
        outcome = None
        if error is None:
            values.update(state="sent", sent_at=at)
            # After failures the room was told to phone: the outcome says the email went late, and from when.
            failed = [e for e in before if e.get("error")]
            late = (f"late: its first try failed at {uk_time(datetime.fromisoformat(failed[0]['at']))}; "
                    f"sent at try {attempts}" if failed else None)
            outcome, told = "sent", ("sent", late, to)
        elif error.maybe_taken:
            # The server went quiet after the message: it may well have it. Not sent again (a relay slow
            # to confirm would get it at every try); the room is told to make sure by phone.
            values.update(state="failed")
            outcome, told = "failed", ("failed", f"{error.reason}. Not sent again, so nobody gets it many times: "
                                                  "phone to make sure it arrived", to)
        elif not to.fallback and ((error.recipient and not error.transient)
                                  or (error.transient and failures + 1 >= self.config.max_attempts)):
            # The person's address refused for good, or never taken: the fallback address, at once.
            why = (f"the mail server {'refused' if not error.transient else 'did not take'} the email to "
                   f"{to.name} <{to.address}>: {error.reason}")
            backup = Recipient(self.config.policy.fallback, "the fallback address", to.rota, None, True, why[:1000])
            values.update(next_attempt_at=at, **_address(backup))
            outcome, told = "retrying", ("failed", f"{error.reason}; emailing the SCC fallback address instead", to)
        elif error.transient:
            wait = min(self.config.retry_seconds * 2 ** min(failures, 16),
                       max(self.config.retry_seconds, MAX_RETRY_SECONDS))
            values.update(next_attempt_at=at + timedelta(seconds=wait))
            outcome = "retrying"
            if not failures:   # the first failure to this address: the room hears at once
                told = ("failed", f"{error.reason}; the hub is trying again while the alert is open", to)
        else:
            values.update(state="failed")
            outcome, told = "failed", ("failed", error.reason, to)
        notice = None
        if told is not None:   # built before the row is written: a notice that cannot be made stops nothing
            words, who = told[1], told[2]
            notice = EscalationNotice(alert_uuid=uid, outcome=told[0], at=at, to_name=who.name,
                                      to_address=who.address, contact_uuid=who.contact_uuid, rota=who.rota,
                                      fallback_reason=mail_loop.error_text(who.reason),
                                      attempts=min(attempts, 1000), error=mail_loop.error_text(words))
        if w.conn.execute(update(t).where(t.c.alert_uuid == uid, t.c.state == "pending",
                                          t.c.attempts == attempts).values(**values)).rowcount != 1:
            return False
        getattr(report, outcome).append(uid)
        # The attempt is recorded: nobody holds it now (its holder row only matters while it is under a lease).
        w.conn.execute(delete(s.escalation_holder).where(s.escalation_holder.c.alert_uuid == uid))
        if notice is not None:
            w.emit(NOTICE_KIND, notice.model_dump(mode="json"), row["org_code"])
        return True


def _key(address: str) -> str:
    return address.strip().casefold()


def _address(to: Recipient) -> dict:
    return {"to_address": to.address, "to_name": to.name[:200], "contact_uuid": to.contact_uuid,
            "rota": to.rota[:60], "fallback_reason": to.reason}


KEEP_FIRST, KEEP_LAST = 3, 20   # attempts kept in a row's log: a relay down for days must not grow it


def _kept(history: list[dict]) -> list[dict]:
    """The first and the latest attempts, and how many between were let go (and how many of those
    failed to each address, so the count of failures per address survives)."""
    if len(history) <= KEEP_FIRST + KEEP_LAST + 1:
        return history
    gap = history[KEEP_FIRST:-KEEP_LAST]
    skipped = {"skipped": 0, "failed_to": {}}
    for e in gap:
        if "skipped" in e:
            skipped["skipped"] += e["skipped"]
            for addr, n in e.get("failed_to", {}).items():
                skipped["failed_to"][addr] = skipped["failed_to"].get(addr, 0) + n
        else:
            skipped["skipped"] += 1
            if e.get("error"):
                skipped["failed_to"][e.get("to", "")] = skipped["failed_to"].get(e.get("to", ""), 0) + 1
    return history[:KEEP_FIRST] + [skipped] + history[-KEEP_LAST:]


def _skipped_failures(history: list[dict], address: str) -> int:
    return sum(e.get("failed_to", {}).get(address, 0) for e in history if "skipped" in e)


def _first_try(row: dict) -> datetime | None:
    log_ = json.loads(row["attempt_log"])
    return datetime.fromisoformat(log_[0]["at"]) if log_ else None


def _alert_json(a: OpenAlert) -> dict:
    return {"id": a.id, "rule_id": a.rule_id, "rule_name": a.rule_name, "org_code": a.org_code,
            "raised_at": s.iso(a.raised_at), "escalate_after_minutes": a.escalate_after_minutes,
            "severity": a.severity, "detail": a.detail, "metric": a.metric}


async def run(hub) -> None:
    """Check every ``check_seconds`` until the hub stops; a failing check is logged and tried again."""
    esc: Escalator = hub.escalation
    try:
        await mail_loop.check_every(hub, esc.check, esc.config.check_seconds, "escalation")
    finally:   # also when the hub cancels this task as it stops: its check's thread may be held in a send
        try:
            esc.hand_back()
        except Exception:  # noqa: BLE001 - the rows then wait for their holder to be seen ended, or the lease
            log.exception("escalation: could not hand back the e-mails taken and not sent")
