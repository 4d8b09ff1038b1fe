"""Processed events kept per handler (a change of the common tables).

Revision ID: dca5ca55763f
Revises: 1599da55a972
"""
from anchang_common.shared_migrations import (
    processed_events_per_handler_downgrade,
    processed_events_per_handler_upgrade,
)

revision = "dca5ca55763f"
down_revision = "1599da55a972"
branch_labels = None
depends_on = None


def upgrade():
    processed_events_per_handler_upgrade()


def downgrade():
    processed_events_per_handler_downgrade()
