"""The offload view's page: each hospital's queue and today's handovers, when each hospital's
handover data last changed, and every handover for the chart of waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from models.queries import offload as qo
from models.rules.handover_bands import HandoverTable


@dataclass(frozen=True)
class OffloadPage:
    now: datetime
    board: tuple[qo.HospitalOffload, ...]   # every hospital, by name
    updated: dict[str, datetime]            # hospital code -> its newest handover update received
    since: datetime                         # the chart's start
    done: tuple[qo.CompletedHandover, ...]  # completed since ``since``, every hospital, by handover time
    waiting: tuple[qo.WaitingAmbulance, ...]   # the live queue, every hospital, longest wait first


def offload_page(store, now: datetime, since: datetime, table: HandoverTable) -> OffloadPage:
    """One snapshot of the replica, banded by ``table``; the chart's handovers from ``since`` for
    every hospital, so the view picks a hospital's without reading again."""
    with store.session() as s:
        board = tuple(qo.offload_board(s, now, table))
        updated = qo.last_updates(s)
        done, waiting = qo.waits_today(s, now, table, window=now - since)
    return OffloadPage(now, board, updated, since, tuple(done), tuple(waiting))
