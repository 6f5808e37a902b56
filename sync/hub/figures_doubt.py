"""Open alerts whose figures a data-quality finding doubts, worked out on the hub from what it holds.

The desktop runs the data-quality checks (``models.rules.quality``) on its replica and marks an open
alert "In doubt (data quality): ..." when a finding doubts the figures behind it
(``models.rules.quality.doubt``).  The escalation email and ``/m/`` are made on the hub, where no
finding is stored: here the same checks run, at the moment of asking, on the same data as the hub
keeps it on its feed, for the alerts' own providers and metrics only:

- observations: the typed ``feed_observation`` rows (each item as the replica stores it, its feed
  position its ``feed N``) of the alert's provider and the metrics it rests on, observed in the
  desktop's window (``models.records.quality.READ_HOURS`` before ``now``);
- critical care reports: ``critcon`` items of the alert's provider, their staffed beds as a series
  and the newest report's staffed and occupied beds, as the desktop reads ``critcon_status``.

The checks are per series, so running them on a few series gives what they give those series on the
whole replica.  Each doubt names who sent the figure, as the desktop's alert centre does
(:func:`sent_by`, in ``models.service.submission_sender``'s words): the same whole text on the desktop,
``/m/`` and in the email.  What this cannot see as the desktop does: a finding the desktop found earlier about
figures now before its checks' windows, which it keeps open without looking again (for up to 7
days); and a unit whose newest report is older than the positions read (``AHEAD`` before the window).

**Within a deadline** (:func:`doubted_within`, what the escalation email and ``/m/`` call): the check
runs in a worker thread and the caller waits at most ``CHECK_SECONDS``; past it, :class:`NotInTime` (the
email goes saying the figures could not be checked in time).  The worker's own read is bounded on its
connection too, so it ends soon after and gives its connection back rather than waiting out the
database's long limits (SQLite's 30 s busy wait, PostgreSQL's 30 s lock and 60 s statement timeouts,
each per statement): on PostgreSQL ``SET LOCAL statement_timeout`` and ``lock_timeout`` of the budget;
on SQLite a progress handler that interrupts a statement past the deadline and a busy wait of the budget
(both put back before the connection returns to the pool); on both, no statement begins past the
deadline (``sync.hub.read_bound``, shared with ``/m/``'s board).  At most ``WORKERS`` checks run at once: one still running past its deadline is not joined
by more.  Nothing is cancelled from another thread (a cancel arriving late could stop another user's
query on a pooled connection).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from models.records.quality import READ_HOURS, settings_for
from models.replica.utc import from_utc_text
from models.rules.escalation import OpenAlert
from models.rules.quality import doubt
from models.rules.quality.facts import CritcareBeds, Reading
from models.rules.quality.finding import Finding
from models.rules.quality.run import Facts, check_all
from models.service import submission_sender
from models import record_signer
from sync.hub import schema as s
from sync.hub.feed_positions import first_since
from sync.hub.read_bound import NotInTime, bounded_read, late

log = logging.getLogger("sync.hub")
# Positions written this long before the window are read too: a value is stamped near its receipt, but
# one stamped up to this far ahead of it (the "impossible" check's own case) still falls in the window.
AHEAD = timedelta(hours=6)
_CRITCARE = ("cc_staffed_beds", "cc_occupied_beds")
_CHUNK = 500
CHECK_SECONDS = 3.0   # the most an email (or /m/) waits for the check; it takes 20-400 ms (docs/escalation.md)
WORKERS = 2           # checks running at once, per process (an escalation check and /m/'s)
_slots = threading.BoundedSemaphore(WORKERS)


def doubted_within(db, alerts: Iterable[OpenAlert], now: datetime,
                   seconds: float = CHECK_SECONDS) -> dict[str, list[Doubt]]:
    """:func:`doubted`, waited for at most ``seconds``: what it says when it is in time, else
    :class:`NotInTime`; its own failure is raised as it is."""
    alerts = list(alerts)
    if not any(a.org_code and doubt.rests_on(a.metric) for a in alerts):
        return {}
    if not _slots.acquire(blocking=False):
        raise NotInTime(f"not checked: {WORKERS} earlier checks still running past their deadline")
    deadline = time.monotonic() + seconds
    out: dict = {}

    def work() -> None:
        try:
            out["found"] = doubted(db, alerts, now, read=lambda: bounded_read(db, deadline))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, if it still waits
            out["error"] = exc
        finally:
            _slots.release()

    worker = threading.Thread(target=work, name="figures-doubt", daemon=True)
    try:
        worker.start()
    except RuntimeError:   # no thread to be had: its slot back, and the caller told
        _slots.release()
        raise
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        log.warning("figures in doubt: not checked within %.1f s; the check ends on its own", seconds)
        raise NotInTime(f"not checked within {seconds:g} s")
    if "error" in out:
        if late(out["error"]):
            raise NotInTime(f"not checked within {seconds:g} s ({out['error']})"[:300]) from out["error"]
        raise out["error"]
    return out["found"]


@dataclass(frozen=True)
class Doubt:
    """One finding that doubts an alert's figures, as it is shown and recorded."""

    check: str
    metric: str | None
    at: datetime | None
    submission: str | None
    words: str            # "In doubt (data quality): <what is wrong>. Sent by <who, by which door>.": the desktop's
    detail: str           # the finding's whole sentence, with what would fix it
    sent_by: str = ""     # "Sent by <who, by which door>." (or "Phoned in ...", "Sender not recorded (...)."), in words

    def as_json(self) -> dict:
        return {"check": self.check, "metric": self.metric, "at": None if self.at is None else s.iso(self.at),
                "submission": self.submission, "words": self.words, "sent_by": self.sent_by}


def doubted(db, alerts: Iterable[OpenAlert], now: datetime, read=None) -> dict[str, list[Doubt]]:
    """Alert id -> the findings that doubt its figures now (oldest figures first); alerts with none left out.
    ``read``: the read transaction to use (``db.read`` unless given)."""
    wanted = [a for a in alerts if a.org_code and doubt.rests_on(a.metric)]
    if not wanted:
        return {}
    settings = settings_for()
    known = set(settings.known_metrics or ())
    since = now - timedelta(hours=READ_HOURS)
    with (read or db.read)() as conn:
        levels = _opel_figures(conn, sorted({a.org_code for a in wanted if a.metric == doubt.OPEL_LEVEL}))
        basis = {a.id: levels.get(a.org_code, {}) if a.metric == doubt.OPEL_LEVEL
                 else doubt.figures(a.metric, a.raised_at) for a in wanted}
        metrics = {m for b in basis.values() for m in b} & known
        if not metrics:   # levels with nothing scored, the hub's own figures (waits, hours lost): nothing to check
            return {}
        orgs = sorted({a.org_code for a in wanted if set(basis[a.id]) & metrics})
        head = db.head(conn)
        start = first_since(conn, since - AHEAD, head)
        readings = _observations(conn, start, head, orgs, metrics, since)
        critcare: list[CritcareBeds] = []
        if metrics & set(_CRITCARE):
            staffed, critcare = _critcon(conn, start, head, orgs, since)
            if "cc_staffed_beds" in metrics:
                readings += staffed
        # Oldest figures first, the checks' own order between findings about one time: the order a desktop
        # finds them in, and lists them by.
        found = sorted(check_all(Facts(readings=readings, critcare=critcare), now, settings),
                       key=lambda f: f.at or now)
        hits = {a.id: doubt.doubting(a.org_code, a.metric, a.raised_at, found, basis[a.id]) for a in wanted}
        senders = sent_by(conn, head, {f.submission for fs in hits.values() for f in fs})
    return {uid: [_doubt(f, senders.get(f.submission)) for f in fs] for uid, fs in hits.items() if fs}


def _opel_figures(conn, orgs: list[str]) -> dict[str, dict[str, datetime]]:
    """Each provider's scored OPEL parameters (``doubt.opel_figures``) in its current assessment, as the hub
    keeps it (``opel_current``: what the provider's level on the feed was scored from)."""
    oc = s.opel_current.c
    out = {}
    for i in range(0, len(orgs), _CHUNK):
        for org, text in conn.execute(select(oc.key, oc.data).where(
                oc.scope == "provider", oc.key.in_(orgs[i:i + _CHUNK]))).all():
            try:
                d = json.loads(text)
                params = [(p["key"], p.get("points"), p.get("weighted_points"),
                           datetime.fromisoformat(p["observed_at"]) if p.get("observed_at") else None)
                          for p in d.get("parameters") or ()]
                out[org] = doubt.opel_figures(d.get("pillar"), d.get("declared_level"), d.get("level"), params)
            except (ValueError, TypeError, KeyError) as exc:   # stored by this hub, so well-formed
                log.warning("figures in doubt: OPEL assessment of %s not understood (%s); skipped", org, exc)
    return out


def _doubt(f: Finding, sender: submission_sender.Sender | None) -> Doubt:
    line = f"{submission_sender.line(sender)}."
    return Doubt(f.check, f.metric, f.at, f.submission, f"{doubt.words(f.detail)} {line}", f.detail, line)


def sent_by(conn, head: int, refs: Iterable[str | None]) -> dict[str, submission_sender.Sender | None]:
    """Who sent each doubted figure (``feed N``), as the desktop names it (``models.service.submission_sender``)
    from what the hub holds, exactly:

    - a figure phoned in to the SCC (its item carries the call's ``phoned_in_uuid``): the call, as the desktop
      that recorded it pushed it (``record`` -> its feed item): who phoned, with their role, and who typed it;
    - else the intake notice of the submission that brought it: the first ``intake_notice`` after the item,
      of the same provider and written in the same transaction (``created_at``; the hub writes a submission's
      items and then its notice together): the web account or the API token, and the door;
    - none found (an item from before notices, protocol 1.4; a notice from before senders): None, "sender not
      recorded", as the desktop says it.

    One read for the items, then per doubted figure the call (two reads by primary key) or the notice (the
    feed read forward from the item by primary key to the first notice: its submission's, a few positions
    on), inside the check's bounded read."""
    seqs = sorted({int(r[5:]) for r in refs if r and r.startswith("feed ") and r[5:].isdigit()})
    if not seqs:
        return {}
    f = s.feed.c
    out: dict[str, submission_sender.Sender | None] = {}
    for seq, org, text, created in conn.execute(select(f.seq, f.org_code, f.data, f.created_at).where(
            f.seq.in_(seqs))).all():
        try:
            call = json.loads(text).get("phoned_in_uuid")
            out[f"feed {seq}"] = _caller(conn, call) if call else _submitter(conn, head, seq, org, created)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:   # stored by this hub, so well-formed
            log.warning("figures in doubt: the sender of feed %s not understood (%s); said not recorded", seq, exc)
            out[f"feed {seq}"] = None
    return out


def _submitter(conn, head: int, seq: int, org: str | None, created) -> submission_sender.Sender | None:
    f = s.feed.c
    notice = conn.execute(select(f.org_code, f.data, f.created_at).where(
        f.seq > seq, f.seq <= head, f.kind == "intake_notice").order_by(f.seq).limit(1)).first()
    if notice is None or notice[0] != org or _aware(notice[2]) != _aware(created):
        return None
    return submission_sender.from_notice(json.loads(notice[1]).get("sent_by"))


def _caller(conn, call: str) -> submission_sender.Sender | None:
    at = conn.execute(select(s.record.c.seq).where(s.record.c.uuid == call, s.record.c.kind == "phoned_in")).scalar()
    text = None if at is None else conn.execute(select(s.feed.c.data).where(s.feed.c.seq == at)).scalar()
    if text is None:
        return None
    rec = json.loads(text)
    d = rec["data"]
    name, role = d["caller_name"], d.get("caller_role")
    # Who typed it as the desktops keep it: the token's user first when the name signed differs.
    typed = record_signer.shown(d["taken_by"], rec.get("author"), rec.get("device_id")) or d["taken_by"]
    return submission_sender.Sender(typed, "phoned_in", caller=f"{name} ({role})" if role else name)


def _observations(conn, start: int, head: int, orgs: list[str], metrics: set[str], since: datetime) -> list[Reading]:
    plain = sorted(metrics)
    if not plain:
        return []
    fo = s.feed_observation.c
    out = []
    for i in range(0, len(orgs), _CHUNK):
        rows = conn.execute(select(fo.seq, fo.org_code, fo.metric, fo.observed_at, fo.value, fo.received_at).where(
            fo.seq > start, fo.seq <= head, fo.org_code.in_(orgs[i:i + _CHUNK]), fo.metric.in_(plain))).all()
        for seq, org, metric, observed, value, received in rows:
            try:
                at = from_utc_text(observed)
                if at >= since:
                    out.append(Reading(org, metric, at, float(value), from_utc_text(received), f"feed {seq}"))
            except (ValueError, TypeError) as exc:   # stored by this hub, so well-formed; never a failed email
                log.warning("figures in doubt: observation at feed %s not understood (%s); skipped", seq, exc)
    return out


def _critcon(conn, start: int, head: int, orgs: list[str], since: datetime) -> tuple[list[Reading], list[CritcareBeds]]:
    """Each report's staffed beds in the window, as a series; each unit's newest report (by its time, then
    feed position, as the replica orders ``critcon_status``), when it gives both staffed and occupied beds."""
    f = s.feed.c
    staffed, newest = [], {}
    for i in range(0, len(orgs), _CHUNK):
        rows = conn.execute(select(f.seq, f.org_code, f.data, f.created_at).where(
            f.seq > start, f.seq <= head, f.kind == "critcon", f.org_code.in_(orgs[i:i + _CHUNK]))).all()
        for seq, org, text, created in rows:
            try:
                d = json.loads(text)
                at = datetime.fromisoformat(d["reported_at"])
                got = datetime.fromisoformat(d["received_at"]) if d.get("received_at") else _aware(created)
                beds, occupied = d.get("staffed_beds"), d.get("occupied_beds")
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("figures in doubt: critcon at feed %s not understood (%s); skipped", seq, exc)
                continue
            if beds is not None and at >= since:
                staffed.append(Reading(org, "cc_staffed_beds", at, float(beds), got, f"feed {seq}"))
            if org not in newest or (at, seq) > newest[org][:2]:
                newest[org] = (at, seq, beds, occupied)
    reports = [CritcareBeds(org, at, int(beds), int(occupied), f"feed {seq}")
               for org, (at, seq, beds, occupied) in newest.items() if beds is not None and occupied is not None]
    return staffed, reports


def _aware(value) -> datetime:
    value = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return value if value.utcoffset() is not None else value.replace(tzinfo=timezone.utc)
