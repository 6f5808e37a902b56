"""Verifying the decision log: every content hash, every device chain, the hub chain.

Reads the stored rows as the database holds them (raw text, not through the
ORM's conversions) and checks, in this order of precedence:

- **content**: each entry's ``content_hash`` equals :func:`models.records.decision_log.content_hash`
  recomputed from its stored fields and its stored ``prev_device_hash``; timestamps
  must be in the stored canonical UTC form, so a byte edited in one shows too;
- **device chain**: per authoring device, entries in ``device_seq`` order run
  1, 2, 3 ... with no gap, and each ``prev_device_hash`` is the previous entry's
  ``content_hash`` (None for the first);
- **hub chain**: entries the hub has received, in ``hub_seq`` order, each with
  ``hub_prev_hash`` equal to the previous entry's ``hub_hash`` (None for the
  first) and ``hub_hash == sha256(hub_prev_hash + content_hash)``;
- **amendments**: ``amends_uuid`` names another entry that exists and came
  before the amendment (its own device's sequence, else the hub's order).

- **actions**: an entry that recorded its actions in its links
  (:mod:`models.records.decision_actions`) has exactly those actions in the
  replica, each with the description, owner and due time it hashed;

- **this desktop's own entries**: every decision in this replica's outbox
  (what it wrote) is still in the log, which catches the newest entry being
  removed, where no later link would show it.

- **the hub's heads** (when given: ``records verify`` with a hub, the window's chain watch): each chain's
  newest entry the hub holds at or below the feed position this replica has applied is held here with the
  same hash (:mod:`models.records.hub_heads`), which catches the newest entries of *another* device removed
  from this replica before the hub chained anything after them.  Without the hub's answer that cannot be
  seen, and the report says it was not compared.  Entries not yet received by the hub are counted, not
  treated as a fault.

Incremental use (the window's housekeeping pass, :mod:`models.records.chain_watch`): given ``known``,
the fingerprints of the rows whose content checked good before, a row whose stored bytes are the same
is not hashed again (the content check is a function of those bytes alone), and at most ``budget``
rows are content-checked in one call (the rest are counted in ``unchecked``).  Every other check runs
over every row each time.  A year of 30,000 entries with 40-provider snapshots: 11 s whole, about
1 s when nothing changed (docs/records.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.records import decision_actions, decision_log, hub_heads
from models.replica.orm.types import from_utc_text, to_utc_text

_TIME_FIELDS = ("decided_at", "review_at", "recorded_at")
_JSON_FIELDS = ("situation_snapshot", "links")
_CHECK_ORDER = {"removed": 0, "hub_heads": 1, "content": 2, "device_chain": 3, "hub_chain": 4, "amendment": 5,
                "actions": 6}


@dataclass(frozen=True)
class Problem:
    """One broken thing, named by the entry it was found at."""

    uuid: str
    device_id: str
    device_seq: int | None
    hub_seq: int | None
    check: str  # "content", "device_chain", "hub_chain", "amendment", "actions", "removed" or "hub_heads"
    reason: str

    def sentence(self) -> str:
        hub = f", hub_seq {self.hub_seq}" if self.hub_seq is not None else ""
        return (f"entry {self.uuid} (device {self.device_id}, device_seq {self.device_seq}{hub}): "
                f"{self.check.replace('_', ' ')}: {self.reason}")


@dataclass(frozen=True)
class ChainHead:
    """The newest link of a chain: its position and hash."""

    chain: str  # "device:<device_id>" or "hub"
    entries: int
    seq: int
    hash: str


@dataclass
class VerifyReport:
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    device_heads: list[ChainHead] = field(default_factory=list)
    hub_head: ChainHead | None = None
    not_at_hub: int = 0  # entries the hub has not received yet (no hub_seq)
    unchecked: int = 0   # entries whose content was left for a later call (``budget``)
    # The chain heads compared with the hub's (models.records.hub_heads); None: the hub was not asked.
    hub: hub_heads.Compared | None = None

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def summary(self) -> str:
        if not self.intact:
            return f"decision log BROKEN: {len(self.problems)} problem(s); first: {self.first_problem.sentence()}"
        hub = (f"hub chain {self.hub_head.entries} entries to hub_seq {self.hub_head.seq} "
               f"(head {self.hub_head.hash[:12]}...)" if self.hub_head else "no entries received by the hub yet")
        said = f"; {self.hub.said}" if self.hub is not None else ""
        return (f"decision log intact: {self.entries} entries, {len(self.device_heads)} device chain(s), "
                f"{hub}; {self.not_at_hub} not yet at the hub{said}")


# What the chain, amendment and ordering checks read of each row: the content check reads the whole row as
# it goes by, so the log's texts and snapshots are never held all at once (a year's are ~100 MB).
_KEPT = ("uuid", "device_id", "device_seq", "prev_device_hash", "content_hash", "hub_seq", "hub_prev_hash",
         "hub_hash", "amends_uuid", "recorded_at")


def _raw_rows(session: Session) -> Iterator[dict[str, Any]]:
    for row in session.execute(text("SELECT * FROM decision_entry")).yield_per(20):
        yield dict(row._mapping)


def _hashed_fields(row: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The fields as authoring hashed them, or the reason they cannot be read."""
    fields = {name: row.get(name) for name in decision_log.HASHED_FIELDS}
    for name in _TIME_FIELDS:
        raw = fields[name]
        if raw is None:
            continue
        try:
            parsed = from_utc_text(raw)
        except (TypeError, ValueError):
            return None, f"{name} {raw!r} is not a timestamp"
        if to_utc_text(parsed) != raw:
            return None, f"{name} {raw!r} is not in the stored UTC form (it was edited outside the app)"
        fields[name] = parsed
    for name in _JSON_FIELDS:
        raw = fields[name]
        try:
            fields[name] = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
        except ValueError:
            return None, f"{name} is not valid JSON"
    return fields, None


def _json(raw: Any) -> Any:
    try:
        return json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except ValueError:
        return None


def _check_content(row: dict[str, Any]) -> str | None:
    fields, problem = _hashed_fields(row)
    if problem:
        return problem
    try:
        expected = decision_log.content_hash(fields, row["prev_device_hash"])
    except (TypeError, ValueError) as exc:
        return f"its fields cannot be hashed ({exc})"
    if expected != row["content_hash"]:
        return ("content_hash does not match the stored fields: the entry was changed after it was "
                "written")
    return None


def _unreadable(row: dict[str, Any]) -> str | None:
    """Why a row's chain columns cannot be read (SQLite keeps text put in a number column with SQL): the
    chains could not be sorted with it, and the whole check raised TypeError (found in review: the
    housekeeping pass logged that at every pass and raised no alert)."""
    for name in ("device_seq", "hub_seq"):
        value = row[name]
        if (value is not None or name == "device_seq") and type(value) is not int:
            return f"{name} {str(value)[:40]!r} is not a whole number: it was edited outside the app"
    for name in ("device_id", "content_hash", "prev_device_hash", "hub_prev_hash", "hub_hash"):
        value = row[name]
        if (value is not None or name in ("device_id", "content_hash")) and type(value) is not str:
            return f"{name} {str(value)[:40]!r} is not text: it was edited outside the app"
    return None


_FINGERPRINTED = (*decision_log.HASHED_FIELDS, "prev_device_hash", "content_hash")


def fingerprint(row: dict[str, Any]) -> bytes:
    """What the content check reads of a stored row, digested: equal fingerprints, equal verdicts (the
    tuple's ``repr`` tells a number from its text and None from "")."""
    raw = repr(tuple(row.get(name) for name in _FINGERPRINTED))
    return hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _check_device_chains(rows: list[dict[str, Any]], report: VerifyReport,
                         coming: frozenset[tuple[str, int]] = frozenset()) -> list[tuple[dict, str]]:
    """``coming``: (device, device_seq) of this desktop's own entries the feed has yet to bring back
    (:func:`_sent_ahead`); a gap of only those is not a fault yet."""
    found = []
    by_device: dict[str, list[dict]] = {}
    for row in rows:
        by_device.setdefault(row["device_id"], []).append(row)
    for device in sorted(by_device):
        chain = sorted(by_device[device], key=lambda r: r["device_seq"])
        prev = None
        for row in chain:
            expected_seq = prev["device_seq"] + 1 if prev else 1
            if row["device_seq"] != expected_seq and all((device, n) in coming
                                                          for n in range(expected_seq, row["device_seq"])):
                pass   # after a rejoin: its own refused entry carried, the ones sent before it still to come
            elif row["device_seq"] != expected_seq:
                missing = (f"device_seq {expected_seq}" if row["device_seq"] == expected_seq + 1
                           else f"device_seq {expected_seq} to {row['device_seq'] - 1}")
                found.append((row, f"{missing} of this device is missing (removed or never received)"))
            elif row["prev_device_hash"] != (prev["content_hash"] if prev else None):
                found.append((row, f"prev_device_hash does not match the content_hash of device_seq "
                                   f"{prev['device_seq']}" if prev else
                                   "the first entry of a device must have no prev_device_hash"))
            prev = row
        report.device_heads.append(ChainHead(f"device:{device}", len(chain), prev["device_seq"],
                                             prev["content_hash"]))
    return found


def _check_hub_chain(rows: list[dict[str, Any]], report: VerifyReport) -> list[tuple[dict, str]]:
    found = []
    chain = sorted((r for r in rows if r["hub_seq"] is not None), key=lambda r: r["hub_seq"])
    report.not_at_hub = len(rows) - len(chain)
    prev = None
    for row in chain:
        expected_prev = prev["hub_hash"] if prev else None
        if row["hub_prev_hash"] != expected_prev:
            where = f"hub_seq {prev['hub_seq']}" if prev else "nothing (it is the first)"
            found.append((row, f"hub_prev_hash does not match the hub_hash of the entry before it "
                               f"({where}): an entry was removed or changed"))
        elif row["hub_hash"] != decision_log.hub_hash(row["hub_prev_hash"], row["content_hash"] or ""):
            found.append((row, "hub_hash is not sha256(hub_prev_hash + content_hash)"))
        prev = row
    if prev is not None:
        report.hub_head = ChainHead("hub", len(chain), prev["hub_seq"], prev["hub_hash"])
    return found


def _check_amendments(rows: list[dict[str, Any]]) -> list[tuple[dict, str]]:
    found = []
    by_uuid = {r["uuid"]: r for r in rows}
    for row in rows:
        target_uuid = row["amends_uuid"]
        if target_uuid is None:
            continue
        target = by_uuid.get(target_uuid)
        if target is None:
            found.append((row, f"amends_uuid {target_uuid} names no entry in the log"))
        elif target_uuid == row["uuid"]:
            found.append((row, "an entry cannot amend itself"))
        elif _recorded_after(target, row):
            found.append((row, f"amends {target_uuid}, which was recorded after it"))
    return found


def _recorded_after(target: dict[str, Any], row: dict[str, Any]) -> bool:
    """Whether ``target`` came after the entry ``row`` that amends it, in an order one clock keeps:
    one device's own sequence; between devices the hub's (an entry of another desktop is read from
    the feed, so it reached the hub first).  Two desktops' ``recorded_at`` are two clocks: one a few
    minutes fast made a correction made a minute later read as made before (a review found the log
    called BROKEN for that).  Their times decide only for an entry of another device that the hub has
    not numbered (a replica from before the hub chain)."""
    if target["device_id"] == row["device_id"]:
        return int(target["device_seq"]) > int(row["device_seq"])
    if target["hub_seq"] is not None:
        return row["hub_seq"] is not None and int(target["hub_seq"]) > int(row["hub_seq"])
    return str(target["recorded_at"]) > str(row["recorded_at"])


def _check_actions(session: Session, rows: list[dict[str, Any]],
                   recorded: dict[str, dict[str, dict]]) -> list[tuple[dict, str]]:
    """Each entry's recorded actions against the action rows held (raw, as the database has them)."""
    if not recorded:
        return []
    by_uuid = {r["uuid"]: r for r in rows}
    held: dict[str, tuple] = {}
    found = []
    for uid, decision_uuid, description, owner, due_at in session.execute(text(
            "SELECT uuid, decision_uuid, description, owner, due_at FROM action")):
        held[uid] = (decision_uuid, description, owner, due_at)
        if decision_uuid in recorded and uid not in recorded[decision_uuid]:
            found.append((by_uuid[decision_uuid], f"action {uid} ({description!r}, owner {owner!r}) names this "
                                                  f"entry, but the entry did not record it: it was added later"))
    for entry_uuid, items in recorded.items():
        for uid, hashed in items.items():
            if uid not in held:
                found.append((by_uuid[entry_uuid], f"action {uid} ({hashed.get('description')!r}), recorded with "
                                                   f"this entry, is not in the replica (removed or never received)"))
                continue
            decision_uuid, description, owner, due_at = held[uid]
            changes = [why for _name, why in decision_actions.differences(hashed, description, owner, due_at)]
            if decision_uuid != entry_uuid:
                changes.insert(0, f"it names decision {decision_uuid} instead")
            if changes:
                found.append((by_uuid[entry_uuid], f"action {uid} was changed after it was recorded: "
                                                   + "; ".join(changes)))
    return found


def _own_entries(session: Session) -> Iterator[tuple[str, str, Any, Any, bool]]:
    """This desktop's decisions in its outbox: uuid, device, device_seq (from the payload sent), hub_seq, and
    whether the feed has yet to bring it back.  A decision sent at a hub position the feed has not reached
    is coming: after a rejoin from the hub's snapshot (a desktop behind the feed's retention) the outbox is
    carried over but the entries sent after the snapshot's position come with the feed's tail; read before
    then, each was called removed (the housekeeping pass alerted the room on it; found in review).  The feed
    puts it back when it reaches it, so one removed before then would be back too."""
    cursor = session.execute(text("SELECT max(position) FROM feed_cursor WHERE feed = 'main'")).scalar() or 0
    for uid, payload, hub_seq in session.execute(text(
            "SELECT uuid, payload, hub_seq FROM outbox WHERE kind = 'decision'")):
        try:
            data = json.loads(payload) if isinstance(payload, str) else payload
            device, seq = data["device_id"], data["data"].get("device_seq")
        except (ValueError, KeyError, TypeError, AttributeError):
            device, seq = "?", None
        yield uid, device, seq, hub_seq, hub_seq is not None and int(hub_seq) > int(cursor)


def _sent_ahead(session: Session) -> frozenset[tuple[str, int]]:
    return frozenset((device, seq) for _uid, device, seq, _hub_seq, coming in _own_entries(session)
                     if coming and type(seq) is int)


def _check_own_entries(session: Session, rows: list[dict[str, Any]], unread: set[str] = frozenset()
                       ) -> list[tuple[dict, str]]:
    present = {r["uuid"] for r in rows} | set(unread)   # ``unread``: held, named for columns that cannot be read
    found = []
    for uid, device, seq, hub_seq, coming in _own_entries(session):
        if uid in present or coming:
            continue
        ghost = {"uuid": uid, "device_id": device, "device_seq": seq, "hub_seq": hub_seq}
        found.append((ghost, "this desktop wrote this entry (it is in the outbox) but it is no longer "
                             "in the log: it was removed"))
    return found


def _position(row: dict[str, Any]) -> tuple:
    # Chain order: what the hub received, in its order, then what it has not.
    if row["hub_seq"] is not None:
        return (0, row["hub_seq"], "", 0)
    return (1, 0, str(row["device_id"]), row["device_seq"] or 0)


def verify(session: Session, known: dict[str, bytes] | None = None, budget: int | None = None,
           hub: Any = None) -> VerifyReport:
    """Check the whole decision log in ``session``'s replica; problems sorted in chain order.

    ``known`` (updated in place): uuid -> :func:`fingerprint` of the rows whose content checked good; such a
    row unchanged is not hashed again.  ``budget``: content-check at most this many other rows, leaving the
    rest for a later call (``unchecked``).  ``hub``: the hub's chain heads (``sync.protocol.RecordHeads``,
    asked before this read) to compare with (:mod:`models.records.hub_heads`), or the reason they could not
    be asked (a string: the report says it could not compare); None: not compared."""
    rows: list[dict[str, Any]] = []
    found: list[tuple[dict, str, str]] = []
    compared = None
    if isinstance(hub, str):
        compared = hub_heads.not_compared(hub)
    elif hub is not None:
        compared = hub_heads.compare(session, hub)
        found += [(r, "hub_heads", why) for r, why in compared.problems]
    recorded: dict[str, dict[str, dict]] = {}
    unchecked = 0
    present: set[str] = set()
    unread: set[str] = set()
    for whole in _raw_rows(session):
        row = {name: whole[name] for name in _KEPT}
        odd = _unreadable(row)
        if odd:   # the chains cannot be put in order with it: named, and left out of them
            found.append(({**row, "device_id": str(row["device_id"]),
                           "device_seq": row["device_seq"] if type(row["device_seq"]) is int else None,
                           "hub_seq": row["hub_seq"] if type(row["hub_seq"]) is int else None}, "content", odd))
            present.add(row["uuid"])
            unread.add(row["uuid"])
            continue
        rows.append(row)
        if known is None:
            problem = _check_content(whole)
        else:
            present.add(row["uuid"])
            mark = fingerprint(whole)
            if known.get(row["uuid"]) == mark:
                problem = None
            elif budget is not None and budget <= 0:
                unchecked += 1
                problem = None
            else:
                budget = None if budget is None else budget - 1
                problem = _check_content(whole)
                if problem:
                    known.pop(row["uuid"], None)
                else:
                    known[row["uuid"]] = mark
        if problem:
            found.append((row, "content", problem))
        actions = decision_actions.recorded(_json(whole["links"]))
        if actions is not None:
            recorded[row["uuid"]] = actions
    if known is not None:
        for gone in set(known) - present:
            del known[gone]
    report = VerifyReport(entries=len(rows), unchecked=unchecked, hub=compared)
    found += [(r, "device_chain", why) for r, why in _check_device_chains(rows, report, _sent_ahead(session))]
    found += [(r, "hub_chain", why) for r, why in _check_hub_chain(rows, report)]
    found += [(r, "amendment", why) for r, why in _check_amendments(rows)]
    found += [(r, "actions", why) for r, why in _check_actions(session, rows, recorded)]
    removed = _check_own_entries(session, rows, unread)
    named = {r["uuid"] for r, _why in removed}   # this desktop's own entry removed: named once, as removed
    found = [item for item in found if item[1] != "hub_heads" or item[0]["uuid"] not in named]
    found += [(r, "removed", why) for r, why in removed]
    found.sort(key=lambda item: (_position(item[0]), _CHECK_ORDER[item[1]]))
    report.problems = [Problem(r["uuid"], r["device_id"], r["device_seq"], r["hub_seq"], check, why)
                       for r, check, why in found]
    return report
