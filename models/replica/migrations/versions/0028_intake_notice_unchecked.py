"""What the hub took without checking it (``intake_notice.unchecked``, session 29).

The hub's notice of a submission now lists the OPEL declarations it took without checking their level
against the figures of their time (a backfill whose figures the hub's retention had deleted): the desktop
keeps them and the data-quality pass names each one (``models.rules.quality.intake``).  Notices already held
have none (NULL), as a notice from an older hub.  A plain ADD COLUMN (no table copy).

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('intake_notice', sa.Column('unchecked', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('intake_notice') as batch:
        batch.drop_column('unchecked')
