"""A real hub for the data-quality tests."""

from tests.support.fixtures import hub, hub_db_url, postgres_cluster, sqlite_hub  # noqa: F401
