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
