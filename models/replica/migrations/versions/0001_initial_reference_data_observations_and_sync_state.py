"""Initial reference data, observations and sync state.

Revision ID: 0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('feed_cursor',
    sa.Column('feed', sa.String(length=40), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('feed', name=op.f('pk_feed_cursor'))
    )
    op.create_table('metric',
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('pillar', sa.String(length=20), nullable=False),
    sa.Column('good_direction', sa.String(length=6), nullable=False),
    sa.Column('valid_min', sa.Float(), nullable=True),
    sa.Column('valid_max', sa.Float(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint("good_direction IN ('higher', 'lower')", name=op.f('ck_metric_good_direction')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_metric'))
    )
    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=False),
    sa.Column('metric_code', sa.String(length=80), nullable=False),
    sa.Column('observed_at', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_observation_feed_seq'))
    )
    op.create_index('ix_observation_org_metric_time', 'observation', ['org_code', 'metric_code', 'observed_at'], unique=False)
    op.create_table('organisation',
    sa.Column('ods_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Float(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("sector IN ('acute', 'ambulance', 'community', 'mental_health', 'nhs111', 'primary_care', 'social_care', 'local_authority', 'icb', 'regional')", name=op.f('ck_organisation_sector')),
    sa.PrimaryKeyConstraint('ods_code', name=op.f('pk_organisation'))
    )
    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('uuid', name=op.f('uq_outbox_uuid'))
    )
    op.create_index(op.f('ix_outbox_sent_at'), 'outbox', ['sent_at'], unique=False)
    op.create_table('site',
    sa.Column('ods_code', sa.String(length=12), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('has_type1_ed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['org_code'], ['organisation.ods_code'], name=op.f('fk_site_org_code_organisation')),
    sa.PrimaryKeyConstraint('ods_code', name=op.f('pk_site'))
    )
    op.create_index(op.f('ix_site_org_code'), 'site', ['org_code'], unique=False)

def downgrade() -> None:
    op.drop_index(op.f('ix_site_org_code'), table_name='site')
    op.drop_table('site')
    op.drop_index(op.f('ix_outbox_sent_at'), table_name='outbox')
    op.drop_table('outbox')
    op.drop_table('organisation')
    op.drop_index('ix_observation_org_metric_time', table_name='observation')
    op.drop_table('observation')
    op.drop_table('metric')
    op.drop_table('feed_cursor')
