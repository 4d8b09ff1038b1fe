"""Tables every service keeps in its own database, whatever its business.

``processed_events``: ids of events already handled (handlers are idempotent).
``token_versions``: the newest access-token version per staff member (revocation, see ``auth``).
``idempotency_keys``: the first result of a create call per method, caller and key, with a hash of
its arguments; returned again on a retry with the same key and arguments (``idempotency``).
``outbox``: events committed with the work that caused them, until they are published (``events``).
"""
import sqlalchemy as sa

from anchang_common.types import UtcDateTime

processed_events = sa.table(
    "processed_events", sa.column("event_id", sa.String), sa.column("event_type", sa.String),
    sa.column("processed_at", UtcDateTime()))
token_versions = sa.table(
    "token_versions", sa.column("staff_id", sa.String), sa.column("version", sa.Integer),
    sa.column("updated_at", UtcDateTime()))
idempotency_keys = sa.table(
    "idempotency_keys", sa.column("scope", sa.String), sa.column("caller", sa.String),
    sa.column("key", sa.String), sa.column("request_hash", sa.String), sa.column("result", sa.JSON),
    sa.column("created_at", UtcDateTime()))
outbox = sa.table(
    "outbox", sa.column("event_id", sa.String), sa.column("name", sa.String),
    sa.column("payload", sa.JSON), sa.column("created_at", UtcDateTime()))


def add_common_tables(metadata):
    """Declare the common tables on a service's ``MetaData`` (for its models and migrations)."""
    sa.Table(
        "processed_events", metadata,
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        "token_versions", metadata,
        sa.Column("staff_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        "idempotency_keys", metadata,
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("caller", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    sa.Table(
        "outbox", metadata,
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
    )
