"""The ``seen`` of transfer events at given feed positions (``GET /v1/records/transfer-seen``, session 28).

A desktop that ran a version before session 24 while others were newer stored the transfer changes it
received without their ``seen`` (the clashing changes each one's author was shown); replica migration 0021
left them NULL, and it folded them by the old settling rule for good.  Only the hub still holds them: in its
feed, where desktop records are never pruned (docs/retention.md).  The desktop kept each change's feed
position (``transfer_event.feed_seq``) and asks for those positions here (``sync.transfer_seen``); the
hub's own snapshot replica is mended from the same rows (``sync.hub.snapshot.update``).

Not the feed read: ``GET /v1/feed?after=`` refuses a cursor behind the retention horizon (410), and the
changes a room made during a roll-out are usually behind it by the time the last desktop is upgraded; asked
one position at a time it is also one request per change.  Here: one read of the feed's rows by their key, at most
:data:`sync.protocol.MAX_SEEN_POSITIONS` a request.
"""

from __future__ import annotations

import json
import logging

from pydantic import ValidationError
from sqlalchemy import Connection, select

from sync import protocol as p
from sync import record_shapes
from sync.hub import schema as s

log = logging.getLogger(__name__)
# The query as the API's description gives it: 1 to MAX_SEEN_POSITIONS whole numbers of 1 to 18 digits (below
# INT64_MAX, so every one a position a feed can hold), comma-separated.  Only described: parse_positions checks
# it, with reasons in words (a pattern checked before it answered with the pattern as its reason: review r1,
# session 28); only the length is checked before, a bound on the work.
POSITION_DIGITS = 18
POSITIONS_PATTERN = rf"^[0-9]{{1,{POSITION_DIGITS}}}(,[0-9]{{1,{POSITION_DIGITS}}}){{0,{p.MAX_SEEN_POSITIONS - 1}}}$"
POSITIONS_MAX_CHARS = p.MAX_SEEN_POSITIONS * (POSITION_DIGITS + 1) - 1


def _seen(data) -> tuple[bool, list[str] | None]:
    """``(readable, seen)`` of a transfer event's ``data``: seen None when it has none (an older desktop's).
    Readable: what the hub's intake takes now (``sync.record_shapes.seen_problems``); a hub before that took
    entries with control characters, which no desktop could store: such an event is left out."""
    if not isinstance(data, dict):
        return False, None
    seen = data.get("seen")
    if seen is None:
        return True, None
    if not record_shapes.seen_problems(seen):
        return True, seen
    return False, None   # left out: the desktop keeps the old rule for it


def seen_at(conn: Connection, positions: list[int]) -> list[p.TransferSeen]:
    """The transfer events at ``positions`` (those that hold one), each with its ``seen``, in position order."""
    out = []
    rows = conn.execute(select(s.feed.c.seq, s.feed.c.data)
                        .where(s.feed.c.seq.in_(sorted(set(positions))), s.feed.c.kind == "record")
                        .order_by(s.feed.c.seq))
    for seq, raw in rows:
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(item, dict) or item.get("kind") != "transfer_event" or not isinstance(item.get("uuid"), str):
            continue
        readable, seen = _seen(item.get("data"))
        if not readable:
            log.warning("transfer event at feed position %d left out of its seen: its seen is not one a desktop "
                        "could store", seq)
            continue
        try:
            out.append(p.TransferSeen(position=seq, uuid=item["uuid"], seen=seen))
        except ValidationError as exc:   # one bad item never stops the answer (r1, session 28: it was a 500)
            log.warning("transfer event at feed position %d left out of its seen: %s", seq,
                        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    return out


def parse_positions(text: str) -> list[int] | str:
    """``positions`` as the query gives them (``12,40,41``: :data:`POSITIONS_PATTERN`), or the reason in words
    they cannot be read.  The endpoint's only check of the query besides its length."""
    if not text:
        return "give at least one feed position, e.g. positions=12,40,41"
    parts = text.split(",")
    if len(parts) > p.MAX_SEEN_POSITIONS:
        return f"{len(parts)} positions; at most {p.MAX_SEEN_POSITIONS} in one request"
    out = []
    for n, part in enumerate(parts, 1):
        if not part:
            return (f"position {n} of {len(parts)} is empty: give whole numbers with one comma between each, "
                    "e.g. positions=12,40,41")
        if not (part.isascii() and part.isdigit()) or len(part) > POSITION_DIGITS:
            return f"{part[:24]!r} is not a feed position (a whole number of 1 to {POSITION_DIGITS} digits 0-9)"
        out.append(int(part))
    return out
