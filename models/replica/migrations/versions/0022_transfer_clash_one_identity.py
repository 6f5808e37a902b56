"""Transfer clashes within one identity marked (session 25): two copies of one replica (a computer's image
cloned with the app's data) change cases under the identity they share, each unaware of the other, and the
fold had marked a change made without seeing the one before it only between two identities (the copy's owner
won with no mark, its status step was dropped with no mark).  The fold now marks it whoever made the two
changes; every case is refolded once so a clash already held is marked, as a case's next change would.

Only the conflict columns change: the values were already the fold's (a clash's value showed, and a status
step from a status left was not taken, whoever made them).

Revision ID: 0022
Revises: 0021
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from models.records import transfers

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    events = defaultdict(list)
    for r in conn.execute(sa.text("SELECT uuid, transfer_uuid, at, author, device_id, field, old_value, new_value, "
                                  "seen FROM transfer_event")):
        events[r.transfer_uuid].append(transfers.event_of(r, r.at))
    for uid, evs in events.items():
        values = transfers.conflict_columns(transfers.fold(evs))
        conn.execute(sa.text("UPDATE transfer SET has_conflict = :has_conflict, conflict_fields = :conflict_fields "
                             "WHERE uuid = :uuid AND (has_conflict != :has_conflict OR "
                             "COALESCE(conflict_fields, '') != :conflict_fields)"), {**values, "uuid": uid})


def downgrade() -> None:
    pass   # the columns stay; an older fold refolds a case at its next change
