"""The hub evaluates the alert rules where the data is, and puts alerts on the feed (kind "alert").

Every write transaction that puts items on the feed (a submission, its OPEL roll-ups, a desktop's
records) is shown to :meth:`HubAlerts.observe` before it commits: the items become signals
(``models.rules.alert_signals``), the engine (``models.rules.alert_engine``) turns them into raises
and clears, and those go on the feed in the same transaction, with the engine's state saved in
``alert_state``.  So a hub that stops at any point has either the data, the alerts and the state
together or none of them: a restart neither loses nor repeats an alert, on SQLite or PostgreSQL,
with one process or several (the transaction holds the feed lock).

A clock (:func:`run_clock`, started with the app) evaluates what time alone changes: data late
against its rule, an ambulance still waiting, a new day.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Column, String, Table, Text, bindparam, delete, insert, select, update
from starlette.concurrency import run_in_threadpool

from models.rules import alert_signals
from models.rules.alert_engine import evaluate
from models.rules.alert_rules import Rule, default_rules, read_rules_file
from sync.hub import schema as s
from sync.hub.db import Writer, dumps

log = logging.getLogger("sync.hub")
TICK_ENV = "SCC_HUB_ALERT_TICK_SECONDS"
DEFAULT_TICK_SECONDS = 30.0

# On the hub's metadata, so init_schema creates it beside the rest (a new table only: the
# schema version does not change, and an older hub simply leaves it alone).  One row per entry
# of the state ("subjects|<rule>|<scope>:<subject>", "seen|...", "waiting|<hospital>", ...) so a
# submission rewrites only the few entries it changed, and "version|" counts the writes.
alert_state = Table(
    "alert_state", s.metadata,
    Column("key", String(200), primary_key=True),
    Column("data", Text, nullable=False),   # JSON
)
_VERSION = "version|"
_ENGINE = ("subjects", "seen")
_SIGNALS = ("waiting", "lost", "c2")


class HubAlerts:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.enabled = any(r.enabled for r in self.rules)
        # The state as last written by this process, with the version it wrote: reused while no
        # other process has written since (checked in each transaction, under the feed lock).
        self._version: str | None = None
        self._sections: dict[str, dict[str, Any]] = {}

    @classmethod
    def from_file(cls, path: Path | None) -> HubAlerts:
        return cls(read_rules_file(path) if path is not None else default_rules())

    def observe(self, w: Writer) -> None:
        """Evaluate the items of this write transaction; put the alerts on the feed with them."""
        items = [(kind, data) for kind, data in w.items if kind in alert_signals.WATCHED]
        if self.enabled and items:   # a desktop's records, organisations: nothing to judge
            self._evaluate(w, items, clock=False)

    def tick(self, db) -> int:
        """Evaluate the clock alone (late data, waiting ambulances); returns alerts put on the feed."""
        if not self.enabled:
            return 0
        with db.write() as w:
            self._evaluate(w, [], clock=True)
            return w.emitted

    def _evaluate(self, w: Writer, items: list, clock: bool) -> None:
        sections = self._load(w.conn)
        engine = {name: sections[name] for name in _ENGINE}
        signal_state = {name: sections[name] for name in _SIGNALS}
        sigs, signal_state = alert_signals.signals(items, signal_state, w.now)
        out = evaluate(self.rules, engine, sigs, w.now, clock=clock)
        for change in out.changes:
            w.emit("alert", change.wire(), change.org_code)
        self._save(w.conn, {**{n: out.state[n] for n in _ENGINE}, **{n: signal_state[n] for n in _SIGNALS}})

    def _load(self, conn) -> dict[str, dict[str, Any]]:
        version = conn.execute(select(alert_state.c.data).where(alert_state.c.key == _VERSION)).scalar()
        if version is None or version != self._version:
            sections: dict[str, dict[str, Any]] = {n: {} for n in _ENGINE + _SIGNALS}
            for key, data in conn.execute(select(alert_state.c.key, alert_state.c.data)
                                          .where(alert_state.c.key != _VERSION)):
                section, _, name = key.partition("|")
                if section in sections:
                    sections[section][name] = json.loads(data)
            self._version, self._sections = version, sections
        return self._sections

    def _save(self, conn, sections: dict[str, dict[str, Any]]) -> None:
        changed, gone = [], []
        for section, new in sections.items():
            old = self._sections.get(section, {})
            for name, value in new.items():
                before = old.get(name)
                if before is not value and before != value:
                    changed.append((f"{section}|{name}", dumps(value), name in old))
            gone += [f"{section}|{name}" for name in old if name not in new]
        # Random, not a count: a process whose commit failed must not match another's next write.
        version = secrets.token_hex(8)
        updates = [{"k": key, "d": data} for key, data, exists in changed if exists]
        inserts = [{"key": key, "data": data} for key, data, exists in changed if not exists]
        if self._version is not None:
            updates.append({"k": _VERSION, "d": version})
        else:
            inserts.append({"key": _VERSION, "data": version})
        # executemany: one statement for each kind of write, however many entries changed.
        if updates:
            conn.execute(update(alert_state).where(alert_state.c.key == bindparam("k"))
                         .values(data=bindparam("d")), updates)
        if inserts:
            conn.execute(insert(alert_state), inserts)
        if gone:
            conn.execute(delete(alert_state).where(alert_state.c.key.in_(gone)))
        # Taken as this process's view only once the transaction commits (sync.hub.db.HubDB.write
        # runs observers just before its commit; a failed commit leaves a stale cache that the
        # next transaction's version check throws away, since the version was not written).
        self._version, self._sections = version, sections


def tick_seconds() -> float:
    try:
        return max(float(os.environ.get(TICK_ENV) or DEFAULT_TICK_SECONDS), 0.05)
    except ValueError:
        return DEFAULT_TICK_SECONDS


async def run_clock(hub) -> None:
    """Tick the alerts until the hub stops; a failing tick is logged and tried again next time."""
    period = tick_seconds()
    while not hub.stopping:
        await asyncio.sleep(period)
        try:
            await run_in_threadpool(hub.alerts.tick, hub.db)
        except Exception:  # noqa: BLE001 - the database's state is reported by /health; keep ticking
            log.exception("alert clock tick failed; trying again in %.0f s", period)
