"""How old a figure may be before the views mark it stale: the room's own limits.

Three limits, each a setting the deploying room can change (File > Settings, "Stale after"; the
settings file's ``stale_opel_site_offload_minutes``, ``stale_critcon_responses_minutes`` and
``stale_sync_minutes``, checked in ``scc_desktop/settings.py``):

- OPEL levels, a site's figures and offload (the overview, the system picture, the provider,
  offload and ambulance views' handover data): one hour by default;
- critical care (CRITCON) and ambulance response times, reported less often: two hours;
- the last sync, and the declared levels (REAP, CSP) held as at it: 30 minutes.

They are the project's choice, not a national figure (hazard log H-01); the defaults are what the
views used before they were settings.  The window sets them from its settings when it opens and
again when the settings are saved, then redraws every view; a view reads them each time it draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

# name in the settings file -> (default minutes, least, most, why the bounds)
BOUNDS = {
    "stale_opel_site_offload_minutes": (60, 15, 360, "providers send every 15 minutes, so a shorter limit marks "
                                        "on-time figures stale, and past 6 hours a night's figure would look live"),
    "stale_critcon_responses_minutes": (120, 30, 720, "units and response periods report less often than every "
                                        "30 minutes, and past 12 hours yesterday's figure would look live"),
    "stale_sync_minutes": (30, 5, 240, "a working feed syncs within minutes, so a shorter limit marks it "
                           "stale, and past 4 hours a lost feed would go unmarked for half a shift"),
}


def problem(name: str, value) -> str | None:
    """Why ``value`` cannot be the limit ``name`` (None: it can)."""
    _default, least, most, why = BOUNDS[name]
    if not isinstance(value, int) or isinstance(value, bool):
        return f"must be a whole number of minutes from {least} to {most}"
    if not least <= value <= most:
        return f"must be from {least} to {most} minutes: {why}"
    return None


@dataclass(frozen=True)
class StaleLimits:
    figures: timedelta = timedelta(minutes=BOUNDS["stale_opel_site_offload_minutes"][0])   # OPEL, site, offload
    slow: timedelta = timedelta(minutes=BOUNDS["stale_critcon_responses_minutes"][0])      # CRITCON, response times
    sync: timedelta = timedelta(minutes=BOUNDS["stale_sync_minutes"][0])                   # the last sync

    @property
    def opel(self) -> timedelta:
        return self.figures

    site = offload = opel

    @property
    def critcon(self) -> timedelta:
        return self.slow

    responses = critcon


DEFAULTS = StaleLimits()
_current = DEFAULTS


def current() -> StaleLimits:
    return _current


def from_settings(settings) -> StaleLimits:
    """The limits a ``scc_desktop.settings.Settings`` holds (None, or one without them: the defaults)."""
    def minutes(name: str) -> timedelta:
        value = getattr(settings, name, None) if settings is not None else None
        return timedelta(minutes=value if value is not None and problem(name, value) is None else BOUNDS[name][0])
    return StaleLimits(minutes("stale_opel_site_offload_minutes"), minutes("stale_critcon_responses_minutes"),
                       minutes("stale_sync_minutes"))


def use(limits: StaleLimits) -> StaleLimits:
    """Make ``limits`` the ones every view draws with; returns them."""
    global _current
    _current = limits
    return limits
