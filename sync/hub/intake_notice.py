"""The hub's notice of each provider submission on the feed (kind ``intake_notice``, protocol 1.4).

Until 1.4 what the hub quarantined at intake was seen only by an admin (``GET /v1/quarantine``);
the room's desktops now get, for every submission, what was accepted and every quarantined item
with the hub's reasons, and the submission's own clock (``submitted_at`` beside the hub's
``received_at``).  Written in the submission's own transaction, so the notice and what it describes
commit together.  Bounded (``sync.limits.MAX_NOTICE_*``): a notice of a 10,000-row upload of bad
rows lists the first hundred and counts the rest; the hub's quarantine keeps them all.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sync.hub import schema as s
from sync.hub.validate import Checked
from sync.limits import (
    MAX_NOTICE_ERRORS,
    MAX_NOTICE_KEYS,
    MAX_NOTICE_RAW_CHARS,
    MAX_NOTICE_REJECTIONS,
    MAX_REASON_CHARS,
    text_problem,
)

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_NUL_OR_SURROGATE = re.compile("[\x00\ud800-\udfff]")


def _code(value: Any, limit: int) -> str | None:
    """``value`` if it can travel as a code in the notice, else None (the raw text still shows it)."""
    if isinstance(value, str) and 0 < len(value) <= limit and text_problem(value) is None:
        return value
    return None


def _field(text: str) -> str:
    return _CONTROL.sub("?", text)[:200] or "(item)"


def _text(text: str, limit: int) -> str:
    text = _NUL_OR_SURROGATE.sub("?", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def accepted_key(item) -> str:
    """Mirrors ``models.rules.quality.facts.accepted_key``: the metric of an observation, else the type."""
    return f"observation:{item.metric}" if item.type == "observation" else item.type


def rejection(chk: Checked) -> dict[str, Any]:
    raw = chk.raw if isinstance(chk.raw, dict) else {}
    item_type = _code(raw.get("type", "observation" if chk.row is not None else None), 40)
    return {
        "index": chk.index, "row": chk.row, "type": item_type,
        "metric": _code(raw.get("metric"), 80),
        "errors": [{"field": _field(e.field), "reason": _text(e.reason, MAX_REASON_CHARS)}
                   for e in chk.errors[:MAX_NOTICE_ERRORS]],
        "raw": _text(_raw_text(chk.raw), MAX_NOTICE_RAW_CHARS),
    }


def _raw_text(raw: Any) -> str:
    # Whatever was sent (nested hundreds deep, non-finite numbers): the notice must not fail the
    # submission's transaction over it; the hub's quarantine keeps the item itself for an admin.
    try:
        return json.dumps(raw, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError) as exc:
        return f"(not shown: {type(exc).__name__} writing it out; an admin sees it in the hub's quarantine)"


# The doors a submission comes in by (``sent_by.door``): the provider web form, its CSV upload, and the
# API's JSON and CSV endpoints under a token.  Phoned-in figures are not submissions: their record names
# who took the call (models.records.phoned_in).
DOORS = ("web_form", "web_upload", "api", "api_csv")


def sender(user: str, door: str, token_id: int | None) -> dict[str, Any]:
    """The notice's ``sent_by``: the account's (or the token's) user name, the door, the token's id.  A name
    with a control character (a token's name is not checked for them) is written with "?" for it, so no
    desktop refuses the notice over it."""
    if door not in DOORS:
        raise ValueError(f"door: {door!r} is not one of {', '.join(DOORS)}")
    return {"user": _CONTROL.sub("?", user)[:120] or "(no name)", "door": door, "token_id": token_id if door in ("api", "api_csv") and token_id else None}


def unchecked_declaration(index: int, item, pillar: str, why) -> dict[str, Any]:
    """The notice's entry for an OPEL declaration taken without its level checked: ``why`` is
    ``sync.hub.opel_as_of.NotKnown`` (the figures of its time are no longer held, and why)."""
    return {"index": index, "type": "opel_declaration", "pillar": pillar, "declared_level": item.declared_level,
            "assessed_at": s.iso(item.assessed_at), "history_from": s.iso(why.floor),
            "parameters": [_field(k)[:80] for k in why.parameters[:MAX_NOTICE_KEYS]],
            "cause": _text(why.cause, MAX_REASON_CHARS)}


def notice(submission_id: str, org_code: str, source: str, submitted_at: datetime, received_at: datetime,
           checked: list[Checked], sent_by: dict[str, Any] | None = None,
           unchecked: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The notice's ``data`` for a submission whose items have been checked and stored.  ``unchecked``
    (session 29, only when there are any): items taken without a check they would have had
    (:func:`unchecked_declaration`)."""
    keys = list(dict.fromkeys(accepted_key(c.item) for c in checked if c.item is not None))
    rejected = [c for c in checked if c.errors]
    extra = {"unchecked": unchecked[:MAX_NOTICE_REJECTIONS]} if unchecked else {}
    return {
        "submission_id": submission_id, "org_code": org_code, "source": source,
        "submitted_at": s.iso(submitted_at), "received_at": s.iso(received_at),
        "accepted": sum(1 for c in checked if c.item is not None),
        "accepted_keys": keys[:MAX_NOTICE_KEYS],
        "rejected": [rejection(c) for c in rejected[:MAX_NOTICE_REJECTIONS]],
        "rejected_count": len(rejected),
        "sent_by": sent_by,
        **extra,
    }


def emit(w, submission_id: str, org_code: str, source: str, submitted_at: datetime,
         checked: list[Checked], sent_by: dict[str, Any] | None = None,
         unchecked: list[dict[str, Any]] | None = None) -> int:
    return w.emit("intake_notice", notice(submission_id, org_code, source, submitted_at, w.now, checked, sent_by,
                                          unchecked), org_code)
