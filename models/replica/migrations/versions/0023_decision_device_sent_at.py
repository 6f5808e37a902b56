"""The recording desktop's own clock when it sent each decision to the hub (feed record ``device_sent_at``,
protocol 1.8), so how long an entry waited on an offline desktop is timed on that desktop's clock alone:
a desktop whose clock runs 2 h slow no longer has its prompt entries called late.  Entries synced before
this revision, or through a hub from before 1.8, have none and keep the two-clock reading.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): a year's log upgrades in place at once.
    op.add_column('decision_entry', sa.Column('device_sent_at', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('decision_entry') as batch:
        batch.drop_column('device_sent_at')
