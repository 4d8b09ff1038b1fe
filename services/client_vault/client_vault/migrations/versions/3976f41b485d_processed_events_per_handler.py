"""Processed events kept per handler (a change of the common tables).

Revision ID: 3976f41b485d
Revises: c6d018b7f009
"""
from anchang_common.shared_migrations import (
    processed_events_per_handler_downgrade,
    processed_events_per_handler_upgrade,
)

revision = "3976f41b485d"
down_revision = "c6d018b7f009"
branch_labels = None
depends_on = None


def upgrade():
    processed_events_per_handler_upgrade()


def downgrade():
    processed_events_per_handler_downgrade()
