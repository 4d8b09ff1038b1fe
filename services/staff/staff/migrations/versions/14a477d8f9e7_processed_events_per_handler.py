"""Processed events kept per handler (a change of the common tables).

Revision ID: 14a477d8f9e7
Revises: 5d1e0a7c9b24
"""
from anchang_common.shared_migrations import (
    processed_events_per_handler_downgrade,
    processed_events_per_handler_upgrade,
)

revision = "14a477d8f9e7"
down_revision = "5d1e0a7c9b24"
branch_labels = None
depends_on = None


def upgrade():
    processed_events_per_handler_upgrade()


def downgrade():
    processed_events_per_handler_downgrade()
