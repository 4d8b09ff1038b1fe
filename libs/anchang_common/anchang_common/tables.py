"""Tables every service keeps in its own database, whatever its business, defined once here.

``processed_events``: ids of events already handled, per handler (handlers are idempotent).
``token_versions``: the newest access-token version per staff member (revocation, see ``gate``).
``idempotency_keys``: the first result of a create call per method, caller and key, with a hash of
its arguments; returned again on a retry with the same key and arguments (``idempotency``).
``outbox``: events committed with the work that caused them, until they are published (``events``).

A service puts them on its own ``MetaData`` with ``add_common_tables``; a change to one of them is a
function in ``shared_migrations`` applied by every service (docs/contributing.md).
"""
import sqlalchemy as sa

from anchang_common.types import UtcDateTime

COMMON = sa.MetaData()

processed_events = sa.Table(
    "processed_events", COMMON,
    sa.Column("event_id", sa.String(64), primary_key=True),
    # the handling method: two handlers of one event in a service each handle it once
    sa.Column("handler", sa.String(100), primary_key=True),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("processed_at", UtcDateTime(), nullable=False),
)
token_versions = sa.Table(
    "token_versions", COMMON,
    sa.Column("staff_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)
idempotency_keys = sa.Table(
    "idempotency_keys", COMMON,
    sa.Column("scope", sa.String(100), primary_key=True),
    sa.Column("caller", sa.String(100), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)
outbox = sa.Table(
    "outbox", COMMON,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False, index=True),
)


def add_common_tables(metadata):
    """Declare the common tables on a service's ``MetaData`` (for its models and migrations)."""
    for table in COMMON.tables.values():
        table.to_metadata(metadata)
