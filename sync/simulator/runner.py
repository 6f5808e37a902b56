"""Drive a :class:`~sync.simulator.generator.Simulator` through time.

- :func:`backfill`: history between two simulated times, as fast as the sink
  takes it (for a demo's start-up: e.g. the last 7 days).
- :func:`run`: live ticks. Tick ``k`` covers simulated ``(start + (k-1)*tick,
  start + k*tick]`` (tick 0 covers the tick before ``start``, so the first
  tick has data at once). With ``paced``, tick ``k`` is sent when
  ``k * tick / speed`` real seconds have passed (``speed`` 60 = one simulated
  minute per real second). Bounded by ``ticks`` and/or ``duration`` (real
  seconds); ``stop`` (a ``threading.Event``) ends it cleanly between
  submissions; ``not_after`` holds the simulated clock at real time.

A sink is any callable taking a :class:`SimSubmission` (the HTTP sender's
``lambda s: sender.send(s.payload)``, a JSON-lines printer, a list's append).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sync.simulator.generator import SimSubmission, Simulator, merge

log = logging.getLogger("sync.simulator")

Sink = Callable[[SimSubmission], object]


@dataclass
class RunReport:
    ticks: int = 0
    submissions: int = 0
    items: int = 0
    simulated_until: datetime | None = None
    stopped: bool = False  # ended by ``stop`` rather than by its bounds


def without_orphans(subs: list[SimSubmission], start: datetime) -> list[SimSubmission]:
    """Drop late ambulance returns due before ``start`` from a run's first window.

    Such a return carries an ambulance's state as of its due time; the later
    states of the same ambulances were sent before ``start`` and so are never
    sent by a run that begins there, which would leave those ambulances
    "arrived" for ever.  In later windows their context has been sent.
    """
    return [sub for sub in subs if not (sub.late and sub.kind == "ambulance" and sub.due_at <= start)]


def _emit(subs: list[SimSubmission], sink: Sink, stop: threading.Event, report: RunReport) -> bool:
    for sub in subs:
        if stop.is_set():
            return False
        sink(sub)
        report.submissions += 1
        report.items += len(sub.payload["items"])
    return True


def backfill(sim: Simulator, sink: Sink, start: datetime, end: datetime, *,
             chunk: timedelta = timedelta(hours=6), batch_minutes: int = 0,
             stop: threading.Event | None = None,
             shape: Callable[[list[SimSubmission]], list[SimSubmission]] | None = None,
             progress: Callable[[datetime], None] | None = None) -> RunReport:
    """Send every submission with ``start < submitted_at <= end``, oldest first, without waiting.

    Generated in ``chunk``-long windows so memory stays small; without
    batching the result is the same as one window (see
    :mod:`sync.simulator.generator`). ``batch_minutes`` > 0 merges each
    organisation's submissions due in the same window into one
    (:func:`~sync.simulator.generator.merge`): same items, far fewer requests.
    ``shape`` (e.g. :class:`~sync.simulator.history.HistoryShape`) thins each window first.
    ``progress(simulated_until)`` is called after each window is sent (a demo's progress window).
    """
    stop = stop or threading.Event()
    report = RunReport()
    t = start
    while t < end:
        nxt = min(t + chunk, end)
        # Every window, not only the first: a return can be later than a window is long.
        subs = without_orphans(sim.submissions(t, nxt), start)
        if shape is not None:
            subs = shape(subs)
        if batch_minutes > 0:
            subs = merge(subs, batch_minutes)
        if not _emit(subs, sink, stop, report):
            report.stopped = True
            break
        report.simulated_until = nxt
        if progress is not None:
            progress(nxt)
        t = nxt
    log.info("backfill %s to %s: %d submissions, %d items", start.isoformat(), end.isoformat(),
             report.submissions, report.items)
    return report


def run(sim: Simulator, sink: Sink, *, start: datetime, tick: timedelta, speed: float = 60.0,
        ticks: int | None = None, duration: float | None = None, paced: bool = True,
        stop: threading.Event | None = None, clock: Callable[[], float] = time.monotonic,
        not_after: Callable[[], datetime] | None = None) -> RunReport:
    """Live run from simulated ``start``; see the module docstring for the timing rules.

    ``not_after`` (e.g. the real UTC clock) keeps the simulated clock from
    running ahead of it: once caught up, the run continues in real time. A
    hub refuses figures stamped more than a few minutes ahead of its clock.
    """
    if speed <= 0:
        raise ValueError("speed must be above 0")
    if tick <= timedelta(0):
        raise ValueError("tick must be above 0")
    stop = stop or threading.Event()
    report = RunReport()
    real0 = clock()
    step = tick.total_seconds() / speed  # real seconds per tick when paced
    k = 0
    caught_up = False
    while ticks is None or k < ticks:
        now = start + k * tick
        if not_after is not None:
            ahead = (now - not_after()).total_seconds()
            if ahead > 0:
                if not caught_up:
                    log.info("simulated time has caught up with real time; continuing in real time")
                    caught_up = True
                if duration is not None and clock() - real0 + ahead > duration:
                    break
                if stop.wait(ahead):
                    report.stopped = True
                    break
        if paced and not caught_up:
            due = k * step
            if duration is not None and due > duration:
                break
            lag = clock() - real0 - due
            if lag > max(5.0, 2 * step) and k % 20 == 0 and k:
                log.warning("simulator is %.0f s behind the simulated clock (the hub is slower than "
                            "--speed asks for)", lag)
            if lag < 0 and stop.wait(-lag):
                report.stopped = True
                break
        elif duration is not None and clock() - real0 > duration:
            break
        if stop.is_set():
            report.stopped = True
            break
        window = sim.submissions(now - tick, now)
        if k == 0:
            window = without_orphans(window, now - tick)
        if not _emit(window, sink, stop, report):
            report.stopped = True
            break
        report.ticks += 1
        report.simulated_until = now
        k += 1
    return report
