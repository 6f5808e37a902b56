"""The hub's state for one process: database, metric catalogue, OPEL tables."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.rules.catalogue import load_catalogue
from models.rules.opel_rollup import check_against_tables, load_system
from models.rules.opel_table import load_shipped, load_table, shipped_pillars
from models.rules.tabledata import Problem, TableError
from sqlalchemy.exc import SQLAlchemyError

from sync.hub import storage, tables_health
from sync.hub.schema_start import RETRY_FAILED_ENV, RETRY_FAILED_SECONDS, StartProgress
from sync.hub.alerts import HubAlerts
from sync.hub.db import HubDB
from sync.hub.index_wait import DEFAULT_WAIT_MINUTES
from sync.hub.escalation import Escalator
from sync.hub.escalation_page import Pager
from sync.hub.escalation_room import RoomReader
from sync.hub.escalation_config import EscalationConfig
from sync.hub.opel import HubOpel
from sync.hub.validate import ItemValidator

log = logging.getLogger("sync.hub")
MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class HubConfig:
    """What a hub process needs. ``tables_dir`` may hold ``<pillar>.toml`` and
    ``system.toml`` replacing the bundled OPEL tables; ``catalogue_dirs`` add
    to or override the bundled metric catalogue."""

    db_url: str
    tables_dir: Path | None = None
    catalogue_dirs: tuple[Path, ...] = ()
    max_body_bytes: int = MAX_BODY_BYTES
    head_poll_seconds: float = 0.2  # how often to look for commits made by other processes
    alert_rules: Path | None = None  # a rules file replacing resources/alerts/default_rules.json
    alerts: bool = True  # evaluate the alert rules as data arrives
    escalation: EscalationConfig | None = None  # emailing unacknowledged alerts to whoever is on call
    openapi: bool = False  # serve GET /openapi.json (to admins): the API's description (sync/hub/openapi.py)
    snapshots: Path | None = None  # folder of published snapshots served by GET /v1/snapshot (sync/hub/snapshot.py)
    # PostgreSQL: minutes a concurrent index build at start may wait for transactions that only read (a backup)
    # before the index is built the plain way (sync/hub/index_wait.py)
    index_wait_minutes: float = DEFAULT_WAIT_MINUTES


def _check_tables_dir(folder: Path) -> None:
    """A tables folder that is missing, or holds no file the hub would read, is a mistake:
    the hub would quietly score with the bundled tables instead of the room's own."""
    expected = [f"{p}.toml" for p in shipped_pillars()] + ["system.toml"]
    where = str(folder)
    if not folder.is_dir():
        raise TableError([Problem(where, "(folder)", "OPEL tables folder not found")])
    found = sorted(p.name for p in folder.glob("*.toml"))
    unknown = [name for name in found if name not in expected]
    problems = [Problem(str(folder / name), "(file name)",
                        f"not a table the hub reads; expected one of {', '.join(expected)}") for name in unknown]
    if not set(found) & set(expected):
        problems.append(Problem(where, "(folder)", f"holds none of {', '.join(expected)}"))
    if problems:
        raise TableError(problems)


class Hub:
    """Everything a request handler needs; one per process."""

    def __init__(self, config: HubConfig, *, defer_schema: bool = False) -> None:
        """``defer_schema``: when the database needs one-off steps that take time on a big one (an index added
        since its table, sync.hub.schema_start), leave them to :meth:`finish_start`, which ``hub serve`` runs
        once it listens (``self.start`` says where they are meanwhile); without it they are taken here."""
        self.config = config
        if config.tables_dir is not None:
            _check_tables_dir(config.tables_dir)
        tables = {}
        for pillar in shipped_pillars():
            custom = config.tables_dir / f"{pillar}.toml" if config.tables_dir else None
            tables[pillar] = load_table(custom) if custom and custom.exists() else load_shipped(pillar)
            log.info("OPEL table for %s: %s", pillar, custom if custom and custom.exists() else "bundled")
        custom_system = config.tables_dir / "system.toml" if config.tables_dir else None
        system = load_system(custom_system if custom_system and custom_system.exists() else None)
        for problem in check_against_tables(system, tables):
            log.warning("OPEL tables: %s", problem)
        self.catalogue = load_catalogue(config.catalogue_dirs)
        self.opel = HubOpel(tables, system)
        self.opel_tables_said = tables_health.said(self.opel)   # for /health, read once (sync.hub.tables_health)
        self.validator = ItemValidator(self.catalogue, {p for p in tables if p in system.rules})
        self.alerts = HubAlerts.from_file(config.alert_rules) if config.alerts else HubAlerts.off()
        self.db = HubDB(config.db_url)
        self.db.index_wait_seconds = config.index_wait_minutes * 60
        steps = self.db.pending_steps()   # a database newer than this hub is refused here, before listening
        # Where the start's one-off steps are while the hub answers 503 'upgrading'; None: none (or done).
        retry = float(os.environ.get(RETRY_FAILED_ENV) or RETRY_FAILED_SECONDS)   # test-only: a shorter wait
        self.start: StartProgress | None = (StartProgress(steps, retry_seconds=retry) if defer_schema and steps
                                            else None)
        # Run (on the start's thread) once deferred steps are done, before requests are served: ``hub serve``'s
        # --orgs, --bootstrap-token-file. One that raises is logged; serving goes on.
        self.after_start: list[Callable[[], None]] = []
        if self.start is None:
            self.db.init_schema(StartProgress(steps))   # each step logged, as by finish_start
        self.db.observers.append(self.alerts.observe)
        self.escalation = Escalator(config.escalation, self.db) if config.escalation else None
        # The room (open alerts, acknowledgements, directory, rota) read from the feed once for the process: the
        # e-mail check's reader, shared with the pager and /m/'s board (sync.hub.escalation_room).
        self.room_reader = self.escalation.reader if self.escalation else RoomReader()
        self.escalation_task = None   # the running check (sync.hub.app), for /health
        # The second channel (docs/escalation.md, "Paging"): only with a [paging] section.
        paging = config.escalation.paging if config.escalation else None
        self.pager = (Pager(paging, self.db, config.escalation.check_seconds, reader=self.escalation.reader)
                      if paging else None)   # one reader for both channels: the feed replayed once
        self.pager_task = None
        self.stopping = False
        self._stopped = threading.Event()   # set with ``stopping``: ends a wait between the one-off steps' tries

    @property
    def ready(self) -> bool:
        """The database is up to date (its one-off steps taken): requests are served."""
        return self.start is None or self.start.done.is_set()

    def finish_start(self) -> None:
        """Take the one-off steps left by ``defer_schema`` (on the start's own thread, the hub listening),
        trying again ``self.start.retry_seconds`` (``RETRY_FAILED_SECONDS``) after a failure (said meanwhile);
        returns once they are done, or the hub stops."""
        while self.start is not None and not self.start.done.is_set() and not self.stopping:
            try:
                self.db.init_schema(self.start)
            except Exception as exc:   # a full disk, a lost connection...: said, logged, tried again
                why = storage.fault_reason(exc) if isinstance(exc, SQLAlchemyError) else None
                self.start.fail(why or str(getattr(exc, "orig", None) or exc).strip()[:300])
                if not self.stopping:
                    log.error("hub database: the one-off steps failed (%s); trying again in %g s", why or exc,
                              self.start.retry_seconds, exc_info=why is None)
                if self._stopped.wait(self.start.retry_seconds):
                    return
                continue
            if self.stopping:   # stopped while the steps ran: they are committed; nothing else starts
                return
            for then in self.after_start:
                try:
                    then()
                except Exception as exc:   # said (a UserError in its one sentence), serving goes on
                    log.error("hub start: %s", exc, exc_info=type(exc).__name__ != "UserError")
            self.start.finish()

    def begin_shutdown(self) -> None:
        """Release long-polling readers at once (they answer with what they have)."""
        self.stopping = True
        self._stopped.set()
        self.db.signal.notify()

    def close(self) -> None:
        self.db.dispose()
