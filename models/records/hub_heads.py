"""The decision log's chain heads compared with the hub's: an entry removed here that no later link names.

The checks of :mod:`models.records.verify` follow each chain's links, so a removed entry shows where a
later entry names it; the newest entries of another desktop removed from this replica before anything was
chained after them left nothing here to name them (hazard H-08). The hub still holds them, and says each
chain's head (``GET /v1/records/heads``: per device its highest ``device_seq``, with that decision's uuid,
content hash and feed position; for its own chain its highest ``hub_seq`` and ``hub_hash``).

Compared here, in the read that checks the log (the feed cursor and the rows of one read transaction):

- a head at a feed position above the one this replica has applied is not judged: the feed has not
  brought it yet (mid-sync), and it is counted as such;
- a head at or below it must be held here, under the same device and number with the same content hash
  (for the hub chain's head, at its ``hub_seq`` with its ``hub_hash``); else it is named: "decision
  <device>/<seq> held by the hub is missing here", or "... reads another hash here". With the head held, the
  device chain's own links (verify's device-chain check) vouch for every entry below it;
- a decision held here under its uuid but another device or number is not missing: a replica that found it
  shared its identity with a copy records the decisions the hub did not hold again under a new identity
  (``sync.shared_identity``), and one whose receipt was lost may have been among them;
- one this replica quarantined from the feed (it could not store it) is named as such, not as removed;
- a hub other than the one this replica follows (its ``hub_id`` against the one the replica kept) is not
  compared at all: its feed positions are another feed's, and every head would look missing;
- entries held here that the hub has not (not yet sent, or refused by the hub) are not this comparison's
  business: verify's other checks and the outbox say what they are.

No network here: the caller asks the hub (``sync.record_heads``) before its read and passes what it said,
or why it could not ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass
class Compared:
    """What the comparison found: ``said`` for a person; ``compared`` False when it could not be made."""

    compared: bool
    said: str
    chains: int = 0          # chain heads compared (devices, and the hub chain)
    ahead: int = 0           # heads the feed has not brought here yet (not judged)
    problems: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def not_compared(reason: str) -> Compared:
    return Compared(False, f"not compared with the hub's chain heads: {reason}")


def _cursor(session: Session) -> int:
    return int(session.execute(text("SELECT max(position) FROM feed_cursor WHERE feed = 'main'")).scalar() or 0)


def _name(head) -> str:
    return f"decision {head.device_id}/{head.device_seq}"


def _followed_hub(session: Session) -> str | None:
    """The id of the hub whose feed this replica follows (``replica_meta`` ``hub_id``: kept at its first sync
    or its snapshot join), None when not known (a replica that has not synced since session 27)."""
    return session.execute(text("SELECT value FROM replica_meta WHERE key = 'hub_id'")).scalar()


def compare(session: Session, heads) -> Compared:
    """``heads``: the hub's answer (``sync.protocol.RecordHeads``, read by attribute), asked before this read."""
    followed, asked = _followed_hub(session), getattr(heads, "hub_id", None)
    if followed and asked and followed != asked:   # positions are another feed's: every head would look missing
        return not_compared(f"the hub asked (id {asked}) is not the one this replica follows (id {followed}); "
                            "its feed positions are another's")
    cursor = _cursor(session)
    if heads.head < cursor:
        return not_compared(f"this replica has applied the feed to position {cursor}, beyond the hub's newest "
                            f"({heads.head}): it is not this replica's hub, or the hub's database was replaced")
    found = Compared(True, "")
    for head in heads.devices:
        if head.position > cursor:
            found.ahead += 1
            continue
        found.chains += 1
        row = session.execute(text(
            "SELECT uuid, content_hash, hub_seq FROM decision_entry WHERE device_id = :d AND device_seq = :n"),
            {"d": head.device_id, "n": head.device_seq}).first()
        problem = _judged(session, head, row, row[1] if row else None, head.content_hash, "content hash")
        if problem:
            found.problems.append(problem)
    top = heads.hub
    if top is not None and top.position <= cursor:
        found.chains += 1
        row = session.execute(text(
            "SELECT uuid, hub_hash, hub_seq FROM decision_entry WHERE hub_seq = :s"), {"s": top.position}).first()
        problem = _judged(session, top, row, row[1] if row else None, top.hub_hash, "hub hash")
        if problem and not any(p[0]["uuid"] == problem[0]["uuid"] for p in found.problems):
            found.problems.append(problem)
    elif top is not None:
        found.ahead += 1
    waiting = (f"; {found.ahead} not compared yet: the feed has not brought them here (this replica is at "
               f"position {cursor})" if found.ahead else "")
    if found.chains == 0:
        found.said = "no chain head compared with the hub's yet" + waiting
    else:
        found.said = (f"{found.chains} chain head(s) compared with the hub's: "
                      + (f"{len(found.problems)} missing or different here" if found.problems else "the same here")
                      + waiting)
    return found


def _judged(session: Session, head, row, held_hash: str | None, hub_hash: str | None,
            what: str) -> tuple[dict[str, Any], str] | None:
    ghost = {"uuid": head.uuid, "device_id": head.device_id, "device_seq": head.device_seq,
             "hub_seq": head.position}
    if row is None:
        elsewhere = session.execute(text("SELECT device_id, device_seq FROM decision_entry WHERE uuid = :u"),
                                    {"u": head.uuid}).first()
        if elsewhere is not None:   # recorded again under this replica's new identity (sync.shared_identity)
            return None
        kept = session.execute(text(
            "SELECT errors FROM quarantined_record WHERE source = 'feed:record' AND released_at IS NULL "
            "AND instr(payload, :u) > 0 LIMIT 1"), {"u": head.uuid}).first()
        if kept is not None:   # never stored here: this replica could not apply it from the feed
            return ghost, (f"{_name(head)} held by the hub is missing here: this replica quarantined it from the "
                           f"feed and never stored it ({str(kept[0])[:200]})")
        return ghost, (f"{_name(head)} held by the hub is missing here (the hub took it at feed position "
                       f"{head.position}, which this replica has applied): it was removed from this replica")
    if row[0] != head.uuid:
        return ghost, (f"{_name(head)} held by the hub is entry {head.uuid}, but this replica holds entry {row[0]} "
                       f"there: it was replaced in this replica")
    if held_hash != hub_hash:
        return ghost, (f"{_name(head)} held by the hub reads another {what} here ({str(held_hash)[:12]}... here, "
                       f"{str(hub_hash)[:12]}... at the hub): it was changed in this replica")
    return None
