"""A burst of commits wakes the long-polling desktops a few times, not once per commit (db.HeadSignal).

At regional scale each wake-up is an answer and a re-poll per desktop: a quarter hour's burst
of submissions, one commit each, faster than a thousand desktops can be answered, queued
answers behind answers for seconds (docs/reliability.md). Paced, a lone commit still wakes
at once; commits within the interval are carried together by one wake-up at its end.
"""

from __future__ import annotations

import asyncio

import pytest

from sync.hub.db import HeadSignal

pytestmark = pytest.mark.timeout(30)

INTERVAL = 0.3


async def _waiter(signal: HeadSignal, woken: list[float], stop: asyncio.Event) -> None:
    """A desktop: park, be woken, note when, park again (re-registering as a re-poll does)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        ev = signal.register()
        try:
            await ev.wait()
            woken.append(loop.time())
        finally:
            signal.unregister(ev)


async def _run(commits: list[float], at_once: bool = False) -> tuple[list[float], list[float]]:
    """Notify at ``commits`` (seconds from the start); returns (commit times, wake times)."""
    loop = asyncio.get_running_loop()
    signal, woken, stop = HeadSignal(INTERVAL), [], asyncio.Event()
    task = asyncio.create_task(_waiter(signal, woken, stop))
    await asyncio.sleep(0.05)
    t0, when = loop.time(), []
    for at in commits:
        await asyncio.sleep(max(0.0, t0 + at - loop.time()))
        when.append(loop.time())
        signal.notify(len(when), at_once=at_once)
    await asyncio.sleep(INTERVAL + 0.2)
    stop.set()
    signal.notify(at_once=True)
    await asyncio.wait_for(task, 5)
    return when, woken[:-1]   # the last: the stop


def test_a_lone_commit_wakes_at_once():
    commits, woken = asyncio.run(_run([0.0]))
    assert len(woken) == 1 and woken[0] - commits[0] < 0.1


def test_a_burst_is_carried_by_few_wake_ups_and_its_last_commit_waits_at_most_the_interval():
    burst = [i * 0.05 for i in range(12)]   # 12 commits in 0.55 s
    commits, woken = asyncio.run(_run(burst))
    assert 2 <= len(woken) <= 4, woken     # at once, then at most one per interval
    assert woken[0] - commits[0] < 0.1
    assert all(b - a >= INTERVAL - 0.02 for a, b in zip(woken, woken[1:]))
    assert woken[-1] >= commits[-1] and woken[-1] - commits[-1] <= INTERVAL + 0.1


def test_without_pacing_every_commit_is_a_wake_up():
    commits, woken = asyncio.run(_run([i * 0.05 for i in range(6)], at_once=True))
    assert len(woken) == 6


def test_two_commits_far_apart_each_go_at_once():
    commits, woken = asyncio.run(_run([0.0, INTERVAL + 0.2]))
    assert len(woken) == 2 and all(w - c < 0.1 for c, w in zip(commits, woken))
