"""The room's alert rules as synced records (kind ``alert_rule``): one row per rule the room changed.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'room_alert_rule',
        sa.Column('rule_id', sa.String(length=60), nullable=False),
        sa.Column('rule', sa.JSON(), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=True),
        sa.Column('op', sa.String(length=10), nullable=False),
        sa.Column('author', sa.String(length=120), nullable=False),
        sa.Column('at', sa.String(length=32), nullable=False),
        sa.Column('feed_seq', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('rule_id', name=op.f('pk_room_alert_rule')),
    )


def downgrade() -> None:
    op.drop_table('room_alert_rule')
