"""Transfer changes stored without their ``seen``, given it back from the hub, and their cases refolded.

A desktop that ran a version before session 24 while others were newer stored the transfer changes it
received without ``seen`` (the clashing changes each one's author was shown); replica migration 0021 left them
NULL, and the fold takes a NULL as an older desktop's change and settles by the old rule: a step made from the
value showing settled a clash there and not on the desktops that had received it with ``seen`` (review of
session 24: two replicas through a real hub, the later-upgraded one showed no conflict where the other did).
The hub's own snapshot replica is the same when the hub was upgraded after the desktops.

The replica kept each change's feed position (``transfer_event.feed_seq``), and the hub keeps every desktop
record in its feed, so :func:`mend` asks the hub for the ``seen`` of the changes that have none
(``GET /v1/records/transfer-seen``, at most :data:`ASK_MAX` positions a request), writes what the hub holds
and refolds each case it touched, one transaction a request, the positions asked recorded with it
(``replica_meta`` :data:`MARK_KEY`): asked once, never again.  A change the hub holds without ``seen`` (sent by
a desktop before session 24) stays NULL and keeps the old rule, as it should.  Nothing is written before the
hub has answered, so a hub that cannot be reached (or one before session 28, 404) changes nothing and the
next try asks again; the same answer written twice changes nothing more.

:class:`Watch` runs it after each sync cycle's pull (``sync.engine``), at most :data:`BUDGET_S` of work a cycle
and never failing the cycle: the feed is pulled first, and a fault here is logged and tried again later.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, text

from sync.apply_records import refold_transfers
from sync.protocol import MAX_SEEN_POSITIONS

log = logging.getLogger(__name__)
MARK_KEY = "transfer_seen_asked_through"   # replica_meta: every change without seen up to this position was asked
ASK_MAX = MAX_SEEN_POSITIONS   # positions a request
BUDGET_S = 1.0         # work a sync cycle gives it before leaving the rest to the next cycle
RETRY_S = 60.0         # after a hub that could not be reached, or answered for another hub
OLD_HUB_RETRY_S = 3600.0   # after a hub before session 28 (404): it may be upgraded

# What a hub answers for the positions asked: position -> (the event's uuid, its seen or None).
Answer = dict[int, tuple[str, "list[str] | None"]]


@dataclass
class Mended:
    asked: int = 0      # changes asked about
    given: int = 0      # changes given their seen
    cases: int = 0      # cases refolded
    done: bool = False  # nothing left to ask
    problem: str | None = None   # why it stopped short (the hub's snapshot make: logged, asked again next time)


def asked_through(conn) -> int:
    found = conn.execute(text("SELECT value FROM replica_meta WHERE key = :k"), {"k": MARK_KEY}).scalar()
    try:
        return int(found) if found else 0
    except ValueError:
        return 0


def waiting(conn, through: int, limit: int = ASK_MAX) -> list[tuple[int, str]]:
    """``(feed position, uuid)`` of changes received without ``seen`` after position ``through``, in order."""
    return [(r[0], r[1]) for r in conn.execute(text(
        "SELECT feed_seq, uuid FROM transfer_event WHERE feed_seq > :t AND seen IS NULL ORDER BY feed_seq "
        "LIMIT :n"), {"t": through, "n": limit})]


def _write(engine: Engine, todo: list[tuple[int, str]], answer: Answer) -> tuple[int, int]:
    """What the hub said of ``todo``, written with the positions asked, and the cases refolded; one transaction."""
    given = [{"s": json.dumps(said[1]), "u": uid} for position, uid in todo
             for said in [answer.get(position)]
             # no transfer event there, another one, or one sent without seen: the old rule stands for it
             if said is not None and said[0] == uid and said[1] is not None]
    with engine.connect() as conn, conn.begin():
        conn.connection.driver_connection.begin(immediate=True)   # the write lock first, as the feed's apply
        cases: list[str] = []
        if given:
            conn.execute(text("UPDATE transfer_event SET seen = :s WHERE uuid = :u AND seen IS NULL"), given)
            for n in range(0, len(given), 500):
                cases += [r[0] for r in conn.execute(
                    text("SELECT DISTINCT transfer_uuid FROM transfer_event WHERE uuid IN :u")
                    .bindparams(bindparam("u", expanding=True)), {"u": [g["u"] for g in given[n:n + 500]]})]
            cases = sorted(set(cases))
            refold_transfers(conn, cases)
        conn.execute(text("INSERT INTO replica_meta (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE "
                          "SET value = excluded.value"), {"k": MARK_KEY, "v": str(todo[-1][0])})
    return len(given), len(cases)


def mend(engine: Engine, ask: Callable[[list[int]], Answer], *, budget_s: float | None = None,
         stop: Callable[[], bool] = lambda: False) -> Mended:
    """Ask ``ask`` for the ``seen`` of every change stored without it, :data:`ASK_MAX` at a time, and write
    each answer (see the module's docstring).  ``budget_s``: stop after the request that passes it (the rest
    is asked next time); None: until done.  Whatever ``ask`` raises leaves what is not yet written as it was."""
    out = Mended()
    start = time.monotonic()
    while not stop():
        with engine.connect() as conn:
            todo = waiting(conn, asked_through(conn))
        if not todo:
            out.done = True
            break
        answer = ask([position for position, _uid in todo])
        given, cases = _write(engine, todo, answer)
        out.asked += len(todo)
        out.given += given
        out.cases += cases
        if budget_s is not None and time.monotonic() - start >= budget_s:
            break
    return out


def hub_asker(client, hub_id: str | None) -> Callable[[list[int]], Answer]:
    """``ask`` over ``client`` (``sync.client.HubClient``): refuses an answer from a hub other than ``hub_id``
    (the one this replica follows: its positions are that hub's)."""
    def ask(positions: list[int]) -> Answer:
        said = client.transfer_seen(positions)
        if hub_id is None or said.hub_id != hub_id:
            raise OtherHub(f"the hub answering (id {said.hub_id}) is not the one this replica follows "
                           f"(id {hub_id}): its feed positions are another feed's")
        return {e.position: (e.uuid, e.seen) for e in said.events}
    return ask


class OtherHub(Exception):
    """The answer came from a hub whose feed this replica does not follow."""


class Watch:
    """Mends after each sync cycle (``SyncEngine.run_once``), :data:`BUDGET_S` at a time, never raising: a hub
    that cannot be reached is asked again :data:`RETRY_S` later, one before session 28 (404)
    :data:`OLD_HUB_RETRY_S` later."""

    def __init__(self, budget_s: float = BUDGET_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.budget_s = budget_s
        self.clock = clock
        self.next_at = 0.0
        self.last: Mended | None = None
        self.problem: str | None = None   # why the last try did not finish, for the log and tests

    def refresh(self, store, client, stop: Callable[[], bool] = lambda: False) -> Mended:
        from sync.client import HubRefused, HubUnreachable

        now = self.clock()
        if now < self.next_at:
            return Mended()
        try:
            with store.session() as s:
                hub_id = s.execute(text("SELECT value FROM replica_meta WHERE key = 'hub_id'")).scalar()
            self.last = mend(store.engine, hub_asker(client, hub_id), budget_s=self.budget_s, stop=stop)
            self.problem = None
        except HubRefused as exc:
            old = exc.status == 404
            self._later(OLD_HUB_RETRY_S if old else RETRY_S,
                        "the hub does not give transfer changes' seen (a hub before session 28)" if old
                        else f"the hub refused: {exc}")
            return Mended()
        except (HubUnreachable, OtherHub) as exc:
            self._later(RETRY_S, str(exc))
            return Mended()
        except Exception as exc:  # noqa: BLE001 -- a fault here must never fail the cycle that pulled the feed
            log.warning("transfer changes' seen not mended this cycle: %s", exc, exc_info=True)
            self._later(RETRY_S, f"{type(exc).__name__}: {exc}")
            return Mended()
        if self.last.given:
            log.info("transfer changes given their seen from the hub: %d (%d cases refolded)",
                     self.last.given, self.last.cases)
        return self.last

    def _later(self, seconds: float, why: str) -> None:
        self.problem = why
        self.next_at = self.clock() + seconds
        log.info("transfer changes' seen not asked now, again in %.0f s: %s", seconds, why)
