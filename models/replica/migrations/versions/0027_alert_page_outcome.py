"""What became of the hub's page about an alert through the paging gateway, its second escalation channel
(session 27: the optional ``page`` of an ``alert_escalation`` notice): "sent" or "failed", when, and the
gateway's error or why it was paged.  Three ADD COLUMNs to ``alert_event`` (no table copy); an alert
received before 0027 has no page, as no hub paged before session 27.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

_COLUMNS = (
    ('page_outcome', sa.String(length=6)),
    ('paged_at', sa.String(length=32)),
    ('page_error', sa.Text()),
)


def upgrade() -> None:
    for name, kind in _COLUMNS:
        op.add_column('alert_event', sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alert_event') as batch:
        for name, _ in reversed(_COLUMNS):
            batch.drop_column(name)
