"""When the hub put each alert on its feed (``FeedAlert.feed_at``), so an alert raised from data that
reached the hub hours late says when the room could first have known of it.  Alerts stored before
this revision, or from a hub that does not send it, have none and say nothing of it.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy), as 0017 and 0018.
    op.add_column('alert_event', sa.Column('feed_at', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.drop_column('feed_at')
