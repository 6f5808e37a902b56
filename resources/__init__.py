"""Data files the application reads: framework tables, catalogue, demo data.

Everything a national framework decides (OPEL bands and points, ambulance
standards, handover thresholds) lives here as data, each file with its source
in its header, so a new edition is a data change, not a code change.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """Absolute path of a bundled resource, e.g. ``path("opel", "acute.toml")``."""
    return ROOT.joinpath(*parts)
