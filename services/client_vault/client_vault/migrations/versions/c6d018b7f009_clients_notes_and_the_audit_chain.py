"""Clients (ciphertexts, blind index, masked forms), their notes, and the hash-chained audit log
with its head row (the lock every append takes).

Revision ID: c6d018b7f009
Revises: b51d016f36b3
Create Date: 2026-11-28 08:26:59.136907
"""
import sqlalchemy as sa
from alembic import op

revision = 'c6d018b7f009'
down_revision = 'b51d016f36b3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entries',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_id', sa.String(length=64), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_audit_entries_staff_at', ['staff_id', 'at'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(sa.table('audit_head', sa.column('id', sa.Integer), sa.column('length', sa.Integer),
                            sa.column('last_hash', sa.String)),
                   [{'id': 1, 'length': 0, 'last_hash': '0' * 64}])
    op.create_table('clients',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('phone_index', sa.String(length=100), nullable=True),
    sa.Column('name_ct', sa.Text(), nullable=True),
    sa.Column('phone_ct', sa.Text(), nullable=True),
    sa.Column('id_number_ct', sa.Text(), nullable=True),
    sa.Column('address_ct', sa.Text(), nullable=True),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('masked', sa.JSON(), nullable=True),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('consent_purpose', sa.String(length=40), nullable=True),
    sa.Column('consent_granted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('phone_index')
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_key_version'), ['key_version'], unique=False)

    op.create_table('notes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text_ct', sa.Text(), nullable=False),
    sa.Column('key_version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notes_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notes_key_version'), ['key_version'], unique=False)



def downgrade():
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notes_key_version'))
        batch_op.drop_index(batch_op.f('ix_notes_client_id'))

    op.drop_table('notes')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_key_version'))

    op.drop_table('clients')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_staff_at')
        batch_op.drop_index(batch_op.f('ix_audit_entries_client_id'))

    op.drop_table('audit_entries')
