"""Shared simulator fixtures: one seeded simulator per module (building one reads the bundled data)."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from models.rules.catalogue import load_catalogue
from sync.protocol import SubmissionItem
from sync.simulator import Simulator, load_config

# A winter Monday, in the past (a hub refuses future-stamped figures).
START = datetime(2025, 1, 6, 0, 0, tzinfo=timezone.utc)
SEED = 11

_ITEM = TypeAdapter(SubmissionItem)
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(load_config(), SEED)


@pytest.fixture(scope="module")
def clean_sim() -> Simulator:
    return Simulator(load_config().without_faults(), SEED)


def item_problem(item: dict) -> str | None:
    """Why ``item`` is not a valid protocol item (catalogue ranges included), or None."""
    try:
        parsed = _ITEM.validate_python(item)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    if parsed.type == "observation":
        if not math.isfinite(parsed.value):
            return "not finite"
        return CATALOGUE.check(parsed.metric, parsed.value)
    if parsed.type == "handover":
        times = [t for t in (parsed.arrived_at, parsed.handed_over_at, parsed.cleared_at) if t is not None]
        if times != sorted(times):
            return "handover times out of order"
    if parsed.type == "response_times" and parsed.period_end <= parsed.period_start:
        return "period_end not after period_start"
    return None
