"""Fixtures shared by the sync tests: a real hub on loopback (SQLite and PostgreSQL)."""

from tests.support.fixtures import hub, hub_db_url, postgres_cluster, shared_hub, sqlite_hub  # noqa: F401
