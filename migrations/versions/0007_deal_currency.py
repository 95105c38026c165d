"""deal values keep their currency

Revision ID: 0007
Revises: 0006

- questions.deal_currency, promises.deal_currency: ISO 4217 code of the deal value as the
  rep wrote it ("EUR" for €80k); empty for the rows from before, which were dollars.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("questions", "promises"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("deal_currency", sa.String(length=3), nullable=True))


def downgrade() -> None:
    for table in ("promises", "questions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("deal_currency")
