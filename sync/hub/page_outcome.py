"""What becomes of one attempt at a page, for each alert it was about (:mod:`sync.hub.escalation_page`): the
alert's ``alert_page`` row and attempt log, and what every desktop is told on the feed.

- the gateway took it (2xx): ``sent``;
- a transient failure (408, 429, 5xx, no answer): the next attempt after ``paging.retry_seconds``, doubled at
  each failure, at most ``MAX_RETRY_SECONDS`` apart, for as long as the alert is open and unacknowledged;
- a page about several refused for good by the gateway (any other 4xx): the refusal may be the page's (a body
  limit, one alert it will not take), so each alert stays ``pending``, due at once, its log entry's ``at_most``
  half the refused page's count (rounded up): the next check pages them in pages of that many
  (:func:`sync.hub.page_choice.split`), and an alert fails for good only when a page about it alone is refused;
- any other permanent failure (a page about one alert refused, an untrusted certificate, an ``http://`` URL):
  ``failed``.

The first failure and the outcome go on the feed as an ``alert_escalation`` notice with ``page`` set, in the
record's transaction; the row is written only while this process still holds the attempt.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select, update

from models.rules.escalation import OpenAlert
from models.uk_time import uk_time
from sync import protocol as p
from sync.hub import mail_loop
from sync.hub import schema as s
from sync.hub.escalation import CheckReport
from sync.hub.page_choice import AT_MOST, at_most

NOTICE_KIND = "alert_escalation"
MAX_RETRY_SECONDS = 120.0   # a page is the fallback: while its alert is open it is tried at least this often


def record(w, row: dict, alert: OpenAlert, status, error, at: datetime, took: float, checked: dict,
           report: CheckReport, retry_seconds: float, page_of: int = 1) -> bool:
    """Attempt ``row["attempts"]`` at ``alert``'s page (one of ``page_of``) recorded on writer ``w``: the gateway
    answered ``status``, or ``error`` (a :class:`sync.hub.page_sender.PageFailure`); ``checked`` goes in its log
    entry (the figures check's, the page's key). False: another process had taken the row over."""
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
        wait = min(retry_seconds * 2 ** min(failures, 16), max(retry_seconds, MAX_RETRY_SECONDS))
        values.update(next_attempt_at=at + timedelta(seconds=wait))
        outcome = "retrying"
        if limit:
            entry[AT_MOST] = limit   # the size refused before still holds for this alert's next page
        if not failures:
            told = ("failed", f"{error.reason}; the hub is trying again while the alert is open: "
                              "phone the on-call")
    elif page_of > 1 and error.status is not None:
        # A page about several refused for good by the gateway: paged again at the next check in pages of half
        # the size. (An untrusted certificate or an http:// URL is the set-up's, whatever the page: failed.)
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
    said = notice(w, uid, told, at, attempts, row["reason"]) if told is not None else None
    if w.conn.execute(update(t).where(t.c.alert_uuid == uid, t.c.state == "pending",
                                      t.c.attempts == attempts).values(**values)).rowcount != 1:
        return False
    getattr(report, outcome).append(uid)
    if said is not None:
        w.emit(NOTICE_KIND, said.model_dump(mode="json"), alert.org_code)
    return True


def notice(w, uid: str, told: tuple, at: datetime, attempts: int, reason: str) -> p.FeedAlertEscalation | None:
    """The page's outcome (``told``: outcome, words) on an ``alert_escalation`` notice; its e-mail fields as the
    e-mail's row has them now (what an older desktop, which ignores ``page``, shows)."""
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
