"""one truth per item: answers have a scope and versions; one open thread per question

Revision ID: 0006
Revises: 0005_digest

- answers.scope: "item" (every deal: a fact about the item) or "deal" (this deal only);
  answers.customer: the deal a "deal" answer was given for.
- answers.replaced_at: set when a later answer to the same escalation replaces it;
  answers.replaces_id: the answer a new version replaced.
- answers.source_key: the submission that produced it (view id + hash, thread message),
  unique, so the same submission arriving twice is one answer.
- escalations.open_key: what the open escalation is about (an item, an item for one deal,
  or an unmatched wording); unique among open escalations, so two processes asking the
  same new question at once open one thread.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=10), nullable=False, server_default="item")
        )
        batch_op.add_column(sa.Column("customer", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_answers_replaces_id_answers"), "answers", ["replaces_id"], ["id"]
        )
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_answers_source_key"), ["source_key"])
        batch_op.create_index(batch_op.f("ix_answers_escalation_id"), ["escalation_id"])
    # a dated answer is a fact ("can be promised from D"), not a verdict against one rep's date
    op.execute(
        "UPDATE answers SET verdict = 'committed' "
        "WHERE verdict = 'not_by_then' AND promise_date IS NOT NULL"
    )

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("open_key", sa.String(length=300), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, item_id, match_text FROM escalations WHERE status = 'open' ORDER BY id")
    ).all()
    taken: set[str] = set()
    for escalation_id, item_id, match_text in rows:
        key = f"item:{item_id}" if item_id is not None else f"text:{match_text}"
        if key in taken:  # an older duplicate thread: keeps its own key
            key = f"escalation:{escalation_id}"
        taken.add(key)
        connection.execute(
            sa.text("UPDATE escalations SET open_key = :key WHERE id = :id"),
            {"key": key, "id": escalation_id},
        )
    op.create_index(
        "uq_escalations_open_key",
        "escalations",
        ["open_key"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_escalations_open_key", table_name="escalations")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("open_key")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_escalation_id"))
        batch_op.drop_constraint(batch_op.f("uq_answers_source_key"), type_="unique")
        batch_op.drop_column("source_key")
        batch_op.drop_constraint(batch_op.f("fk_answers_replaces_id_answers"), type_="foreignkey")
        batch_op.drop_column("replaces_id")
        batch_op.drop_column("replaced_at")
        batch_op.drop_column("customer")
        batch_op.drop_column("scope")
