"""Several hub processes doing one thing at the same moment: each call in a thread of its own, released together.

The tests of work that several hub processes share (an escalation check, a page) start each process's call
from one barrier, so they race for real, and wait for all of them; what each returned comes back in the
order they finished.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Sequence


def at_once(calls: Sequence[Callable[[], Any]], join: float = 60) -> list[Any]:
    start = threading.Barrier(len(calls))
    results: list[Any] = []

    def run(call: Callable[[], Any]) -> None:
        start.wait(10)
        results.append(call())

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(join)
    return results
