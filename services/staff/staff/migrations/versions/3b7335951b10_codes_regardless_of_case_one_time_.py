"""Codes unique regardless of case, one-time passwords, security acknowledgment.

``positions.code_key`` and ``certificates.code_key`` hold the code in lower case (filled from the
existing codes); the unique constraints on them make codes unique regardless of case. The old unique
constraints on the code as written stay: the new ones imply them.

Revision ID: 3b7335951b10
Revises: ca0beec639d8
"""
import sqlalchemy as sa
from alembic import op

revision = '3b7335951b10'
down_revision = 'ca0beec639d8'
branch_labels = None
depends_on = None


def _add_code_key(table, unique_columns, constraint):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('code_key', sa.String(length=64), nullable=True))
    op.execute(f"UPDATE {table} SET code_key = lower(code)")
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column('code_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(constraint, unique_columns)


def upgrade():
    _add_code_key('certificates', ['staff_id', 'code_key'], 'uq_certificates_staff_id_code_key')
    _add_code_key('positions', ['code_key'], 'uq_positions_code_key')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('security_acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('security_lapse_notified_at', sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('security_lapse_notified_at')
        batch_op.drop_column('security_acknowledged_at')
        batch_op.drop_column('must_change_password')
    for table, constraint in (('positions', 'uq_positions_code_key'),
                              ('certificates', 'uq_certificates_staff_id_code_key')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_='unique')
            batch_op.drop_column('code_key')
