"""Idempotency keys per caller, with a hash of the request (a change of the common tables).

Revision ID: b51d016f36b3
Revises: cfcda4a30ce9
"""
from anchang_common.shared_migrations import idempotency_per_caller_downgrade, idempotency_per_caller_upgrade

revision = "b51d016f36b3"
down_revision = "cfcda4a30ce9"
branch_labels = None
depends_on = None


def upgrade():
    idempotency_per_caller_upgrade()


def downgrade():
    idempotency_per_caller_downgrade()
