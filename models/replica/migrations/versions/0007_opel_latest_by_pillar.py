"""Index for the newest pillar and system OPEL assessment.

The overview asks for the newest assessment of each pillar and of the
system; with only the (scope, org_code, assessed_at) index that read every
pillar-scope row (two per provider submission: seconds on a year of data).

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_opel_assessment_scope_pillar_time', 'opel_assessment',
                    ['scope', 'pillar', 'assessed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_opel_assessment_scope_pillar_time', table_name='opel_assessment')
