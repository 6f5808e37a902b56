"""The offload view's page: each hospital's queue and its handovers since midnight and in the last
hour, the totals over every hospital, when each hospital's handover data last changed, and every
handover for the chart of waits. Hours lost on the basis the room chose (``beyond_minutes``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.queries import offload as qo
from models.queries import phoned_in as qp
from models.records.phoned_in import HANDOVER_KEYS
from models.rules.handover_bands import HandoverTable


@dataclass(frozen=True)
class PhonedWait:
    """A hospital's longest handover wait as phoned in, for the chart of waits."""
    hospital_code: str
    at: datetime          # when the figure was given
    minutes: float
    who: str              # "phoned in by … (…), taken by …"


@dataclass(frozen=True)
class OffloadPage:
    now: datetime
    board: tuple[qo.HospitalOffload, ...]   # every hospital, by name
    updated: dict[str, datetime]            # hospital code -> its newest handover update received
    since: datetime                         # the chart's start
    done: tuple[qo.CompletedHandover, ...]  # completed since ``since``, every hospital, by handover time
    waiting: tuple[qo.WaitingAmbulance, ...]   # the live queue, every hospital, longest wait first
    totals: qo.OffloadTotals                # every hospital together
    lost_basis: float                       # hours lost count the minutes beyond this
    today_from: datetime                    # the window of "today" figures: UK midnight...
    recent_from: datetime                   # ...and of the short window's, now - qo.RECENT
    phoned: dict[str, qp.Mark] = field(default_factory=dict)   # hospital code -> its phoned-in handover figures
    phoned_waits: tuple[PhonedWait, ...] = ()   # longest waits phoned in since ``since``, oldest first

    @property
    def recent(self) -> timedelta:
        return self.now - self.recent_from


def offload_page(store, now: datetime, since: datetime, table: HandoverTable,
                 beyond_minutes: float | None = None) -> OffloadPage:
    """One snapshot of the replica, banded by ``table``; the chart's handovers from ``since`` for
    every hospital, so the view picks a hospital's without reading again. ``beyond_minutes``: the
    basis for hours lost (None: the table's default); one the table does not list is a ValueError."""
    basis = table.basis(beyond_minutes).beyond_minutes
    with store.session() as s:
        done_board = qo.board_handovers(s, now, table)
        board = qo.offload_board(s, now, table, basis, done_board)
        updated = qo.last_updates(s)
        done, waiting = qo.waits_today(s, now, table, window=now - since)
        phoned = qp.marks(s, now)
        waits = _phoned_waits(qp.calls(s, now, window=now - since))
    totals = qo.offload_totals(now, board, done_board, table, basis)
    return OffloadPage(now, tuple(board), updated, since, tuple(done), tuple(waiting), totals, basis,
                       qo.uk_midnight(now), now - qo.RECENT, phoned=_about(phoned, HANDOVER_KEYS),
                       phoned_waits=waits)


def _phoned_waits(calls: list[qp.Call]) -> tuple[PhonedWait, ...]:
    return tuple(sorted((PhonedWait(c.org_code, c.phoned_at, float(f.value), f"phoned in by {c.provenance}")
                         for c in calls for f in c.figures if f.key == "longest_handover_wait_minutes"),
                        key=lambda w: (w.at, w.hospital_code)))


def _about(marks: dict[str, qp.Mark], keys: frozenset[str]) -> dict[str, qp.Mark]:
    return {code: m for code, m in marks.items() if keys & set(m.keys)}
