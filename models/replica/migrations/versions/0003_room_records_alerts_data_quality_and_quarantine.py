"""Room records, alerts, data quality and quarantine.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_rule',
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('metric_code', sa.String(length=80), nullable=True),
    sa.Column('comparison', sa.String(length=6), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=True),
    sa.Column('sustained_minutes', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.CheckConstraint("comparison IN ('>', '>=', '<', '<=', '==', 'stale')", name=op.f('ck_alert_rule_comparison')),
    sa.CheckConstraint("severity IN ('info', 'warning', 'critical')", name=op.f('ck_alert_rule_severity')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_alert_rule'))
    )
    op.create_table('contact',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=True),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('service', sa.String(length=60), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('cover', sa.String(length=12), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('device_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("cover IN ('in_hours', 'out_of_hours', 'both')", name=op.f('ck_contact_cover')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_contact'))
    )
    op.create_table('data_quality_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.String(length=32), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=True),
    sa.Column('metric_code', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=14), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('resolved_at', sa.String(length=32), nullable=True),
    sa.CheckConstraint("kind IN ('missing', 'late', 'out_of_range', 'malformed', 'inconsistent', 'stale')", name=op.f('ck_data_quality_finding_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_quality_finding'))
    )
    op.create_index('ix_data_quality_finding_open', 'data_quality_finding', ['resolved_at', 'found_at'], unique=False)
    op.create_table('decision_entry',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('device_seq', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.String(length=32), nullable=False),
    sa.Column('decision_maker', sa.String(length=120), nullable=False),
    sa.Column('decision_maker_role', sa.String(length=120), nullable=False),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('options_considered', sa.Text(), nullable=False),
    sa.Column('information_available', sa.Text(), nullable=False),
    sa.Column('situation_snapshot', sa.JSON(), nullable=False),
    sa.Column('review_at', sa.String(length=32), nullable=True),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('recorded_at', sa.String(length=32), nullable=False),
    sa.Column('amends_uuid', sa.String(length=36), nullable=True),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('prev_device_hash', sa.String(length=64), nullable=True),
    sa.Column('hub_seq', sa.BigInteger(), nullable=True),
    sa.Column('hub_prev_hash', sa.String(length=64), nullable=True),
    sa.Column('hub_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['amends_uuid'], ['decision_entry.uuid'], name=op.f('fk_decision_entry_amends_uuid_decision_entry')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_decision_entry')),
    sa.UniqueConstraint('hub_seq', name=op.f('uq_decision_entry_hub_seq'))
    )
    op.create_index('ix_decision_entry_decided_at', 'decision_entry', ['decided_at'], unique=False)
    op.create_index('ix_decision_entry_device_seq', 'decision_entry', ['device_id', 'device_seq'], unique=True)
    op.create_table('quarantined_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('released_at', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantined_record'))
    )
    op.create_table('transfer',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('local_ref', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('from_code', sa.String(length=12), nullable=False),
    sa.Column('to_code', sa.String(length=12), nullable=True),
    sa.Column('clinical_need', sa.Text(), nullable=False),
    sa.Column('priority', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_at', sa.String(length=32), nullable=False),
    sa.Column('accepted_at', sa.String(length=32), nullable=True),
    sa.Column('departed_at', sa.String(length=32), nullable=True),
    sa.Column('arrived_at', sa.String(length=32), nullable=True),
    sa.Column('owner', sa.String(length=120), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('has_conflict', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind IN ('inter_hospital', 'intra_hospital', 'repatriation', 'mh_out_of_area')", name=op.f('ck_transfer_kind')),
    sa.CheckConstraint("status IN ('requested', 'accepted', 'departed', 'arrived', 'cancelled')", name=op.f('ck_transfer_status')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_transfer'))
    )
    op.create_table('action',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('decision_uuid', sa.String(length=36), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('due_at', sa.String(length=32), nullable=True),
    sa.Column('done_at', sa.String(length=32), nullable=True),
    sa.Column('done_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['decision_uuid'], ['decision_entry.uuid'], name=op.f('fk_action_decision_uuid_decision_entry')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_action'))
    )
    op.create_index(op.f('ix_action_decision_uuid'), 'action', ['decision_uuid'], unique=False)
    op.create_index(op.f('ix_action_due_at'), 'action', ['due_at'], unique=False)
    op.create_table('alert_event',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('rule_code', sa.String(length=60), nullable=False),
    sa.Column('org_code', sa.String(length=12), nullable=True),
    sa.Column('raised_at', sa.String(length=32), nullable=False),
    sa.Column('cleared_at', sa.String(length=32), nullable=True),
    sa.Column('acknowledged_at', sa.String(length=32), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=120), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['rule_code'], ['alert_rule.code'], name=op.f('fk_alert_event_rule_code_alert_rule')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_alert_event'))
    )
    op.create_index('ix_alert_event_open', 'alert_event', ['cleared_at', 'raised_at'], unique=False)
    op.create_table('on_call_shift',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('rota', sa.String(length=60), nullable=False),
    sa.Column('contact_uuid', sa.String(length=36), nullable=False),
    sa.Column('starts_at', sa.String(length=32), nullable=False),
    sa.Column('ends_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_on_call_shift_ends_after_start')),
    sa.ForeignKeyConstraint(['contact_uuid'], ['contact.uuid'], name=op.f('fk_on_call_shift_contact_uuid_contact')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_on_call_shift'))
    )
    op.create_index(op.f('ix_on_call_shift_contact_uuid'), 'on_call_shift', ['contact_uuid'], unique=False)
    op.create_table('transfer_event',
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('transfer_uuid', sa.String(length=36), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=True),
    sa.Column('new_value', sa.Text(), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_uuid'], ['transfer.uuid'], name=op.f('fk_transfer_event_transfer_uuid_transfer')),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_transfer_event')),
    sa.UniqueConstraint('feed_seq', name=op.f('uq_transfer_event_feed_seq'))
    )
    op.create_index('ix_transfer_event_transfer_at', 'transfer_event', ['transfer_uuid', 'at'], unique=False)

def downgrade() -> None:
    op.drop_index('ix_transfer_event_transfer_at', table_name='transfer_event')
    op.drop_table('transfer_event')
    op.drop_index(op.f('ix_on_call_shift_contact_uuid'), table_name='on_call_shift')
    op.drop_table('on_call_shift')
    op.drop_index('ix_alert_event_open', table_name='alert_event')
    op.drop_table('alert_event')
    op.drop_index(op.f('ix_action_due_at'), table_name='action')
    op.drop_index(op.f('ix_action_decision_uuid'), table_name='action')
    op.drop_table('action')
    op.drop_table('transfer')
    op.drop_table('quarantined_record')
    op.drop_index('ix_decision_entry_device_seq', table_name='decision_entry')
    op.drop_index('ix_decision_entry_decided_at', table_name='decision_entry')
    op.drop_table('decision_entry')
    op.drop_index('ix_data_quality_finding_open', table_name='data_quality_finding')
    op.drop_table('data_quality_finding')
    op.drop_table('contact')
    op.drop_table('alert_rule')
