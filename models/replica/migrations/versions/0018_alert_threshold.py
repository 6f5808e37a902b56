"""The threshold each hub alert was raised at (the hub's ``FeedAlert.threshold``), so an alert raised
under "≥ 90%" still says so after the room edits its rule to 95%: the rule's row holds only the
newest alert's threshold.  Alerts stored before this revision have none (the feed is not read
again): the alert centre falls back to the rule's and says "rule now" where it no longer fits.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): a year's alerts upgrade in place at once.
    op.add_column('alert_event', sa.Column('threshold', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.drop_column('threshold')
