"""What ``/health``'s ``escalation.page`` says of the paging gateway (:mod:`sync.hub.escalation_page`): the last
page it took and the last failure, across every hub process on the database (hub table ``page_health``, one row,
written in each page's record's transaction); whether this process's paging task runs.  Until session 28 each
process said its own, so of two one said failing while the other said ok."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from sync import protocol as p
from sync.hub import mail_loop, page_sender
from sync.hub import schema as s

log = logging.getLogger("sync.hub")
HEALTH_KEY = "gateway"


def said(conn, kind: str, at: datetime, error) -> None:
    """The gateway's outcome at ``at`` in ``page_health`` (in the record's transaction): the last page it took,
    or the last failure (a :class:`page_sender.PageFailure`) and why."""
    dialect = postgresql if kind == "postgresql" else sqlite
    values = ({"last_sent_at": at} if error is None
              else {"last_error": mail_loop.error_text(error.reason), "last_error_at": at})
    conn.execute(dialect.insert(s.page_health).values(key=HEALTH_KEY, **values)
                 .on_conflict_do_update(index_elements=["key"], set_=values))


def last(pager) -> tuple[datetime | None, tuple[datetime, str] | None]:
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
    last attempt across every hub process on it; whether the paging task runs is this process's."""
    pager = getattr(hub, "pager", None)
    if pager is None:
        return None
    task = getattr(hub, "pager_task", None)
    gateway = page_sender.where(pager.config.gateway.url)   # never the URL: it may hold a token
    sent, failed = last(pager)
    if task is not None and task.done():
        return p.HealthPage(state="off", gateway=gateway, last_sent_at=sent,
                            last_error="the hub's paging check has stopped; restart the hub",
                            last_error_at=None if failed is None else failed[0])
    failing = failed is not None and (sent is None or failed[0] > sent)
    return p.HealthPage(state="failing" if failing else "ok", gateway=gateway, last_sent_at=sent,
                        last_error=None if failed is None else mail_loop.error_text(failed[1]),
                        last_error_at=None if failed is None else failed[0])
