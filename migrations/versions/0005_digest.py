"""digest claims: one digest per channel (or PM) per local day

Revision ID: 0005_digest
Revises: 0004_promises
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_digest"
down_revision = "0004_promises"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_claims")),
        sa.UniqueConstraint("kind", "target", "day", name=op.f("uq_digest_claims_kind")),
    )
    with op.batch_alter_table("digest_claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_digest_claims_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("digest_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_claims_day"))
    op.drop_table("digest_claims")
