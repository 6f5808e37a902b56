"""The encrypted replica: store, key header, DB-API adapter, schema (ORM and migrations), bulk ingest."""
