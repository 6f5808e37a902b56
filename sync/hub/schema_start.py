"""The one-off steps a hub's start takes on a database from before them, and what the hub says meanwhile.

A newer hub brings an older database up to date as it starts (:meth:`sync.hub.db.HubDB.init_schema`): an
index added since its table, a schema version's upgrade, the decisions' numbers. On a year-sized feed one
index is seconds to minutes (9.8 to 18.8 s for ``ix_feed_kind_seq`` on 13.9 million SQLite positions,
docs/deployment.md). ``hub serve`` listens first and takes those steps on a thread of their own
(:class:`StartProgress`); until they are done every request is answered 503 ``upgrading`` with
``Retry-After`` (:func:`sync.hub.app.upgrading_answer`), ``/health`` included, and a desktop says "Hub
upgrading", not "unreachable". Each step is logged as it begins and ends, with its duration.

The steps run in one transaction (all or nothing): a hub killed half-way leaves the database as it was, and
the next start takes them again. On PostgreSQL one process takes them under an advisory lock; another
starting meanwhile waits, says so, and then finds them done. PostgreSQL builds an index ``CONCURRENTLY`` (the
table takes writes meanwhile), before that transaction: one a stopped build left not valid is built again.
A try that fails is said in every answer and taken again ``RETRY_FAILED_SECONDS`` later.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from models.uk_time import UK
from sync import protocol as p

log = logging.getLogger("sync.hub")
RETRY_AFTER_SECONDS = 5        # an upgrading hub's Retry-After: soon, it may be done
RETRY_FAILED_SECONDS = 60      # a step that failed (a full disk, say) is tried again this much later
# Test-only: that wait, in seconds (a bounded test sees a failed step tried again); never set it in production.
RETRY_FAILED_ENV = "SCC_HUB_SCHEMA_RETRY_SECONDS"
# A page answering a form sent meanwhile stays this long at least before its refresh takes it away: its
# notice is 20 to 46 words, 6 to 14 s at 200 words a minute (the other pages ask again at Retry-After).
NOT_STORED_SECONDS = 15
# Test-only: each one-off step, its work done, waits this many seconds inside its transaction (not committed),
# so a bounded test can hold a start in its step, or kill it there; never set it in production. (On PostgreSQL an
# index is built CONCURRENTLY, outside the transaction, committed as it goes: that step is held before its build.)
FAULT_STEP_DELAY_ENV = "SCC_HUB_FAULT_SCHEMA_STEP_DELAY"
# Test-only, with the delay: a file whose appearing ends the held step early (a test's "go on", so it holds the
# step as long as its checks take, the delay bounding it, rather than a fixed time).
FAULT_STEP_RELEASE_ENV = "SCC_HUB_FAULT_SCHEMA_STEP_RELEASE"


def fault_hold(seconds: float, release: str | None) -> None:
    """Test-only (:data:`FAULT_STEP_DELAY_ENV`): wait ``seconds``, or until the file ``release`` exists."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if release and os.path.exists(release):
            return
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


@dataclass(frozen=True)
class Step:
    """One one-off step: ``name`` for logs and machines ("index ix_feed_kind_seq"), ``words`` for a person."""

    name: str
    words: str


def clock_words(at: datetime) -> str:
    """``11:32:05 GMT``: UK time with its zone (the hub's log and a person's reading, as the rooms read)."""
    local = at.astimezone(UK)
    return f"{local:%H:%M:%S} {local.tzname()}"


_clock_words = clock_words


class StartProgress:
    """Where the start's one-off steps are, for every answer the hub gives meanwhile (thread-safe)."""

    def __init__(self, steps: list[Step], clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 retry_seconds: float = RETRY_FAILED_SECONDS) -> None:
        self.steps = list(steps)
        self.retry_seconds = retry_seconds   # after a failed try, the next one this much later (and Retry-After)
        self._clock = clock
        self._lock = threading.Lock()
        self.started_at = clock()
        self._began = time.monotonic()
        self.current: Step | None = None          # the step being taken now
        self._step_began: tuple[datetime, float] | None = None
        self.waiting: str | None = None           # why this process waits (another one takes the steps)
        self.failed: str | None = None            # the last attempt's failure, until the next attempt
        self.holding: str | None = None           # what the step waits for now (sync.hub.index_wait), if anything
        self.done = threading.Event()

    # --- the start's thread ---------------------------------------------------------------------
    def begin(self, step: Step) -> None:
        with self._lock:
            self.current, self.waiting, self.failed = step, None, None
            self._step_began = (self._clock(), time.monotonic())
        log.warning("hub database: %s (a one-off step of this hub's upgrade; the hub answers 503 'upgrading' "
                    "until it is done)", step.words)

    def end(self, step: Step) -> None:
        with self._lock:
            took = time.monotonic() - self._step_began[1] if self._step_began else 0.0
            self.current, self._step_began = None, None
        log.warning("hub database: %s: done in %.1f s", step.words, took)

    def wait(self, why: str) -> None:
        with self._lock:
            first = self.waiting is None
            self.waiting = why
        if first:
            log.warning("hub database: %s", why)

    def held(self, why: str | None) -> None:
        """What the current step waits for (another connection's transaction), or None: it waits for nothing."""
        with self._lock:
            self.holding = why

    def fail(self, why: str) -> None:
        why = "".join(c if c.isprintable() else " " for c in why)[:300]   # said in every answer: one plain line
        with self._lock:
            self.current, self._step_began, self.waiting, self.failed, self.holding = None, None, None, why, None

    def finish(self) -> None:
        took = time.monotonic() - self._began
        with self._lock:
            self.current, self.waiting, self.failed = None, None, None
        self.done.set()
        log.warning("hub database: up to date after %.1f s; the hub now answers", took)

    # --- what the hub says ----------------------------------------------------------------------
    def state(self) -> p.Upgrading:
        with self._lock:
            step, began, waiting, failed = self.current, self._step_began, self.waiting, self.failed
            holding = self.holding
        if step is not None and began is not None:
            at, mono = began
            seconds = time.monotonic() - mono
            doing = f"{step.words}, started {_clock_words(at)}"
            said = f"the hub is upgrading its database: {doing}, {seconds:.0f} s so far; it answers when that is done"
            if holding:
                doing = f"{doing}; {holding}"
                said = f"{said}. Meanwhile {holding}"
            return p.Upgrading(step=step.name, doing=doing, started_at=at, seconds=round(seconds, 1), message=said)
        seconds = time.monotonic() - self._began
        if failed is not None:
            doing = f"its last try failed ({failed}); it tries again every {whole_seconds(self.retry_seconds)} s"
            said = f"the hub could not upgrade its database: {doing} (the hub's log has the details)"
        else:
            doing = waiting or (", ".join(s.words for s in self.steps) or "its one-off steps")
            said = f"the hub is upgrading its database: {doing}, {seconds:.0f} s so far; it answers when that is done"
        return p.Upgrading(step=self.steps[0].name if self.steps else "upgrade", doing=doing,
                           started_at=self.started_at, seconds=round(seconds, 1), message=said)


def whole_seconds(seconds: float) -> int:
    """A wait as the whole seconds a ``Retry-After`` says (at least 1)."""
    return max(1, round(seconds))


def retry_after(progress: StartProgress) -> int:
    return whole_seconds(progress.retry_seconds) if progress.failed else RETRY_AFTER_SECONDS


def error_body(progress: StartProgress) -> p.ErrorBody:
    """The 503 ``upgrading`` answer's body (docs/sync-protocol.md)."""
    state = progress.state()
    return p.ErrorBody(code="upgrading", message=state.message, upgrading=state)


# What a page sent while the hub upgrades (a POST) was not read: what to say, and the page (a GET) to go back to.
_NOT_STORED = {
    "/provider/": ("What you sent was not stored: the hub takes nothing while it upgrades. This page opens the "
                   "form again by itself once the hub answers; what you typed in this tab is put back on it, "
                   "marked \u201cNot sent yet\u201d: check it and press Send changes.", "/provider/"),
    "/provider/csv": ("Your file was not uploaded: nothing in it was stored, as the hub takes nothing while it "
                      "upgrades. This page opens the form again by itself once the hub answers: choose the file "
                      "and upload it again then.", "/provider/"),
    "/login": ("You were not logged in: the hub takes nothing while it upgrades. This page opens the login again "
               "by itself once the hub answers: log in then.", "/login"),
}
_NOT_STORED_ELSE = ("What you sent was not stored: the hub takes nothing while it upgrades. Send it again once "
                    "the hub answers.", "/m/")


def not_stored(method: str, path: str) -> tuple[str, str] | None:
    """For a request that sends something (any method but GET and HEAD): what the page says of it (it was not
    stored) and the page its refresh opens (a GET: the address it was sent to may have none, and a refresh of
    it would be a GET, ``405`` once the hub answers). ``None`` for a GET or HEAD (the refresh asks again)."""
    if method.upper() in ("GET", "HEAD"):
        return None
    return _NOT_STORED.get(path, _NOT_STORED_ELSE)


def page(progress: StartProgress, method: str = "GET", path: str = "/") -> bytes:
    """The web pages' answer (``/m/``, login, the providers' form): a plain page a phone reads, asking again by
    itself; to a form sent meanwhile (``method`` not GET or HEAD), saying what was sent was not stored, and
    asking again with the page it came from (:func:`not_stored`)."""
    import html

    said = html.escape(progress.state().message)
    wait = retry_after(progress)
    sent = not_stored(method, path)
    refresh, note, title = str(wait), "", "Hub upgrading"
    if sent is not None:
        words, back = sent
        wait = max(wait, NOT_STORED_SECONDS)
        refresh = f"{wait}; url={back}"
        note = f"<p class=\"error\" role=\"alert\"><strong>{html.escape(words)}</strong></p>\n"
        title = "Not stored: hub upgrading"
    asks = (f"This page asks again every {wait} s." if sent is None else
            f"This page asks again in {wait} s, with <a href=\"{back}\">{html.escape(back)}</a>.")
    return (f"<!doctype html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"referrer\" content=\"no-referrer\">\n<meta http-equiv=\"refresh\" content=\"{refresh}\">\n"
            f"<title>{title} · SCC hub</title>\n<link rel=\"stylesheet\" href=\"/web/m.css\">\n</head>\n<body>\n"
            f"<header class=\"bar\">\n<span class=\"brand\">SCC</span>\n</header>\n<main class=\"narrow\">\n"
            f"<h1>Hub upgrading</h1>\n{note}<p>{said[0].upper() + said[1:]}.</p>\n"
            f"<p>{asks}</p>\n</main>\n</body>\n</html>\n").encode()
