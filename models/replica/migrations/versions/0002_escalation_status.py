"""Escalation status: OPEL, ambulance, handover, CRITCON.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ambulance_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=False),
    sa.Column('declared_at', sa.String(length=32), nullable=False),
    sa.Column('reap_level', sa.Integer(), nullable=False),
    sa.Column('csp_level', sa.String(length=20), nullable=True),
    sa.Column('received_at', sa.String(length=32), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('reap_level BETWEEN 1 AND 4', name=op.f('ck_ambulance_status_reap_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ambulance_status')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_ambulance_status_feed_seq'))
    )
    op.create_index('ix_ambulance_status_org_time', 'ambulance_status', ['org_code', 'declared_at'], unique=False)
    op.create_table('critcon_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=False),
    sa.Column('reported_at', sa.String(length=32), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('staffed_beds', sa.Integer(), nullable=True),
    sa.Column('occupied_beds', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.String(length=32), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('level BETWEEN 0 AND 4', name=op.f('ck_critcon_status_level')),
    sa.CheckConstraint('occupied_beds IS NULL OR staffed_beds IS NULL OR occupied_beds >= 0', name=op.f('ck_critcon_status_occupied_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_critcon_status')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_critcon_status_feed_seq'))
    )
    op.create_index('ix_critcon_status_org_time', 'critcon_status', ['org_code', 'reported_at'], unique=False)
    op.create_table('handover_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_uuid', sa.String(length=36), nullable=False),
    sa.Column('ambulance_org', sa.String(length=12), nullable=False),
    sa.Column('hospital_code', sa.String(length=12), nullable=False),
    sa.Column('vehicle_ref', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('eta_at', sa.String(length=32), nullable=True),
    sa.Column('arrived_at', sa.String(length=32), nullable=True),
    sa.Column('handed_over_at', sa.String(length=32), nullable=True),
    sa.Column('cleared_at', sa.String(length=32), nullable=True),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("state IN ('en_route', 'arrived', 'handed_over', 'cleared', 'cancelled')", name=op.f('ck_handover_event_state')),
    sa.CheckConstraint('handed_over_at IS NULL OR arrived_at IS NULL OR handed_over_at >= arrived_at', name=op.f('ck_handover_event_handover_after_arrival')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover_event')),
    sa.UniqueConstraint('event_uuid', name=op.f('uq_handover_event_event_uuid')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_handover_event_feed_seq'))
    )
    op.create_index('ix_handover_event_hospital_state', 'handover_event', ['hospital_code', 'state'], unique=False)
    op.create_table('opel_assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=True),
    sa.Column('pillar', sa.String(length=20), nullable=False),
    sa.Column('assessed_at', sa.String(length=32), nullable=False),
    sa.Column('table_edition', sa.String(length=40), nullable=False),
    sa.Column('table_verified', sa.Boolean(), nullable=False),
    sa.Column('total_score', sa.Float(), nullable=True),
    sa.Column('calculated_level', sa.Integer(), nullable=True),
    sa.Column('at_least_level', sa.Integer(), nullable=True),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('declared_level', sa.Integer(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('received_at', sa.String(length=32), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("scope IN ('provider', 'pillar', 'system')", name=op.f('ck_opel_assessment_scope')),
    sa.CheckConstraint('calculated_level IS NULL OR calculated_level BETWEEN 1 AND 4', name=op.f('ck_opel_assessment_calculated_level')),
    sa.CheckConstraint('declared_level IS NULL OR declared_level = calculated_level OR (override_reason IS NOT NULL AND length(trim(override_reason)) > 0)', name=op.f('ck_opel_assessment_override_needs_reason')),
    sa.CheckConstraint('declared_level IS NULL OR declared_level BETWEEN 1 AND 4', name=op.f('ck_opel_assessment_declared_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opel_assessment')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_opel_assessment_feed_seq'))
    )
    op.create_index('ix_opel_assessment_scope_org_time', 'opel_assessment', ['scope', 'org_code', 'assessed_at'], unique=False)
    op.create_table('response_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=False),
    sa.Column('period_start', sa.String(length=32), nullable=False),
    sa.Column('period_end', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=2), nullable=False),
    sa.Column('incidents', sa.Integer(), nullable=True),
    sa.Column('mean_seconds', sa.Float(), nullable=True),
    sa.Column('p90_seconds', sa.Float(), nullable=True),
    sa.Column('received_at', sa.String(length=32), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("category IN ('C1', 'C2', 'C3', 'C4')", name=op.f('ck_response_times_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_times')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_response_times_feed_seq'))
    )
    op.create_index('ix_response_times_org_period', 'response_times', ['org_code', 'period_end'], unique=False)
    op.create_table('opel_parameter_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('parameter_key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('band', sa.String(length=40), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('problem', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assessment_id'], ['opel_assessment.id'], name=op.f('fk_opel_parameter_score_assessment_id_opel_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opel_parameter_score'))
    )
    op.create_index(op.f('ix_opel_parameter_score_assessment_id'), 'opel_parameter_score', ['assessment_id'], unique=False)

def downgrade() -> None:
    op.drop_index(op.f('ix_opel_parameter_score_assessment_id'), table_name='opel_parameter_score')
    op.drop_table('opel_parameter_score')
    op.drop_index('ix_response_times_org_period', table_name='response_times')
    op.drop_table('response_times')
    op.drop_index('ix_opel_assessment_scope_org_time', table_name='opel_assessment')
    op.drop_table('opel_assessment')
    op.drop_index('ix_handover_event_hospital_state', table_name='handover_event')
    op.drop_table('handover_event')
    op.drop_index('ix_critcon_status_org_time', table_name='critcon_status')
    op.drop_table('critcon_status')
    op.drop_index('ix_ambulance_status_org_time', table_name='ambulance_status')
    op.drop_table('ambulance_status')
