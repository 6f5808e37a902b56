"""Who a record is shown as done by: :mod:`models.record_signer` (moved to ``models`` in session 30, where the
decision log's views and the records export use it too); kept here for the sync and hub modules that name it."""

from models.record_signer import same_person, shown  # noqa: F401
