"""When the hub received each decision (feed record ``received_at``), so a decision recorded offline
and synced hours later says when others could first have seen it.  Entries synced before this
revision have none (the feed is not read again): they say nothing rather than a guess.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): a year's log upgrades in place at once.
    op.add_column('decision_entry', sa.Column('hub_received_at', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decision_entry') as batch:
        batch.drop_column('hub_received_at')
