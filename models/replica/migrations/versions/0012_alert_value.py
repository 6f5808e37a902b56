"""The value that raised a hub alert, so the alert centre shows "72 min (≥ 60 min)".

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.add_column(sa.Column('value', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.drop_column('value')
