"""Sync status: last sync and provider-data times on the cursor; outbox rejection.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feed_cursor') as batch:
        batch.add_column(sa.Column('last_sync_at', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('last_provider_data_at', sa.String(length=32), nullable=True))
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('rejected_at', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('hub_seq', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('hub_seq')
        batch.drop_column('rejected_at')
    with op.batch_alter_table('feed_cursor') as batch:
        batch.drop_column('last_provider_data_at')
        batch.drop_column('last_sync_at')
