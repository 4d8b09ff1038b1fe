"""Idempotency keys per caller, with a hash of the request (a change of the common tables).

Revision ID: 12cdee293e7d
Revises: 8c59a1a54872
"""
from anchang_common.shared_migrations import idempotency_per_caller_downgrade, idempotency_per_caller_upgrade

revision = "12cdee293e7d"
down_revision = "8c59a1a54872"
branch_labels = None
depends_on = None


def upgrade():
    idempotency_per_caller_upgrade()


def downgrade():
    idempotency_per_caller_downgrade()
