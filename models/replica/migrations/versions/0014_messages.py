"""Single point of contact messages (record kind ``spoc_message``) and their delivery outcome.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'spoc_message',
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('template', sa.String(length=60), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('groups', sa.JSON(), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('sent_by', sa.String(length=120), nullable=False),
        sa.Column('sent_by_role', sa.String(length=120), nullable=False),
        sa.Column('composed_at', sa.String(length=32), nullable=False),
        sa.Column('decision_uuid', sa.String(length=36), nullable=False),
        sa.Column('device_id', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('outcome_at', sa.String(length=32), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('feed_seq', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('uuid', name=op.f('pk_spoc_message')),
        sa.UniqueConstraint('feed_seq', name=op.f('uq_spoc_message_feed_seq')),
    )
    op.create_index('ix_spoc_message_composed_at', 'spoc_message', ['composed_at'])


def downgrade() -> None:
    op.drop_index('ix_spoc_message_composed_at', table_name='spoc_message')
    op.drop_table('spoc_message')
