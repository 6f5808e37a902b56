"""User settings: declared once here, kept in one JSON file in the per-user config folder.

Each setting is a ``Setting`` with its default and a check.  Loading never
fails the start-up: a value that fails its check falls back to the default
and is reported (naming the setting and the reason); a file that is not
readable JSON is moved aside as ``settings.json.bad`` (kept, not deleted) and
reported.  Saving writes a temporary file and renames it over the old one, so
a crash mid-save leaves the previous settings intact.

Secrets never live here: the hub token is kept inside the encrypted replica
(``scc_desktop.hub_access``) and the unlock key, if the user asks, in the OS
keyring.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from models import author
from scc_desktop import paths
from sync.address import hub_url_problem
from ui import stale_limits
from ui.choices import TEXT_SCALES, THEME_KEYS, VIEW_KEYS

log = logging.getLogger(__name__)

FILE_NAME = "settings.json"
MAX_LOCK_MINUTES = 24 * 60


def _one_of(options: tuple) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value in options else f"must be one of {', '.join(map(str, options))}"
    return check


def _hub_url(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be text"
    return hub_url_problem(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None or isinstance(value, str) else "must be text"


MAX_NAME_CHARS = author.MAX_CHARS


def _person_name(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "must be text"
    if not value.strip():
        return "must not be blank (none: not given)"
    return None if len(value.strip()) <= MAX_NAME_CHARS else f"must be at most {MAX_NAME_CHARS} characters"


def _optional_folder(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return "must be a folder's path"
    # A relative path would follow the working folder the app happened to start in.
    return None if Path(value).expanduser().is_absolute() else "must be a full path (from the drive or /)"


def _optional_size(value: Any) -> str | None:
    if value is None:
        return None
    if (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)
            and 200 <= value[0] <= 16384 and 150 <= value[1] <= 16384):
        return None
    return "must be [width, height] in pixels"


def _lock_minutes(value: Any) -> str | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_LOCK_MINUTES
    return None if ok else f"must be a whole number of minutes from 0 (never) to {MAX_LOCK_MINUTES}"


def _lost_basis(value: Any) -> str | None:
    from models.rules.handover_bands import load_handover   # the bases are the handover table's

    allowed = [int(b.beyond_minutes) for b in load_handover().hours_lost_bases]
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and value in allowed)
    return None if ok else f"must be one of {', '.join(map(str, allowed))}"


def _stale_limit(name: str) -> Callable[[Any], str | None]:
    return lambda value: stale_limits.problem(name, value)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    check: Callable[[Any], str | None]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("user_name", None, _person_name, "your name: signs what you record on this desktop (none: the "
            "login name; models/author.py)"),
    Setting("icb_name", None, _person_name, "the integrated care board named on every page of the decision "
            "records export (none: $SCC_ICB_NAME, else 'ICB not named')"),
    Setting("theme", "light", _one_of(THEME_KEYS), "colour theme"),
    Setting("text_scale", 1.0, _one_of(TEXT_SCALES), "text size, relative to normal"),
    Setting("last_view", "overview", _one_of(VIEW_KEYS), "the view shown at start"),
    Setting("hub_url", None, _hub_url, "the feed hub to sync with (none: work on the replica only)"),
    Setting("ca_bundle", None, _optional_text, "CA certificates to trust for the hub (PEM file)"),
    Setting("replica", None, _optional_text, "replica file (none: the per-user default)"),
    Setting("window_size", None, _optional_size, "main window size in pixels"),
    Setting("alert_sound", False, lambda v: None if isinstance(v, bool) else "must be true or false",
            "a sound with each desktop notification of new alerts"),
    Setting("handover_hours_lost_beyond", None, _lost_basis,
            "handover hours lost count the minutes beyond this (none: the handover table's default)"),
    Setting("lock_after_minutes", 15, _lock_minutes, "lock the window after this many minutes without use and ask "
            "for the passphrase to continue (0: never; ui/idle_lock.py)"),
    Setting("bc_pack_dir", None, _optional_folder, "folder the business continuity pack is written to every hour "
            "while the app runs (none: not written; $SCC_BC_PACK_DIR, when set, is used instead)"),
    # How old a figure may be before the views mark it stale (ui/stale_limits.py; the room's choice, hazard H-01).
    Setting("stale_opel_site_offload_minutes", 60, _stale_limit("stale_opel_site_offload_minutes"),
            "minutes after which OPEL levels, a site's figures and offload are marked stale"),
    Setting("stale_critcon_responses_minutes", 120, _stale_limit("stale_critcon_responses_minutes"),
            "minutes after which critical care (CRITCON) reports and ambulance response times are marked stale"),
    Setting("stale_sync_minutes", 30, _stale_limit("stale_sync_minutes"),
            "minutes without a sync after which the sync, and the REAP and CSP levels held as at it, are marked stale"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def choose_author(settings: "Settings | None", instead: str | None = None) -> None:
    """Hand the person's name from the settings to ``models.author`` (the one source of who signs);
    ``instead``: the name used in place of the login name when none is given (the demo's)."""
    author.choose(settings.user_name if settings is not None else None, instead=instead)


@dataclass
class Settings:
    values: dict[str, Any] = field(default_factory=lambda: {s.name: s.default for s in SETTINGS})
    problems: list[str] = field(default_factory=list)
    path: Path | None = None
    # Entries of the file this version does not know, or could not use: written back as they
    # were (a newer version's settings, a hand-edited value) until the user changes that setting.
    kept: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in BY_NAME:
            return self.values[name]
        raise AttributeError(name)

    def set(self, name: str, value: Any) -> None:
        """Change one setting; a bad value is refused with the setting's name and the reason."""
        if name not in BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        problem = BY_NAME[name].check(value)
        if problem:
            raise ValueError(f"setting {name}: {value!r} {problem}")
        self.values[name] = value

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({**self.values, **self.kept}, indent=2, sort_keys=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, self.path)

    def update(self, **changes: Any) -> None:
        """Set several settings and save (the UI calls this on each change); all or none."""
        for name, value in changes.items():
            if name not in BY_NAME:
                raise KeyError(f"unknown setting {name!r}")
            problem = BY_NAME[name].check(value)
            if problem:
                raise ValueError(f"setting {name}: {value!r} {problem}")
        changed = {k: v for k, v in changes.items() if self.values.get(k) != v or k in self.kept}
        if not changed:
            return
        for name, value in changed.items():
            self.values[name] = value
            self.kept.pop(name, None)
        self.save()


def default_path() -> Path:
    return paths.config_dir() / FILE_NAME


def load(path: Path | None = None) -> Settings:
    """The saved settings (defaults for anything missing or invalid; problems listed)."""
    path = Path(path) if path is not None else default_path()
    settings = Settings(path=path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("the file does not hold a JSON object")
    except FileNotFoundError:
        return settings
    except (ValueError, UnicodeDecodeError) as exc:
        bad = path.with_name(path.name + ".bad")
        try:
            os.replace(path, bad)
            kept = f"it was kept as {bad.name}"
        except OSError as move:
            kept = f"it could not be moved aside either ({move.strerror})"
        settings.problems.append(f"{path} could not be read ({exc}); {kept} and the defaults are in use")
        log.warning(settings.problems[-1])
        return settings
    except OSError as exc:   # a folder in its place, no permission: carry on with the defaults
        settings.path = None  # and do not try to write there
        settings.problems.append(f"{path} could not be read ({exc.strerror or exc}); the defaults are "
                                 "in use and changes will not be saved")
        log.warning(settings.problems[-1])
        return settings
    for name, value in raw.items():
        if name not in BY_NAME:
            settings.kept[name] = value
            settings.problems.append(f"setting {name}: unknown to this version, kept as it is")
            continue
        try:
            settings.set(name, value)
        except ValueError as exc:
            settings.kept[name] = value
            settings.problems.append(f"{exc}; using the default {BY_NAME[name].default!r}")
    for problem in settings.problems:
        log.warning(problem)
    return settings
