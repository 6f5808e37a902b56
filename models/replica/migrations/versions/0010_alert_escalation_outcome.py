"""What became of the hub's email about an alert to whoever was on call (feed kind alert_escalation).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_COLUMNS = (
    ('escalation_outcome', sa.String(length=6)),
    ('escalated_at', sa.String(length=32)),
    ('escalated_to', sa.String(length=200)),
    ('escalated_address', sa.String(length=320)),
    ('escalation_rota', sa.String(length=200)),
    ('escalation_error', sa.Text()),
)


def upgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
