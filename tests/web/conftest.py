"""Fixtures of the web page tests: the hub's (PostgreSQL included) and the browser's."""

import pytest

from sync.hub.db import HubDB
from tests.support.fixtures import postgres_cluster  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request, tmp_path):
    """An empty hub database of each kind (the boards' tests that follow a feed written by hand)."""
    if request.param == "sqlite":
        db = HubDB(f"sqlite:///{tmp_path / 'hub.db'}")
    else:
        db = HubDB(request.getfixturevalue("postgres_cluster").create_database())
    db.init_schema()
    yield db
    db.dispose()
