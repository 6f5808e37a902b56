"""Alembic environment: always run on a connection handed in by models.replica.migrate."""

from alembic import context

from models.replica.orm import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only models.replica.migrate runs migrations
    raise RuntimeError("run migrations through models.replica.migrate.upgrade(engine)")

# Batch mode: SQLite cannot ALTER most things, so changed tables are copied.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
