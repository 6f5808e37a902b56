"""Per-user folders (platformdirs): config, data (the replica), cache, logs."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "scc-desktop"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    """What can be thrown away and made again (parsed data files)."""
    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP, appauthor=False))


def default_replica() -> Path:
    return data_dir() / "replica.db"
