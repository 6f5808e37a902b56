"""Who sent each provider submission and by which door (``intake_notice.sent_by``, session 25).

The hub's notice now names the sender (the web account or the API token's user) and the door (the web
form, its CSV upload, the API's JSON or CSV under token N).  Notices already held have none (NULL): the
desktop says "sender not recorded", as it does for a notice from an older hub.  A plain ADD COLUMN (no
table copy): on a replica holding a year of notices it takes milliseconds.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('intake_notice', sa.Column('sent_by', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('intake_notice') as batch:
        batch.drop_column('sent_by')
