"""Idempotency keys per caller, with a hash of the request (a change of the common tables).

Revision ID: f7914d439339
Revises: 93384ff3971b
"""
from anchang_common.shared_migrations import idempotency_per_caller_downgrade, idempotency_per_caller_upgrade

revision = "f7914d439339"
down_revision = "93384ff3971b"
branch_labels = None
depends_on = None


def upgrade():
    idempotency_per_caller_upgrade()


def downgrade():
    idempotency_per_caller_downgrade()
