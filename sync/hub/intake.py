"""Provider submissions: check every item, store the good, quarantine the bad, score.

One submission is one write transaction: the good items go on the feed, the
bad ones into ``quarantine`` with every reason, the receipt is stored under
``submission_id`` and OPEL is rescored, all or nothing. Ids are the organisation's own: two
organisations may use the same one. A retry with the same ``submission_id`` from the same
organisation gets the stored receipt back with ``duplicate = true`` and stores nothing; if
its items differ from what was stored under that id (:func:`content_hash`), it is a 409
instead, so new figures are never dropped as a duplicate. A submission with no good item is
not recorded under its id (the provider may fix it and resend with the same
id); its items are still quarantined, and the caller answers 422.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import BigInteger, Connection, insert, literal, select

from sync import protocol as p
from sync.hub import intake_notice
from sync.hub import handover_owner, item_sectors, opel_as_of
from sync.hub import schema as s
from sync.hub.auth import SUBMIT, Principal, require, require_org
from sync.hub.db import Writer
from sync.hub.errors import ApiError, validation
from sync.hub.validate import Checked
from sync.limits import MAX_DATA_DEPTH

log = logging.getLogger(__name__)
_SURROGATE = re.compile("[\ud800-\udfff]")
_KEPT_DEPTH = MAX_DATA_DEPTH + 1  # a record's data sits one level down in what is quarantined


def storable(text: str) -> str:
    """``text`` with any lone surrogate written out as ``\\udXXX``: it cannot be encoded as UTF-8,
    so neither stored nor sent, and the admin reading the quarantine should see it."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _SURROGATE.search(text) else text


def sanitize(value: Any, depth: int = 1) -> Any:
    """``value`` as it can be stored and served as JSON: non-finite floats and lone surrogates
    as text, anything nested beyond what a record may hold replaced by a note saying so."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, (dict, list, tuple)) and depth > _KEPT_DEPTH:
        return f"(not kept: nested deeper than {MAX_DATA_DEPTH} levels)"
    if isinstance(value, dict):
        return {storable(str(k)): sanitize(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v, depth + 1) for v in value]
    return value


def wire(item: BaseModel) -> dict[str, Any]:
    """An item's fields for the feed, times in UTC ISO 8601."""
    out = {}
    for name, value in item:
        if name != "type":
            out[name] = s.iso(value) if isinstance(value, datetime) else value
    return out


def org_row(conn: Connection, org_code: str):
    return conn.execute(select(s.organisation).where(s.organisation.c.ods_code == org_code)).first()


def content_hash(source: str, checked: list[Checked], month_first: bool | None = None) -> str:
    """SHA-256 of what a submission holds (its source and items as sent, before checking); the
    envelope's ``submitted_at`` is left out, so a client that stamps each send still retries.
    ``month_first``: the CSV's month-first order is hashed in; by default when its sender said it and it
    reads some cell otherwise (``CsvRows.reads_both_ways``)."""
    raw = [c.raw for c in checked]
    # A CSV read month first as its sender said is other figures from the same bytes (none before session 31),
    # when a date in it reads both ways: said of a file of ISO times it was a 409 "for other items" on a resend
    # under its id with nothing read otherwise (r2's review, session 31).
    if month_first is None:
        month_first = any(c.month_first for c in checked) and getattr(checked, "reads_both_ways", True)
    said = [source, raw] + (["month_first"] if month_first else [])
    text = json.dumps(said, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=repr)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def same_content(source: str, checked: list[Checked], digest: str) -> set[str]:
    """The hashes that name the content ``digest`` names: with no cell a said order reads otherwise, also the
    hash with the month-first order in it, as stored while it was hashed whenever said (session 31)."""
    if getattr(checked, "reads_both_ways", True):
        return {digest}
    return {digest, content_hash(source, checked, month_first=True)}


def check_submitter(hub, principal: Principal, org_code: str):
    """Rights and organisation checks; returns the organisation's row (its sector picks its OPEL pillar)."""
    require(principal, SUBMIT, "submit provider data")
    require_org(principal, org_code)
    with hub.db.read() as conn:
        org = org_row(conn, org_code)
    if org is None or not org.active:
        raise ApiError(422, "unknown_organisation", f"organisation '{org_code}' is not known to this hub "
                       "(or is inactive); an admin adds it with 'scc-desktop hub org add'",
                       [p.FieldError(field="org_code", reason=f"'{org_code}' is not a known organisation")])
    return org


def submit(hub, principal: Principal, submission_id: str, org_code: str, submitted_at: datetime,
           checked: list[Checked], source: str, match_content: bool = False,
           door: str | None = None) -> p.SubmissionReceipt:
    """Store a checked submission; returns the receipt or raises ApiError (409, 422).

    ``door``: how it came (``intake_notice.DOORS``); the room's notice names it with the sender
    (default: the API's, by ``source``).

    ``match_content``: a resend of the id with other items is a 409 (the API); without it (the
    web form, whose resends are the same form page) every resend is a duplicate."""
    digest = content_hash(source, checked) if match_content else None
    sent_by = intake_notice.sender(principal.user, door or ("api_csv" if source == "csv" else "api"),
                                   principal.token_id)
    sector = check_submitter(hub, principal, org_code).sector
    pillar = hub.opel.pillar_of(sector)
    for chk in checked:
        if chk.item is None and not chk.errors:
            hub.validator.check(chk, pillar)
    with hub.db.write() as w:
        # Only the columns needed: a row stored with a time nothing can read back (a year below
        # 1000, before intake bounded times) must not make every resend fail.
        prior = w.conn.execute(select(s.submission.c.content_hash, s.submission.c.receipt).where(
            s.submission.c.org_code == org_code, s.submission.c.submission_id == submission_id)).first()
        if prior is not None:
            if digest is not None and prior.content_hash is not None and prior.content_hash != digest \
                    and prior.content_hash not in same_content(source, checked, digest):
                raise ApiError(409, "conflict", f"submission_id '{submission_id}' was already used by "
                               f"organisation '{org_code}' for other items; nothing was stored: send "
                               "these under a new id",
                               [p.FieldError(field="submission_id", reason="already used for other items")])
            return p.SubmissionReceipt.model_validate_json(prior.receipt).model_copy(update={"duplicate": True})
        item_sectors.check(org_code, sector, checked)
        handover_owner.check_and_claim(w, hub.db.kind, org_code, sector, checked)
        unchecked: list[dict] = []   # declarations taken without the check a level needs (the room is told)
        accepted = _store_items(hub, w, org_code, pillar, submission_id, checked, unchecked)
        rejected = [c for c in checked if c.errors]
        _quarantine(w.conn, w.now, source, submission_id, org_code, principal.user, rejected)
        intake_notice.emit(w, submission_id, org_code, source, submitted_at, checked, sent_by,  # the room too
                           unchecked)
        receipt = p.SubmissionReceipt(
            submission_id=submission_id, accepted=accepted,
            rejected=[p.ItemRejection(index=c.index, errors=c.errors, row=c.row) for c in rejected],
            ignored=list(getattr(checked, "ignored", ())))   # a CSV's empty columns (validate.CsvRows)
        if accepted:
            w.conn.execute(insert(s.submission).values(
                submission_id=submission_id, org_code=org_code, source=source, submitted_at=submitted_at,
                received_at=w.now, submitted_by=principal.user, receipt=receipt.model_dump_json(),
                content_hash=digest))
    if not accepted:
        raise validation(f"none of the {len(checked)} item(s) was accepted; nothing was stored "
                         "(the items are quarantined; fix them and resend)",
                         [e for c in rejected for e in c.errors])
    return receipt


def _store_items(hub, w: Writer, org_code: str, pillar: str | None, submission_id: str,
                 checked: list[Checked], unchecked: list[dict] | None = None) -> int:
    """Put the good items on the feed; returns how many were accepted.  ``unchecked`` gets each declaration
    taken without its level checked (``intake_notice.unchecked``)."""
    stamp = {"org_code": org_code, "received_at": s.iso(w.now), "submission_id": submission_id}
    rescore = False
    declarations = []
    own = []   # this submission's figures (metric, value, observed_at, seq), for a backfilled declaration
    accepted = 0
    latest = hub.opel.values(w.conn, org_code, pillar)
    for chk in checked:
        item = chk.item
        if item is None:
            continue
        if item.type == "opel_declaration":
            declarations.append(chk)
            continue
        data = {**wire(item), **stamp}
        if item.type == "observation":
            data["source"] = "provider"
        elif item.type == "handover":  # the replica keys a handover on the ambulance service
            data.update(ambulance_org=org_code, updated_at=stamp["received_at"])
        seq = w.emit(item.type, data, org_code)
        accepted += 1
        if item.type == "observation":
            rescore |= latest.offer(item.metric, item.value, item.observed_at, seq)
            own.append((item.metric, item.value, item.observed_at, seq))
    latest.write()
    for chk in declarations:
        if _declare(hub, w.conn, org_code, pillar, chk, latest.stored, own, unchecked):
            rescore = True
        if chk.item is not None:
            accepted += 1
    if rescore and pillar is not None:
        hub.opel.rescore(w, [(org_code, pillar)])
    return accepted


def _declare(hub, conn: Connection, org_code: str, pillar: str, chk: Checked,
             kept: dict[str, datetime], own: list[tuple[str, float, datetime, int]],
             unchecked: list[dict] | None = None) -> bool:
    """Store a declaration; a level that differs from the one calculated at its ``assessed_at``
    needs a reason. ``kept``: the newest time of each parameter the hub holds (``LatestValues``).

    A declaration no older than every figure kept is checked against the latest parameters (no
    read); an older one (a backfill) against the parameters as they stood at its time
    (``opel_as_of``). When those cannot be worked out it is taken, not refused for a later
    figure: the log says so, and so does the submission's notice to the room (``unchecked``, session 29:
    before, the log alone)."""
    item: p.OpelDeclarationItem = chk.item
    reason = (item.reason or "").strip()
    if reason:
        calc, basis = None, ""
    elif not kept or max(kept.values()) <= item.assessed_at:
        calc, basis = hub.opel.calculated(conn, org_code, pillar), "the hub's latest parameters"
    else:
        calc = hub.opel.calculated_at(conn, org_code, pillar, item.assessed_at, own)
        basis = f"the parameters as they stood at {s.iso(item.assessed_at)}"
        if isinstance(calc, opel_as_of.NotKnown):
            log.warning("declaration of OPEL %s by %s assessed at %s taken unchecked: %s",
                        item.declared_level, org_code, s.iso(item.assessed_at), calc)
            if unchecked is not None:
                unchecked.append(intake_notice.unchecked_declaration(chk.index, item, pillar, calc))
            calc = None
    if calc is not None and item.declared_level != calc.level:
        shown = f"OPEL {calc.level}" if calc.level else (
            f"incomplete, at least OPEL {calc.at_least_level}" if calc.at_least_level else "incomplete")
        chk.reject("reason", f"declared OPEL {item.declared_level} differs from the calculated level "
                             f"({shown}, from {basis}); give a reason")
        return False
    return hub.opel.record_declaration(conn, org_code, pillar, item.declared_level, reason or None,
                                       item.assessed_at)


def _quarantine(conn: Connection, now: datetime, source: str, submission_id: str | None, org_code: str | None,
                user: str, rejected: list[Checked]) -> None:
    if not rejected:
        return
    conn.execute(insert(s.quarantine), [{
        "received_at": now, "source": source, "submission_id": submission_id, "org_code": org_code,
        "item_index": c.index, "row": c.row, "submitted_by": user,
        "raw": json.dumps(sanitize(c.raw), ensure_ascii=False),
        "errors": json.dumps([e.model_dump() for e in c.errors], ensure_ascii=False)} for c in rejected])


def quarantine_records(hub, user: str, rejected: list[tuple[int, Any, list[p.FieldError]]]) -> None:
    """Keep rejected desktop records (index, raw, errors) for the admin."""
    if not rejected:
        return
    with hub.db.plain() as conn:
        _quarantine(conn, s.utcnow(), "record", None, None, user,
                    [Checked(index=i, raw=raw, errors=errs) for i, raw, errs in rejected])


def list_quarantine(hub, after_id: int, limit: int, org_code: str | None) -> dict[str, Any]:
    # As BIGINT: the column is 32-bit on PostgreSQL, and a cursor past it must find nothing, not fail.
    query = (select(s.quarantine).where(s.quarantine.c.id > literal(after_id, BigInteger))
             .order_by(s.quarantine.c.id).limit(limit))
    if org_code:
        query = query.where(s.quarantine.c.org_code == org_code)
    with hub.db.read() as conn:
        rows = conn.execute(query).all()
    items = [{"id": r.id, "received_at": s.iso(r.received_at), "source": r.source,
              "submission_id": r.submission_id, "org_code": r.org_code, "index": r.item_index,
              "row": r.row, "submitted_by": r.submitted_by, "raw": json.loads(r.raw),
              "errors": json.loads(r.errors)} for r in rows]
    return {"items": items, "next_after_id": items[-1]["id"] if items else after_id}
