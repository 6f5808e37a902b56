"""Who added each rota slot (``on_call_shift.added_by``, session 26).

The slot record has always carried its author (``data.author``, the login name on the desktop that made
it), but the replica kept it only in its own outbox, so a slot received through the hub said "another
desktop".  From 0026 the author is kept on the slot, here and where it is received.  A slot this replica
made is given its author from its outbox's create record; a slot received before 0026 stays without one
(the record is not kept) and still says "another desktop".  One ADD COLUMN and one UPDATE ... FROM over
the outbox's rota creates (no table copy).

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('on_call_shift', sa.Column('added_by', sa.String(120), nullable=True))
    op.execute(
        "UPDATE on_call_shift SET added_by = made.author FROM ("
        " SELECT json_extract(payload, '$.data.shift_uuid') AS shift_uuid,"
        "        substr(trim(json_extract(payload, '$.data.author')), 1, 120) AS author"
        " FROM outbox WHERE kind = 'on_call_shift' AND json_extract(payload, '$.data.op') = 'create'"
        "   AND json_type(payload, '$.data.author') = 'text' AND trim(json_extract(payload, '$.data.author')) <> ''"
        ") AS made WHERE on_call_shift.uuid = made.shift_uuid")


def downgrade() -> None:
    with op.batch_alter_table('on_call_shift') as batch:
        batch.drop_column('added_by')
