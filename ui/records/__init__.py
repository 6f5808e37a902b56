"""The room's own records: contact directory, transfer tracker, decision log (one module per view,
one per dialog). Views read the replica through ``models.queries.records`` and friends and write
only through ``sync.authoring`` (the record and its outbox entry in one transaction)."""
