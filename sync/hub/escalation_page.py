"""The second escalation channel: an alert whose e-mail failed, or has not gone in time, is paged
through the deploying organisation's paging gateway (HTTPS, :mod:`sync.hub.page_sender`), once.
This module is how the pages are sent; what goes in them is :mod:`sync.hub.page_choice` (which alerts, why,
which go together) and :mod:`sync.hub.page_compose` (the words).

Each check (:meth:`Pager.check`, every ``escalation.check_seconds`` while the hub serves, on a task of
its own so a gateway that hangs never holds the e-mail back, nor the e-mail the page):

1. reads the e-mail rows (``alert_escalation``) and the open alerts (:mod:`sync.hub.escalation_room`, through
   the e-mail check's :class:`RoomReader`: one per hub process); an alert open and unacknowledged is **due**
   for a page as :func:`sync.hub.page_choice.reason` says;
2. **claims** each in ``alert_page`` (primary key: the alert's id), insert-if-absent: of two hub
   processes one row, one page;
3. **takes** each pending row whose time has come, and with them any waiting in its backoff, by a
   conditional update of its attempt count (one process wins) with a lease of two whole attempts and a check
   (:mod:`sync.hub.attempt_lease`);
4. POSTs **one** page about all it took (a backlog is one page, not a flood), HMAC-signed, the same
   ``Idempotency-Key`` at every attempt at that page; rows with an ``at_most`` go in pages of at most that many
   (:func:`sync.hub.page_choice.split`), one after another, each page's rows given a fresh lease as its turn
   comes (:meth:`Pager._renew`), so a page sent after others is never under a lease that ran out meanwhile;
   a hub stopping between them hands the rest back;
5. records each attempt (:mod:`sync.hub.page_outcome`: sent, tried again with backoff, halved after a refusal
   of a page about several, failed), tells the desktops on the feed, and the gateway's last outcome goes in
   ``page_health`` for every process's /health (:mod:`sync.hub.page_health`).

An alert acknowledged or cleared before its page went is not paged (``cancelled``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from models.rules.escalation import OpenAlert
from sync.hub import attempt_lease, figures_doubt, mail_loop, orgs, page_health, page_outcome, page_sender
from sync.hub import schema as s
from sync.hub.escalation import CheckReport
from sync.hub.escalation_room import RoomReader
from sync.hub.page_choice import AT_MOST, EVERY, at_most, reason, split  # noqa: F401 - importable from here
from sync.hub.page_compose import MAX_LISTED, NAMED, batch_key, compose  # noqa: F401 - importable from here
from sync.hub.page_health import HEALTH_KEY, health  # noqa: F401 - importable from here
from sync.hub.page_outcome import MAX_RETRY_SECONDS, NOTICE_KIND  # noqa: F401 - importable from here
from sync.hub.paging_config import PagingConfig

log = logging.getLogger("sync.hub")
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
        found = self._due(alerts, now)
        if found:
            report.claimed = self._claim(found, now)
        rows = self._take(alerts, room.cleared, now, report)
        groups = split(rows, alerts)
        for n, group in enumerate(groups):
            later = [row for g in groups[n:] for row in g]
            if stopping():   # handed back: the next start pages them at once, not after the lease
                self._release(later, now)
                break
            if n:   # the pages go one after another: the rows still to go get a fresh lease as each page's turn comes
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

    def _due(self, alerts: dict[str, OpenAlert], now: datetime) -> list[tuple[str, str]]:
        """The open, unacknowledged alerts not yet paged whose e-mail makes them due a page now, and why."""
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
            why = reason(self.config, state, created, error, now)
            if why:
                found.append((uid, why))
        return found

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
        # them all unless a refused page left some an ``at_most`` (split). A row under
        # another process's lease (an attempt taken and not recorded) is that process's: never taken here.
        if not any(r["next_attempt_at"] <= now for r in waiting):
            return []
        waiting = [r for r in waiting if r["next_attempt_at"] <= now or attempt_lease.recorded(r)]
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
        with self.db.plain() as conn:
            return attempt_lease.renew(conn, s.alert_page, rows, now + self._lease())

    def _release(self, rows: list[dict], now: datetime) -> None:
        with self.db.plain() as conn:
            attempt_lease.release(conn, s.alert_page, rows, now)

    def page(self, rows: list[dict], alerts: list[OpenAlert], now: datetime,
             values: dict | None = None) -> tuple[dict, dict]:
        """One page's JSON about ``alerts`` (their ``rows``, in the same order) and what the figures check found
        for each (:func:`sync.hub.page_compose.compose`), the check made and the providers' names read now."""
        try:
            found = figures_doubt.doubted_within(self.db, alerts, now)
            unchecked = None
        except Exception as exc:  # noqa: BLE001 - the page goes whatever befalls the check (NotInTime too)
            found, unchecked = {}, f"{type(exc).__name__}: {exc}"[:300]
        names = orgs.names(self.db, (a.org_code for a in alerts))
        return compose(self.config, self.db.hub_id, rows, alerts, found, unchecked, names, values)

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
            done = [page_outcome.record(w, row, alert, status, error, at, took, {**checked[alert.id], **batch},
                                        report, self.config.retry_seconds, len(rows))
                    for row, alert in zip(rows, alerts)]
            if any(done):   # what /health says, in every process on this database
                page_health.said(w.conn, self.db.kind, at, error)
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


async def run(hub) -> None:
    """Check every ``check_seconds`` until the hub stops; a failing check is logged and tried again."""
    pager: Pager = hub.pager
    await mail_loop.check_every(hub, pager.check, pager.check_seconds, "escalation page")
