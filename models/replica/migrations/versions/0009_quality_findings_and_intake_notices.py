"""Data-quality findings the checks keep up to date; the hub's notice of each provider submission.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('data_quality_finding') as batch:
        batch.add_column(sa.Column('check_code', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('finding_key', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('severity', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('submission_ref', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('subject_at', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('last_seen_at', sa.String(length=32), nullable=True))
    op.create_index('ix_data_quality_finding_open_key', 'data_quality_finding', ['finding_key'], unique=True,
                    sqlite_where=sa.text('resolved_at IS NULL'))
    op.create_index('ix_data_quality_finding_org', 'data_quality_finding', ['org_code', 'found_at'],
                    unique=False)
    op.create_table(
        'intake_notice',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.String(length=64), nullable=True),
        sa.Column('org_code', sa.String(length=12), nullable=False),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('submitted_at', sa.String(length=32), nullable=False),
        sa.Column('received_at', sa.String(length=32), nullable=False),
        sa.Column('accepted', sa.Integer(), nullable=False),
        sa.Column('accepted_keys', sa.JSON(), nullable=False),
        sa.Column('rejected', sa.JSON(), nullable=False),
        sa.Column('rejected_count', sa.Integer(), nullable=False),
        sa.Column('feed_seq', sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_notice')),
        sa.UniqueConstraint('feed_seq', name=op.f('uq_intake_notice_feed_seq')),
    )
    op.create_index('ix_intake_notice_org_time', 'intake_notice', ['org_code', 'received_at'], unique=False)
    op.create_index('ix_intake_notice_received', 'intake_notice', ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_intake_notice_received', table_name='intake_notice')
    op.drop_index('ix_intake_notice_org_time', table_name='intake_notice')
    op.drop_table('intake_notice')
    op.drop_index('ix_data_quality_finding_org', table_name='data_quality_finding')
    op.drop_index('ix_data_quality_finding_open_key', table_name='data_quality_finding')
    with op.batch_alter_table('data_quality_finding') as batch:
        for name in ('last_seen_at', 'subject_at', 'submission_ref', 'severity', 'finding_key', 'check_code'):
            batch.drop_column(name)
