"""onboarded_at: when a member finished onboarding; only then may they be made active again

Revision ID: 5d1e0a7c9b24
Revises: 3b7335951b10
"""
import sqlalchemy as sa
from alembic import op

revision = "5d1e0a7c9b24"
down_revision = "3b7335951b10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("onboarded_at", sa.DateTime(timezone=True), nullable=True))
    # members past onboarding before this column existed: active, suspended or left
    op.execute("UPDATE staff SET onboarded_at = created_at WHERE status <> 'onboarding'")


def downgrade():
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("onboarded_at")
