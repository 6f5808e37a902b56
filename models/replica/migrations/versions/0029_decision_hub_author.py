"""Who pushed each decision to the hub (feed record ``author``: the user of the token that pushed it, as the hub
stamped it), kept beside the entry, outside its content hash, so the log and the records export can say
"Room lead (signed "Sam Patel")" as every other record does (``sync.record_signer``, session 30). The names a
decision was signed with stay as they were recorded and hashed; no chain changes. Entries synced before this
revision have none (the feed is not read again): they show the signed name alone, as before.  A plain ADD COLUMN.

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('decision_entry', sa.Column('hub_author', sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decision_entry') as batch:
        batch.drop_column('hub_author')
