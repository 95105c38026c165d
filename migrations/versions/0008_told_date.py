"""questions remember the date they were told

Revision ID: 0008
Revises: 0007

- questions.told_date: the date to promise the rep was given with the verdict (empty when
  the verdict carried none). With the verdict it says what the rep was told about the item,
  so a later answer that differs can say it replaces it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("told_date", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.drop_column("told_date")
