"""Two indexes on handover events for the live queue and its records to check.

``(state, arrived_at)``: the offload queue, the crews' counts and the data-quality pass read the
records still "arrived" (a few dozen, of a year's 230,000 events), which scanned the whole table.
``(ambulance_org, updated_at)``: each ambulance service's newest update, the time a quiet
service's waits are judged at, read with a GROUP BY over the whole table; with this index it is a
seek per service.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_handover_event_state_arrived', 'handover_event', ['state', 'arrived_at'], unique=False)
    op.create_index('ix_handover_event_service_updated', 'handover_event', ['ambulance_org', 'updated_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_handover_event_service_updated', table_name='handover_event')
    op.drop_index('ix_handover_event_state_arrived', table_name='handover_event')
