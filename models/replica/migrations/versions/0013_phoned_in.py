"""Phoned-in figures (record kind ``phoned_in``): the calls, and the mark on what the hub derived from them.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

_MARKED = ('ambulance_status', 'critcon_status', 'opel_parameter_score')


def upgrade() -> None:
    op.create_table(
        'phoned_in_call',
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('org_code', sa.String(length=12), nullable=False),
        sa.Column('phoned_at', sa.String(length=32), nullable=False),
        sa.Column('caller_name', sa.String(length=120), nullable=False),
        sa.Column('caller_role', sa.String(length=120), nullable=False),
        sa.Column('taken_by', sa.String(length=120), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('device_id', sa.String(length=36), nullable=False),
        sa.Column('recorded_at', sa.String(length=32), nullable=False),
        sa.Column('author', sa.String(length=120), nullable=True),
        sa.Column('feed_seq', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('uuid', name=op.f('pk_phoned_in_call')),
        sa.UniqueConstraint('feed_seq', name=op.f('uq_phoned_in_call_feed_seq')),
    )
    op.create_index('ix_phoned_in_call_org_time', 'phoned_in_call', ['org_code', 'phoned_at'])
    for table in _MARKED:   # a plain ADD COLUMN: these tables are large and need no rebuild
        op.add_column(table, sa.Column('phoned_in_uuid', sa.String(length=36), nullable=True))


def downgrade() -> None:
    for table in _MARKED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('phoned_in_uuid')
    op.drop_index('ix_phoned_in_call_org_time', table_name='phoned_in_call')
    op.drop_table('phoned_in_call')
