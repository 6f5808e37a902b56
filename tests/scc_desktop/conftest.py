"""The demo's first start and restart, shared by the two demo modules (tests/scc_desktop/demo_room.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_room(tmp_path_factory):
    from tests.scc_desktop.demo_room import first_start_and_restart
    from tests.scc_desktop.test_demo_room import _record_counts

    return first_start_and_restart(tmp_path_factory.mktemp("demo-room"), _record_counts)
