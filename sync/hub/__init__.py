"""The feed hub: providers submit, desktops pull an ordered feed and push their records.

- :mod:`sync.hub.server` runs it (``start_in_thread`` for demos and tests,
  ``serve`` for ``scc-desktop hub serve``);
- :mod:`sync.hub.app` is the HTTP API, :mod:`sync.hub.feed` the long-polled feed;
- :mod:`sync.hub.intake` takes provider submissions (checked by
  :mod:`sync.hub.validate`), :mod:`sync.hub.records` desktop records;
- :mod:`sync.hub.opel` scores OPEL on receipt; :mod:`sync.hub.orgs` the ICS's
  organisations; :mod:`sync.hub.auth` tokens and roles;
- :mod:`sync.hub.db` and :mod:`sync.hub.schema` the database (SQLite or
  PostgreSQL), including how feed positions are kept gap-free.

The wire format is :mod:`sync.protocol`; the contract is docs/sync-protocol.md.
"""
