"""who taught canwe a wording of an item: a PM answering, or a rep picking

Revision ID: 0016
Revises: 0015

A rep's "Not what I meant" takes back a wording a rep's pick taught, never one a PM's answer
taught: the PM is who decides what a question is about, and one rep's click should not undo
it for every rep. Wordings from before this revision are marked as a PM's when a PM answered
a question in those words with that item (the answer is kept with the question); the rest
were reps' picks.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "phrasings",
        sa.Column("taught_by", sa.String(length=10), nullable=False, server_default="rep"),
    )
    op.execute(
        "UPDATE phrasings SET taught_by = 'pm' WHERE EXISTS (SELECT 1 FROM questions q"
        " WHERE q.answer_id IS NOT NULL AND q.item_id = phrasings.item_id"
        " AND q.workspace_id = phrasings.workspace_id AND q.text = phrasings.text)"
    )


def downgrade() -> None:
    # not in batch mode: that rebuilds the table, and with it would go the triggers that keep
    # the full-text index in step (SQLite drops a column in place since 3.35)
    op.drop_column("phrasings", "taught_by")
