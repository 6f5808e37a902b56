"""The client sync engine: push the outbox, pull the feed, report connectivity.

The UI never calls the hub: a worker thread runs ``SyncEngine.run`` and the
views read the replica.  One cycle (``run_once``) pushes pending records,
then pulls batches after the stored cursor until caught up, applying each
batch with its cursor in one transaction (``sync.apply``).  Network faults
never raise out of a cycle: they turn the connectivity state to offline and
the loop retries with exponential backoff and jitter.  A fault of the replica
itself (disk full, I/O error, ...) stops the cycle too, with nothing lost (the
batch rolled back with its cursor): the result carries a ``ReplicaProblem`` the
command line and the window show, and the next cycles retry until it clears.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from models.rules.catalogue import load_catalogue
from models.replica.dbapi import replica_fault
from models.replica.ingest import ObservationValidator
from models.replica.orm import FeedCursor, ReplicaMeta
from models.replica.orm.types import utcnow
from sync import feed_marks, feed_restore, hub_clock, hub_escalation, hub_health, hub_tables, outbox, transfer_seen
from sync.apply import ApplyReport, ApplyStopped, apply_batch
from sync.client import Backoff, HubClient, HubRefused, HubUnreachable
from sync.connectivity import Connectivity, ConnectivityTracker, State
from sync.protocol import MAX_COLUMNAR_BATCH, MAX_FEED_BATCH, FeedBatch
from sync.replica_problem import ReplicaProblem, describe

log = logging.getLogger(__name__)
FIRST_BATCH = 5000  # feed positions in a cycle's first request


def _empty(batch: FeedBatch) -> bool:
    return not batch.items and not (batch.observations and batch.observations.seq)


def catalogue_validator(extra_dirs=()) -> ObservationValidator:
    cat = load_catalogue(extra_dirs)
    return ObservationValidator({c: (m.valid_min, m.valid_max) for c, m in cat.metrics.items()})


# Refusals of the desktop itself, not of its records: an unknown token, a throttled one, an old protocol.
_REFUSES_ALL = (401, 426, 429)


@dataclass
class CycleResult:
    connectivity: Connectivity
    applied: int = 0
    batches: int = 0
    pushed: int = 0
    rejected: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    push_error: str | None = None   # the hub refused this desktop's records (kept in the outbox); the feed still came
    replica_problem: ReplicaProblem | None = None   # the replica could not take the feed (disk full, ...)
    hub_offset: timedelta | None = None   # the hub's clock minus this computer's, as last measured
    # What the hub last said of escalation by e-mail (sync.hub_escalation); None: not asked yet.
    escalation: hub_escalation.Said | None = None
    # Whether the hub's OPEL tables are this desktop's (sync.hub_tables); None: not asked yet.
    opel_tables: hub_tables.Said | None = None
    # Said once, the cycle it happened: the hub's database was put back from a backup and this desktop
    # re-sent its records and re-read the feed (sync.feed_restore); None otherwise.
    feed_restored: str | None = None
    # The cycle that reaches the hub after failed ones (this run): (when it was last reached before, as this
    # replica knows it, else this run's first failure; now); None otherwise, and None when the failures ended
    # with the hub answering 503 'upgrading' (a planned upgrade).  On this computer's clock.  The window says
    # the outage ended.
    outage: tuple[datetime, datetime] | None = None
    # With ``outage``, when it began before this run: when this engine started (SCC Desktop was not running
    # for part of it, a weekend switched off, say: r3 finding 7); None otherwise.
    outage_run_started: datetime | None = None


def _feed_pruned(exc: Exception) -> bool:
    """The hub's 410 feed_pruned: it answered that this cursor is behind its feed's retention."""
    error = getattr(exc, "error", None)
    return isinstance(exc, HubRefused) and error is not None and error.code == "feed_pruned"


class SyncEngine:
    def __init__(self, store, client: HubClient, *, validator: ObservationValidator | None = None,
                 feed: str = "main", batch_limit: int | None = None, columnar: bool = True,
                 stale_after: timedelta = timedelta(minutes=30),
                 clock: Callable[[], datetime] = utcnow, max_batches_per_cycle: int = 1000) -> None:
        """``batch_limit``: feed positions per batch (each commits with its cursor);
        None asks for the hub's maximum (``MAX_COLUMNAR_BATCH`` / ``MAX_FEED_BATCH``).
        ``columnar``: ask for observations as columns (protocol 1.1; a 1.0 hub
        answers with items, applied the same way)."""
        self.store = store
        self.client = client
        self.validator = validator or catalogue_validator()
        self.feed = feed
        self.columnar = columnar
        self.batch_limit = batch_limit or (MAX_COLUMNAR_BATCH if columnar else MAX_FEED_BATCH)
        self.clock = clock
        self.max_batches = max_batches_per_cycle
        self.started_at = clock()   # this run's start: an outage older than it was partly not running
        with store.session() as s:
            cur = s.get(FeedCursor, feed)
        self.tracker = ConnectivityTracker(stale_after, cur.last_sync_at if cur else None,
                                           cur.last_provider_data_at if cur else None)
        self._problem_since: datetime | None = None   # first cycle the replica stopped, until one succeeds
        # The hub's clock minus this computer's, from the last batch's ``server_time`` (staleness is
        # judged on the hub's clock: docs/reliability.md, clocks two hours apart).
        self.hub_offset: timedelta | None = None
        self.offset_keeper = hub_clock.Keeper()   # the offset kept in the replica for the next start
        self.stop = threading.Event()   # set by run's caller to end a catch-up between items (see apply_batch)
        health = self.health = hub_health.Asker()   # the hub's /health, asked once a minute for these
        self.escalation = hub_escalation.Watch(asker=health)   # whether the hub e-mails anyone about an alert
        self.hub_tables = hub_tables.Watch(asker=health)   # whether the hub scores with this desktop's OPEL tables
        self._hub_id_kept: str | None = None   # the hub id this engine has seen kept in the replica
        self._restored_said: str | None = None   # the hub's database put back (sync.feed_restore), not told yet
        self._rejoin_said: str | None = None     # the same, when it hands over to the snapshot join (a 410 next)
        # When the hub last answered 410 feed_pruned (this run): it answered, so an outage after it starts no earlier.
        self._answered_at: datetime | None = None
        # Transfer changes stored without ``seen`` (a desktop upgraded after the others) given it from the hub.
        self.transfer_seen = transfer_seen.Watch()

    @property
    def connectivity(self) -> Connectivity:
        return self.tracker.current

    def position(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(FeedCursor.position).where(FeedCursor.feed == self.feed)) or 0

    def pull(self, wait: float = 0) -> tuple[list[ApplyReport], datetime | None]:
        """Pull and apply batches until caught up (the first request may long-poll).

        While catching up, the next batch is fetched (after this batch's
        ``next_after``) while this one is applied, so the hub's reading and
        the network overlap the replica's writing. That changes nothing the
        cursor guarantees: each batch still commits with its own cursor, in
        order, and a prefetched batch whose apply never happens is dropped.
        """
        reports, provider_at = [], None
        fetch = self._fetch
        # A small first batch: applying starts sooner, and the hub reads the next while it does. With the
        # mark of the item at the cursor, so a hub put back from a backup says so (sync.feed_restore).
        batch = fetch(self.position(), wait, min(self.batch_limit, FIRST_BATCH), self._mark())
        prefetch: ThreadPoolExecutor | None = None
        try:
            for n in range(self.max_batches):
                if self.stop.is_set():
                    break
                provider_at = batch.last_provider_data_at or provider_at
                if _empty(batch) and batch.next_after <= self.position():
                    break
                more = batch.next_after < batch.head and n + 1 < self.max_batches
                if more:
                    prefetch = prefetch or ThreadPoolExecutor(1, thread_name_prefix="scc-sync-prefetch")
                    following = prefetch.submit(fetch, batch.next_after, 0, None, batch.next_after_mark)
                reports.append(apply_batch(self.store, batch, self.validator, feed=self.feed, stop=self.stop))
                if not more:
                    break
                batch = following.result()
        finally:
            if prefetch is not None:  # wait for a request in flight: the session is not shared
                prefetch.shutdown(wait=True, cancel_futures=True)
        return reports, provider_at

    def _fetch(self, after: int, wait: float, limit: int | None = None, mark: int | None = None) -> FeedBatch:
        marked = {"mark": mark} if mark is not None else {}   # a hub before session 30 sends none
        batch = self.client.feed(after, limit or self.batch_limit, wait, columnar=self.columnar, **marked)
        self.hub_offset = batch.server_time - self.clock()
        return batch

    def _mark(self) -> int | None:
        """The mark of the item at the cursor as read (``sync.feed_marks``), None when not known."""
        if self.feed != "main":
            return None
        with self.store.session() as s:
            conn = s.connection()
            cursor, kept = self.position(), feed_marks.current(conn)
        return kept[1] if kept is not None and kept[0] == cursor else None

    def _pull_following(self, wait: float) -> tuple[list[ApplyReport], datetime | None, feed_restore.Rewound | None]:
        """``pull``, and when the hub says its feed is not the one this cursor followed (its database put back
        from a backup), the recovery (``sync.feed_restore``): the records it may have lost pushed again and the
        feed re-read from the last position both agree on, in this cycle."""
        try:
            reports, provider_at = self.pull(wait)
            rewound = None
        except HubRefused as exc:
            if self.feed != "main" or not feed_restore.diverged(exc):
                raise
            rewound = feed_restore.recover(self.store, self.client, exc.error.code)
            if rewound is None:   # another hub's feed: refused as before
                raise
            if rewound.rejoin:
                self._rejoin_said = rewound.said   # told with the 410 this cycle ends with
            else:
                self._restored_said = rewound.said   # told with the first cycle that ends well
            try:
                outbox.push_pending(self.store, self.client)
            except HubRefused as refused:   # kept in the outbox with the reason, as in run_once; the feed still comes
                if refused.status in _REFUSES_ALL:
                    raise
                log.warning("records to send again refused; re-reading the feed regardless: %s", refused)
            reports, provider_at = self.pull(0)
        feed_restore.settle(self.store)
        return reports, provider_at, rewound

    def _keep_hub_id(self) -> None:
        """The id of the hub whose feed this replica follows, kept once (``replica_meta`` ``hub_id``, as a
        snapshot join keeps it): the chain heads compare only with that hub (``models.records.hub_heads``).
        One already kept is never replaced here: a join sets it, a hub with another id is another feed."""
        answer = self.health.answer
        hub_id = getattr(answer, "hub_id", None)
        if not hub_id or self._hub_id_kept == hub_id:
            return
        with self.store.writing() as s:
            kept = s.get(ReplicaMeta, "hub_id")
            if kept is None:
                s.add(ReplicaMeta(key="hub_id", value=hub_id))
            elif kept.value != hub_id:
                log.warning("the hub answering (id %s) is not the one this replica follows (id %s)",
                            hub_id, kept.value)
        self._hub_id_kept = hub_id

    def _outage(self, was: Connectivity, now: datetime) -> tuple[datetime, datetime] | None:
        """(when the hub was last reached, ``now``) for the cycle that reaches it after failed ones (``was``, the
        state before this cycle); None when it was not offline, or offline only in name: a 410 feed_pruned is the
        hub answering (behind its retention), and a 503 'upgrading' its planned start steps (the banner said "Hub
        upgrading"; r3, session 31)."""
        if was.state != State.OFFLINE or was.behind_retention or was.upgrading:
            return None
        # A 410 or a 503 'upgrading' leaves the state offline and the last good sync where it was: lost after it, the
        # outage starts at that answer, not at the sync before (r1, session 33; the upgrade's case, session 34).
        start = was.last_good_sync or was.since
        if self._answered_at is not None and (start is None or self._answered_at > start):
            start = self._answered_at
        return start, now

    def run_once(self, wait: float = 0) -> CycleResult:
        push_error = None
        pushed = None
        try:
            try:
                pushed = outbox.push_pending(self.store, self.client)
            except HubRefused as exc:
                if exc.status in _REFUSES_ALL:   # the token, the protocol: the pull would be refused too
                    raise
                # The hub refused this desktop's records (a token that may not write, say): they stay in
                # the outbox with the reason, and the feed is pulled all the same. A refusal of ours must
                # never leave the room blind to the system's data.
                pushed = getattr(exc, "pushed", None) or outbox.PushResult()   # earlier requests' records went
                push_error = f"the hub refused this desktop's records: {exc}"
                log.warning("outbox push refused; pulling the feed regardless: %s", exc)
            reports, provider_at, _rewound = self._pull_following(wait)
            self.offset_keeper.keep(self.store, self.hub_offset, self.clock())
            self.escalation.refresh(self.client, self.clock())
            self.hub_tables.refresh(self.client, self.clock())
            self._keep_hub_id()
            mended = self.transfer_seen.refresh(self.store, self.client, self.stop.is_set)   # never raises
        except ApplyStopped:   # closing: the batch rolled back with its cursor and is applied next start
            return CycleResult(self.tracker.current, error=None)
        except (HubUnreachable, HubRefused) as exc:
            now, was, behind = self.clock(), self.tracker.current, _feed_pruned(exc)
            state = self.tracker.failed(now, str(exc), outbox.pending_count(self.store),
                                        upgrading=hub_health.upgrading(exc),   # 503 'upgrading': said as such
                                        behind_retention=behind)               # 410: the hub answered
            # Away longer than the hub keeps its feed: the first answer after the outage is its 410, and it is this
            # cycle that reaches the hub; told now, once (the 410s after it, and the cycle after the rejoin, were
            # not offline). Its records went before the pull: ``pushed`` says them whenever the push was answered.
            outage = self._outage(was, now) if behind else None
            if behind or state.upgrading:   # the hub answered (410, or 503 'upgrading'): an outage after it starts here
                self._answered_at = now
            # A recovery that hands over to the snapshot join (sync.feed_restore._rejoin) ends with the hub's 410:
            # what it did is said with it, once.
            said, self._rejoin_said = self._rejoin_said, None
            if getattr(self.client, "closed", False):   # stopped on purpose (the window closing): not a fault to report
                log.debug("sync stopped: %s", exc)
            else:
                log.info("sync cycle failed: %s", exc)
            # What the push did is said as on a cycle that ends well: the records refused too, and a refused push.
            return CycleResult(state, error=str(exc), feed_restored=said, outage=outage, push_error=push_error,
                               pushed=pushed.stored + pushed.duplicate if pushed is not None else 0,
                               rejected=pushed.rejected if pushed is not None else 0,
                               outage_run_started=self.started_at if outage and outage[0] < self.started_at else None)
        except Exception as exc:
            if replica_fault(exc):
                # The replica could not be written now (disk full, busy past the timeout, ...): the
                # batch rolled back with its cursor, so nothing is lost; the next cycle repeats it.
                self._problem_since = self._problem_since or self.clock()
                problem = describe(exc, self.store.path, self._problem_since)
                log.info("sync cycle stopped by the replica: %s", problem.line())   # the result says it
                return CycleResult(self.tracker.current, error=problem.line(), replica_problem=problem)
            if isinstance(exc, (OperationalError, sqlite3.OperationalError)):   # e.g. a schema fault
                log.warning("sync cycle stopped by the replica: %s", exc)
                return CycleResult(self.tracker.current, error=f"replica: {getattr(exc, 'orig', None) or exc}")
            raise
        self._problem_since = None
        now = self.clock()
        hub_now = now + self.hub_offset if self.hub_offset is not None else None
        outage = self._outage(self.tracker.current, now)
        state = self.tracker.reached(now, provider_at, outbox.pending_count(self.store), hub_now)
        result = CycleResult(state, pushed=pushed.stored + pushed.duplicate, push_error=push_error,
                             rejected=pushed.rejected, batches=len(reports),
                             applied=sum(r.applied for r in reports), hub_offset=self.hub_offset,
                             escalation=self.escalation.current, opel_tables=self.hub_tables.current,
                             feed_restored=self._restored_said, outage=outage,
                             outage_run_started=self.started_at if outage and outage[0] < self.started_at else None)
        self._restored_said = None
        for r in reports:
            for kind, n in r.kinds.items():
                result.kinds[kind] = result.kinds.get(kind, 0) + n
        if mended.cases:   # cases refolded: the transfer views redraw as for a record from the feed
            result.kinds["record"] = result.kinds.get("record", 0) + mended.cases
        return result

    def run(self, stop: threading.Event, *, poll_interval: float = 2.0, long_poll: float = 20.0,
            on_cycle: Callable[[CycleResult], None] | None = None,
            backoff: Backoff | None = None) -> None:
        """Sync until ``stop`` is set: long-poll when online, back off when not."""
        backoff = backoff or Backoff(base=poll_interval / 2, cap=60.0)
        self.stop = stop
        failures = 0
        while not stop.is_set():
            try:
                result = self.run_once(wait=long_poll if failures == 0 else 0)
            except Exception as exc:  # noqa: BLE001 -- the loop must outlive any one cycle
                log.exception("sync cycle failed")
                result = CycleResult(self.tracker.current, error=f"sync stopped by an error: {exc}")
            if on_cycle:
                on_cycle(result)
            if result.error:
                failures += 1
                stop.wait(backoff.delay(failures - 1))
            else:
                failures = 0
                stop.wait(0 if long_poll else poll_interval)
