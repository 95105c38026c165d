"""when a workspace uninstalled canwe, and when its data was deleted

Revision ID: 0012
Revises: 0011

- workspaces.uninstalled_at: set by app_uninstalled, tokens_revoked or a token Slack no
  longer takes; its scheduled work and deliveries stop; cleared by a new install.
- workspaces.forgotten_at: its data deleted, CANWE_FORGET_UNINSTALLED_DAYS after that.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.add_column(sa.Column("uninstalled_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("forgotten_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("forgotten_at")
        batch.drop_column("uninstalled_at")
