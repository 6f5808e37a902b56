"""Who sent a provider's figures and by which door, in the words every desktop place uses.

The hub's intake notice names the sender (protocol ``FeedSender``, stored in ``intake_notice.sent_by``):
the web account (the provider form, its CSV upload) or the API token (its id and user name).  A notice
from a hub before senders were recorded, or held before migration 0024, has none: "sender not
recorded".  Figures phoned in to the SCC are not submissions: their call names who phoned and which
room member typed them (``phoned_in_call``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from models.replica.utc import from_utc_text, to_utc_text

NOT_RECORDED = "sender not recorded (the hub did not name it: a hub from before senders were recorded)"
_DOORS = {"web_form": "the provider web form", "web_upload": "a CSV upload on the provider web form",
          "api": "the API", "api_csv": "a CSV file through the API"}


@dataclass(frozen=True)
class Sender:
    user: str                     # the web account, the API token's user, or who typed a phoned-in call
    door: str                     # web_form, web_upload, api, api_csv, phoned_in (another: shown as sent)
    token_id: int | None = None   # the API token's id
    caller: str | None = None     # phoned_in: who phoned, with their role

    def words(self) -> str:
        """"web form, account 'j.smith'"-style words, one line."""
        if self.door == "phoned_in":
            return f"phoned in to the SCC by {self.caller}, typed by {self.user}"
        if self.door in ("api", "api_csv"):
            token = f"token {self.token_id}" if self.token_id else "a token"
            return f"{_DOORS[self.door]}, {token} of user '{self.user}'"
        return f"{_DOORS.get(self.door, self.door)}, account '{self.user}'"


def from_notice(value) -> Sender | None:
    """``intake_notice.sent_by`` as stored (a dict, or its JSON text as a raw read gives it); None when
    the hub did not record it or what is held cannot be read."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict) or not isinstance(value.get("user"), str) or not isinstance(value.get("door"), str):
        return None
    token = value.get("token_id")
    return Sender(value["user"], value["door"], token if isinstance(token, int) else None)


def words(sender: Sender | None) -> str:
    """The sender's words, or "sender not recorded (...)"."""
    return NOT_RECORDED if sender is None else sender.words()


def line(sender: Sender | None) -> str:
    """"Sent by <words>", "Phoned in to the SCC by ..., typed by ..." or "Sender not recorded (...)", a
    sentence's start (no full stop)."""
    if sender is None:
        return NOT_RECORDED[0].upper() + NOT_RECORDED[1:]
    said = sender.words()
    return said[0].upper() + said[1:] if sender.door == "phoned_in" else f"Sent by {said}"


def phoned_call(s, org_code: str, metric: str | None, at: datetime | None) -> Sender | None:
    """The phoned-in call that gave ``org_code``'s ``metric`` at ``at`` (the call's time is the figures'):
    who phoned and who typed it; None when no call this desktop holds did."""
    if at is None:
        return None
    rows = s.execute(text("SELECT caller_name, caller_role, taken_by, figures FROM phoned_in_call"
                          " WHERE org_code = :org AND phoned_at = :at ORDER BY recorded_at DESC"),
                     {"org": org_code, "at": to_utc_text(at)}).all()
    for name, role, taken_by, figures in rows:
        if metric is None or metric in (figures if isinstance(figures, dict) else _json(figures)):
            return Sender(taken_by, "phoned_in", caller=f"{name} ({role})" if role else name)
    return None


def newest(s, org_code: str) -> tuple[datetime, Sender | None, str, int, int] | None:
    """The provider's newest submission the hub took: (received at, sender, source, accepted,
    quarantined), through the (org_code, received_at) index; None when the hub has sent none."""
    row = s.execute(text("SELECT received_at, sent_by, source, accepted, rejected_count FROM intake_notice"
                         " WHERE org_code = :org ORDER BY received_at DESC, id DESC LIMIT 1"),
                    {"org": org_code}).first()
    if row is None:
        return None
    return from_utc_text(row[0]), from_notice(row[1]), row[2], row[3] or 0, row[4] or 0


def _json(value) -> dict:
    try:
        out = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return out if isinstance(out, dict) else {}
