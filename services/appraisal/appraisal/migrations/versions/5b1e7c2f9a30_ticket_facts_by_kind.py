"""Ticket facts indexed by member, kind and day: each part of a scorecard's totals reads only the
facts of its kind (``AppraisalStorage.ticket_totals``).

Revision ID: 5b1e7c2f9a30
Revises: dca5ca55763f
"""
from alembic import op

revision = "5b1e7c2f9a30"
down_revision = "dca5ca55763f"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_facts_staff_id_day")
        batch_op.create_index("ix_ticket_facts_staff_id_kind_day", ["staff_id", "kind", "day"], unique=False)


def downgrade():
    with op.batch_alter_table("ticket_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_facts_staff_id_kind_day")
        batch_op.create_index("ix_ticket_facts_staff_id_day", ["staff_id", "day"], unique=False)
