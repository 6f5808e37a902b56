"""Transfer conflicts settled explicitly (session 24): each change records the clashing events its author
was shown (``transfer_event.seen``), and each case which fields have a conflict nobody has settled
(``transfer.conflict_fields``).

Before, any change made from the value a field then had settled its conflict, even one made on a desktop
that had not yet received the clash; now only a ``settled`` event naming the clashing pair does.  Events
already held have no ``seen`` (NULL) and keep the old rule, so no old clash comes back; every case is refolded
once to fill ``conflict_fields``.

Revision ID: 0021
Revises: 0020
"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from models.records import transfers

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table copy), as 0017 to 0019.
    op.add_column('transfer_event', sa.Column('seen', sa.Text(), nullable=True))
    op.add_column('transfer', sa.Column('conflict_fields', sa.String(length=200), nullable=True))
    conn = op.get_bind()
    events = defaultdict(list)
    for r in conn.execute(sa.text("SELECT uuid, transfer_uuid, at, author, device_id, field, old_value, new_value, "
                                  "seen FROM transfer_event")):
        events[r.transfer_uuid].append(transfers.event_of(r, r.at))
    for uid, evs in events.items():
        values = transfers.conflict_columns(transfers.fold(evs))
        conn.execute(sa.text("UPDATE transfer SET has_conflict = :has_conflict, conflict_fields = :conflict_fields "
                             "WHERE uuid = :uuid"), {**values, "uuid": uid})


def downgrade() -> None:
    with op.batch_alter_table('transfer') as batch:
        batch.drop_column('conflict_fields')
    with op.batch_alter_table('transfer_event') as batch:
        batch.drop_column('seen')
