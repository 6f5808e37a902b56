"""OPEL action-card checklists: raised when a provider, a pillar or the system changes level.

A **series** is one ``(scope, org_code, pillar)`` in ``opel_assessment``; its
level at each assessment is the declared level if there is one, else the
calculated level (incomplete assessments with neither are left out).  A
**change** is an assessment whose level differs from the series' previous one
(the first assessment of a series is not a change: nothing to compare with).

:func:`raise_checklists` looks at assessments it has not seen before
(watermark ``opel_checklist_seen`` in ``replica_meta``) and, for each series
they touch, takes the series' **latest** change: when that change is new and
no older than ``max_age``, it copies the cards for the new level and scope
(``ActionCards.for_level(level, scope)``) into ``opel_checklist_item`` and
marks the series' earlier items superseded.  Escalation and de-escalation both
bring up the cards of the level reached.  Item UUIDs derive from the series,
the change time and the card, so every desktop with the same feed raises the
same items, and running it again raises nothing.

Ticking an item is a decision-log entry (``sync.authoring.record_decision``)
whose ``links`` hold ``{"kind": "action_card", "checklist_item": UUID, ...}``:
the log is where the room's who-and-when lives, it is hash-chained and already
synced, and no second record kind can disagree with it.  :func:`ticks` reads
ticks back from the log; the earliest tick of an item is the one shown.
"""

from __future__ import annotations

import uuid as uuidlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal_column, select, text, update
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.orm import Session

from models.rules.action_cards import ActionCards, load_cards
from models.replica.orm import OpelAssessment, OpelChecklistItem, Organisation, ReplicaMeta
from models.replica.orm.types import from_utc_text, to_utc_text
from models.rules.shown_level import SQL as SHOWN_SQL

SEEN_KEY = "opel_checklist_seen"
MAX_AGE = timedelta(hours=24)
BACKLOG = 20_000   # new assessments above which every series is checked instead of the new rows' ones
LINK_KIND = "action_card"
_NAMESPACE = uuidlib.UUID("0b7e6d3c-91a4-4f25-8c1e-5a2f9d70b3e4")


def item_uuid(scope: str, org_code: str | None, pillar: str, changed_at: datetime, card_id: str) -> str:
    key = f"{scope}|{org_code or ''}|{pillar}|{to_utc_text(changed_at)}|{card_id}"
    return str(uuidlib.uuid5(_NAMESPACE, key))


@dataclass(frozen=True)
class Change:
    scope: str
    org_code: str | None
    pillar: str
    from_level: int
    level: int
    changed_at: datetime
    assessment_id: int


_LEVEL = literal_column(SHOWN_SQL)  # over opel_assessment, never aliased here


def _series_where(series: tuple[str, str | None, str]) -> tuple:
    scope, org, pillar = series
    return (OpelAssessment.scope == scope, OpelAssessment.pillar == pillar, _LEVEL.is_not(None),
            OpelAssessment.org_code.is_(None) if org is None else OpelAssessment.org_code == org)


def latest_change(session: Session, series: tuple[str, str | None, str],
                  since: datetime | None = None) -> Change | None:
    """The series' most recent change of level, or None if its level never changed
    (with ``since``: None also when that change began before ``since``).

    Index walks in SQLite, never rows in Python: the newest assessment; the newest one at
    another level (the level before the change), looked for only from ``since`` on, else
    the one just before ``since``; then the oldest one after it (where the current level
    began).  A provider that has held its level for months costs no more than one that
    changed an hour ago."""
    newest_first = (OpelAssessment.assessed_at.desc(), OpelAssessment.id.desc())
    where = _series_where(series)
    now_level = session.scalar(select(_LEVEL).where(*where).order_by(*newest_first).limit(1))
    if now_level is None:
        return None
    rows = select(OpelAssessment.id, OpelAssessment.assessed_at, _LEVEL).where(*where)
    other = rows.where(_LEVEL != now_level)
    if since is None:
        before = session.execute(other.order_by(*newest_first).limit(1)).first()
    else:
        before = session.execute(other.where(OpelAssessment.assessed_at >= since)
                                 .order_by(*newest_first).limit(1)).first()
        if before is None:   # the level held all through the window: did it begin at its edge?
            edge = session.execute(rows.where(OpelAssessment.assessed_at < since)
                                   .order_by(*newest_first).limit(1)).first()
            before = edge if edge is not None and edge[2] != now_level else None
    if before is None:
        return None
    after = (OpelAssessment.assessed_at > before.assessed_at) | (
        (OpelAssessment.assessed_at == before.assessed_at) & (OpelAssessment.id > before.id))
    # The plain range keeps the walk on the index from ``before`` on (the OR alone would not).
    start = session.execute(rows.where(OpelAssessment.assessed_at >= before.assessed_at, after)
                            .order_by(OpelAssessment.assessed_at, OpelAssessment.id).limit(1)).first()
    return Change(series[0], series[1], series[2], before[2], now_level, start.assessed_at, start.id)


@dataclass(frozen=True)
class RaiseResult:
    changes: list[Change]  # changes that raised a checklist in this run
    items: int  # checklist items created


def raise_checklists(session: Session, now: datetime, cards: ActionCards | None = None,
                     max_age: timedelta = MAX_AGE) -> RaiseResult:
    """Raise checklists for level changes in assessments not seen before (the caller commits)."""
    cards = cards or load_cards()
    meta = session.get(ReplicaMeta, SEEN_KEY)
    seen = int(meta.value) if meta else 0
    newest = session.scalar(select(func.max(OpelAssessment.id))) or 0
    if newest <= seen:
        return RaiseResult([], 0)
    if newest - seen > BACKLOG:
        # A first pass over a replica already holding history (or a long gap): every series,
        # found through the index (a scan of millions of new rows took seconds).
        from models.queries import opel_latest

        touched = [(st.scope, st.org_code, st.pillar) for scope in ("provider", "pillar", "system")
                   for st in opel_latest.latest_opel(session, scope)]
    else:
        touched = session.execute(select(OpelAssessment.scope, OpelAssessment.org_code, OpelAssessment.pillar)
                                  .where(OpelAssessment.id > seen).distinct()).all()
    changes, count = [], 0
    for series in sorted(touched, key=lambda r: (r[0], r[1] or "", r[2])):
        change = latest_change(session, tuple(series), since=now - max_age)
        if change is None or change.assessment_id <= seen or change.changed_at < now - max_age:
            continue
        count += _raise(session, change, cards, now)
        changes.append(change)
    if meta is None:
        session.add(ReplicaMeta(key=SEEN_KEY, value=str(newest)))
    else:
        meta.value = str(newest)
    session.flush()
    return RaiseResult(changes, count)


def _raise(session: Session, change: Change, cards: ActionCards, now: datetime) -> int:
    org_filter = (OpelChecklistItem.org_code.is_(None) if change.org_code is None
                  else OpelChecklistItem.org_code == change.org_code)
    session.execute(update(OpelChecklistItem).where(
        OpelChecklistItem.scope == change.scope, OpelChecklistItem.pillar == change.pillar, org_filter,
        OpelChecklistItem.superseded_at.is_(None), OpelChecklistItem.changed_at < change.changed_at,
    ).values(superseded_at=change.changed_at))
    made = 0
    for position, card in enumerate(cards.for_level(change.level, change.scope)):
        uid = item_uuid(change.scope, change.org_code, change.pillar, change.changed_at, card.id)
        done = session.execute(insert(OpelChecklistItem).values(
            uuid=uid, scope=change.scope, org_code=change.org_code, pillar=change.pillar,
            from_level=change.from_level, level=change.level, changed_at=change.changed_at, card_id=card.id,
            title=card.title, detail=card.detail, owner_role=card.owner_role, position=position,
            cards_edition=cards.header.edition, raised_at=now, superseded_at=None,
        ).on_conflict_do_nothing(index_elements=[OpelChecklistItem.uuid]).returning(OpelChecklistItem.uuid))
        made += done.scalar() is not None
    return made


# --- reading checklists back -----------------------------------------------------------
@dataclass(frozen=True)
class Tick:
    decision_uuid: str
    by: str
    at: datetime


def ticks(session: Session, item_uuids: list[str] | None = None) -> dict[str, Tick]:
    """Each ticked checklist item's earliest tick, from the decision log's links."""
    rows = session.execute(text(
        "SELECT d.uuid, d.decision_maker, d.decided_at, json_extract(j.value, '$.checklist_item') "
        "FROM decision_entry AS d, json_each(d.links) AS j "
        "WHERE json_type(d.links) = 'array' AND j.type = 'object' "   # j.type: json_type(j.value) parses a text item
        "AND json_extract(CASE j.type WHEN 'object' THEN j.value END, '$.kind') = :kind "
        "AND json_extract(CASE j.type WHEN 'object' THEN j.value END, '$.checklist_item') IS NOT NULL"),
        {"kind": LINK_KIND}).all()
    wanted = None if item_uuids is None else set(item_uuids)
    found: dict[str, Tick] = {}
    for uid, by, at, item in rows:
        if wanted is not None and item not in wanted:
            continue
        tick = Tick(uid, by, from_utc_text(at))
        if item not in found or (tick.at, tick.decision_uuid) < (found[item].at, found[item].decision_uuid):
            found[item] = tick
    return found


@dataclass(frozen=True)
class ChecklistItem:
    uuid: str
    card_id: str
    title: str
    detail: str
    owner_role: str
    tick: Tick | None


@dataclass(frozen=True)
class Checklist:
    scope: str
    org_code: str | None
    pillar: str
    label: str  # e.g. "Test Acute Trust One (RTEST1)", "acute pillar", "System"
    from_level: int | None
    level: int
    changed_at: datetime
    items: tuple[ChecklistItem, ...]

    @property
    def open_count(self) -> int:
        return sum(1 for i in self.items if i.tick is None)


def series_label(scope: str, org_code: str | None, pillar: str, names: dict[str, str]) -> str:
    if scope == "provider":
        return f"{names.get(org_code, org_code)} ({org_code})"
    if scope == "pillar":
        return f"{pillar.replace('_', ' ')} pillar"
    return "System"


def current_checklists(session: Session) -> list[Checklist]:
    """Checklists not superseded by a later change: system first, then pillars, then providers;
    newest change first within each."""
    rows = session.scalars(select(OpelChecklistItem).where(OpelChecklistItem.superseded_at.is_(None))).all()
    done = ticks(session, [r.uuid for r in rows])
    names = dict(session.execute(select(Organisation.ods_code, Organisation.name)).all())
    groups: dict[tuple, list[OpelChecklistItem]] = defaultdict(list)
    for r in rows:
        groups[(r.scope, r.org_code, r.pillar, to_utc_text(r.changed_at))].append(r)
    out = []
    for (scope, org, pillar, _), items in groups.items():
        items.sort(key=lambda r: (r.position, r.card_id))
        first = items[0]
        out.append(Checklist(scope, org, pillar, series_label(scope, org, pillar, names), first.from_level,
                             first.level, first.changed_at,
                             tuple(ChecklistItem(r.uuid, r.card_id, r.title, r.detail, r.owner_role,
                                                 done.get(r.uuid)) for r in items)))
    rank = {"system": 0, "pillar": 1, "provider": 2}
    return sorted(out, key=lambda c: (rank[c.scope], -c.changed_at.timestamp(), c.label))


def tick_links(checklist: Checklist, item: ChecklistItem) -> list[dict]:
    """The ``links`` of the decision-log entry that records ticking ``item``."""
    return [{"kind": LINK_KIND, "checklist_item": item.uuid, "card_id": item.card_id,
             "scope": checklist.scope, "org_code": checklist.org_code, "pillar": checklist.pillar,
             "level": checklist.level, "changed_at": to_utc_text(checklist.changed_at)}]
