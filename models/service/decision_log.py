"""The decision log view's reads: a page of entries matching a filter (with the names of every
entry, for amendments, and the filter's choices), and the hash chains verified.

Recording a decision is ``models.service.decisions``; exporting a period is
``models.records.export.export_records`` (a read of the replica and files written), run off the UI
thread by the view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models.queries import records as rq
from models.records import verify as records_verify
from models.service import messages as messages_door


@dataclass(frozen=True)
class LogPage:
    rows: list[rq.DecisionRow]              # entries matching the filter, newest decision first
    refs: dict[str, rq.EntryRef]            # every entry by UUID, to name amended and amending ones
    days: tuple[date, date] | None          # UK days of the oldest and the newest decision (None: empty log)
    authors: list[str]                      # everyone who made or recorded a decision
    organisations: list[tuple[str, str]]    # (ODS code, name) of every organisation
    # Entries that record a SPoC message: decision uuid -> the message and what became of it (sent, failed
    # and why, pending), as the hub's word on it last synced in.
    messages: dict[str, messages_door.SentMessage] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.refs)


def log_page(store, flt: rq.DecisionFilter = rq.DecisionFilter()) -> LogPage:
    """The log through ``flt``, from one read snapshot."""
    with store.session() as s, s.begin():
        rows = rq.decisions(s, flt)
        refs = rq.decision_refs(s)
        days = {r.decided_at.astimezone(rq.UK).date() for r in refs.values()}
        return LogPage(rows, refs, (min(days), max(days)) if days else None, rq.decision_authors(s),
                       rq.organisations(s), messages_door.by_decision(s))


def verify(store) -> records_verify.VerifyReport:
    """The log's device and hub hash chains checked (``models.records.verify``), and its chain heads compared
    with the hub's when the window syncs with one (the chain watch's asker, ``models.records.hub_heads``)."""
    from models.records import chain_watch
    from models.service import housekeeping

    ask = housekeeping.chain_watch_of(store).ask_hub
    hub = chain_watch.ask(ask) if ask is not None else None   # asked before the read
    with store.session() as s:
        return records_verify.verify(s, hub=hub)
