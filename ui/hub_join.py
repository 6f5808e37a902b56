"""The window's sync, joining the hub from its snapshot first when it has to (docs/retention.md).

As ``scc-desktop sync`` does: a *new* replica (cursor 0, empty outbox) whose hub offers a snapshot
joins from it instead of replaying the feed from position 0, and a replica the hub answers
410 ``feed_pruned`` (behind the feed's retention horizon) joins again once its outbox holds nothing
unsent.  The window stays up throughout, on what the replica holds:

1. the download, its checks and the copy under this replica's key (``sync.snapshot_join.prepare``)
   run on a ``ui.tasks.Loop`` (stopping it, as closing the window does, cuts the download); the
   banner says how far it is ("Joining the hub: downloading 312 of 1,020 MB…");
2. the copy is swapped in on the write lane (``Store.swap_file`` with ``snapshot_join.finish``):
   no write of the window's runs beside it, and every view, the alert banner and the engine keep
   the same ``Store``, now over the new file; the views redraw;
3. the sync loop starts and the banner says it is applying the feed since the snapshot until the
   first cycle has caught up.

A join that cannot finish leaves the replica as it was and says so: the hub gone mid-download is
tried again after a pause (5 s, doubling to a minute); a snapshot refused (altered, cut short, of a
newer schema) makes a new replica replay the feed instead.  A replica behind the horizon whose outbox
still holds unsent records keeps syncing (each cycle pushes first) and the banner says what it waits
for; it joins again by itself once they are sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ui import tasks

log = logging.getLogger(__name__)
RETRY_FIRST_S = 5.0
RETRY_CAP_S = 60.0
REJOIN_PAUSE_S = 300.0   # after a rejoin that failed for another reason than unsent records
PROGRESS_EVERY_S = 0.2


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f}"


def _sentence(said: str) -> str:
    """``sync.feed_restore.Rewound.said`` as a sentence of its own."""
    return said[:1].upper() + said[1:] + ("" if said.endswith(".") else ".")


def behind_horizon(fault) -> bool:
    from sync.client import HubRefused

    return isinstance(fault, HubRefused) and fault.error is not None and fault.error.code == "feed_pruned"


class Syncing:
    """The window's sync engine loop, with the snapshot join in front of it when needed.

    ``make_engine()`` returns a new ``SyncEngine`` over the window's store with a client of its own
    (a stopped loop closes its client for good).  ``notice`` words go to ``window.show_join_notice``."""

    def __init__(self, window, make_engine: Callable[[], object], *, snapshot: bool = True,
                 poll_interval: float = 2.0, long_poll: float = 20.0) -> None:
        self.window, self.make_engine, self.snapshot = window, make_engine, snapshot
        self.poll_interval, self.long_poll = poll_interval, long_poll
        self.engine = None
        self.join_loop: tasks.Loop | None = None
        self.state = "idle"            # idle, checking, joining, swapping, catching_up, syncing
        self.joined_position: int | None = None
        self.started_at = time.monotonic()
        self.joined_in: float | None = None   # seconds from the start to caught up after a join
        self._rejoin_after = 0.0       # time.monotonic() before which a 410 does not start a rejoin
        self._spare = None             # the engine whose client the join used: the sync's, if still open
        # What the sync said when it handed over to this rejoin: the hub's database was put back to a copy that
        # keeps only a later feed (sync.feed_restore._rejoin). Said with the rejoin until it is done.
        self.restored: str | None = None
        self.on_state: Callable[[str], None] | None = None   # tests and screenshots follow the stages
        window.cycle_watchers.append(self._cycled)
        window.join_stoppers.append(self.stop)

    # --- starting ---------------------------------------------------------------------------
    def start(self) -> None:
        """Check whether the replica is new (a read off the UI thread), then join or sync."""
        if not self.snapshot:
            self._start_sync()
            return
        from sync import snapshot_join

        store = self.window.store
        self._set("checking")
        tasks.QueryOp(parent=self.window, op=lambda: snapshot_join.store_is_new(store),
                      success=lambda new: self._join(rejoin=False) if new else self._start_sync()).failure(
            lambda exc: self._start_sync()).run_in_background()

    def _start_sync(self) -> None:
        # The join's engine if its client is still open (it only asked for the snapshot), else a new one.
        spare, self._spare = self._spare, None
        self.engine = spare if spare is not None and not spare.client.closed else self.make_engine()
        self.window.start_sync(self.engine, poll_interval=self.poll_interval, long_poll=self.long_poll)
        if self.state != "catching_up":
            self._set("syncing")

    def stop(self) -> None:
        if self.join_loop is not None:
            self.join_loop.stop()

    def _set(self, state: str) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    # --- the join -----------------------------------------------------------------------------
    def _join(self, *, rejoin: bool) -> None:
        from sync import snapshot_join
        from sync.client import HubRefused, HubUnreachable

        store = self.window.store
        path, key, cipher = store.path, store.key, store.cipher
        engine = self._spare = self.make_engine()   # its client downloads; the sync's engine afterwards
        client = engine.client
        self._set("joining")
        self.window.show_join_notice("Joining the hub: asking it for its snapshot…" if not rejoin else
                                     f"{_sentence(self.restored)} Joining again now…"
                                     if self.restored else
                                     "This desktop is behind the hub's retention: joining again from the hub's "
                                     "snapshot…", "joining")
        loop = tasks.Loop(self.window, "join", lambda stop: run(stop), interrupt=client.close)
        said_total = loop.reporter(self._described)
        said_bytes = loop.reporter(self._downloading)
        said_retry = loop.reporter(self._retrying)
        said_done = loop.reporter(lambda result: self._prepared(result, rejoin))
        said_refused = loop.reporter(lambda exc: self._failed(exc, rejoin))
        total = [0]
        last = [0.0]

        def described(info) -> None:
            total[0] = info.size
            said_total(info)

        def progress(n: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or n >= total[0]:
                last[0] = now
                said_bytes((n, total[0]))

        def run(stop) -> None:
            attempt = 0
            while not stop.is_set():
                try:
                    result = snapshot_join.prepare(path, key, cipher, client, rejoin=rejoin, described=described,
                                                   progress=progress)
                except HubUnreachable as exc:
                    if stop.is_set():
                        return
                    delay = min(RETRY_CAP_S, RETRY_FIRST_S * 2 ** attempt)
                    attempt += 1
                    said_retry((str(exc), delay))
                    if stop.wait(delay):
                        return
                    continue
                except (snapshot_join.JoinFailed, HubRefused, OSError) as exc:
                    said_refused(exc)
                    return
                said_done(result)
                return
        loop.failure(lambda exc: self._failed(exc, rejoin))   # anything else: said, and the replica is as it was
        self.join_loop = loop.start()

    def _progress(self, text: str, style: str = "joining") -> None:
        """A step of the join in the banner; after the recovery's handover, with why it joins again (the hub's
        database was put back, not a long absence) for as long as the join runs (a download takes minutes)."""
        if self.restored:
            text = f"The hub's database was put back to an earlier copy: joining again from its snapshot. {text}"
        self.window.show_join_notice(text, style)

    def _described(self, info) -> None:
        self._progress(f"Joining the hub: downloading 0 of {_mb(info.size)} MB…", "joining")

    def _downloading(self, done_total: tuple[int, int]) -> None:
        done, total = done_total
        if total and done >= total:
            self._progress(f"Joining the hub: downloaded {_mb(total)} MB; checking it and encrypting "
                                         "it under this replica's key (a few seconds a GB)…", "joining")
        else:
            self._progress(f"Joining the hub: downloading {_mb(done)} of {_mb(total)} MB…", "joining")

    def _retrying(self, reason_delay: tuple[str, float]) -> None:
        reason, delay = reason_delay
        self.window.show_join_notice(
            f"Could not join from the hub's snapshot: {reason}. Trying again in {delay:.0f} s; the replica is "
            "unchanged and the window works on what it holds.", "feed_stale")

    def _prepared(self, result, rejoin: bool) -> None:
        from sync import snapshot_join

        if isinstance(result, snapshot_join.JoinOutcome):   # nothing to join from: replay (or carry on)
            self.window.show_join_notice(None)
            self.window.statusBar().showMessage(f"Not joined from a snapshot: {result.line}", 30_000)
            self._start_sync()
            return
        self._set("swapping")
        self._progress("Joining the hub: putting the snapshot in place…", "joining")
        store = self.window.store
        path, key, cipher = store.path, store.key, store.cipher
        done = []

        def swap():
            try:
                store.swap_file(lambda: done.append(snapshot_join.finish(path, key, cipher, result)))
            finally:
                result.discard()
            return done[0]
        tasks.CollectionOp(self.window, swap).success(self._swapped).failure(
            lambda exc: self._failed(exc, rejoin)).run_in_background()

    def _swapped(self, outcome) -> None:
        self.joined_position = outcome.position
        log.info("%s", outcome.line)
        self.window.replica_replaced()
        self._set("catching_up")
        self._progress(f"Joined the hub's snapshot (position {outcome.position:,}); applying the feed "
                                     "since the snapshot…", "joining")
        self._start_sync()

    def _failed(self, exc: BaseException, rejoin: bool) -> None:
        from sync import snapshot_join

        reason = str(exc) or type(exc).__name__
        unsent = isinstance(exc, snapshot_join.UnsentRecords)
        if rejoin:
            if not unsent:
                self._rejoin_after = time.monotonic() + REJOIN_PAUSE_S
            self.window.show_join_notice(
                self._behind_words(None, self.restored) if unsent else
                f"This desktop is behind the hub's retention and could not join again from its snapshot "
                f"({reason}); the replica is unchanged. It tries again in {REJOIN_PAUSE_S / 60:.0f} minutes, "
                "or run 'scc-desktop sync --once'.", "feed_stale")
        else:
            self.window.show_join_notice(None)
            self.window.statusBar().showMessage(
                f"Could not join from the hub's snapshot ({reason}); replaying the feed from the start instead "
                "(slower: the views fill as it goes).", 60_000)
        log.warning("snapshot join not done: %s", reason)
        self._set("syncing")
        self._start_sync()

    # --- watching the sync -------------------------------------------------------------------------
    def _cycled(self, result) -> None:
        if self.state == "catching_up" and not result.error:
            self.joined_in = time.monotonic() - self.started_at
            self.window.show_join_notice(None)
            joined = (f"joined the hub from its snapshot (position {self.joined_position:,}) and applied the feed "
                      f"since it, in {self.joined_in:.0f} s.")
            if self.restored:   # the status bar keeps why, where the room read it (not replaced by "joined")
                self.window.statusBar().showMessage(   # short: whole beside the status bar's words at 1366 px
                    f"The hub's database was put back: this desktop re-sent its records and joined the hub again "
                    f"in {self.joined_in:.0f} s.", 120_000)
            else:
                self.window.statusBar().showMessage(joined[:1].upper() + joined[1:], 30_000)
            self.restored = None
            self._set("syncing")
            return
        if self.engine is None or self.state != "syncing" or not behind_horizon(self.engine.client.last_fault):
            return
        said = getattr(result, "feed_restored", None)
        if said:   # this 410 is the recovery's handover (said once, with it): the hub was put back, not a long absence
            self.restored = said
        pending = result.connectivity.outbox_pending if result.connectivity else 0
        if pending:
            # The command's rule: never replace a replica whose outbox holds records the hub has not got.
            self.window.show_join_notice(self._behind_words(pending, self.restored), "feed_stale")
            return
        if time.monotonic() < self._rejoin_after or not self.snapshot:
            return
        self.window.sync_loop.stop()
        self.engine = None
        self.started_at = time.monotonic()
        self._join(rejoin=True)

    @staticmethod
    def _behind_words(pending: int | None, restored: str | None = None) -> str:
        records = "records" if pending is None else f"{pending} record{'s' if pending != 1 else ''}"
        why = (f"{_sentence(restored)} It must join again from the hub's snapshot" if restored else
               "This desktop is behind the hub's retention: it was away longer than the hub keeps its feed, so "
               "it must join again from the hub's snapshot")
        return (f"{why}, and {records} in its outbox have not reached the hub "
                "yet. Keep it connected: it sends them, then joins again by itself (or run "
                "'scc-desktop sync --once'). Until then the views show the data as of the last sync.")
