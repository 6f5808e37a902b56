"""Alert acknowledgement note and overdue-action link; OPEL action-card checklist items.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.add_column(sa.Column('acknowledged_note', sa.Text(), nullable=True))
        batch.add_column(sa.Column('action_uuid', sa.String(length=36), nullable=True))
        batch.create_index(batch.f('ix_alert_event_action_uuid'), ['action_uuid'], unique=False)
    op.create_table(
        'opel_checklist_item',
        sa.Column('uuid', sa.String(length=36), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('org_code', sa.String(length=12), nullable=True),
        sa.Column('pillar', sa.String(length=20), nullable=False),
        sa.Column('from_level', sa.Integer(), nullable=True),
        sa.Column('level', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.String(length=32), nullable=False),
        sa.Column('card_id', sa.String(length=80), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('owner_role', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('cards_edition', sa.String(length=200), nullable=False),
        sa.Column('raised_at', sa.String(length=32), nullable=False),
        sa.Column('superseded_at', sa.String(length=32), nullable=True),
        sa.CheckConstraint("scope IN ('provider', 'pillar', 'system')",
                           name=op.f('ck_opel_checklist_item_scope')),
        sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_opel_checklist_item_level')),
        sa.PrimaryKeyConstraint('uuid', name=op.f('pk_opel_checklist_item')),
    )
    op.create_index('ix_opel_checklist_item_open', 'opel_checklist_item', ['superseded_at', 'changed_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_opel_checklist_item_open', table_name='opel_checklist_item')
    op.drop_table('opel_checklist_item')
    with op.batch_alter_table('alert_event') as batch:
        batch.drop_index(batch.f('ix_alert_event_action_uuid'))
        batch.drop_column('action_uuid')
        batch.drop_column('acknowledged_note')
