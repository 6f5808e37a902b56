"""Single point of contact messages on the hub (record kind ``spoc_message``, 1.6): emailed once, through
the SMTP set-up alert escalation uses, with the outcome on the feed.

1. ``POST /v1/records`` checks the record field by field (``models.messages.record.check_data``: a bad
   one is rejected naming each field, never a 5xx) and, in the record's own transaction, adds a row to
   ``spoc_delivery`` (primary key: the message's uuid, so a repeated push or a second hub process never
   sends twice).  A hub without SMTP set-up records the message failed at once, saying so.
2. :func:`run` (every :data:`CHECK_SECONDS` while the hub serves) **takes** each pending row whose time
   has come by a conditional update of its attempt count (one process wins it) with a lease, sends one
   email (To: the room's own From address, a copy for the room; Bcc: the recipients, so partners do not
   see each other's addresses) with :func:`sync.hub.smtp_sender.send`, and records ``sent``; or after a
   transient failure the next attempt (``retry_seconds`` doubled, up to ``max_attempts``); or ``failed``.
3. A sent or failed message goes on the feed as ``message_delivery`` (``FeedMessageDelivery``) in the
   same transaction as its row, so every desktop shows it on the message.

A hub stopping hands back what it took and has not begun (:meth:`MessageSender.hand_back`); each attempt
taken names its process in ``spoc_holder`` (:mod:`sync.hub.lease_holder`, shared with escalation), so a
process on the same machine that can tell the holder ended (killed mid-send) takes the message over at
once, not after the lease.  A live holder is never taken over (its lease is renewed before each message).
As for escalation, the only way a message is emailed twice is a hub killed after the SMTP server
accepted it and before the row recorded that (it is then taken over and sent again).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy import delete, insert, select, update

from models.messages import record as rules
from sync import protocol as p
from sync.hub import schema as s
from sync.hub import lease_holder, mail_loop, smtp_sender
from sync.hub.db import Writer

log = logging.getLogger("sync.hub")
KEEP_TRYING = timedelta(hours=2)   # a message the server could not take is tried this long (then failed)
MAX_RETRY_SECONDS = 300.0
CHECK_SECONDS = 1.0   # a message is the room speaking now: sent within about a second of reaching the hub
NO_SMTP = ("this hub has no SMTP set-up, so nothing was emailed: start it with --escalation FILE "
           "(the [smtp] settings alert escalation uses; docs/escalation.md)")


def problems(data) -> list[tuple[str, str]]:
    return rules.check_data(data)


def on_stored(hub, w: Writer, rec: p.RecordPush) -> None:
    """The message's delivery row, in the record's transaction: pending, or failed when nothing can send it."""
    values = dict(message_uuid=rec.uuid, state="pending", attempts=0, next_attempt_at=w.now, created_at=w.now,
                  attempt_log="[]", message=json.dumps(rec.data, ensure_ascii=False))
    if hub.escalation is None:
        values.update(state="failed", error=NO_SMTP)
        _notice(w, rec.uuid, "failed", w.now, 0, 0, NO_SMTP)
    w.conn.execute(insert(s.spoc_delivery).values(**values))


def _notice(w: Writer, uid: str, outcome: str, at: datetime, recipients: int, attempts: int,
            error: str | None) -> None:
    notice = p.FeedMessageDelivery(message_uuid=uid, outcome=outcome, at=at, recipients=recipients,
                                   attempts=attempts, error=mail_loop.error_text(error))
    w.emit(rules.NOTICE_KIND, notice.model_dump(mode="json"))


def compose(data: dict, sender: str, now: datetime, hub_id: str, message_uuid: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = " ".join(data["subject"].split())
    msg["From"] = sender
    msg["To"] = sender        # the room's own copy; the recipients are Bcc (smtplib leaves the header out)
    msg["Bcc"] = ", ".join(r["address"] for r in data["recipients"])
    msg["Date"] = format_datetime(now)
    # One message, however often it is tried: a resend after a server went quiet before confirming
    # (it may have taken the first) is recognisably the same email.
    msg["Message-ID"] = f"<scc-spoc-{message_uuid}@scc-feed-hub>" if message_uuid else make_msgid("scc-spoc")
    footer = (f"\n--\nSent by {data['sent_by']} ({data['sent_by_role']}) from the System Co-ordination Centre "
              f"to {', '.join(data['groups'])}, through the SCC feed hub {hub_id}.\n")
    msg.set_content(data["body"].rstrip("\n") + "\n" + footer)
    return msg


@dataclass
class CheckReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)   # messages whose attempt raised (logged; the check goes on)


class MessageSender:
    def __init__(self, hub, send: Callable = smtp_sender.send) -> None:
        self.hub = hub
        self.send = send
        self.holder = lease_holder.identity()   # this process, named on each attempt it takes
        self._lock = threading.Lock()   # the queue below, between the check's thread and hand_back
        self._queue: list[dict] = []    # taken by this check, not begun
        self._closed = False
        self._swept = False             # the holder rows of finished attempts deleted once per process

    def _sweep_holders(self) -> None:
        """Holder rows of messages no longer pending (left by hubs before session 28, which never deleted them:
        one per message ever sent) are deleted; each attempt's own is deleted as it is recorded."""
        h, t = s.spoc_holder, s.spoc_delivery
        with self.hub.db.plain() as conn:
            conn.execute(delete(h).where(h.c.message_uuid.in_(
                select(t.c.message_uuid).where(t.c.state != "pending"))))
        self._swept = True

    @property
    def config(self):
        return self.hub.escalation.config

    def check(self, now: datetime | None = None, stopping: Callable[[], bool] = lambda: False) -> CheckReport:
        report = CheckReport()
        now = now or s.utcnow()
        if not self._swept:
            self._sweep_holders()
        taken = self._take(now)
        with self._lock:
            self._queue = taken
        while True:
            with self._lock:   # a row leaves the queue before it is begun: never handed back and sent too
                if self._closed or not self._queue or stopping():
                    rest, self._queue = self._queue, []
                    break
                row = self._queue.pop(0)
            try:
                if self._renew(row):   # else taken over meanwhile (this process's lease ran out)
                    self._deliver(row, report)
            except Exception:  # noqa: BLE001 - one message never stops the others; its lease runs out, then retried
                # Until session 26 this ended the check: the messages taken after it kept their leases
                # (5 minutes) unsent, and a message that raised every time held them back for good.
                report.errors.append(row["message_uuid"])
                log.exception("message %s: attempt %d could not be handled; the other messages go on",
                              row["message_uuid"], row["attempts"])
        self._release(rest, now)   # stopping: the next start sends them at once, not after the lease
        return report

    def hand_back(self) -> None:
        """The hub is stopping: what this process took and has not begun goes back, due now (the one being
        sent, if any, is left to finish; if the process ends first, its holder has ended: taken over at once)."""
        with self._lock:
            self._closed = True
            rest, self._queue = self._queue, []
        self._release(rest, s.utcnow())

    def _lease(self) -> timedelta:
        """At least two whole attempts and a check: a live process's lease never runs out while it sends."""
        return timedelta(seconds=max(self.config.lease_seconds,
                                     2 * self.config.smtp.attempt_seconds + CHECK_SECONDS))

    def _take(self, now: datetime) -> list[dict]:
        t = s.spoc_delivery
        db = self.hub.db
        with db.read() as conn:
            rows = conn.execute(select(t).where(t.c.state == "pending").order_by(t.c.created_at)).mappings().all()
            leased = {r["message_uuid"]: r["attempts"] for r in rows if r["next_attempt_at"] > now and _unrecorded(r)}
            orphaned = lease_holder.orphaned(conn, s.spoc_holder, leased) if leased else {}
        rows = [r for r in rows if r["next_attempt_at"] <= now or r["message_uuid"] in orphaned]
        taken = []
        if not rows:
            return taken
        lease = now + self._lease()
        with db.plain() as conn:
            for row in rows:
                uid = row["message_uuid"]
                mine = (t.c.message_uuid == uid) & (t.c.state == "pending") & (t.c.attempts == row["attempts"])
                if conn.execute(update(t).where(mine).values(attempts=row["attempts"] + 1,
                                                             next_attempt_at=lease)).rowcount != 1:
                    continue   # another hub process took it
                lease_holder.hold(conn, db.kind, s.spoc_holder, uid, row["attempts"] + 1, self.holder, now)
                if uid in orphaned:
                    log.warning("message %s: attempt %d was taken by a hub process that has ended (%s) and never "
                                "recorded; taken over now, not at the lease's end", uid, row["attempts"],
                                orphaned[uid])
                taken.append(dict(row, attempts=row["attempts"] + 1))
        return taken

    def _renew(self, row: dict) -> bool:
        """The row's lease from now, not from the check's start (messages before it may have taken long)."""
        t = s.spoc_delivery
        with self.hub.db.plain() as conn:
            return conn.execute(update(t).where(t.c.message_uuid == row["message_uuid"], t.c.state == "pending",
                                                t.c.attempts == row["attempts"])
                                .values(next_attempt_at=s.utcnow() + self._lease())).rowcount == 1

    def _release(self, rows: list[dict], now: datetime) -> None:
        """Taken and not tried: back to their state before the take, due now."""
        if not rows:
            return
        t = s.spoc_delivery
        with self.hub.db.plain() as conn:
            for row in rows:
                conn.execute(update(t).where(t.c.message_uuid == row["message_uuid"], t.c.state == "pending",
                                             t.c.attempts == row["attempts"])
                             .values(attempts=row["attempts"] - 1, next_attempt_at=now))

    def _deliver(self, row: dict, report: CheckReport) -> None:
        data = json.loads(row["message"])
        try:
            msg = compose(data, self.config.smtp.sender, s.utcnow(), self.hub.db.hub_id, row["message_uuid"])
        except Exception as exc:  # noqa: BLE001 - it never can be sent: failed, and the room is told why
            log.exception("message %s: no email can be made of it", row["message_uuid"])
            msg, error = None, smtp_sender.SendFailure(
                mail_loop.error_text(f"the hub could not make an email of it: {type(exc).__name__}: {exc}"),
                transient=False)
        if msg is not None:
            error = mail_loop.try_send(self.send, self.config.smtp, msg)
        at = s.utcnow()
        t = s.spoc_delivery
        uid, attempts = row["message_uuid"], row["attempts"]
        history = json.loads(row["attempt_log"]) + [{"at": s.iso(at), "error": error.reason if error else None}]
        values = {"attempt_log": json.dumps(history), "error": error.reason if error else None}
        if error is None:
            values.update(state="sent", sent_at=at)
            report.sent.append(uid)
        elif error.partial:   # the others have it: sending again would send it to them twice
            values.update(state="failed", error=f"sent to the others, but {error.reason}")
            report.failed.append(uid)
        elif error.maybe_taken:   # quiet after the message: the partners may have it; never a second copy
            values.update(state="failed", error=f"{error.reason}. Not sent again, so nobody gets it twice: "
                                                 "ask a recipient whether it arrived")
            report.failed.append(uid)
        elif error.transient and (attempts < self.config.max_attempts or at < row["created_at"] + KEEP_TRYING):
            # A mail server down for an hour must not lose what the room said: tried for KEEP_TRYING,
            # doubling and then at most MAX_RETRY_SECONDS apart (it had ended failed after ~16 minutes).
            wait = min(self.config.retry_seconds * 2 ** min(attempts - 1, 16),
                       max(self.config.retry_seconds, MAX_RETRY_SECONDS))
            values.update(next_attempt_at=at + timedelta(seconds=wait))
            report.retrying.append(uid)
        else:
            values.update(state="failed")
            report.failed.append(uid)
        with self.hub.db.write() as w:
            # Only while this process still holds the attempt (its lease has not been taken over).
            if w.conn.execute(update(t).where(t.c.message_uuid == uid, t.c.state == "pending",
                                              t.c.attempts == attempts).values(**values)).rowcount != 1:
                return
            # The attempt is recorded: nobody holds it now (the holder row only matters while under a lease).
            w.conn.execute(delete(s.spoc_holder).where(s.spoc_holder.c.message_uuid == uid))
            if values.get("state") in ("sent", "failed"):
                _notice(w, uid, values["state"], at, len(data["recipients"]) if error is None else 0, attempts,
                        values["error"])
        if error is None:
            log.info("message %s: emailed %d recipient(s)", uid, len(data["recipients"]))
        else:
            log.warning("message %s: email failed (attempt %d): %s", uid, attempts, error.reason)


def _unrecorded(row) -> bool:
    """An attempt taken and not recorded (each attempt recorded adds to the log): under a process's lease."""
    return len(json.loads(row["attempt_log"])) < row["attempts"]


async def run(hub) -> None:
    """Send what is due every :data:`CHECK_SECONDS` until the hub stops; a failing check is logged."""
    sender = MessageSender(hub)
    try:
        await mail_loop.check_every(hub, sender.check, CHECK_SECONDS, "message")
    finally:   # also when the hub cancels this task as it stops: its check's thread may be cut short
        try:
            sender.hand_back()
        except Exception:  # noqa: BLE001 - the rows then wait for their holder to be seen ended, or the lease
            log.exception("message: could not hand back the messages taken and not sent")
