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
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Column, String, Table, Text, insert, select, update
from starlette.concurrency import run_in_threadpool

from models.rules import alert_signals
from models.rules.alert_engine import evaluate
from models.rules.alert_rules import Rule, default_rules, read_rules_file
from sync.hub import schema as s
from sync.hub.db import Writer, dumps

log = logging.getLogger("sync.hub")
TICK_ENV = "SCC_HUB_ALERT_TICK_SECONDS"
DEFAULT_TICK_SECONDS = 30.0
_KEY = "engine"

# On the hub's metadata, so init_schema creates it beside the rest (a new table only: the
# schema version does not change, and an older hub simply leaves it alone).
alert_state = Table(
    "alert_state", s.metadata,
    Column("key", String(40), primary_key=True),
    Column("data", Text, nullable=False),   # {"engine": ..., "signals": ...} as JSON
)


class HubAlerts:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.enabled = any(r.enabled for r in self.rules)

    @classmethod
    def from_file(cls, path: Path | None) -> HubAlerts:
        return cls(read_rules_file(path) if path is not None else default_rules())

    def observe(self, w: Writer) -> None:
        """Evaluate the items of this write transaction; put the alerts on the feed with them."""
        items = [(kind, data) for kind, data in w.items if kind != "alert"]
        if self.enabled and items:
            self._evaluate(w, items)

    def tick(self, db) -> int:
        """Evaluate the clock alone (late data, waiting ambulances); returns alerts put on the feed."""
        if not self.enabled:
            return 0
        with db.write() as w:
            self._evaluate(w, [])
            return w.emitted

    def _evaluate(self, w: Writer, items: list) -> None:
        text = w.conn.execute(select(alert_state.c.data).where(alert_state.c.key == _KEY)).scalar()
        saved = json.loads(text) if text else {}
        sigs, sig_state = alert_signals.signals(items, saved.get("signals"), w.now)
        out = evaluate(self.rules, saved.get("engine"), sigs, w.now)
        for change in out.changes:
            w.emit("alert", change.wire(), change.org_code)
        data = dumps({"engine": out.state, "signals": sig_state})
        if text is None:
            w.conn.execute(insert(alert_state).values(key=_KEY, data=data))
        elif data != text:
            w.conn.execute(update(alert_state).where(alert_state.c.key == _KEY).values(data=data))


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
