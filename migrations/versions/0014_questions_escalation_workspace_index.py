"""an escalation's questions are found by one index on (escalation_id, workspace_id)

Revision ID: 0014
Revises: 0013

Every query a session makes is kept to its workspace (store/tenancy.py), so looking up the
reps waiting on an escalation reads `escalation_id = ? AND workspace_id = ?`. With an index
on each column alone SQLite, which keeps no statistics unless ANALYZE is run, took the
workspace's (every row of a one-workspace store) over the escalation's: a question joining
an open escalation read all 100,000 stored questions four times, 100 to 180 ms
(benchmarks/answer.py). An index on both columns is the one any planner takes for both
equalities, and still serves `escalation_id` alone (the foreign key).
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_questions_escalation_workspace", "questions", ["escalation_id", "workspace_id"]
    )
    op.drop_index("ix_questions_escalation_id", table_name="questions")


def downgrade() -> None:
    op.create_index("ix_questions_escalation_id", "questions", ["escalation_id"])
    op.drop_index("ix_questions_escalation_workspace", table_name="questions")
