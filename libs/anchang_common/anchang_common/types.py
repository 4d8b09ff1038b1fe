"""Column types that behave the same on SQLite and PostgreSQL."""
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa


class UtcDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every dialect (SQLite keeps no offset of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id():
    return uuid.uuid4().hex


def utcnow():
    return datetime.now(UTC)


def utc_today():
    """Today's date in UTC: the date every stored time is compared with, whatever the server's zone."""
    return utcnow().date()
