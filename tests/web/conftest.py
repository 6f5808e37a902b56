"""Fixtures of the web page tests: the hub's (PostgreSQL included) and the browser's."""

from tests.support.fixtures import postgres_cluster  # noqa: F401
