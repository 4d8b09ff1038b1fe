"""Processed events kept per handler (a change of the common tables).

Revision ID: 2a24c650f79c
Revises: 1f8b8eb65085
"""
from anchang_common.shared_migrations import (
    processed_events_per_handler_downgrade,
    processed_events_per_handler_upgrade,
)

revision = "2a24c650f79c"
down_revision = "1f8b8eb65085"
branch_labels = None
depends_on = None


def upgrade():
    processed_events_per_handler_upgrade()


def downgrade():
    processed_events_per_handler_downgrade()
