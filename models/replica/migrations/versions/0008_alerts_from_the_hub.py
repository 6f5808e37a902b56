"""Alerts raised by the hub's rule engine: what each watches (subject, metric, severity) and the
summary of a flapping alert (earlier raise/clear pairs folded into the latest).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.add_column(sa.Column('subject', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('metric_code', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('severity', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('folded_into', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('summary', sa.Text(), nullable=True))
        batch.create_index(batch.f('ix_alert_event_rule_subject'), ['rule_code', 'subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        batch.drop_index(batch.f('ix_alert_event_rule_subject'))
        for name in ('summary', 'folded_into', 'severity', 'metric_code', 'subject'):
            batch.drop_column(name)
