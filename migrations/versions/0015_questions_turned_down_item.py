"""the item a rep said their question is not about ("Not what I meant")

Revision ID: 0015
Revises: 0014

Kept so that what follows the click never offers or shows that item again: the choice shown
again for a double submit, and the candidates a PM is shown when the question reaches them.
A note, not a link: no foreign key, so nothing about items has to change for it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("turned_down_item_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("turned_down_item_id")
