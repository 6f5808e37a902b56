"""Covering indexes for the intraday forecast's read (issue 20): the observation index also holds
``value``, the provider-assessment index also holds the two levels, so the door's range scans
over four weeks of observations and eight weeks of levels read the index alone, not each row's
table page (on the year replica: most of that read's time).  Same names and leading columns, so
every query that used the narrow indexes uses these the same way; no extra index to maintain.
Handover events get an index on (hospital, arrival time): the arrivals forecast counts four weeks
of arrivals and finds each site's first one, which scanned every event a site ever had.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

NARROW = {
    'ix_observation_org_metric_time': ('observation', ['org_code', 'metric_code', 'observed_at']),
    'ix_opel_assessment_scope_org_time': ('opel_assessment', ['scope', 'org_code', 'assessed_at']),
}
# ``id`` right after the time, as the narrow index had it implicitly (SQLite ends every index with
# the rowid): "newest, then highest id" (ORDER BY time, id) still reads in index order, no sort.
COVERING = {
    'ix_observation_org_metric_time': ['id', 'value'],
    'ix_opel_assessment_scope_org_time': ['id', 'declared_level', 'calculated_level'],
}


def upgrade() -> None:
    for name, (table, columns) in NARROW.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns + COVERING[name], unique=False)
    op.create_index('ix_handover_event_hospital_arrived', 'handover_event', ['hospital_code', 'arrived_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_handover_event_hospital_arrived', table_name='handover_event')
    for name, (table, columns) in NARROW.items():
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False)
