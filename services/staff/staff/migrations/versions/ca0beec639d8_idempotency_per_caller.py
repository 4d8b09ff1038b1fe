"""Idempotency keys per caller, with a hash of the request (a change of the common tables).

Revision ID: ca0beec639d8
Revises: e5900c337f87
"""
from anchang_common.shared_migrations import idempotency_per_caller_downgrade, idempotency_per_caller_upgrade

revision = "ca0beec639d8"
down_revision = "e5900c337f87"
branch_labels = None
depends_on = None


def upgrade():
    idempotency_per_caller_upgrade()


def downgrade():
    idempotency_per_caller_downgrade()
