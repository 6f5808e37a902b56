"""Every transfer case refolded from its events by the current fold (``models.records.transfers``).

A replica from before session 23 holds each case as the old fold left it: a departed patient's case
"cancelled" by a desktop that had been offline (off the open board, no conflict marked), a settled
clash marked for good.  A case was refolded only when its next event arrived; this refolds them all
once, as ``sync.apply_records.refold_transfer`` does for one.  Data only: no column changes.

Revision ID: 0020
Revises: 0019
"""

from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from models.records import transfers
from models.replica.utc import to_utc_text

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_TIMES = ("requested_at", "accepted_at", "departed_at", "arrived_at")


def _stored(name: str, value):
    """A folded value as the replica stores it (a time as its UTC text)."""
    if name in _TIMES and isinstance(value, str) and value:
        return to_utc_text(datetime.fromisoformat(value))
    return value


def upgrade() -> None:
    conn = op.get_bind()
    events = defaultdict(list)
    for r in conn.execute(sa.text("SELECT uuid, transfer_uuid, at, author, device_id, field, old_value, new_value "
                                  "FROM transfer_event")):
        events[r.transfer_uuid].append(transfers.Event(r.uuid, r.at, r.author, r.device_id, r.field,
                                                       r.old_value, r.new_value))
    for uid, evs in events.items():
        folded = transfers.fold(evs)
        values = {k: _stored(k, v) for k, v in folded.fields.items() if k in transfers.FIELDS}
        values["has_conflict"] = bool(folded.open_conflicts)
        values["updated_at"] = max(e.at for e in evs)
        sets = ", ".join(f"{k} = :{k}" for k in values)
        conn.execute(sa.text(f"UPDATE transfer SET {sets} WHERE uuid = :uuid"), {**values, "uuid": uid})


def downgrade() -> None:
    pass   # the refolded cases are what their events say; nothing to undo
