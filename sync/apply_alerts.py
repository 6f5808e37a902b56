"""Applying the hub's alerts (feed kind "alert") to ``alert_event``.

The alert keeps the hub's id everywhere, so an ``alert_ack`` record from any desktop names it
(``sync.apply_records``).  A raise is stored once (a repeat or an acknowledgement that arrived
first leaves what is there); a clear closes it once.  The rule's row is kept up to date from the
alert, so a desktop needs no copy of the hub's rules file to show it; each alert keeps the threshold
it was raised at (``threshold``), since the room may edit the rule while it is open and the clear
carries the edited one.

**Backlog.**  A flapping value raises and clears the same rule and subject again and again; a
desktop catching up after hours would otherwise show each pair.  When an alert is raised, earlier
alerts of the same rule and subject raised within :data:`SUMMARY_HOURS` before it, already
cleared and never acknowledged, are folded into it (``folded_into``) and its ``summary`` says
"raised 14 times, cleared 13 since ...; open since ...".  Folding depends only on the alerts, not on
when a desktop applies them, so every desktop folds the same way; an acknowledgement that reaches a
folded alert (made on a desktop off the network) unfolds it (:func:`unfold`).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects.sqlite import insert

from models.replica.orm import AlertEvent, AlertRule
from models.replica.orm.types import from_utc_text, to_utc_text
from models.rules.alert_engine import uk_clock

SUMMARY_HOURS = 12
_COMPARISON = {"above": ">=", "below": "<="}


def apply_alert(conn: Connection, seq: int, d) -> str | None:
    _rule(conn, d)
    uid = d.alert_uuid
    at = to_utc_text(d.at)
    described = {"subject": f"{d.scope}:{d.subject}", "metric_code": d.metric, "severity": d.severity}
    if d.change == "raised":
        raised = {"value": d.value, "threshold": d.threshold,   # what raised it, under what rule, and when
                  "feed_at": None if d.feed_at is None else to_utc_text(d.feed_at)}   # the hub put it out
        conn.execute(_raise(), {"uuid": uid, "rule_code": d.rule_id, "org_code": d.org_code, "raised_at": at,
                                "detail": d.detail, **raised, **described})
        _fold(conn, d.rule_id, described["subject"], uid, d.at)
    else:
        row = conn.execute(select(AlertEvent.uuid).where(AlertEvent.uuid == uid)).first()
        if row is None:   # its raise was quarantined or is missing: the clear still tells the story
            conn.execute(insert(AlertEvent).values(
                uuid=uid, rule_code=d.rule_id, org_code=d.org_code, raised_at=to_utc_text(d.since),
                cleared_at=at, detail=d.detail, threshold=d.threshold, **described))
        conn.execute(update(AlertEvent).where(AlertEvent.uuid == uid, AlertEvent.cleared_at.is_(None))
                     .values(cleared_at=at))
        _summarise(conn, uid)
    return None


def apply_escalation(conn: Connection, seq: int, d) -> str | None:
    """The hub's email about an alert (feed kind "alert_escalation"): kept on the alert, so every
    desktop shows "emailed Dr Priya Raman at 14:32" or why the email failed.  A later notice for the
    same alert (the hub's first failure, a change of address, then the outcome) replaces the
    earlier.  A notice for an alert this replica does not hold (its raise was quarantined here) is
    quarantined in turn, with that reason: nothing to show it on, and not silently dropped.

    A notice with ``page`` (session 27) is about the hub's page through its paging gateway: only the page's
    columns are written, so the e-mail's own words stay as its notices left them (an older desktop ignores
    ``page`` and takes the notice's e-mail fields, which say the e-mail as the hub's row had it then)."""
    if getattr(d, "page", None) is not None:
        page = d.page
        values = {"page_outcome": page.outcome, "paged_at": to_utc_text(page.at),
                  "page_error": page.error if page.error else None}
        if conn.execute(update(AlertEvent).where(AlertEvent.uuid == d.alert_uuid).values(**values)).rowcount:
            # No e-mail notice reached this replica yet (an e-mail never tried, under a stuck process's
            # lease): the page's notice says the e-mail as the hub has it, so the room sees both.
            conn.execute(update(AlertEvent).where(AlertEvent.uuid == d.alert_uuid,
                                                  AlertEvent.escalation_outcome.is_(None)).values(**_email(d)))
            return None
        return (f"alert_uuid: no alert {d.alert_uuid} on this replica to record its escalation page on "
                f"(its raise may have been quarantined here)")
    if conn.execute(update(AlertEvent).where(AlertEvent.uuid == d.alert_uuid).values(**_email(d))).rowcount:
        return None
    return (f"alert_uuid: no alert {d.alert_uuid} on this replica to record its escalation email on "
            f"(its raise may have been quarantined here)")


def _email(d) -> dict:
    return {"escalation_outcome": d.outcome, "escalated_at": to_utc_text(d.at), "escalated_to": d.to_name,
            "escalated_address": d.to_address, "escalation_rota": d.rota, "escalation_error": d.error}


@functools.cache
def _raise():
    """A raise stored once: a repeat (or an acknowledgement's row that came first) keeps its own columns
    and takes what the raise describes.  Built once: building it per alert cost more than running it."""
    stmt = insert(AlertEvent)
    kept = ("subject", "metric_code", "severity", "value", "threshold", "feed_at")
    return stmt.on_conflict_do_update(index_elements=[AlertEvent.uuid],
                                      set_={c: getattr(stmt.excluded, c) for c in kept})


@functools.cache
def _rule_upsert():
    stmt = insert(AlertRule)
    kept = ("name", "metric_code", "threshold", "severity", "comparison", "enabled")
    return stmt.on_conflict_do_update(index_elements=[AlertRule.code],
                                      set_={c: getattr(stmt.excluded, c) for c in kept})


def _rule(conn: Connection, d) -> None:
    conn.execute(_rule_upsert(), {
        "code": d.rule_id, "sustained_minutes": 0, "name": d.rule_name, "metric_code": d.metric,
        "threshold": d.threshold, "severity": d.severity, "enabled": True,
        "comparison": "stale" if d.kind == "stale" else _COMPARISON[d.direction]})


def _fold(conn: Connection, rule_id: str, subject: str, uid: str, raised_at: datetime) -> None:
    """Fold the earlier cleared, unacknowledged alerts of this rule and subject into ``uid``."""
    window = to_utc_text(raised_at - timedelta(hours=SUMMARY_HOURS))
    earlier = select(AlertEvent.uuid).where(
        AlertEvent.rule_code == rule_id, AlertEvent.subject == subject, AlertEvent.uuid != uid,
        AlertEvent.folded_into.is_(None), AlertEvent.cleared_at.is_not(None),
        AlertEvent.acknowledged_at.is_(None), AlertEvent.raised_at >= window,
        AlertEvent.raised_at < to_utc_text(raised_at)).scalar_subquery()
    # Whatever those had folded comes along, so the newest holds the whole run.
    conn.execute(update(AlertEvent).where(AlertEvent.folded_into.in_(earlier)).values(folded_into=uid))
    conn.execute(update(AlertEvent).where(AlertEvent.uuid.in_(earlier)).values(folded_into=uid))
    _summarise(conn, uid)


def unfold(conn: Connection, uid: str) -> None:
    """An acknowledgement reached an alert folded into a later one (``uid`` was cleared and folded
    here before the acknowledgement, made on a desktop then off the network, arrived): it is listed
    again with its acknowledgement, and takes back the earlier alerts of its run, as on the desktop
    that acknowledged it, which never folded it.  Otherwise the second desktop hid the
    acknowledgement inside the later alert's "Raised 2 times" while the first showed it."""
    row = conn.execute(select(AlertEvent.folded_into, AlertEvent.raised_at).where(AlertEvent.uuid == uid)).first()
    if row is None or row.folded_into is None:
        return
    into = row.folded_into
    conn.execute(update(AlertEvent).where(AlertEvent.uuid == uid).values(folded_into=None))
    conn.execute(update(AlertEvent).where(AlertEvent.folded_into == into,
                                          AlertEvent.raised_at < to_utc_text(_aware(row.raised_at)))
                 .values(folded_into=uid))
    _summarise(conn, uid)
    _summarise(conn, into)


def _summarise(conn: Connection, uid: str) -> None:
    folded = conn.execute(select(func.count(), func.min(AlertEvent.raised_at))
                          .where(AlertEvent.folded_into == uid)).first()
    if not folded or not folded[0]:
        conn.execute(update(AlertEvent).where(AlertEvent.uuid == uid, AlertEvent.summary.is_not(None))
                     .values(summary=None))
        return
    me = conn.execute(select(AlertEvent.raised_at, AlertEvent.cleared_at).where(AlertEvent.uuid == uid)).first()
    raised = folded[0] + 1
    cleared = folded[0] + (1 if me.cleared_at is not None else 0)
    first = uk_clock(_aware(folded[1]))
    state = (f"open since {uk_clock(_aware(me.raised_at))}" if me.cleared_at is None
             else f"last cleared {uk_clock(_aware(me.cleared_at))}")
    conn.execute(update(AlertEvent).where(AlertEvent.uuid == uid).values(
        summary=f"Raised {raised} times, cleared {cleared} since {first} UK time; {state} UK time."))


def _aware(value) -> datetime:
    return value if isinstance(value, datetime) else from_utc_text(value)
