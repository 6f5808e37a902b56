"""The embedded default: a local hub and a simulated system on loopback, no configuration.

``DemoSystem`` keeps everything in one folder (the per-user data folder's
``demo/`` unless told otherwise): the hub's SQLite file, the desktop's
encrypted replica and the demo's own tokens.  On start it fills the gap since
the last run with simulated history (capped) up to now, so the newest figures
are minutes old, not the half hour a live catch-up used to leave; the history
is shaped (``sync.simulator.history``) so eight days of it, enough for every
"24 h ago" and 24-hour chart and for the next 24 hours' forecasts, load in
about 15 seconds on two cores (the command shows a progress window).  It then keeps submitting live
in a background thread, a minute of simulated time at a time, in real time
(``catch_up`` > 0 leaves that much to the live feed, run at ``speed`` times
real time).  Demo data only: the demo passphrase is a published constant
unless ``SCC_PASSPHRASE`` is set.  The room's own records (contacts, rota,
transfers, decisions, actions) are the command's to write, once per folder,
through the door (``scc_desktop.demo_records``); this module only keeps the
folder's note that they were.

The live feed is a plain thread, not a ``ui.tasks`` job: the demo stands in for the provider
systems and the hub, other programs in a real room.  It starts and fills its history before the
window exists, serves ``demo --screenshot`` as well, talks to the hub over HTTP only, and is
stopped by the command once the window has closed (docs/architecture.md, "Background work").
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from models.replica.orm.types import utcnow
from models.uk_time import UK

log = logging.getLogger(__name__)

DEMO_PASSPHRASE = "scc-desktop-demo"  # demo data only; never for a real replica
REPLICA_NAME = "replica.db"
# Who signs what the person trying the demo records, unless they gave their name (Settings) or SCC_USER:
# never the login name, which in a container is root.
DEMO_AUTHOR = "Demo user"
# A figure reaches the hub at most a tick after the simulated provider sent it.
TICK = timedelta(minutes=1)
# A first start's history: eight days, so the demo opens with every next-24-hours forecast (a week of
# a site's own history, FORECAST_HISTORY, counted back from the newest hour) and the chance of OPEL 3+
# (about 15 s on two cores, with a progress window); the week ahead needs three weeks (--history-hours).
HISTORY = timedelta(days=8)
# Parameters every 15 minutes for the last hours the charts show closely, hourly back past
# "24 h ago" (the level then, and the one carried into a 24-hour chart), every 4 hours before.
FULL_DETAIL = timedelta(hours=2)
HOURLY_DETAIL = timedelta(hours=26)
# The window marks a provider's tile STALE after 60 minutes; at the simulator's hourly cadence for
# community and mental health a tile would turn STALE for a minute or two every hour.  Every
# provider reports every 15 minutes in the demo.
DEMO_CADENCE_MINUTES = 15
# The offload chart's shortest span (ui.offload_view.MIN_CHART_SPAN): handovers back to that
# or to UK midnight ("today"), whichever is earlier, in a short history.
HANDOVER_SPAN = timedelta(hours=6)
# A history this long holds every handover and eight days of hourly parameters: the next 24 hours'
# forecasts need a week of a site's own history (models.forecast.intraday.MIN_DAYS), the week ahead
# three weeks of ordinary days.  Five weeks
# (``demo --history-hours 840``) show every forecast; the first start then takes a few minutes.
FORECAST_HISTORY = timedelta(days=7)


class DemoSystem:
    def __init__(self, folder: Path, *, history: timedelta = HISTORY,
                 catch_up: timedelta = timedelta(0), speed: float = 60.0, seed: int = 1) -> None:
        if not speed > 0:  # the live feed would die in its thread, after the window had opened
            raise ValueError(f"speed: must be above 0, not {speed}")
        if history < timedelta(0):
            raise ValueError(f"history: must not be negative, not {history}")
        if catch_up < timedelta(0):
            raise ValueError(f"catch_up: must not be negative, not {catch_up}")
        self.folder = Path(folder)
        self.history = history
        self.catch_up = catch_up
        self.speed = speed
        self.seed = seed
        self.hub = None
        self.stop_event = threading.Event()
        self._live: threading.Thread | None = None
        self.tokens: dict[str, str] = {}

    @property
    def hub_db(self) -> str:
        return f"sqlite:///{self.folder / 'hub.db'}"

    @property
    def replica_path(self) -> Path:
        return self.folder / REPLICA_NAME

    def _state_path(self) -> Path:
        return self.folder / "demo-state.json"

    def _state(self) -> dict:
        try:
            return json.loads(self._state_path().read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _save_state(self, **changes) -> None:
        state = {**self._state(), **changes}
        tmp = self._state_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._state_path())

    def records_seeded(self) -> bool:
        """Whether this folder's room records have been written (``scc_desktop.demo_records``)."""
        return bool(self._state().get("records_seeded"))

    def mark_records_seeded(self, at: datetime) -> None:
        self._save_state(records_seeded=at.isoformat())

    def _prepare_hub(self, sim) -> None:
        from sync.hub import auth, orgs
        from sync.hub.core import Hub, HubConfig

        hub = Hub(HubConfig(db_url=self.hub_db))
        try:
            orgs.upsert(hub, [orgs.OrgSpec(**o) for o in sim.organisations()])
            tokens = self._state().get("tokens", {})
            if set(tokens) != {"admin", "room_lead"}:
                tokens = {role: auth.create_token(hub.db, f"demo-{role}", role)[1]
                          for role in ("admin", "room_lead")}
                self._save_state(tokens=tokens)
            self.tokens = tokens
        finally:
            hub.close()

    def _history_from(self, now: datetime, last: str | None) -> datetime:
        """Where a start's history begins: ``history`` back, or where the last run stopped if later."""
        return max(now - self.history, datetime.fromisoformat(last) if last else now - self.history)

    def history_to_fill(self, now: datetime | None = None) -> timedelta:
        """How much history :meth:`start` would simulate now: the whole ``history`` in a new folder,
        the gap since the last run in one used before (a command says so, or shows its progress)."""
        now = now or utcnow()
        return max(timedelta(0), now - self.catch_up - self._history_from(now, self._state().get("simulated_until")))

    def start(self, *, live: bool = True,
              progress: Callable[[float, datetime], None] | None = None) -> str:
        """Start the hub, fill the history up to now, start the live feed; returns the hub URL.

        ``progress(done, simulated_until)``: called from this thread as the history fills, ``done``
        the share of it sent (0 to 1).  ``stop_event`` set while it fills: the fill ends where it
        got to (the next start carries on from there) and no live feed starts."""
        from sync.hub.server import start_in_thread
        from sync.simulator.runner import backfill
        from sync.simulator.sender import Sender

        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        sim = simulator(self.seed)
        self._prepare_hub(sim)
        self.hub = start_in_thread(self.hub_db)
        sender = Sender(self.hub.url, self.tokens["admin"], stop=self.stop_event)
        now = utcnow()
        live_from = now - self.catch_up
        last = self._state().get("simulated_until")
        history_from = self._history_from(now, last)
        if history_from < live_from:
            log.info("demo: simulating history from %s UK time", f"{history_from.astimezone(UK):%a %d %b %H:%M}")
            span = live_from - history_from
            sent = None if progress is None else (lambda until: progress((until - history_from) / span, until))
            if progress is not None:
                progress(0.0, history_from)
            # Four-hour batches, the declarations' cadence: the hub spends most per submission.
            report = backfill(sim, lambda s: sender.send(s.payload, deliberate=len(s.faults)), history_from,
                              live_from, batch_minutes=240, stop=self.stop_event,
                              shape=history_shape(now, history_from, restart=last is not None), progress=sent)
            if report.simulated_until is not None:
                self._save_state(simulated_until=report.simulated_until.isoformat())
        if live and not self.stop_event.is_set():
            self._live = threading.Thread(target=self._run_live, args=(sim, sender, max(history_from, live_from)),
                                          name="demo-simulator", daemon=True)
            self._live.start()
        return self.hub.url

    def _run_live(self, sim, sender, start: datetime) -> None:
        from sync.simulator.runner import run

        def sink(sub):
            sender.send(sub.payload, deliberate=len(sub.faults))
            self._save_state(simulated_until=sub.submitted_at.isoformat())

        try:
            # From the tick after ``start``: the run's first tick would send the one before it again.
            run(sim, sink, start=start + TICK, tick=TICK, speed=self.speed, paced=True,
                stop=self.stop_event, not_after=utcnow)
        except Exception:  # the demo feed dying must not take the window with it
            log.exception("demo simulator stopped")

    def stop(self) -> None:
        self.stop_event.set()
        if self._live is not None:
            self._live.join(15)
        if self.hub is not None:
            self.hub.stop()
            self.hub = None


def simulator(seed: int):
    """The demo's simulated system: the bundled one, every provider reporting every 15 minutes."""
    from sync.simulator.config import load_config
    from sync.simulator.generator import Simulator

    config = load_config()
    cadence = {kind: min(minutes, DEMO_CADENCE_MINUTES)
               for kind, minutes in config.timing.observation_cadence_minutes.items()}
    return Simulator(dataclasses.replace(config, timing=dataclasses.replace(
        config.timing, observation_cadence_minutes=cadence)), seed=seed)


def history_shape(now: datetime, start: datetime, *, restart: bool = False):
    """What a start sends of each past hour from ``start`` (``sync.simulator.history``).

    A short first start: parameters thin out further back (hourly to "24 h ago", every 4 hours
    before), handovers from today only (the offload view counts today's).  A first start long
    enough for a forecast (``FORECAST_HISTORY``), and any restart's gap (the days before it are
    there already, and a day missing its handovers would read as a day of few arrivals):
    - every handover (the forecasts learn arrivals and waits from every day);
    - every parameter hourly over the last ``FORECAST_HISTORY`` and a day (the next 24 hours'
      forecast of any parameter needs a week of hourly values);
    - G&A occupancy and the mean handover time hourly however far back (the week ahead's daily
      occupancy needs 12 hours of a day)."""
    from models.queries.offload import uk_midnight
    from models.service.forecast import WAITS
    from models.service.week_ahead import OCCUPANCY
    from sync.simulator.history import HistoryShape

    today = min(uk_midnight(now), now - HANDOVER_SPAN)
    if now - start < FORECAST_HISTORY and not restart:
        return HistoryShape(full_from=now - FULL_DETAIL, hourly_from=now - HOURLY_DETAIL, handovers_from=today)
    return HistoryShape(full_from=now - FULL_DETAIL, hourly_from=now - FORECAST_HISTORY - timedelta(days=1),
                        handovers_from=min(start, today), hourly_metrics=frozenset({OCCUPANCY, WAITS}))
