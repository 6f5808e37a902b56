"""When each contact was last checked, and by whom (``contact.checked_at``, ``contact.checked_by``, session 26).

"Checked now" on the Contacts tab, or any edit of the contact, sets both (``sync.authoring``) and syncs.
A contact already held is taken as checked at its last edit, by whoever made it (``updated_at``,
``updated_by``): an edit counts as a check from now on, so the same rule is applied to the edits made
before.  A directory imported long ago and never touched shows its age, and the data-quality check
(``models.rules.quality.contacts_unchecked``) finds it at once.  Two plain ADD COLUMNs and one UPDATE (no
table copy).

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('contact', sa.Column('checked_at', sa.String(32), nullable=True))
    op.add_column('contact', sa.Column('checked_by', sa.String(120), nullable=True))
    op.execute("UPDATE contact SET checked_at = updated_at, checked_by = updated_by")


def downgrade() -> None:
    with op.batch_alter_table('contact') as batch:
        batch.drop_column('checked_by')
        batch.drop_column('checked_at')
