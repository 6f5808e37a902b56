"""The second escalation channel: an alert whose e-mail failed, or has not gone in time, is paged
through the deploying organisation's paging gateway (HTTPS, :mod:`sync.hub.page_sender`), once.

Each check (:meth:`Pager.check`, every ``escalation.check_seconds`` while the hub serves, on a task of
its own so a gateway that hangs never holds the e-mail back, nor the e-mail the page):

1. reads the e-mail rows (``alert_escalation``) and the open alerts (:mod:`sync.hub.escalation_room`);
   an alert open and unacknowledged is **due** for a page when its e-mail ``failed`` (for good), or is
   still ``pending`` ``paging.after_minutes`` after it fell due (refused and retrying, or never taken),
   or, with ``paging.every_escalation``, as soon as its e-mail falls due;
2. **claims** each in ``alert_page`` (primary key: the alert's id), insert-if-absent: of two hub
   processes one row, one page;
3. **takes** each pending row whose time has come, and with them any waiting in its backoff, by a
   conditional update of its attempt count (one process wins) with a lease of two whole attempts and a check;
4. POSTs **one** page about all it took (a backlog is one page, not a flood: how many, the worst named; each
   alert's fields in ``alerts``), HMAC-signed, the same ``Idempotency-Key`` at every attempt at that page;
   rows with an ``at_most`` go in pages of at most that many, one after another, the rows still to go
   keeping their lease (:meth:`Pager._renew`) while they wait;
5. records each attempt in ``attempt_log``; ``sent`` on 2xx; after a transient failure the next attempt
   (``paging.retry_seconds`` doubled, at most ``MAX_RETRY_SECONDS`` apart) for as long as the alert is
   open and unacknowledged; ``failed`` at once on a permanent one, each alert's row on its own, when the page
   was about that alert alone; a page about several the gateway refused for good (a 4xx) is sent again at the
   next check as pages of half as many (the log's ``at_most``: :func:`split`), so one alert fails only on its
   own page.  The first
   failure and the outcome go on the feed as an ``alert_escalation`` notice with ``page`` set, one per alert,
   so every desktop shows it; the gateway's last outcome goes in ``page_health`` for every process's /health.

The room is read through the e-mail check's :class:`RoomReader` (one per hub process), not a reader of its own.

An alert acknowledged or cleared before its page went is not paged (``cancelled``).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.rules.escalation import OpenAlert
from models.uk_time import uk_time
from sync import protocol as p
from sync.hub import figures_doubt, mail_loop, page_sender
from sync.hub import schema as s
from sync.hub.escalation import CheckReport
from sync.hub.escalation_email import SEVERITY_RANK
from sync.hub.escalation_room import RoomReader
from sync.hub.paging_config import PagingConfig

log = logging.getLogger("sync.hub")
NOTICE_KIND = "alert_escalation"
MAX_RETRY_SECONDS = 120.0   # a page is the fallback: while its alert is open it is tried at least this often
EVERY = "every escalated alert is paged (paging.every_escalation)"
NAMED = 3         # alerts a page about several names in its one-line ``text``, the worst first
MAX_LISTED = 20   # alerts written out in its ``alerts``; the rest counted (``count``, ``more``)
_CHUNK = 500


PageReport = CheckReport   # one check's alerts by what became of them, as the e-mail's check reports them


class Pager:
    def __init__(self, config: PagingConfig, db, check_seconds: float = 30.0,
                 send: Callable = page_sender.send, reader: RoomReader | None = None) -> None:
        self.config = config
        self.db = db
        self.check_seconds = check_seconds
        self.send = send
        # The e-mail check's reader (sync.hub.core): the feed's alerts and records are replayed once at the hub's
        # start, not once per channel. Until session 28 each kept its own.
        self.reader = reader or RoomReader()
        # This process's last page that went and last failure (when, why): /health's when page_health cannot be read.
        self.last_sent_at: datetime | None = None
        self.last_error: tuple[datetime, str] | None = None

    def _lease(self) -> timedelta:
        return timedelta(seconds=2 * (self.config.gateway.timeout_seconds + figures_doubt.CHECK_SECONDS)
                         + self.check_seconds)

    def check(self, now: datetime | None = None, stopping: Callable[[], bool] = lambda: False) -> PageReport:
        real = now is None
        now = now or s.utcnow()
        report = PageReport()
        room = self.reader.refresh(self.db)
        alerts = {a.id: a for a in room.alerts()}
        t, e = s.alert_page, s.alert_escalation
        ids = sorted(a for a, live in alerts.items() if live.acknowledged_at is None)
        paged, emails = set(), []
        with self.db.read() as conn:   # only the open alerts' rows: a year's e-mails are not read every check
            for i in range(0, len(ids), _CHUNK):
                chunk = ids[i:i + _CHUNK]
                paged |= set(conn.execute(select(t.c.alert_uuid).where(t.c.alert_uuid.in_(chunk))).scalars())
                emails += conn.execute(select(e.c.alert_uuid, e.c.state, e.c.created_at, e.c.error).where(
                    e.c.alert_uuid.in_(chunk), e.c.state.in_(("pending", "failed", "sent")))).all()
        found = []
        for uid, state, created, error in emails:
            live = alerts.get(uid)
            if uid in paged or live is None or live.acknowledged_at is not None:
                continue
            why = self._why(state, created, error, now)
            if why:
                found.append((uid, why))
        if found:
            report.claimed = self._claim(found, now)
        rows = self._take(alerts, room.cleared, now, report)
        groups = split(rows, alerts)
        for n, group in enumerate(groups):
            later = [row for g in groups[n:] for row in g]
            if stopping():   # handed back: the next start pages them at once, not after the lease
                for row in later:
                    self._release(row, now)
                break
            if n:   # the pages go one after another: the rows still to go keep their lease while they wait
                kept = self._renew(later, s.utcnow() if real else now)
                group = [row for row in group if row["alert_uuid"] in kept]
                groups[n + 1:] = [[row for row in g if row["alert_uuid"] in kept] for g in groups[n + 1:]]
                if not group:
                    continue
            try:
                self._deliver(group, [alerts[row["alert_uuid"]] for row in group], now, report, real, room.values)
            except Exception:  # noqa: BLE001 - a check's page never stops the next check; its lease runs out
                log.exception("escalation page: the page about %d alert(s) could not be handled", len(group))
        return report

    def _why(self, state: str, created: datetime, error: str | None, now: datetime) -> str | None:
        if state == "failed":
            return f"the e-mail failed: {error or 'no reason given'}"[:p.MAX_REASON_CHARS]
        after = self.config.after_minutes
        if state == "pending" and now >= created + timedelta(minutes=after):
            last = f" (last try: {error})" if error else " (not taken by the mail server yet)"
            return f"the e-mail had not gone {after:g} min after it fell due{last}"[:p.MAX_REASON_CHARS]
        if self.config.every_escalation:
            return EVERY
        return None

    def _claim(self, found: list[tuple[str, str]], now: datetime) -> list[str]:
        dialect = postgresql if self.db.kind == "postgresql" else sqlite
        claimed = []
        with self.db.plain() as conn:
            for uid, why in found:
                key = f"scc-page-{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.db.hub_id}/{uid}')}"
                stmt = dialect.insert(s.alert_page).values(
                    alert_uuid=uid, reason=why, idempotency_key=key, state="pending", attempts=0,
                    next_attempt_at=now, created_at=now, attempt_log="[]",
                ).on_conflict_do_nothing(index_elements=["alert_uuid"]).returning(s.alert_page.c.alert_uuid)
                if conn.execute(stmt).first() is not None:
                    claimed.append(uid)
        return claimed

    def _take(self, alerts: dict[str, OpenAlert], cleared: set[str], now: datetime, report: PageReport) -> list:
        t = s.alert_page
        with self.db.read() as conn:
            waiting = conn.execute(select(t).where(t.c.state == "pending").order_by(t.c.created_at)).mappings().all()
        # One taking per check: the rows due now, and with them any row in its backoff (every attempt of it
        # recorded), so a gateway that failed a while does not get one page per backoff clock; one page about
        # them all unless a refused page left some an ``at_most`` (:func:`split`). A row under
        # another process's lease (an attempt taken and not recorded) is that process's: never taken here.
        if not any(r["next_attempt_at"] <= now for r in waiting):
            return []
        waiting = [r for r in waiting if r["next_attempt_at"] <= now or _recorded(r)]
        taken = []
        with self.db.plain() as conn:
            for row in waiting:
                mine = (t.c.alert_uuid == row["alert_uuid"]) & (t.c.state == "pending") & (
                    t.c.attempts == row["attempts"])
                live = alerts.get(row["alert_uuid"])
                if live is None and row["alert_uuid"] not in cleared:
                    continue   # claimed by a process that has read further than this one
                if live is None or live.acknowledged_at is not None:
                    why = "cleared" if live is None else "acknowledged"
                    if conn.execute(update(t).where(mine).values(state="cancelled",
                                                                  error=f"{why} before the page went")).rowcount:
                        report.cancelled.append(row["alert_uuid"])
                    continue
                if conn.execute(update(t).where(mine).values(attempts=row["attempts"] + 1,
                                                             next_attempt_at=now + self._lease())).rowcount != 1:
                    continue   # another hub process took it
                taken.append(dict(row, attempts=row["attempts"] + 1))
        return taken

    def _renew(self, rows: list[dict], now: datetime) -> set[str]:
        """A new lease, from ``now``, for ``rows`` taken by this check and not yet paged; the ids still this
        process's (all of them, unless a lease ran out and another process took one: that one is left to it)."""
        t = s.alert_page
        kept = set()
        with self.db.plain() as conn:
            for row in rows:
                if conn.execute(update(t).where(t.c.alert_uuid == row["alert_uuid"], t.c.state == "pending",
                                                t.c.attempts == row["attempts"])
                                .values(next_attempt_at=now + self._lease())).rowcount == 1:
                    kept.add(row["alert_uuid"])
        return kept

    def _release(self, row: dict, now: datetime) -> None:
        t = s.alert_page
        with self.db.plain() as conn:
            conn.execute(update(t).where(t.c.alert_uuid == row["alert_uuid"], t.c.state == "pending",
                                         t.c.attempts == row["attempts"])
                         .values(attempts=row["attempts"] - 1, next_attempt_at=now))

    def page(self, rows: list[dict], alerts: list[OpenAlert], now: datetime,
             values: dict | None = None) -> tuple[dict, dict]:
        """One page's JSON about ``alerts`` (their ``rows``, in the same order), the worst first, and what the
        figures check found for each (alert id -> the attempt log's ``doubt`` / ``doubt_unchecked``).

        One alert: the page as before (its fields at the top), with ``count`` 1 and ``alerts``. Several: one
        page, its top-level alert fields the worst's, ``count`` how many, ``alerts`` the first ``MAX_LISTED``
        written out (the rest counted in ``more``), ``text`` naming the worst ``NAMED`` and how many more;
        ``figures_in_doubt`` true when any is in doubt, null when they could not be checked."""
        try:
            found = figures_doubt.doubted_within(self.db, alerts, now)
            unchecked = None
        except Exception as exc:  # noqa: BLE001 - the page goes whatever befalls the check (NotInTime too)
            found, unchecked = {}, f"{type(exc).__name__}: {exc}"[:300]
        names = self._org_names(alerts)
        values = values or {}
        why = {row["alert_uuid"]: row["reason"] for row in rows}
        ordered = sorted(alerts, key=lambda a: (SEVERITY_RANK.get(a.severity, 3), a.raised_at, a.id))
        phone = f"Phone the SCC on {self.config.scc_phone}"

        def provider(a: OpenAlert) -> str:
            name = names.get(a.org_code)
            return (f"{a.org_code} {name}" if name else a.org_code) if a.org_code else "system-wide"

        def one(a: OpenAlert) -> dict:
            value, threshold = values.get(a.id, (None, None))
            doubt = None if unchecked else bool(found.get(a.id))
            return {"alert_id": a.id, "rule_id": a.rule_id, "rule": a.rule_name or a.rule_id, "severity": a.severity,
                    "provider": {"code": a.org_code, "name": names.get(a.org_code)}, "metric": a.metric,
                    "value": value, "threshold": threshold, "detail": a.detail, "raised": uk_time(a.raised_at),
                    "raised_utc": s.iso(a.raised_at), "figures_in_doubt": doubt,
                    "doubt": [d.words for d in found.get(a.id, [])[:3]], "why": why[a.id]}

        worst = ordered[0]
        doubted = sum(1 for a in alerts if found.get(a.id))
        if len(ordered) == 1:
            text = (f"[{self.config.room_name}] {worst.severity.upper()} not acknowledged: "
                    f"{worst.rule_name or worst.rule_id} - {provider(worst)}, raised {uk_time(worst.raised_at)}. "
                    + ("Figures in doubt: check with the provider. " if doubted else "") + f"{phone}.")
            key, reason = rows[0]["idempotency_key"], rows[0]["reason"]
        else:
            named = "; ".join(f"{a.severity.upper()} {a.rule_name or a.rule_id} - {provider(a)}"
                              for a in ordered[:NAMED])
            more = f", and {len(ordered) - NAMED} more" if len(ordered) > NAMED else ""
            flag = f", {doubted} with figures in doubt: check with the provider" if doubted else (
                ", figures not checked" if unchecked else "")
            text = (f"[{self.config.room_name}] {len(ordered)} alerts not acknowledged (worst "
                    f"{worst.severity.upper()}{flag}): {named}{more}. {phone}.")
            key = batch_key(self.db.hub_id, [a.id for a in ordered])
            reasons = {why[a.id] for a in ordered}
            reason = why[worst.id] if len(reasons) == 1 else f"{why[worst.id]} (and other reasons: see alerts)"
        body = {"kind": "scc_escalation_page", "version": 1, "idempotency_key": key, "hub_id": self.db.hub_id,
                "room": self.config.room_name, **one(worst), "phone": phone, "why": reason[:p.MAX_REASON_CHARS],
                "text": text, "count": len(ordered), "alerts": [one(a) for a in ordered[:MAX_LISTED]],
                "more": max(0, len(ordered) - MAX_LISTED)}
        if doubted:
            body["figures_in_doubt"] = True   # the page's: any of its alerts
        checked = {a.id: ({"doubt": [d.as_json() for d in found[a.id]]} if found.get(a.id)
                          else ({"doubt_unchecked": unchecked} if unchecked else {})) for a in alerts}
        return body, checked

    def _deliver(self, rows: list[dict], alerts: list[OpenAlert], now: datetime, report: PageReport,
                 real: bool, values: dict | None = None) -> None:
        body, checked = self.page(rows, alerts, now, values)
        status, error = None, None
        began = time.monotonic()
        try:
            status = self.send(self.config.gateway, body, body["idempotency_key"])
        except page_sender.PageFailure as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - unforeseen: transient, tried again
            error = page_sender.PageFailure(f"{type(exc).__name__}: {exc}", transient=True)
        at = s.utcnow() if real else now
        took = round(time.monotonic() - began, 3)
        batch = {} if len(rows) == 1 else {"key": body["idempotency_key"], "page_of": len(rows)}
        with self.db.write() as w:
            done = [self._record(w, row, alert, status, error, at, took, {**checked[alert.id], **batch}, report,
                                 len(rows)) for row, alert in zip(rows, alerts)]
            if any(done):   # what /health says, in every process on this database
                _said(w.conn, self.db.kind, at, error)
        what = f"{len(rows)} alert(s)" if len(rows) > 1 else alerts[0].id
        if not any(done):
            log.warning("escalation page: the page about %s was %s, but another process had taken it over",
                        what, "sent" if error is None else "not sent")
        elif error is None:
            self.last_sent_at = at
            log.info("escalation page: paged %s about %s (%s)", page_sender.where(self.config.gateway.url), what,
                     body["why"])
        else:
            self.last_error = (at, error.reason)
            log.warning("escalation page: the page about %s failed: %s", what, error.reason)

    def _record(self, w, row: dict, alert: OpenAlert, status, error, at: datetime, took: float, checked: dict,
                report: PageReport, page_of: int = 1) -> bool:
        t = s.alert_page
        uid, attempts = row["alert_uuid"], row["attempts"]
        before = json.loads(row["attempt_log"])
        entry = {"n": attempts, "at": s.iso(at), "status": status if error is None else error.status,
                 "error": error.reason if error else None, "seconds": took, **checked}
        limit = at_most(before)
        values = {"error": error.reason if error else row["error"]}
        told = None
        if error is None:
            values.update(state="sent", sent_at=at)
            late = [x for x in before if x.get("error")]
            told = ("sent", f"went at try {attempts}; the first failed at "
                            f"{uk_time(datetime.fromisoformat(late[0]['at']))}" if late else None)
            outcome = "sent"
        elif error.transient:
            failures = sum(1 for x in before if x.get("error"))
            wait = min(self.config.retry_seconds * 2 ** min(failures, 16),
                       max(self.config.retry_seconds, MAX_RETRY_SECONDS))
            values.update(next_attempt_at=at + timedelta(seconds=wait))
            outcome = "retrying"
            if limit:
                entry[AT_MOST] = limit   # the size refused before still holds for this alert's next page
            if not failures:
                told = ("failed", f"{error.reason}; the hub is trying again while the alert is open: "
                                  "phone the on-call")
        elif page_of > 1 and error.status is not None:
            # A page about several refused for good by the gateway: the refusal may be the page's (a body limit,
            # one alert it will not take), not this alert's. Paged again at the next check in pages of half the
            # size, so an alert fails for good only when a page about it alone is refused. (An untrusted
            # certificate or an http:// URL is the set-up's, whatever the page: failed at once.)
            failures = sum(1 for x in before if x.get("error"))
            entry[AT_MOST] = (page_of + 1) // 2
            values.update(next_attempt_at=at)
            outcome = "retrying"
            if not failures:
                told = ("failed", f"{error.reason}; refused as one page about {page_of} alerts: the hub pages them "
                                  f"again at its next check, at most {entry[AT_MOST]} a page: phone the on-call")
        else:
            values.update(state="failed")
            outcome, told = "failed", ("failed", f"{error.reason}: not tried again; phone the on-call")
        values["attempt_log"] = json.dumps((before + [entry])[-30:])   # the first attempts counted by ``n``
        notice = self._notice(w, uid, told, at, attempts, row["reason"]) if told is not None else None
        if w.conn.execute(update(t).where(t.c.alert_uuid == uid, t.c.state == "pending",
                                          t.c.attempts == attempts).values(**values)).rowcount != 1:
            return False
        getattr(report, outcome).append(uid)
        if notice is not None:
            w.emit(NOTICE_KIND, notice.model_dump(mode="json"), alert.org_code)
        return True

    @staticmethod
    def _notice(w, uid: str, told: tuple, at: datetime, attempts: int, reason: str) -> p.FeedAlertEscalation | None:
        """The page's outcome on an ``alert_escalation`` notice; its e-mail fields as the e-mail's row has them
        now (what an older desktop, which ignores ``page``, shows)."""
        e = s.alert_escalation
        row = w.conn.execute(select(e).where(e.c.alert_uuid == uid)).mappings().first()
        if row is None:
            return None
        email_error = row["error"]
        if row["state"] == "pending":
            email_error = (f"{email_error}; the hub is trying again while the alert is open" if email_error
                           else "not sent yet: the hub is trying")
        tried = [x for x in json.loads(row["attempt_log"] or "[]") if "at" in x]
        email_at = row["sent_at"] or (datetime.fromisoformat(tried[-1]["at"]) if tried else row["created_at"])
        page = p.FeedAlertPage(outcome=told[0], at=at, attempts=min(attempts, 1000),
                               reason=mail_loop.error_text(reason), error=mail_loop.error_text(told[1]))
        return p.FeedAlertEscalation(
            alert_uuid=uid, outcome="sent" if row["state"] == "sent" else "failed",
            at=email_at, to_name=row["to_name"], to_address=row["to_address"],
            contact_uuid=row["contact_uuid"], rota=row["rota"],
            fallback_reason=mail_loop.error_text(row["fallback_reason"]),
            attempts=min(row["attempts"], 1000), error=mail_loop.error_text(email_error), page=page)

    def _org_names(self, alerts: list[OpenAlert]) -> dict[str, str]:
        codes = sorted({a.org_code for a in alerts if a.org_code})
        if not codes:
            return {}
        with self.db.read() as conn:
            return dict(conn.execute(select(s.organisation.c.ods_code, s.organisation.c.name)
                                     .where(s.organisation.c.ods_code.in_(codes))).all())


def batch_key(hub_id: str, alert_ids: list[str]) -> str:
    """The ``Idempotency-Key`` of one page about several alerts: the same for the same alerts (a retry of it),
    another for another set. A page about one alert keeps that alert's own key (``alert_page.idempotency_key``)."""
    return f"scc-page-{uuid.uuid5(uuid.NAMESPACE_URL, hub_id + '/' + ','.join(sorted(alert_ids)))}"


AT_MOST = "at_most"   # an attempt log entry's: the most alerts this alert's next page may be about


def at_most(history: list[dict]) -> int | None:
    """The most alerts the next page about this alert may be about (its log's last entry says it after a page
    about several was refused for good); None: no limit."""
    return history[-1].get(AT_MOST) if history else None


def split(rows: list[dict], alerts: dict[str, OpenAlert]) -> list[list[dict]]:
    """The pages one check sends about the ``rows`` it took: one about every row without a limit (a backlog is
    one page), and the rows that have one, worst first, in pages of at most that many; the page with the worst
    alert first."""
    def rank(row: dict) -> tuple:
        a = alerts[row["alert_uuid"]]
        return SEVERITY_RANK.get(a.severity, 3), a.raised_at, a.id

    by_limit: dict[int | None, list[dict]] = {}
    for row in sorted(rows, key=rank):
        by_limit.setdefault(at_most(json.loads(row["attempt_log"])), []).append(row)
    groups = [by_limit.pop(None)] if None in by_limit else []
    for limit, limited in sorted(by_limit.items()):
        groups += [limited[i:i + limit] for i in range(0, len(limited), limit)]
    return sorted(groups, key=lambda g: rank(g[0]))


def _recorded(row) -> bool:
    """Every attempt taken of the row recorded: it waits in its backoff, not under a process's lease."""
    history = json.loads(row["attempt_log"])
    return row["attempts"] == (history[-1].get("n", len(history)) if history else 0)


HEALTH_KEY = "gateway"


def _said(conn, kind: str, at: datetime, error) -> None:
    """The gateway's outcome at ``at`` in ``page_health`` (in the record's transaction): the last page it took,
    or the last failure and why."""
    dialect = postgresql if kind == "postgresql" else sqlite
    values = ({"last_sent_at": at} if error is None
              else {"last_error": mail_loop.error_text(error.reason), "last_error_at": at})
    conn.execute(dialect.insert(s.page_health).values(key=HEALTH_KEY, **values)
                 .on_conflict_do_update(index_elements=["key"], set_=values))


def _last(pager: Pager) -> tuple[datetime | None, tuple[datetime, str] | None]:
    """The last page sent and the last failure across every hub process on the database (``page_health``); this
    process's own when the database cannot be read (the probe still answers)."""
    try:
        with pager.db.read() as conn:
            row = conn.execute(select(s.page_health).where(s.page_health.c.key == HEALTH_KEY)).mappings().first()
    except Exception as exc:  # noqa: BLE001 - /health says what this process knows
        log.warning("escalation page: /health could not read the gateway's last outcome (%s); this process's own",
                    exc)
        return pager.last_sent_at, pager.last_error
    if row is None:
        return pager.last_sent_at, pager.last_error
    failed = (row["last_error_at"], row["last_error"] or "") if row["last_error_at"] is not None else None
    return row["last_sent_at"], failed


def health(hub) -> p.HealthPage | None:
    """``/health``'s ``escalation.page``: None when no gateway is configured. Its state is the database's: the
    last attempt across every hub process on it (until session 28 each process said its own, so of two one said
    failing while the other said ok); whether the paging task runs is this process's."""
    pager: Pager | None = getattr(hub, "pager", None)
    if pager is None:
        return None
    task = getattr(hub, "pager_task", None)
    gateway = page_sender.where(pager.config.gateway.url)   # never the URL: it may hold a token
    sent, failed = _last(pager)
    if task is not None and task.done():
        return p.HealthPage(state="off", gateway=gateway, last_sent_at=sent,
                            last_error="the hub's paging check has stopped; restart the hub",
                            last_error_at=None if failed is None else failed[0])
    failing = failed is not None and (sent is None or failed[0] > sent)
    return p.HealthPage(state="failing" if failing else "ok", gateway=gateway, last_sent_at=sent,
                        last_error=None if failed is None else mail_loop.error_text(failed[1]),
                        last_error_at=None if failed is None else failed[0])


async def run(hub) -> None:
    """Check every ``check_seconds`` until the hub stops; a failing check is logged and tried again."""
    pager: Pager = hub.pager
    await mail_loop.check_every(hub, pager.check, pager.check_seconds, "escalation page")
