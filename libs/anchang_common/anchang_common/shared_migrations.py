"""Schema changes of the common tables (``tables.py``), written once and applied by every service.

Every service keeps the common tables in its own database, so a change to one of them is one
function here, named after the change and never edited once released, called from one Alembic
script per service (``docs/contributing.md``, "Changing a common table"). The test
``tests/integration/test_migrations.py`` proves that each service's migrated schema matches its
models on SQLite and PostgreSQL.
"""
import sqlalchemy as sa
from alembic import op

from anchang_common.types import UtcDateTime


def idempotency_per_caller_upgrade():
    """Idempotency keys belong to one caller and carry a hash of the request. The old keys were a
    retry cache shared by every caller: they are dropped, not migrated."""
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("caller", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def idempotency_per_caller_downgrade():
    op.drop_table("idempotency_keys")
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(100), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )


def processed_events_per_handler_upgrade():
    """Processed events are kept per handler. Rows from before keep the handler ``""``, which counts
    for every handler (there was one handler per event type in a service)."""
    op.create_table(
        "processed_events_new",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("handler", sa.String(100), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    op.execute("INSERT INTO processed_events_new (event_id, handler, event_type, processed_at) "
               "SELECT event_id, '', event_type, processed_at FROM processed_events")
    op.drop_table("processed_events")
    op.rename_table("processed_events_new", "processed_events")


def processed_events_per_handler_downgrade():
    op.create_table(
        "processed_events_old",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
    )
    op.execute("INSERT INTO processed_events_old (event_id, event_type, processed_at) "
               "SELECT event_id, MIN(event_type), MIN(processed_at) FROM processed_events GROUP BY event_id")
    op.drop_table("processed_events")
    op.rename_table("processed_events_old", "processed_events")
